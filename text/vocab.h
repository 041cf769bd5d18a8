#pragma once
// Vocabulary: token <-> id, in the format of Hugging Face's `vocab.txt` (one
// token per line, id = line number from 0), with BERT's special tokens and,
// for vocabularies built from a corpus, each token's count.
//
//   Vocab v = Vocab::load("vocab.txt");  // bert-base-uncased: [PAD]=0, [UNK]=100, ...
//   v.id("hello"), v.token(7592), v.find("zzz") == std::nullopt, v.id("zzz") == v.unk_id()
//
// A word vocabulary from a corpus (word2vec, LSTM classifiers):
//   auto counts = count_words(docs, split_whitespace);
//   Vocab v = build_word_vocab(counts, {.min_count = 5, .max_size = 50000});
// keeps the words seen >= min_count times, most frequent first, ties in
// byte order of the word (deterministic), cut to max_size tokens in total.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "text/corpus.h"

namespace flowgrad::text {

struct SpecialTokens {
  std::string pad = "[PAD]";
  std::string unk = "[UNK]";
  std::string cls = "[CLS]";
  std::string sep = "[SEP]";
  std::string mask = "[MASK]";

  std::vector<std::string> list() const { return {pad, unk, cls, sep, mask}; }
};

class Vocab {
 public:
  Vocab() = default;
  // Tokens in id order; throws ValueError on an empty or duplicate token.
  explicit Vocab(std::span<const std::string> tokens, SpecialTokens specials = {});

  // vocab.txt: FormatError naming the file and line for an empty line, a
  // duplicate token or ill-formed UTF-8; "\r\n" line ends are accepted.
  static Vocab load(const std::filesystem::path& path, SpecialTokens specials = {});
  static Vocab parse(std::string_view text, const std::string& name, SpecialTokens specials = {});
  void save(const std::filesystem::path& path) const;
  std::string to_text() const;  // the vocab.txt contents

  // Appends `token` (or finds it) and adds `count` to its count; the id.
  int32_t add(std::string_view token, int64_t count = 0);

  int32_t size() const { return static_cast<int32_t>(tokens_.size()); }
  std::optional<int32_t> find(std::string_view token) const;
  bool contains(std::string_view token) const { return find(token).has_value(); }
  // The token's id, or the [UNK] id for unknown tokens.
  int32_t id(std::string_view token) const;
  // ValueError "expected a token id in [0, size), got id" if out of range.
  const std::string& token(int32_t id) const;
  const std::vector<std::string>& tokens() const { return tokens_; }
  int64_t count(int32_t id) const { return counts_.at(static_cast<size_t>(id)); }
  const std::vector<int64_t>& counts() const { return counts_; }

  // Ids of the special tokens; ValueError "vocabulary has no [MASK] token".
  int32_t pad_id() const { return special_id(kPad); }
  int32_t unk_id() const { return special_id(kUnk); }
  int32_t cls_id() const { return special_id(kCls); }
  int32_t sep_id() const { return special_id(kSep); }
  int32_t mask_id() const { return special_id(kMask); }
  bool has_unk() const { return special_ids_[kUnk].has_value(); }
  // True for the ids of the special tokens present in this vocabulary.
  bool is_special(int32_t id) const;
  const SpecialTokens& special_tokens() const { return specials_; }

 private:
  enum Special { kPad, kUnk, kCls, kSep, kMask, kNumSpecial };
  int32_t special_id(Special s) const;
  void note_special(const std::string& token, int32_t id);

  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::vector<std::string> tokens_;
  std::vector<int64_t> counts_;
  std::unordered_map<std::string, int32_t, Hash, std::equal_to<>> index_;
  SpecialTokens specials_;
  std::optional<int32_t> special_ids_[kNumSpecial];
};

struct WordCount {
  std::string word;
  int64_t count = 0;
  bool operator==(const WordCount&) const = default;
};

using TokenizeFn = std::function<std::vector<std::string>(std::string_view)>;

// Occurrences of each token over all sentences, most frequent first, ties in
// byte order of the token.
std::vector<WordCount> count_words(const std::vector<Document>& docs, const TokenizeFn& tokenize);

struct WordVocabOptions {
  int64_t min_count = 1;
  int64_t max_size = 0;  // tokens in total, specials included; 0: no limit
  bool add_special_tokens = true;  // [PAD] [UNK] [CLS] [SEP] [MASK] first, count 0
  SpecialTokens specials = {};
};

// `counts` as returned by count_words (any order is accepted: it is re-sorted).
Vocab build_word_vocab(std::span<const WordCount> counts, const WordVocabOptions& options = {});

}  // namespace flowgrad::text
