#include "text/vocab.h"

#include <doctest/doctest.h>

#include <fstream>

#include "fixtures.h"
#include "graph/error.h"
#include "text/basic_tokenizer.h"

namespace flowgrad::testing {
namespace {

using text::Vocab;

TEST_CASE("vocab.txt loads with ids by line and saves back byte for byte") {
  auto dir = scratch_dir("vocab");
  std::string contents = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\n##s\ncafé\n";
  std::ofstream(dir / "vocab.txt", std::ios::binary) << contents;
  Vocab v = Vocab::load(dir / "vocab.txt");
  CHECK(v.size() == 8);
  CHECK(v.id("the") == 5);
  CHECK(v.token(6) == "##s");
  CHECK(v.id("missing") == v.unk_id());
  CHECK(v.find("missing") == std::nullopt);
  CHECK(v.pad_id() == 0);
  CHECK(v.cls_id() == 2);
  CHECK(v.sep_id() == 3);
  CHECK(v.mask_id() == 4);
  CHECK(v.is_special(4));
  CHECK_FALSE(v.is_special(5));
  v.save(dir / "saved.txt");
  CHECK(text::read_text_file(dir / "saved.txt") == contents);
  CHECK(Vocab::load(dir / "saved.txt").tokens() == v.tokens());
}

TEST_CASE("vocab.txt with CRLF line ends and no final newline loads the same") {
  Vocab v = Vocab::parse("[UNK]\r\nhello\r\nworld", "v.txt");
  CHECK(v.tokens() == std::vector<std::string>{"[UNK]", "hello", "world"});
}

TEST_CASE("bad vocabularies are rejected with the file and line") {
  CHECK_THROWS_WITH_AS(Vocab::parse("a\nb\na\n", "v.txt"),
                       "v.txt:3: expected unique tokens, got 'a' again (first on line 1)", FormatError);
  CHECK_THROWS_WITH_AS(Vocab::parse("a\n\nb\n", "v.txt"), "v.txt:2: expected a token, got an empty line", FormatError);
  CHECK_THROWS_WITH_AS(Vocab::parse("", "v.txt"), "v.txt: expected at least one token, got an empty vocabulary",
                       FormatError);
  CHECK_THROWS_WITH_AS(Vocab::parse("ok\n\xFF\n", "v.txt"), doctest::Contains("v.txt:2: expected UTF-8 text"),
                       FormatError);
  CHECK_THROWS_WITH_AS(Vocab::load("/nonexistent/vocab.txt"), doctest::Contains("cannot open file"), FormatError);
  Vocab v = Vocab::parse("hello\n", "v.txt");
  CHECK_THROWS_WITH_AS(v.mask_id(), "vocabulary has no [MASK] token", ValueError);
  CHECK_THROWS_WITH_AS(v.token(1), "expected a token id in [0, 1), got 1", ValueError);
}

TEST_CASE("a word vocabulary keeps frequent words, most frequent first, ties in byte order") {
  std::vector<text::Document> docs = {{"b a c a b a", "d c e"}, {"e f b"}};
  auto counts = text::count_words(docs, text::split_whitespace);
  // a:3 b:3 c:2 e:2 d:1 f:1
  CHECK(counts.front() == text::WordCount{"a", 3});
  CHECK(counts[1] == text::WordCount{"b", 3});
  CHECK(counts.back() == text::WordCount{"f", 1});

  Vocab v = text::build_word_vocab(counts, {.min_count = 2});
  CHECK(v.tokens() == std::vector<std::string>{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b", "c", "e"});
  CHECK(v.count(v.id("a")) == 3);
  CHECK(v.count(v.pad_id()) == 0);

  Vocab capped = text::build_word_vocab(counts, {.max_size = 3, .add_special_tokens = false});
  CHECK(capped.tokens() == std::vector<std::string>{"a", "b", "c"});
  CHECK_FALSE(capped.has_unk());

  // The order of the counts given does not matter.
  std::vector<text::WordCount> shuffled(counts.rbegin(), counts.rend());
  CHECK(text::build_word_vocab(shuffled).tokens() == text::build_word_vocab(counts).tokens());
  CHECK_THROWS_WITH_AS(text::build_word_vocab(counts, {.min_count = 0}), "expected min_count >= 1, got 0", ValueError);
}

}  // namespace
}  // namespace flowgrad::testing
