#include "text/tsv_dataset.h"

#include <doctest/doctest.h>

#include <fstream>

#include "fixtures.h"
#include "graph/error.h"

namespace flowgrad::testing {
namespace {

using text::TsvOptions;

TEST_CASE("a header line is detected from its label field") {
  auto with_header = text::parse_tsv("sentence\tlabel\ngood film\t1\nbad film\t0\n", "a.tsv");
  CHECK(with_header.has_header);
  REQUIRE(with_header.examples.size() == 2);
  CHECK(with_header.labels == std::vector<std::string>{"1", "0"});  // order of first appearance
  CHECK(with_header.examples[1].text == "bad film");
  CHECK(with_header.examples[1].label == 1);
  CHECK(with_header.examples[1].line == 3);

  auto named = text::parse_tsv("great\tpos\nawful\tneg\nfine\tpos\n", "b.tsv");
  CHECK_FALSE(named.has_header);  // "pos" recurs below: a label, not a column name
  CHECK(named.examples.size() == 3);
  CHECK(named.labels == std::vector<std::string>{"pos", "neg"});

  auto numeric = text::parse_tsv("3.5 stars\t2\nok\t1\n", "c.tsv");
  CHECK_FALSE(numeric.has_header);

  auto given = text::parse_tsv("text\tsentiment\ngreat\tpos\nawful\tneg\n", "d.tsv", {.labels = {"neg", "pos"}});
  CHECK(given.has_header);
  CHECK(given.examples[0].label == 1);
  CHECK(given.examples[1].label == 0);
}

TEST_CASE("labels can be sorted, numerically when they are integers") {
  auto sorted = text::parse_tsv("a\t10\nb\t9\nc\t-1\nd\t9\n", "s.tsv", {.order = text::LabelOrder::sorted});
  CHECK(sorted.labels == std::vector<std::string>{"-1", "9", "10"});
  CHECK(sorted.examples[0].label == 2);
  auto words = text::parse_tsv("a\tpos\nb\tneg\nc\tpos\n", "w.tsv", {.order = text::LabelOrder::sorted});
  CHECK(words.labels == std::vector<std::string>{"neg", "pos"});
}

TEST_CASE("the text may contain tabs: the label follows the last one") {
  auto data = text::parse_tsv("left\tright\t1\r\n", "t.tsv");
  CHECK(data.examples[0].text == "left\tright");
}

TEST_CASE("malformed lines name the file and line") {
  CHECK_THROWS_WITH_AS(text::parse_tsv("good\t1\nno tab here\n", "train.tsv"),
                       "train.tsv:2: expected 'text<TAB>label', got a line without a tab", FormatError);
  CHECK_THROWS_WITH_AS(text::parse_tsv("good\t1\n\t0\n", "train.tsv"),
                       "train.tsv:2: expected a non-empty text before the tab", FormatError);
  CHECK_THROWS_WITH_AS(text::parse_tsv("good\t1\nbad\t \n", "train.tsv"),
                       "train.tsv:2: expected a label after the tab, got nothing", FormatError);
  CHECK_THROWS_WITH_AS(text::parse_tsv("x\tpos\ny\tneutral\n", "train.tsv", {.labels = {"neg", "pos"}}),
                       "train.tsv:2: expected one of the labels [neg, pos], got 'neutral'", FormatError);
  CHECK_THROWS_WITH_AS(text::parse_tsv("text\tlabel\n", "train.tsv"),
                       "train.tsv: expected at least one example, got none", FormatError);
  CHECK_THROWS_WITH_AS(text::parse_tsv("a\t1\nb\xFF\t1\n", "train.tsv"),
                       doctest::Contains("train.tsv:2: expected UTF-8 text"), FormatError);
}

TEST_CASE("TSV examples encode as [CLS] pieces [SEP] within max_len") {
  auto dir = scratch_dir("tsv");
  std::ofstream(dir / "train.tsv") << "text\tlabel\nthe cat sat\tyes\nthe the the the the\tno\n";
  auto data = text::read_tsv(dir / "train.tsv");
  std::vector<std::string> tokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat"};
  text::WordPieceTokenizer tok{text::Vocab(tokens)};
  auto seqs = text::encode_for_classification(data, tok, 5);
  REQUIRE(seqs.size() == 2);
  CHECK(seqs[0].ids == std::vector<int32_t>{2, 5, 6, 1, 3});
  CHECK(seqs[0].label == 0);
  CHECK(seqs[1].ids == std::vector<int32_t>{2, 5, 5, 5, 3});  // truncated before [SEP]
  CHECK(seqs[1].label == 1);
}

}  // namespace
}  // namespace flowgrad::testing
