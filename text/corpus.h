#pragma once
// Plain-text corpora in the BERT pre-training layout: UTF-8, one sentence per
// line, documents separated by blank lines (lines of only whitespace count as
// blank; several in a row are one break). Sentences keep their text but lose
// surrounding whitespace and a trailing "\r"; a leading UTF-8 byte-order mark
// is skipped.
//
//   "The cat sat.\nIt purred.\n\nA new doc.\n" -> {{"The cat sat.", "It purred."}, {"A new doc."}}
//
// Errors are flowgrad::FormatError naming the file (and line):
//   "corpus.txt: cannot open file: No such file or directory"
//   "corpus.txt: expected at least one sentence, got an empty corpus"
//   "corpus.txt:7: expected UTF-8 text, got an ill-formed byte sequence at byte 12"

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace flowgrad::text {

using Sentence = std::string;
using Document = std::vector<Sentence>;

std::vector<Document> read_corpus(const std::filesystem::path& path);

// The same from text in memory; `name` stands for the file in errors.
std::vector<Document> parse_corpus(std::string_view text, const std::string& name);

// Reads a whole file; FormatError "<path>: cannot open file: <reason>".
std::string read_text_file(const std::filesystem::path& path);

// Splits text into lines at "\n", dropping one trailing "\r" per line and
// the empty piece after a final newline.
std::vector<std::string_view> split_lines(std::string_view text);

// Checks that `line` is well-formed UTF-8, else throws
// FormatError "<name>:<line_no>: expected UTF-8 text, got ... at byte <c>" (1-based byte offset in the line).
void check_utf8_line(std::string_view line, const std::string& name, size_t line_no);

// Total number of sentences.
size_t count_sentences(const std::vector<Document>& docs);

}  // namespace flowgrad::text
