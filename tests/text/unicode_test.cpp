#include "text/unicode.h"

#include <doctest/doctest.h>

#include "graph/error.h"

namespace flowgrad::testing {
namespace {

using namespace text::unicode;

TEST_CASE("UTF-8 decoding accepts well-formed text and rejects every ill-formed kind") {
  CHECK(decode_utf8("a\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80") == U"a\u00E9\u4E2D\U0001F600");
  CHECK(find_invalid_utf8("plain ascii") == std::string_view::npos);
  CHECK(find_invalid_utf8("ok\xC0\xAF") == 2);          // overlong "/"
  CHECK(find_invalid_utf8("\xE0\x80\xAF") == 0);        // overlong, 3 bytes
  CHECK(find_invalid_utf8("x\xED\xA0\x80") == 1);       // surrogate U+D800
  CHECK(find_invalid_utf8("\xF4\x90\x80\x80") == 0);    // above U+10FFFF
  CHECK(find_invalid_utf8("ab\xE4\xB8") == 2);          // truncated
  CHECK(find_invalid_utf8("\x80") == 0);                // lone continuation
  CHECK(find_invalid_utf8("\xC3\x28") == 0);            // missing continuation
  CHECK_THROWS_WITH_AS(decode_utf8("ab\xFF"), doctest::Contains("ill-formed byte sequence at byte 2"), ValueError);
}

TEST_CASE("UTF-8 encoding round-trips every plane") {
  std::u32string s = U"\u0041\u00FF\u0800\uFFFD\U00010000\U0010FFFF";
  CHECK(decode_utf8(encode_utf8(s)) == s);
  CHECK(encode_utf8(U"\u00E9") == "\xC3\xA9");
}

TEST_CASE("character classes follow BERT's definitions") {
  for (char32_t c : U"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~") {
    if (c) CHECK_MESSAGE(is_punctuation(c), static_cast<uint32_t>(c));
  }
  for (char32_t c : {U'\u00BF', U'\u00A7', U'\u2014', U'\u201C', U'\u3002', U'\uFF01', U'\u060C', U'\u0F04'}) {
    CHECK_MESSAGE(is_punctuation(c), static_cast<uint32_t>(c));
  }
  for (char32_t c : {U'a', U'0', U'\u00A9', U'\u20AC', U'\u00D7', U'\u2192', U'\u4E2D', U' '}) {
    CHECK_FALSE_MESSAGE(is_punctuation(c), static_cast<uint32_t>(c));  // letters, digits, symbols (S*)
  }
  CHECK(is_whitespace(U'\t'));
  CHECK(is_whitespace(U'\u00A0'));
  CHECK(is_whitespace(U'\u3000'));
  CHECK(is_whitespace(U'\u2028'));
  CHECK_FALSE(is_whitespace(U'\u200B'));  // zero width space is Cf
  CHECK(is_control(U'\u0007'));
  CHECK(is_control(U'\u200B'));
  CHECK(is_control(U'\u00AD'));
  CHECK(is_control(U'\uE000'));
  CHECK_FALSE(is_control(U'\n'));
  CHECK_FALSE(is_control(U'a'));
  CHECK(is_cjk_ideograph(U'\u4E2D'));
  CHECK(is_cjk_ideograph(U'\u3400'));
  CHECK(is_cjk_ideograph(U'\U00020000'));
  CHECK(is_cjk_ideograph(U'\uF900'));
  CHECK_FALSE(is_cjk_ideograph(U'\u3042'));  // hiragana is not
  CHECK_FALSE(is_cjk_ideograph(U'\uAC00'));  // nor hangul
  CHECK(is_nonspacing_mark(U'\u0301'));
  CHECK(is_nonspacing_mark(U'\u094D'));
  CHECK_FALSE(is_nonspacing_mark(U'\u093F'));  // a spacing mark (Mc)
}

TEST_CASE("lowercasing covers Latin, Greek, Cyrillic, fullwidth and the special cases") {
  CHECK(to_lower(U"ABC\u00C0\u0100\u0391\u0416\uFF21\u1E9E") == U"abc\u00E0\u0101\u03B1\u0436\uFF41\u00DF");
  CHECK(to_lower(U"\u0130") == U"i\u0307");
  CHECK(to_lower(U"\u039F\u0394\u039F\u03A3 \u03A3") == U"\u03BF\u03B4\u03BF\u03C2 \u03C3");  // final sigma
  CHECK(to_lower(U"\u03A3\u0391") == U"\u03C3\u03B1");
  CHECK(lower(U'\u2160') == U'\u2170');  // Roman numeral one
  CHECK(lower(U'\u212A') == U'k');       // Kelvin sign
  CHECK(lower(U'\u00E9') == U'\u00E9');
  CHECK(lower(U'\u0101') == U'\u0101');  // a stride-2 run leaves the lowercase letter alone
}

TEST_CASE("accent stripping decomposes and drops nonspacing marks") {
  CHECK(strip_accents(U"caf\u00E9 na\u00EFve") == U"cafe naive");
  CHECK(strip_accents(U"e\u0301") == U"e");
  CHECK(strip_accents(U"\u01D6\u1EA5\u0439\u304C") == U"ua\u0438\u304B");  // ǖ ấ й が
  CHECK(strip_accents(U"\u00F8\u0142\u00DF") == U"\u00F8\u0142\u00DF");    // no canonical decomposition
  CHECK(strip_accents(U"\uD55C") == U"\u1112\u1161\u11AB");               // 한 -> jamo
  CHECK(strip_accents(U"\u0915\u093F") == U"\u0915\u093F");               // Mc stays
  CHECK(strip_accents(to_lower(U"\u1F08\u1FFC")) == U"\u03B1\u03C9");      // Greek Extended
  CHECK(strip_accents(U"\uF900") == U"\u8C48");                             // CJK compatibility ideograph
  CHECK(strip_accents(U"\u0BCA") == U"\u0BC6\u0BBE");                       // a two-part Tamil vowel sign
  CHECK(strip_accents(U"\u2329") == U"\u3008");                             // a singleton decomposition
}

}  // namespace
}  // namespace flowgrad::testing
