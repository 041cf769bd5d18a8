#include "text/tsv_dataset.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "graph/error.h"
#include "text/corpus.h"

namespace flowgrad::text {
namespace {

struct Row {
  std::string_view text, label;
  size_t line;
};

bool is_number(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  bool digits = false, dot = false;
  for (char c : s) {
    if (c >= '0' && c <= '9') digits = true;
    else if (c == '.' && !dot) dot = true;
    else return false;
  }
  return digits;
}

bool is_integer(std::string_view s) { return is_number(s) && s.find('.') == std::string_view::npos; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

Row split_row(std::string_view line, const std::string& name, size_t line_no) {
  std::string where = name + ":" + std::to_string(line_no);
  check_utf8_line(line, name, line_no);
  size_t tab = line.rfind('\t');
  if (tab == std::string_view::npos) throw FormatError(where + ": expected 'text<TAB>label', got a line without a tab");
  Row row{trim(line.substr(0, tab)), trim(line.substr(tab + 1)), line_no};
  if (row.text.empty()) throw FormatError(where + ": expected a non-empty text before the tab");
  if (row.label.empty()) throw FormatError(where + ": expected a label after the tab, got nothing");
  return row;
}

std::vector<std::string> label_set(const std::vector<Row>& rows, const TsvOptions& options) {
  if (!options.labels.empty()) return options.labels;
  std::vector<std::string> labels;
  std::unordered_set<std::string_view> seen;
  for (const Row& r : rows) {
    if (seen.insert(r.label).second) labels.emplace_back(r.label);
  }
  if (options.order == LabelOrder::sorted) {
    bool numeric = std::all_of(labels.begin(), labels.end(), [](const std::string& l) { return is_integer(l); });
    std::sort(labels.begin(), labels.end(), [&](const std::string& a, const std::string& b) {
      return numeric ? std::stoll(a) < std::stoll(b) : a < b;
    });
  }
  return labels;
}

std::string join(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + v[i];
  return out + "]";
}

}  // namespace

TsvDataset parse_tsv(std::string_view text, const std::string& name, const TsvOptions& options) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  std::vector<std::string_view> lines = split_lines(text);
  std::vector<Row> rows;
  for (size_t i = 0; i < lines.size(); ++i) rows.push_back(split_row(lines[i], name, i + 1));

  TsvDataset data;
  if (!rows.empty() && !is_number(rows[0].label)) {
    std::string_view first = rows[0].label;
    bool known = options.labels.empty()
                     ? std::any_of(rows.begin() + 1, rows.end(), [&](const Row& r) { return r.label == first; })
                     : std::find(options.labels.begin(), options.labels.end(), first) != options.labels.end();
    data.has_header = !known;
  }
  if (data.has_header) rows.erase(rows.begin());
  if (rows.empty()) throw FormatError(name + ": expected at least one example, got none");

  data.labels = label_set(rows, options);
  std::unordered_map<std::string_view, int32_t> ids;
  for (size_t i = 0; i < data.labels.size(); ++i) ids.emplace(data.labels[i], static_cast<int32_t>(i));
  for (const Row& r : rows) {
    auto it = ids.find(r.label);
    if (it == ids.end()) {
      throw FormatError(name + ":" + std::to_string(r.line) + ": expected one of the labels " + join(data.labels) +
                        ", got '" + std::string(r.label) + "'");
    }
    data.examples.push_back({std::string(r.text), it->second, r.line});
  }
  return data;
}

TsvDataset read_tsv(const std::filesystem::path& path, const TsvOptions& options) {
  return parse_tsv(read_text_file(path), path.string(), options);
}

std::vector<SequenceExample> encode_for_classification(const TsvDataset& data, const WordPieceTokenizer& tokenizer,
                                                       int32_t max_len) {
  if (max_len < 2) throw ValueError("expected max_len >= 2 ([CLS] [SEP]), got " + std::to_string(max_len));
  const Vocab& vocab = tokenizer.vocab();
  std::vector<SequenceExample> out;
  out.reserve(data.examples.size());
  for (const TsvExample& ex : data.examples) {
    SequenceExample seq;
    seq.ids.push_back(vocab.cls_id());
    std::vector<int32_t> pieces = tokenizer.encode(ex.text);
    pieces.resize(std::min(pieces.size(), static_cast<size_t>(max_len - 2)));
    seq.ids.insert(seq.ids.end(), pieces.begin(), pieces.end());
    seq.ids.push_back(vocab.sep_id());
    seq.label = ex.label;
    out.push_back(std::move(seq));
  }
  return out;
}

}  // namespace flowgrad::text
