#pragma once
// Text classification data in TSV: one example per line, `text<TAB>label`
// (the label is after the LAST tab, so the text may contain tabs), UTF-8,
// "\r\n" accepted.
//
// Header. The first line is a header when its label field is neither a
// number nor a known label. Known labels are the given ones; without given
// labels, a label is known when it also appears on a later line (so
// "sentence\tlabel" over 0/1 or pos/neg rows is a header, "great film\tpos"
// followed by more "pos" rows is data).
//
// Labels -> ids: the given labels in their order, or else the labels in
// order of first appearance (LabelOrder::first_appearance) or sorted
// (LabelOrder::sorted: numerically if all are integers, else byte order).
//
// Errors are FormatError naming the file and line:
//   "train.tsv:7: expected 'text<TAB>label', got a line without a tab"
//   "train.tsv:9: expected a non-empty text before the tab"
//   "train.tsv:9: expected a label after the tab, got nothing"
//   "train.tsv:12: expected one of the labels [neg, pos], got 'neutral'"
//   "train.tsv: expected at least one example, got none"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "text/sequence_example.h"
#include "text/wordpiece.h"

namespace flowgrad::text {

enum class LabelOrder { first_appearance, sorted };

struct TsvOptions {
  std::vector<std::string> labels;  // given labels: ids are their positions
  LabelOrder order = LabelOrder::first_appearance;
};

struct TsvExample {
  std::string text;
  int32_t label = 0;
  size_t line = 0;  // 1-based line in the file
};

struct TsvDataset {
  std::vector<TsvExample> examples;
  std::vector<std::string> labels;  // id -> label
  bool has_header = false;
};

TsvDataset read_tsv(const std::filesystem::path& path, const TsvOptions& options = {});
TsvDataset parse_tsv(std::string_view text, const std::string& name, const TsvOptions& options = {});

// [CLS] wordpieces [SEP], truncated to max_len tokens, with the class label.
std::vector<SequenceExample> encode_for_classification(const TsvDataset& data, const WordPieceTokenizer& tokenizer,
                                                       int32_t max_len);

}  // namespace flowgrad::text
