#include "models/word_vectors.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

namespace flowgrad::models {

WordVectors::WordVectors(std::vector<std::string> words, graph::Tensor vectors)
    : words_(std::move(words)), dim_(vectors.shape().at(1)), raw_(std::move(vectors)) {
  if (raw_.shape()[0] != size()) throw ValueError("word vectors: " + std::to_string(size()) + " words but " + raw_.type().str());
  unit_.resize(static_cast<size_t>(size() * dim_));
  for (int64_t w = 0; w < size(); ++w) {
    const float* v = raw_.data<float>() + w * dim_;
    double n = 0;
    for (int64_t i = 0; i < dim_; ++i) n += static_cast<double>(v[i]) * v[i];
    double inv = n > 0 ? 1.0 / std::sqrt(n) : 0.0;
    for (int64_t i = 0; i < dim_; ++i) unit_[static_cast<size_t>(w * dim_ + i)] = static_cast<float>(v[i] * inv);
  }
}

int64_t WordVectors::index(const std::string& word) const {
  auto it = std::find(words_.begin(), words_.end(), word);
  return it == words_.end() ? -1 : it - words_.begin();
}

std::vector<std::pair<std::string, float>> WordVectors::nearest(const std::vector<float>& q,
                                                                const std::vector<int64_t>& exclude, int k) const {
  std::vector<std::pair<float, int64_t>> scored;
  for (int64_t w = 0; w < size(); ++w) {
    if (std::find(exclude.begin(), exclude.end(), w) != exclude.end()) continue;
    double s = 0;
    for (int64_t i = 0; i < dim_; ++i) s += static_cast<double>(q[static_cast<size_t>(i)]) * unit_[static_cast<size_t>(w * dim_ + i)];
    scored.emplace_back(static_cast<float>(s), w);
  }
  size_t top = std::min<size_t>(static_cast<size_t>(std::max(k, 0)), scored.size());
  std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(top), scored.end(),
                    [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
  std::vector<std::pair<std::string, float>> out;
  for (size_t i = 0; i < top; ++i) out.emplace_back(words_[static_cast<size_t>(scored[i].second)], scored[i].first);
  return out;
}

std::vector<std::pair<std::string, float>> WordVectors::most_similar(const std::string& word, int k) const {
  int64_t w = index(word);
  if (w < 0) throw ValueError("word '" + word + "' is not in the vocabulary");
  std::vector<float> q(unit_.begin() + w * dim_, unit_.begin() + (w + 1) * dim_);
  return nearest(q, {w}, k);
}

std::vector<std::pair<std::string, float>> WordVectors::analogy(const std::string& a, const std::string& b,
                                                                const std::string& c, int k) const {
  std::vector<int64_t> ids;
  for (const auto* w : {&a, &b, &c}) {
    ids.push_back(index(*w));
    if (ids.back() < 0) throw ValueError("word '" + *w + "' is not in the vocabulary");
  }
  std::vector<float> q(static_cast<size_t>(dim_));
  for (int64_t i = 0; i < dim_; ++i) {
    auto at = [&](int64_t w) { return unit_[static_cast<size_t>(w * dim_ + i)]; };
    q[static_cast<size_t>(i)] = at(ids[1]) - at(ids[0]) + at(ids[2]);
  }
  return nearest(q, ids, k);
}

void WordVectors::save_word2vec_text(const std::string& path) const {
  std::ofstream f(path);
  if (!f) throw Error("cannot write '" + path + "'");
  f << size() << ' ' << dim_ << '\n';
  std::string line;
  char number[32];
  for (int64_t w = 0; w < size(); ++w) {
    line = words_[static_cast<size_t>(w)];
    for (int64_t i = 0; i < dim_; ++i) {
      // as `f << x` at precision 7 (%.7g), without the stream's locale machinery
      char* end = std::to_chars(number, number + sizeof number, raw_.data<float>()[w * dim_ + i],
                                std::chars_format::general, 7).ptr;
      line += ' ';
      line.append(number, static_cast<size_t>(end - number));
    }
    line += '\n';
    f << line;
  }
}

WordVectors WordVectors::load_word2vec_text(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw FormatError("cannot open '" + path + "'");
  int64_t v = 0, d = 0;
  std::string line;
  if (!std::getline(f, line) || !(std::istringstream(line) >> v >> d) || v <= 0 || d <= 0 || v > (1 << 26) || d > 65536) {
    throw FormatError("'" + path + "' line 1: expected \"<count> <dim>\"");
  }
  std::vector<std::string> words;
  graph::Tensor t({graph::DType::f32, {v, d}});
  for (int64_t w = 0; w < v; ++w) {
    if (!std::getline(f, line)) throw FormatError("'" + path + "': expected " + std::to_string(v) + " vectors, found " + std::to_string(w));
    std::istringstream is(line);
    std::string word;
    is >> word;
    for (int64_t i = 0; i < d; ++i) {
      if (!(is >> t.data<float>()[w * d + i])) {
        throw FormatError("'" + path + "' line " + std::to_string(w + 2) + ": expected " + std::to_string(d) + " numbers after '" + word + "'");
      }
    }
    words.push_back(word);
  }
  return WordVectors(std::move(words), std::move(t));
}

}  // namespace flowgrad::models
