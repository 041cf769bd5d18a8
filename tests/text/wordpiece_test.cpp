#include "text/wordpiece.h"

#include <doctest/doctest.h>

#include "graph/error.h"

namespace flowgrad::testing {
namespace {

using text::Vocab;
using text::WordPieceTokenizer;
using Tokens = std::vector<std::string>;

Vocab small_vocab() {
  std::vector<std::string> tokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able", "runs",
                                     "run", "##ning", "##n", "want", "##ed", "wa", "!", ",", "the", "a", "##a", "cafe",
                                     "我", "爱"};
  return Vocab(tokens);
}

TEST_CASE("WordPiece splits greedily, longest match first") {
  WordPieceTokenizer t(small_vocab());
  CHECK(t.tokenize("Unaffable runs!") == Tokens{"un", "##aff", "##able", "runs", "!"});
  CHECK(t.tokenize("running, wanted") == Tokens{"run", "##ning", ",", "want", "##ed"});
  CHECK(t.tokenize("runn") == Tokens{"run", "##n"});
  CHECK(t.tokenize("unknowable") == Tokens{"[UNK]"});  // no full split: the whole word
  CHECK(t.tokenize("the unaffablex") == Tokens{"the", "[UNK]"});
  CHECK(t.tokenize("Café 我爱") == Tokens{"cafe", "我", "爱"});
  CHECK(t.encode("unaffable!") == std::vector<int32_t>{5, 6, 7, 15});
  CHECK(t.tokenize("").empty());
}

TEST_CASE("words longer than 100 characters become [UNK], counting characters, not bytes") {
  WordPieceTokenizer t(small_vocab());
  Tokens hundred = {"a"};
  hundred.insert(hundred.end(), 99, "##a");
  CHECK(t.tokenize(std::string(100, 'a')) == hundred);
  CHECK(t.tokenize(std::string(101, 'a') + " the") == Tokens{"[UNK]", "the"});
  std::string accented;
  for (int i = 0; i < 60; ++i) accented += "á";  // 60 x á: 120 bytes, 60 characters
  CHECK(t.tokenize(accented).size() == 60);
  WordPieceTokenizer short_words(small_vocab(), {.max_input_chars_per_word = 3});
  CHECK(short_words.tokenize("run runs") == Tokens{"run", "[UNK]"});
}

TEST_CASE("special tokens written in the text stay whole") {
  WordPieceTokenizer t(small_vocab());
  CHECK(t.tokenize("the [MASK] runs[SEP]") == Tokens{"the", "[MASK]", "runs", "[SEP]"});
  CHECK(t.tokenize("[MASK][MASK]") == Tokens{"[MASK]", "[MASK]"});
  CHECK(t.tokenize("[mask]") == Tokens{"[UNK]", "[UNK]", "[UNK]"});  // case-sensitive: "[", "mask", "]"
  WordPieceTokenizer literal(small_vocab(), {.split_special_tokens = true});
  CHECK(literal.tokenize("[MASK]") == Tokens{"[UNK]", "[UNK]", "[UNK]"});
}

TEST_CASE("decode glues continuation pieces to their word") {
  WordPieceTokenizer t(small_vocab());
  CHECK(t.decode(t.encode("Unaffable runs, running!")) == "unaffable runs , running !");
}

TEST_CASE("a vocabulary without [UNK] cannot tokenize") {
  std::vector<std::string> tokens = {"a", "b"};
  CHECK_THROWS_WITH_AS(WordPieceTokenizer(Vocab(tokens)), "vocabulary has no [UNK] token", ValueError);
}

TEST_CASE("the trainer builds characters, continuations and frequent merges") {
  std::vector<text::WordCount> words = {{"low", 5}, {"lower", 2}, {"newest", 6}, {"widest", 3}};
  Vocab v = text::train_wordpiece(words, {.vocab_size = 40, .min_frequency = 2});
  // Specials first, then every character and its ## form.
  CHECK(v.token(0) == "[PAD]");
  for (const char* c : {"l", "o", "w", "e", "r", "n", "s", "t", "i", "d"}) {
    CHECK_MESSAGE(v.contains(c), c);
    CHECK_MESSAGE(v.contains(std::string("##") + c), c);
  }
  // The most frequent pairs merge into pieces and whole words.
  CHECK(v.contains("##es"));
  CHECK(v.contains("##est"));
  CHECK(v.contains("low"));
  CHECK(v.contains("newest"));
  WordPieceTokenizer t(v);
  CHECK(t.tokenize("newest lowest") == Tokens{"newest", "low", "##est"});
  // Deterministic.
  CHECK(text::train_wordpiece(words, {.vocab_size = 40, .min_frequency = 2}).tokens() == v.tokens());
}

TEST_CASE("the trainer stops at the target size and at min_frequency") {
  std::vector<text::WordCount> words = {{"abab", 10}, {"cd", 1}};
  Vocab tiny = text::train_wordpiece(words, {.vocab_size = 5 + 8 + 1});
  CHECK(tiny.size() == 14);  // specials, a b c d and ##a ##b ##c ##d, one merge
  // (a, ##b), (##b, ##a) and (##a, ##b) occur 10 times each: the oldest symbols win.
  CHECK(tiny.token(13) == "ab");
  Vocab rare = text::train_wordpiece(words, {.vocab_size = 100, .min_frequency = 11});
  CHECK(rare.size() == 13);  // no pair occurs 11 times
  Vocab small = text::train_wordpiece(words, {.vocab_size = 9});
  CHECK(small.size() == 9);  // room for two characters only: the most frequent ones
  CHECK(small.contains("a"));
  CHECK(small.contains("##b"));
  CHECK_FALSE(small.contains("c"));
  CHECK_THROWS_WITH_AS(text::train_wordpiece(words, {.vocab_size = 3}),
                       "expected vocab_size >= 5 (the special tokens), got 3", ValueError);
}

}  // namespace
}  // namespace flowgrad::testing
