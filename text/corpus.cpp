#include "text/corpus.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "graph/error.h"
#include "text/unicode.h"

namespace flowgrad::text {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FormatError(path.string() + ": cannot open file: " + std::strerror(errno));
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) throw FormatError(path.string() + ": read error");
  return std::move(buf).str();
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

void check_utf8_line(std::string_view line, const std::string& name, size_t line_no) {
  size_t bad = unicode::find_invalid_utf8(line);
  if (bad == std::string_view::npos) return;
  throw FormatError(name + ":" + std::to_string(line_no) +
                    ": expected UTF-8 text, got an ill-formed byte sequence at byte " + std::to_string(bad + 1));
}

std::vector<Document> parse_corpus(std::string_view text, const std::string& name) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  std::vector<Document> docs;
  Document current;
  std::vector<std::string_view> lines = split_lines(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    check_utf8_line(lines[i], name, i + 1);
    std::string_view sentence = trim(lines[i]);
    if (sentence.empty()) {
      if (!current.empty()) docs.push_back(std::move(current));
      current.clear();
    } else {
      current.emplace_back(sentence);
    }
  }
  if (!current.empty()) docs.push_back(std::move(current));
  if (docs.empty()) throw FormatError(name + ": expected at least one sentence, got an empty corpus");
  return docs;
}

std::vector<Document> read_corpus(const std::filesystem::path& path) {
  return parse_corpus(read_text_file(path), path.string());
}

size_t count_sentences(const std::vector<Document>& docs) {
  size_t n = 0;
  for (const Document& d : docs) n += d.size();
  return n;
}

}  // namespace flowgrad::text
