#include "text/basic_tokenizer.h"

#include "text/unicode.h"

namespace flowgrad::text {
namespace {

std::u32string clean(std::u32string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (char32_t cp : s) {
    if (cp == 0 || cp == 0xFFFD || unicode::is_control(cp)) continue;
    out.push_back(unicode::is_whitespace(cp) ? U' ' : cp);
  }
  return out;
}

std::u32string space_cjk(std::u32string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (char32_t cp : s) {
    if (unicode::is_cjk_ideograph(cp)) {
      out.push_back(U' ');
      out.push_back(cp);
      out.push_back(U' ');
    } else {
      out.push_back(cp);
    }
  }
  return out;
}

}  // namespace

std::u32string BasicTokenizer::normalize(std::string_view text) const {
  std::u32string s = unicode::decode_utf8(text);
  if (options_.clean_text) s = clean(s);
  if (options_.handle_chinese_chars) s = space_cjk(s);
  if (options_.lowercase) s = unicode::to_lower(s);
  if (options_.strip_accents.value_or(options_.lowercase)) s = unicode::strip_accents(s);
  return s;
}

std::vector<std::string> BasicTokenizer::split(std::u32string_view s) {
  std::vector<std::string> tokens;
  std::string word;
  auto flush = [&] {
    if (!word.empty()) tokens.push_back(std::move(word));
    word.clear();
  };
  for (char32_t cp : s) {
    if (unicode::is_whitespace(cp)) {
      flush();
    } else if (unicode::is_punctuation(cp)) {
      flush();
      unicode::append_utf8(word, cp);
      flush();
    } else {
      unicode::append_utf8(word, cp);
    }
  }
  flush();
  return tokens;
}

std::vector<std::string> BasicTokenizer::tokenize(std::string_view text) const { return split(normalize(text)); }

std::vector<std::string> split_whitespace(std::string_view text) {
  std::vector<std::string> words;
  for_each_whitespace_word(text, [&](std::string_view w) { words.emplace_back(w); });
  return words;
}

}  // namespace flowgrad::text
