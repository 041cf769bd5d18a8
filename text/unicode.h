#pragma once
// Unicode for the text layer: strict UTF-8 decoding and the character classes
// and mappings that BERT's BasicTokenizer uses. Tables are generated from the
// Unicode database of Node.js's ICU (Unicode 17.0) by text/gen_unicode_data.mjs.
//
// Coverage:
//   is_punctuation      ASCII 33-47, 58-64, 91-96, 123-126 (as BERT counts
//                       `$+<=>^`|~` as punctuation) and all of category P
//   is_nonspacing_mark  all of category Mn
//   is_control          categories Cc, Cf, Co (tab, newline and carriage
//                       return excluded). Unassigned code points (Cn) are not
//                       controls here, as in Hugging Face's JS tokenizer;
//                       Python BERT would drop them.
//   is_whitespace       space, \t, \n, \r, category Zs, U+2028, U+2029
//   is_cjk_ideograph    the ranges of BERT's _is_chinese_char (CJK Unified
//                       Ideographs, Extensions A-E, compatibility ideographs)
//   to_lower            full simple lowercase mapping of Unicode, plus
//                       U+0130 -> "i\u0307" and final sigma (U+03A3 -> U+03C2
//                       after a cased letter and not before one; "cased" is
//                       approximated as "has a lowercase mapping or is the
//                       lowercase of one", marks are skipped)
//   strip_accents       NFD followed by dropping Mn, for every code point
//                       (Hangul syllables decompose algorithmically into
//                       jamo, as NFD does)
//
// Checked against Node.js over all of U+0000..U+10FFFF: the classes equal
// Hugging Face tokenizers.js's (its \s, \p{P}, Cc/Cf/Co tests) and
// strip_accents(to_lower(c)) equals c.toLowerCase().normalize("NFD") without
// \p{Mn}, for every single code point.

#include <cstddef>
#include <string>
#include <string_view>

namespace flowgrad::text::unicode {

// Length in bytes of the well-formed UTF-8 sequence at s[pos] (1..4) with its
// code point in *cp, or 0 if the bytes there are not well-formed UTF-8
// (overlong forms, surrogates and values above U+10FFFF are rejected).
size_t decode_one(std::string_view s, size_t pos, char32_t* cp);

// Byte offset of the first ill-formed sequence, or std::string_view::npos.
size_t find_invalid_utf8(std::string_view s);

// Decodes well-formed UTF-8; throws ValueError at the first ill-formed byte.
std::u32string decode_utf8(std::string_view s);

void append_utf8(std::string& out, char32_t cp);
std::string encode_utf8(std::u32string_view s);

bool is_whitespace(char32_t cp);
bool is_control(char32_t cp);
bool is_punctuation(char32_t cp);
bool is_nonspacing_mark(char32_t cp);
bool is_cjk_ideograph(char32_t cp);

// Simple lowercase mapping of one code point (U+0130 maps to U+0069 here;
// to_lower on a string gives the full "i\u0307").
char32_t lower(char32_t cp);
std::u32string to_lower(std::u32string_view s);

// Canonical decomposition without the marks (see coverage above).
std::u32string strip_accents(std::u32string_view s);

}  // namespace flowgrad::text::unicode
