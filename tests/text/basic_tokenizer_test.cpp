#include "text/basic_tokenizer.h"

#include <doctest/doctest.h>

#include "graph/error.h"

namespace flowgrad::testing {
namespace {

using text::BasicTokenizer;
using Tokens = std::vector<std::string>;

TEST_CASE("punctuation splits into single-character tokens") {
  BasicTokenizer t;
  CHECK(t.tokenize("Hello, world!") == Tokens{"hello", ",", "world", "!"});
  CHECK(t.tokenize("don't stop...") == Tokens{"don", "'", "t", "stop", ".", ".", "."});
  CHECK(t.tokenize("a+b=c $5 ~x~") == Tokens{"a", "+", "b", "=", "c", "$", "5", "~", "x", "~"});
  CHECK(t.tokenize("“Hi” ¿Qué?") == Tokens{"“", "hi", "”", "¿", "que", "?"});
  CHECK(t.tokenize("5€ ©") == Tokens{"5€", "©"});  // symbols (Sc, So), not punctuation
}

TEST_CASE("accents are stripped after lower-casing") {
  BasicTokenizer t;
  CHECK(t.tokenize("Café naïve") == Tokens{"cafe", "naive"});
  CHECK(t.tokenize("CAFÉ E\u0301") == Tokens{"cafe", "e"});  // precomposed and decomposed
  CHECK(t.tokenize("Øresund Łódź") == Tokens{"øresund", "łodz"});  // Ø and Ł have no decomposition
  BasicTokenizer cased({.lowercase = false});
  CHECK(cased.tokenize("Café") == Tokens{"Café"});
  BasicTokenizer cased_stripped({.lowercase = false, .strip_accents = true});
  CHECK(cased_stripped.tokenize("Café") == Tokens{"Cafe"});
}

TEST_CASE("CJK ideographs become single tokens, other scripts do not") {
  BasicTokenizer t;
  CHECK(t.tokenize("我爱北京") == Tokens{"我", "爱", "北", "京"});
  CHECK(t.tokenize("BERT模型") == Tokens{"bert", "模", "型"});
  CHECK(t.tokenize("かな") == Tokens{"かな"});  // kana are not ideographs
  CHECK(t.tokenize("\U00020000\U00020001") == Tokens{"\U00020000", "\U00020001"});  // Extension B, as Python BERT
  BasicTokenizer no_cjk({.handle_chinese_chars = false});
  CHECK(no_cjk.tokenize("我爱") == Tokens{"我爱"});
}

TEST_CASE("whitespace is normalized and control characters dropped") {
  BasicTokenizer t;
  CHECK(t.tokenize("  a\tb\nc\r\nd  ") == Tokens{"a", "b", "c", "d"});
  CHECK(t.tokenize("non\u00A0breaking\u3000wide") == Tokens{"non", "breaking", "wide"});
  CHECK(t.tokenize("zero\u200Bwidth") == Tokens{"zerowidth"});  // U+200B is a format char: dropped
  CHECK(t.tokenize("bell\x07" "and\x1F" "unit") == Tokens{"bellandunit"});
  CHECK(t.tokenize("repl\uFFFDaced soft\u00ADhyphen") == Tokens{"replaced", "softhyphen"});
  CHECK(t.tokenize("").empty());
  CHECK(t.tokenize(" \t\u200B\u2028 ").empty());
  CHECK_THROWS_AS(t.tokenize("bad \xFF"), ValueError);
}

TEST_CASE("whitespace splitting keeps punctuation attached") {
  CHECK(text::split_whitespace("  the cat,  sat\t\n") == Tokens{"the", "cat,", "sat"});
  CHECK(text::split_whitespace("").empty());
}

}  // namespace
}  // namespace flowgrad::testing
