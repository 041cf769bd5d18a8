#pragma once
// Trained word vectors: nearest neighbours by cosine similarity, analogies
// (a : b :: c : ? as b - a + c, the query words excluded), and the word2vec
// text format (first line "V D", then "word v1 ... vD" per line), which
// gensim's KeyedVectors.load_word2vec_format(binary=False) reads.

#include <string>
#include <utility>
#include <vector>

#include "graph/tensor.h"

namespace flowgrad::models {

class WordVectors {
 public:
  WordVectors(std::vector<std::string> words, graph::Tensor vectors);  // vectors f32 [V, D]

  int64_t size() const { return static_cast<int64_t>(words_.size()); }
  int64_t dim() const { return dim_; }
  const std::vector<std::string>& words() const { return words_; }
  // -1 if absent.
  int64_t index(const std::string& word) const;

  // The k words most similar to `word` (itself excluded); ValueError if unknown.
  std::vector<std::pair<std::string, float>> most_similar(const std::string& word, int k) const;
  // b - a + c, e.g. analogy("man", "king", "woman") ≈ "queen".
  std::vector<std::pair<std::string, float>> analogy(const std::string& a, const std::string& b, const std::string& c,
                                                     int k) const;

  void save_word2vec_text(const std::string& path) const;
  // FormatError naming the file and line for a malformed file.
  static WordVectors load_word2vec_text(const std::string& path);

 private:
  std::vector<std::pair<std::string, float>> nearest(const std::vector<float>& query, const std::vector<int64_t>& exclude,
                                                     int k) const;
  std::vector<std::string> words_;
  int64_t dim_;
  std::vector<float> unit_;  // L2-normalized rows, [V, D]
  graph::Tensor raw_;
};

}  // namespace flowgrad::models
