#include "text/wordpiece.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

#include "graph/error.h"
#include "text/unicode.h"

namespace flowgrad::text {
namespace {

// Byte offsets of the code points of well-formed UTF-8 `word`, plus its end.
std::vector<size_t> char_offsets(std::string_view word) {
  std::vector<size_t> offsets;
  char32_t cp;
  for (size_t pos = 0; pos < word.size();) {
    offsets.push_back(pos);
    size_t n = unicode::decode_one(word, pos, &cp);
    pos += n ? n : 1;
  }
  offsets.push_back(word.size());
  return offsets;
}

}  // namespace

WordPieceTokenizer::WordPieceTokenizer(Vocab vocab, WordPieceOptions options)
    : vocab_(std::move(vocab)), options_(std::move(options)), basic_(options_.basic) {
  vocab_.unk_id();  // throws if missing
  if (options_.max_input_chars_per_word < 1) {
    throw ValueError("expected max_input_chars_per_word >= 1, got " +
                     std::to_string(options_.max_input_chars_per_word));
  }
  for (const std::string& s : vocab_.special_tokens().list()) {
    if (vocab_.contains(s)) specials_.push_back(s);
  }
  // Longest first, so that the first match at a position is the longest.
  std::stable_sort(specials_.begin(), specials_.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

void WordPieceTokenizer::encode_word(std::string_view word, std::vector<int32_t>& ids) const {
  std::vector<size_t> off = char_offsets(word);
  size_t n = off.size() - 1;
  if (n == 0) return;
  if (n > static_cast<size_t>(options_.max_input_chars_per_word)) {
    ids.push_back(vocab_.unk_id());
    return;
  }
  size_t mark = ids.size();
  std::string piece;
  for (size_t start = 0; start < n;) {
    std::optional<int32_t> found;
    size_t end = n;
    for (; end > start; --end) {
      piece = start > 0 ? options_.continuing_prefix : std::string();
      piece.append(word.substr(off[start], off[end] - off[start]));
      if ((found = vocab_.find(piece))) break;
    }
    if (!found) {
      ids.resize(mark);
      ids.push_back(vocab_.unk_id());
      return;
    }
    ids.push_back(*found);
    start = end;
  }
}

void WordPieceTokenizer::encode_text(std::string_view text, std::vector<int32_t>& ids) const {
  for (const std::string& word : basic_.tokenize(text)) encode_word(word, ids);
}

std::vector<int32_t> WordPieceTokenizer::encode(std::string_view text) const {
  std::vector<int32_t> ids;
  if (options_.split_special_tokens || specials_.empty()) {
    encode_text(text, ids);
    return ids;
  }
  // Special tokens match the raw text, case-sensitively, leftmost-longest.
  size_t start = 0;
  for (size_t pos = 0; pos < text.size();) {
    auto match = std::find_if(specials_.begin(), specials_.end(),
                              [&](const std::string& s) { return text.substr(pos).starts_with(s); });
    if (match == specials_.end()) {
      ++pos;
      continue;
    }
    encode_text(text.substr(start, pos - start), ids);
    ids.push_back(*vocab_.find(*match));
    pos += match->size();
    start = pos;
  }
  encode_text(text.substr(start), ids);
  return ids;
}

std::vector<std::string> WordPieceTokenizer::tokenize(std::string_view text) const {
  std::vector<std::string> tokens;
  for (int32_t id : encode(text)) tokens.push_back(vocab_.token(id));
  return tokens;
}

std::string WordPieceTokenizer::decode(std::span<const int32_t> ids) const {
  std::string out;
  const std::string& prefix = options_.continuing_prefix;
  for (int32_t id : ids) {
    const std::string& t = vocab_.token(id);
    if (!out.empty() && t.size() > prefix.size() && t.starts_with(prefix)) {
      out.append(t, prefix.size());
    } else {
      if (!out.empty()) out += ' ';
      out += t;
    }
  }
  return out;
}

namespace {

// The merge loop of train_wordpiece. Symbols are vocabulary ids; a pair of
// symbols is keyed as (left << 32 | right).
class PairMerger {
 public:
  PairMerger(Vocab& vocab, std::string prefix) : vocab_(vocab), prefix_(std::move(prefix)) {}

  void add_word(std::vector<int32_t> symbols, int64_t count) {
    words_.push_back(std::move(symbols));
    counts_.push_back(count);
    add_pairs(static_cast<int32_t>(words_.size() - 1));
  }

  void run(int32_t vocab_size, int64_t min_frequency) {
    while (vocab_.size() < vocab_size && !queue_.empty()) {
      auto [neg_count, a, b] = *queue_.begin();
      if (-neg_count < min_frequency) break;
      std::string merged = vocab_.token(a) + vocab_.token(b).substr(prefix_.size());
      merge(a, b, vocab_.add(merged));
    }
  }

 private:
  static uint64_t key(int32_t a, int32_t b) { return (static_cast<uint64_t>(a) << 32) | static_cast<uint32_t>(b); }

  void change(int32_t a, int32_t b, int64_t delta) {
    int64_t& count = pair_counts_[key(a, b)];
    if (count > 0) queue_.erase({-count, a, b});
    count += delta;
    if (count > 0) queue_.insert({-count, a, b});
    else pair_counts_.erase(key(a, b));
  }

  void add_pairs(int32_t w) {
    const std::vector<int32_t>& s = words_[w];
    for (size_t i = 0; i + 1 < s.size(); ++i) {
      change(s[i], s[i + 1], counts_[w]);
      pair_words_[key(s[i], s[i + 1])].push_back(w);
    }
  }

  void remove_pairs(int32_t w) {
    const std::vector<int32_t>& s = words_[w];
    for (size_t i = 0; i + 1 < s.size(); ++i) change(s[i], s[i + 1], -counts_[w]);
  }

  void merge(int32_t a, int32_t b, int32_t merged) {
    std::vector<int32_t> where = std::move(pair_words_[key(a, b)]);
    pair_words_.erase(key(a, b));
    std::sort(where.begin(), where.end());
    where.erase(std::unique(where.begin(), where.end()), where.end());
    for (int32_t w : where) {
      std::vector<int32_t>& s = words_[w];
      bool present = false;
      for (size_t i = 0; i + 1 < s.size() && !present; ++i) present = s[i] == a && s[i + 1] == b;
      if (!present) continue;  // a stale entry: the word changed since
      remove_pairs(w);
      std::vector<int32_t> out;
      for (size_t i = 0; i < s.size(); ++i) {
        bool hit = i + 1 < s.size() && s[i] == a && s[i + 1] == b;
        out.push_back(hit ? merged : s[i]);
        if (hit) ++i;
      }
      s = std::move(out);
      add_pairs(w);
    }
  }

  Vocab& vocab_;
  std::string prefix_;
  std::vector<std::vector<int32_t>> words_;
  std::vector<int64_t> counts_;
  std::unordered_map<uint64_t, int64_t> pair_counts_;
  std::unordered_map<uint64_t, std::vector<int32_t>> pair_words_;
  std::set<std::tuple<int64_t, int32_t, int32_t>> queue_;  // (-count, left, right): best first
};

// Characters of the words by total count, most frequent first, ties in byte order.
std::vector<std::string> alphabet(std::span<const WordCount> words, size_t max_chars) {
  std::map<std::string, int64_t> freq;
  for (const WordCount& w : words) {
    std::vector<size_t> off = char_offsets(w.word);
    if (off.size() - 1 > max_chars) continue;
    for (size_t i = 0; i + 1 < off.size(); ++i) freq[w.word.substr(off[i], off[i + 1] - off[i])] += w.count;
  }
  std::vector<std::pair<std::string, int64_t>> sorted(freq.begin(), freq.end());
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& x, const auto& y) { return x.second > y.second; });
  std::vector<std::string> chars;
  for (auto& [c, n] : sorted) chars.push_back(c);
  return chars;
}

}  // namespace

Vocab train_wordpiece(std::span<const WordCount> words, const WordPieceTrainerOptions& options) {
  if (options.min_frequency < 1) {
    throw ValueError("expected min_frequency >= 1, got " + std::to_string(options.min_frequency));
  }
  Vocab vocab({}, options.specials);
  if (options.add_special_tokens) {
    for (const std::string& s : options.specials.list()) vocab.add(s);
  }
  if (options.vocab_size < vocab.size()) {
    throw ValueError("expected vocab_size >= " + std::to_string(vocab.size()) + " (the special tokens), got " +
                     std::to_string(options.vocab_size));
  }
  const std::string& prefix = options.continuing_prefix;
  auto max_chars = static_cast<size_t>(options.max_input_chars_per_word);
  std::vector<std::string> chars = alphabet(words, max_chars);
  chars.resize(std::min(chars.size(), static_cast<size_t>(options.vocab_size - vocab.size()) / 2));
  for (const std::string& c : chars) vocab.add(c);
  for (const std::string& c : chars) vocab.add(prefix + c);

  PairMerger merger(vocab, prefix);
  for (const WordCount& w : words) {
    std::vector<size_t> off = char_offsets(w.word);
    if (w.count <= 0 || off.size() - 1 > max_chars) continue;
    std::vector<int32_t> symbols;
    for (size_t i = 0; i + 1 < off.size(); ++i) {
      std::string c = w.word.substr(off[i], off[i + 1] - off[i]);
      std::optional<int32_t> id = vocab.find(i == 0 ? c : prefix + c);
      if (!id) break;  // a character left out of the alphabet
      symbols.push_back(*id);
    }
    if (symbols.size() == off.size() - 1) merger.add_word(std::move(symbols), w.count);
  }
  merger.run(options.vocab_size, options.min_frequency);
  return vocab;
}

Vocab train_wordpiece(const std::vector<Document>& docs, const BasicTokenizer& basic,
                      const WordPieceTrainerOptions& options) {
  std::vector<WordCount> words = count_words(docs, [&](std::string_view s) { return basic.tokenize(s); });
  return train_wordpiece(words, options);
}

}  // namespace flowgrad::text
