#pragma once
// WordPiece tokenization as in Hugging Face's BertTokenizer (uncased), and a
// simple deterministic WordPiece vocabulary trainer.
//
// Tokenizer. Text -> special tokens split off verbatim (a "[MASK]" written in
// the text stays one token, like HF's added special tokens) -> BasicTokenizer
// (text/basic_tokenizer.h) -> each pre-token split greedily, longest match
// first, into vocabulary pieces; pieces after the first carry the "##"
// prefix. A word with no full split, or longer than max_input_chars_per_word
// code points (100), becomes a single [UNK].
//
//   vocab {[UNK], un, ##aff, ##able, runs, !}:  "Unaffable runs!" -> un ##aff ##able runs !
//                                               "unknowable"       -> [UNK]
//
// Trainer (train_wordpiece). Byte-pair-style merging over WordPiece symbols,
// the algorithm behind Hugging Face's WordPieceTrainer:
//   1. count the words of the corpus (pre-tokenized by BasicTokenizer); a word
//      is the symbol sequence c1 ##c2 ##c3 ... (words over 100 chars skipped)
//   2. vocabulary = special tokens, then every character c of the corpus and
//      its continuation ##c (most frequent character first, ties in byte
//      order), so every word made of corpus characters can be tokenized
//   3. repeat: find the adjacent symbol pair (x, y) with the largest total
//      count over all words (ties: the pair of older symbols, i.e. smaller
//      (id(x), id(y))); stop if that count < min_frequency; replace every
//      occurrence by the merged symbol x+y (y's "##" dropped: "t"+"##he" ->
//      "the", "##e"+"##r" -> "##er"); add the merged symbol to the vocabulary
//      if new; until the vocabulary has vocab_size tokens.
// Frequent words thus become whole tokens and frequent word parts become
// pieces. If vocab_size is smaller than the specials plus the alphabet, the
// least frequent characters are left out (their words tokenize to [UNK]).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "text/basic_tokenizer.h"
#include "text/corpus.h"
#include "text/vocab.h"

namespace flowgrad::text {

struct WordPieceOptions {
  BasicTokenizerOptions basic = {};
  std::string continuing_prefix = "##";
  int32_t max_input_chars_per_word = 100;
  bool split_special_tokens = false;  // true: "[MASK]" in the text is ordinary text
};

class WordPieceTokenizer {
 public:
  // ValueError "vocabulary has no [UNK] token" if the vocab lacks it.
  explicit WordPieceTokenizer(Vocab vocab, WordPieceOptions options = {});

  std::vector<std::string> tokenize(std::string_view text) const;
  std::vector<int32_t> encode(std::string_view text) const;
  // Appends the piece ids of one pre-token (already normalized) to `ids`.
  void encode_word(std::string_view word, std::vector<int32_t>& ids) const;
  // Tokens joined by spaces with continuation pieces glued to their word.
  std::string decode(std::span<const int32_t> ids) const;

  const Vocab& vocab() const { return vocab_; }
  const BasicTokenizer& basic() const { return basic_; }

 private:
  void encode_text(std::string_view text, std::vector<int32_t>& ids) const;

  Vocab vocab_;
  WordPieceOptions options_;
  BasicTokenizer basic_;
  std::vector<std::string> specials_;  // the special tokens present in vocab_
};

struct WordPieceTrainerOptions {
  int32_t vocab_size = 30000;
  int64_t min_frequency = 2;  // a merged pair must occur at least this often
  int32_t max_input_chars_per_word = 100;
  bool add_special_tokens = true;
  SpecialTokens specials = {};
  std::string continuing_prefix = "##";
};

// Trains on word counts (e.g. count_words(docs, tokenizer.tokenize)).
Vocab train_wordpiece(std::span<const WordCount> words, const WordPieceTrainerOptions& options = {});
// Trains on a corpus pre-tokenized with `basic`.
Vocab train_wordpiece(const std::vector<Document>& docs, const BasicTokenizer& basic,
                      const WordPieceTrainerOptions& options = {});

}  // namespace flowgrad::text
