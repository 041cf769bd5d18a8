#include "text/vocab.h"

#include <algorithm>
#include <fstream>

#include "graph/error.h"

namespace flowgrad::text {
namespace {

// Most frequent first, ties in byte order.
bool by_count(const WordCount& a, const WordCount& b) {
  return a.count != b.count ? a.count > b.count : a.word < b.word;
}

}  // namespace

Vocab::Vocab(std::span<const std::string> tokens, SpecialTokens specials) : specials_(std::move(specials)) {
  for (const std::string& t : tokens) {
    if (t.empty()) throw ValueError("expected non-empty tokens, got an empty token at id " + std::to_string(size()));
    if (contains(t)) throw ValueError("expected unique tokens, got '" + t + "' twice");
    add(t);
  }
}

Vocab Vocab::parse(std::string_view text, const std::string& name, SpecialTokens specials) {
  Vocab v;
  v.specials_ = std::move(specials);
  std::vector<std::string_view> lines = split_lines(text);
  if (lines.empty()) throw FormatError(name + ": expected at least one token, got an empty vocabulary");
  if (lines.size() > static_cast<size_t>(INT32_MAX)) throw FormatError(name + ": more than 2^31-1 tokens");
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string where = name + ":" + std::to_string(i + 1);
    check_utf8_line(lines[i], name, i + 1);
    if (lines[i].empty()) throw FormatError(where + ": expected a token, got an empty line");
    if (auto first = v.find(lines[i])) {
      throw FormatError(where + ": expected unique tokens, got '" + std::string(lines[i]) + "' again (first on line " +
                        std::to_string(*first + 1) + ")");
    }
    v.add(lines[i]);
  }
  return v;
}

Vocab Vocab::load(const std::filesystem::path& path, SpecialTokens specials) {
  return parse(read_text_file(path), path.string(), std::move(specials));
}

std::string Vocab::to_text() const {
  std::string out;
  for (const std::string& t : tokens_) {
    if (t.find_first_of("\r\n") != std::string::npos) {
      throw ValueError("expected tokens without line breaks for vocab.txt, got '" + t + "'");
    }
    out += t;
    out += '\n';
  }
  return out;
}

void Vocab::save(const std::filesystem::path& path) const {
  std::string text = to_text();
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) throw FormatError(path.string() + ": cannot write vocabulary");
}

int32_t Vocab::add(std::string_view token, int64_t count) {
  if (auto it = index_.find(token); it != index_.end()) {
    counts_[static_cast<size_t>(it->second)] += count;
    return it->second;
  }
  FLOWGRAD_CHECK(tokens_.size() < static_cast<size_t>(INT32_MAX), "vocabulary overflow");
  int32_t id = size();
  tokens_.emplace_back(token);
  counts_.push_back(count);
  index_.emplace(tokens_.back(), id);
  note_special(tokens_.back(), id);
  return id;
}

void Vocab::note_special(const std::string& token, int32_t id) {
  const std::string* names[kNumSpecial] = {&specials_.pad, &specials_.unk, &specials_.cls, &specials_.sep,
                                           &specials_.mask};
  for (int s = 0; s < kNumSpecial; ++s) {
    if (token == *names[s]) special_ids_[s] = id;
  }
}

std::optional<int32_t> Vocab::find(std::string_view token) const {
  auto it = index_.find(token);
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

int32_t Vocab::id(std::string_view token) const {
  if (auto found = find(token)) return *found;
  return unk_id();
}

const std::string& Vocab::token(int32_t id) const {
  if (id < 0 || id >= size()) {
    throw ValueError("expected a token id in [0, " + std::to_string(size()) + "), got " + std::to_string(id));
  }
  return tokens_[static_cast<size_t>(id)];
}

int32_t Vocab::special_id(Special s) const {
  if (special_ids_[s]) return *special_ids_[s];
  const std::string names[kNumSpecial] = {specials_.pad, specials_.unk, specials_.cls, specials_.sep, specials_.mask};
  throw ValueError("vocabulary has no " + names[s] + " token");
}

bool Vocab::is_special(int32_t id) const {
  for (const auto& s : special_ids_) {
    if (s == id) return true;
  }
  return false;
}

std::vector<WordCount> count_words(const std::vector<Document>& docs, const TokenizeFn& tokenize) {
  std::unordered_map<std::string, int64_t> counts;
  for (const Document& doc : docs) {
    for (const Sentence& s : doc) {
      for (std::string& w : tokenize(s)) ++counts[std::move(w)];
    }
  }
  std::vector<WordCount> out;
  out.reserve(counts.size());
  for (auto& [w, c] : counts) out.push_back({w, c});
  std::sort(out.begin(), out.end(), by_count);
  return out;
}

Vocab build_word_vocab(std::span<const WordCount> counts, const WordVocabOptions& options) {
  if (options.min_count < 1) throw ValueError("expected min_count >= 1, got " + std::to_string(options.min_count));
  if (options.max_size < 0) throw ValueError("expected max_size >= 0, got " + std::to_string(options.max_size));
  std::vector<WordCount> sorted(counts.begin(), counts.end());
  std::sort(sorted.begin(), sorted.end(), by_count);
  Vocab v({}, options.specials);
  if (options.add_special_tokens) {
    for (const std::string& s : options.specials.list()) v.add(s);
  }
  for (const WordCount& wc : sorted) {
    if (options.max_size > 0 && v.size() >= options.max_size) break;
    if (wc.count < options.min_count) break;
    if (wc.word.empty()) continue;
    v.add(wc.word, wc.count);  // a word spelled like a special token counts for it
  }
  return v;
}

}  // namespace flowgrad::text
