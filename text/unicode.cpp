#include "text/unicode.h"

#include <algorithm>
#include <vector>

#include "graph/error.h"
#include "text/unicode_data.h"

namespace flowgrad::text::unicode {
namespace {

bool in_ranges(std::span<const data::CodeRange> table, char32_t cp) {
  auto it = std::upper_bound(table.begin(), table.end(), cp,
                             [](char32_t c, const data::CodeRange& r) { return c < r.first; });
  return it != table.begin() && cp <= std::prev(it)->last;
}

bool continuation(unsigned char b) { return (b & 0xC0) == 0x80; }

// Lowercase letters that are the image of some uppercase letter, sorted: with
// the letters that have a mapping, the "cased" letters of the final-sigma rule.
const std::vector<char32_t>& lowercase_images() {
  static const std::vector<char32_t> images = [] {
    std::vector<char32_t> v;
    for (const data::CaseRun& r : data::lowercase_runs()) {
      for (char32_t c = r.first; c <= r.last; c += r.stride) v.push_back(static_cast<char32_t>(c + r.delta));
    }
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
  }();
  return images;
}

bool is_cased(char32_t cp) {
  return lower(cp) != cp || std::binary_search(lowercase_images().begin(), lowercase_images().end(), cp);
}

// Unicode's Final_Sigma condition at s[i], skipping marks on both sides.
bool final_sigma(std::u32string_view s, size_t i) {
  size_t b = i;
  while (b > 0 && is_nonspacing_mark(s[b - 1])) --b;
  if (b == 0 || !is_cased(s[b - 1])) return false;
  size_t a = i + 1;
  while (a < s.size() && is_nonspacing_mark(s[a])) ++a;
  return a == s.size() || !is_cased(s[a]);
}

constexpr char32_t kHangulFirst = 0xAC00, kHangulLast = 0xD7A3;

// Hangul syllable -> leading consonant, vowel and optional trailing consonant
// (Unicode 3.12, "Conjoining Jamo Behavior").
void decompose_hangul(char32_t cp, std::u32string& out) {
  constexpr char32_t kL = 0x1100, kV = 0x1161, kT = 0x11A7;
  constexpr int kVCount = 21, kTCount = 28;
  int index = static_cast<int>(cp - kHangulFirst);
  out.push_back(kL + index / (kVCount * kTCount));
  out.push_back(kV + (index % (kVCount * kTCount)) / kTCount);
  if (index % kTCount != 0) out.push_back(kT + index % kTCount);
}

}  // namespace

size_t decode_one(std::string_view s, size_t pos, char32_t* cp) {
  auto at = [&](size_t k) { return static_cast<unsigned char>(s[pos + k]); };
  unsigned char b0 = at(0);
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  size_t len = b0 >= 0xC2 && b0 <= 0xDF ? 2 : b0 >= 0xE0 && b0 <= 0xEF ? 3 : b0 >= 0xF0 && b0 <= 0xF4 ? 4 : 0;
  if (len == 0 || pos + len > s.size()) return 0;
  // Second-byte limits exclude overlong forms, surrogates and > U+10FFFF.
  unsigned char lo = b0 == 0xE0 ? 0xA0 : b0 == 0xF0 ? 0x90 : 0x80;
  unsigned char hi = b0 == 0xED ? 0x9F : b0 == 0xF4 ? 0x8F : 0xBF;
  if (at(1) < lo || at(1) > hi) return 0;
  for (size_t k = 2; k < len; ++k) {
    if (!continuation(at(k))) return 0;
  }
  char32_t c = b0 & (0x7F >> len);
  for (size_t k = 1; k < len; ++k) c = (c << 6) | (at(k) & 0x3F);
  *cp = c;
  return len;
}

size_t find_invalid_utf8(std::string_view s) {
  char32_t cp;
  for (size_t pos = 0; pos < s.size();) {
    size_t n = decode_one(s, pos, &cp);
    if (n == 0) return pos;
    pos += n;
  }
  return std::string_view::npos;
}

std::u32string decode_utf8(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  char32_t cp;
  for (size_t pos = 0; pos < s.size();) {
    size_t n = decode_one(s, pos, &cp);
    if (n == 0) throw ValueError("expected UTF-8 text, got an ill-formed byte sequence at byte " + std::to_string(pos));
    out.push_back(cp);
    pos += n;
  }
  return out;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string encode_utf8(std::u32string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t cp : s) append_utf8(out, cp);
  return out;
}

bool is_whitespace(char32_t cp) {
  switch (cp) {
    case U' ': case U'\t': case U'\n': case U'\r':
    case 0x00A0: case 0x1680: case 0x202F: case 0x205F: case 0x3000:
    case 0x2028: case 0x2029:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;  // the remaining Zs
  }
}

bool is_control(char32_t cp) {
  if (cp == U'\t' || cp == U'\n' || cp == U'\r') return false;  // whitespace, as in BERT
  return in_ranges(data::controls(), cp);
}

bool is_punctuation(char32_t cp) {
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) {
    return true;
  }
  return cp >= 0x80 && in_ranges(data::punctuation(), cp);
}

bool is_nonspacing_mark(char32_t cp) { return cp >= 0x300 && in_ranges(data::nonspacing_marks(), cp); }

bool is_cjk_ideograph(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
         (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

char32_t lower(char32_t cp) {
  if (cp < 0x80) return cp >= U'A' && cp <= U'Z' ? cp + 32 : cp;
  if (cp == 0x130) return U'i';
  auto runs = data::lowercase_runs();
  auto it = std::upper_bound(runs.begin(), runs.end(), cp,
                             [](char32_t c, const data::CaseRun& r) { return c < r.first; });
  if (it == runs.begin()) return cp;
  const data::CaseRun& r = *std::prev(it);
  if (cp > r.last || (cp - r.first) % static_cast<char32_t>(r.stride) != 0) return cp;
  return static_cast<char32_t>(static_cast<int64_t>(cp) + r.delta);
}

std::u32string to_lower(std::u32string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char32_t cp = s[i];
    if (cp == 0x130) {
      out += U"i\u0307";
    } else if (cp == 0x3A3) {
      out.push_back(final_sigma(s, i) ? 0x3C2 : 0x3C3);
    } else {
      out.push_back(lower(cp));
    }
  }
  return out;
}

std::u32string strip_accents(std::u32string_view s) {
  auto single = data::decompositions();
  auto multi = data::multi_decompositions();
  std::u32string out;
  out.reserve(s.size());
  for (char32_t cp : s) {
    if (cp < 0xC0) {
      out.push_back(cp);
    } else if (cp >= kHangulFirst && cp <= kHangulLast) {
      decompose_hangul(cp, out);
    } else if (!is_nonspacing_mark(cp)) {
      auto it = std::lower_bound(single.begin(), single.end(), cp,
                                 [](const data::Decomposition& d, char32_t c) { return d.cp < c; });
      if (it != single.end() && it->cp == cp) {
        out.push_back(it->base);
        continue;
      }
      auto m = std::lower_bound(multi.begin(), multi.end(), cp,
                                [](const data::MultiDecomposition& d, char32_t c) { return d.cp < c; });
      if (m == multi.end() || m->cp != cp) {
        out.push_back(cp);
        continue;
      }
      for (char32_t b : m->base) {
        if (b) out.push_back(b);
      }
    }
  }
  return out;
}

}  // namespace flowgrad::text::unicode
