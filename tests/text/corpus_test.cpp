#include "text/corpus.h"

#include <doctest/doctest.h>

#include <fstream>

#include "fixtures.h"
#include "graph/error.h"

namespace flowgrad::testing {
namespace {

using text::Document;

TEST_CASE("a corpus splits into documents at blank lines") {
  auto docs = text::parse_corpus("\xEF\xBB\xBF" "First one.\r\n  Second one.  \n\n \t\n\nNew doc.\nLast", "c.txt");
  REQUIRE(docs.size() == 2);
  CHECK(docs[0] == Document{"First one.", "Second one."});
  CHECK(docs[1] == Document{"New doc.", "Last"});
  CHECK(text::count_sentences(docs) == 4);
}

TEST_CASE("corpus errors name the file and line") {
  CHECK_THROWS_WITH_AS(text::parse_corpus("\n \n\n", "empty.txt"),
                       "empty.txt: expected at least one sentence, got an empty corpus", FormatError);
  CHECK_THROWS_WITH_AS(text::parse_corpus("good\nalso good\nbad \xC3\x28 byte\n", "bad.txt"),
                       "bad.txt:3: expected UTF-8 text, got an ill-formed byte sequence at byte 5", FormatError);
  CHECK_THROWS_WITH_AS(text::read_corpus("/nonexistent/corpus.txt"),
                       doctest::Contains("/nonexistent/corpus.txt: cannot open file"), FormatError);
}

TEST_CASE("a corpus file reads like the same text in memory") {
  auto dir = scratch_dir("corpus");
  std::ofstream(dir / "c.txt") << "a b c\nd e\n\nf\n";
  auto docs = text::read_corpus(dir / "c.txt");
  CHECK(docs == text::parse_corpus("a b c\nd e\n\nf\n", "x"));
  CHECK(docs.size() == 2);
}

}  // namespace
}  // namespace flowgrad::testing
