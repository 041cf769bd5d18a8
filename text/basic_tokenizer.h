#pragma once
// BERT's BasicTokenizer, i.e. Hugging Face's BertNormalizer followed by its
// BertPreTokenizer (the first stage of BertTokenizer for bert-*-uncased):
//
//   1. clean text: drop U+0000, U+FFFD and control characters (Cc/Cf/Co,
//      except \t \n \r); every whitespace character becomes " "
//   2. put spaces around CJK ideographs, so each becomes its own token
//   3. lower-case (full Unicode lowercase, see text/unicode.h)
//   4. strip accents: canonical decomposition, nonspacing marks dropped
//      ("Café naïve" -> "cafe naive"; coverage in text/unicode.h)
//   5. split on whitespace, then split off every punctuation character as a
//      token of its own ("don't!" -> "don", "'", "t", "!")
//
// Options mirror BertNormalizer's fields; the defaults are bert-base-uncased.
// Step 4 follows lowercase unless `strip_accents` says otherwise.
//
// Reference behaviour: Python BERT / Hugging Face BertTokenizer. Differences
// from Hugging Face's JS port (tokenizers.js, the fixture generator): it does
// not split CJK ideographs outside the BMP (Extension B-E: it looks at UTF-16
// units), which we do, as Python does; neither of us drops unassigned code
// points (Python does). Coverage of the Unicode tables: text/unicode.h.
//
//   BasicTokenizer{}.tokenize("Héllo,  WORLD!我爱") == {"hello", ",", "world", "!", "我", "爱"}

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace flowgrad::text {

struct BasicTokenizerOptions {
  bool clean_text = true;
  bool handle_chinese_chars = true;
  bool lowercase = true;
  std::optional<bool> strip_accents;  // unset: same as lowercase
};

class BasicTokenizer {
 public:
  explicit BasicTokenizer(BasicTokenizerOptions options = {}) : options_(options) {}

  // Steps 1-4 on UTF-8 text (throws ValueError on ill-formed UTF-8).
  std::u32string normalize(std::string_view text) const;
  // Steps 1-5: the pre-tokens, as UTF-8.
  std::vector<std::string> tokenize(std::string_view text) const;
  // Step 5 alone, on normalized text.
  static std::vector<std::string> split(std::u32string_view normalized);

  const BasicTokenizerOptions& options() const { return options_; }

 private:
  BasicTokenizerOptions options_;
};

// f(word) for each word of `text` split on ASCII whitespace only (word2vec's
// tokenization), empties dropped; the words are views into `text`.
template <class F>
void for_each_whitespace_word(std::string_view text, F&& f) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; };
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && space(text[i])) ++i;
    const size_t start = i;
    while (i < text.size() && !space(text[i])) ++i;
    if (i > start) f(text.substr(start, i - start));
  }
}

// The words of for_each_whitespace_word, as strings.
std::vector<std::string> split_whitespace(std::string_view text);

}  // namespace flowgrad::text
