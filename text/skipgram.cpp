#include "text/skipgram.h"

#include <cmath>
#include <string>

#include "graph/error.h"

namespace flowgrad::text {
namespace {

constexpr uint64_t kSkipGramStream = 0x736b6970;  // "skip"
constexpr uint64_t kCbowStream = 0x63626f77;      // "cbow"

graph::Tensor i32_tensor(graph::Shape shape) { return graph::Tensor({graph::DType::i32, std::move(shape)}); }

void check_negatives(const UnigramTable& table, int32_t k) {
  if (table.empty()) throw ValueError("expected a non-empty unigram table");
  if (k < 0) throw ValueError("expected num_negatives >= 0, got " + std::to_string(k));
}

}  // namespace

std::vector<IdSentence> encode_sentences(const std::vector<Document>& docs, const Vocab& vocab,
                                         const TokenizeFn& tokenize, int32_t max_sentence_length) {
  if (max_sentence_length < 1) {
    throw ValueError("expected max_sentence_length >= 1, got " + std::to_string(max_sentence_length));
  }
  std::vector<IdSentence> out;
  for (const Document& doc : docs) {
    for (const Sentence& s : doc) {
      IdSentence ids;
      for (const std::string& w : tokenize(s)) {
        if (auto id = vocab.find(w)) ids.push_back(*id);
        if (ids.size() == static_cast<size_t>(max_sentence_length)) {
          out.push_back(std::move(ids));
          ids.clear();
        }
      }
      if (!ids.empty()) out.push_back(std::move(ids));
    }
  }
  return out;
}

Word2VecSampler::Word2VecSampler(const Vocab& vocab, Word2VecOptions options) : options_(options) {
  if (options_.window < 1) throw ValueError("expected window >= 1, got " + std::to_string(options_.window));
  if (options_.sample < 0) throw ValueError("expected sample >= 0, got " + std::to_string(options_.sample));
  double total = 0;
  for (int64_t c : vocab.counts()) total += static_cast<double>(c);
  if (total <= 0) throw ValueError("expected a vocabulary with word counts, got counts that sum to 0");
  keep_.resize(static_cast<size_t>(vocab.size()), 1.0);
  if (options_.sample == 0) return;
  double tn = options_.sample * total;
  for (int32_t id = 0; id < vocab.size(); ++id) {
    auto f = static_cast<double>(vocab.count(id));
    if (f > 0) keep_[static_cast<size_t>(id)] = (std::sqrt(f / tn) + 1) * tn / f;
  }
}

IdSentence Word2VecSampler::subsample(std::span<const int32_t> sentence, CounterRng& rng) const {
  IdSentence kept;
  kept.reserve(sentence.size());
  for (int32_t id : sentence) {
    double p = keep_.at(static_cast<size_t>(id));
    if (p >= 1 || rng.uniform() < p) kept.push_back(id);
  }
  return kept;
}

std::vector<int32_t> Word2VecSampler::reaches(size_t n, CounterRng& rng) const {
  std::vector<int32_t> r(n);
  auto w = static_cast<uint64_t>(options_.window);
  for (int32_t& reach : r) reach = options_.window - static_cast<int32_t>(rng.below(w));  // [1, window]
  return r;
}

void Word2VecSampler::skipgram(std::span<const int32_t> sentence, CounterRng& rng,
                               std::vector<SkipGramPair>& out) const {
  IdSentence sen = subsample(sentence, rng);
  std::vector<int32_t> reach = reaches(sen.size(), rng);
  auto n = static_cast<int64_t>(sen.size());
  for (int64_t pos = 0; pos < n; ++pos) {
    for (int64_t c = std::max<int64_t>(0, pos - reach[pos]); c <= std::min(n - 1, pos + reach[pos]); ++c) {
      if (c != pos) out.push_back({sen[c], sen[pos]});
    }
  }
}

void Word2VecSampler::cbow(std::span<const int32_t> sentence, CounterRng& rng, std::vector<CbowExample>& out) const {
  IdSentence sen = subsample(sentence, rng);
  std::vector<int32_t> reach = reaches(sen.size(), rng);
  auto n = static_cast<int64_t>(sen.size());
  for (int64_t pos = 0; pos < n; ++pos) {
    CbowExample ex{sen[pos], {}};
    for (int64_t c = std::max<int64_t>(0, pos - reach[pos]); c <= std::min(n - 1, pos + reach[pos]); ++c) {
      if (c != pos) ex.context.push_back(sen[c]);
    }
    if (!ex.context.empty()) out.push_back(std::move(ex));
  }
}

std::vector<SkipGramPair> Word2VecSampler::skipgram_epoch(const std::vector<IdSentence>& sentences, uint64_t seed,
                                                          uint64_t epoch) const {
  std::vector<SkipGramPair> out;
  for (size_t s = 0; s < sentences.size(); ++s) {
    CounterRng rng(seed, stream_key(kSkipGramStream, epoch, s));
    skipgram(sentences[s], rng, out);
  }
  return out;
}

std::vector<CbowExample> Word2VecSampler::cbow_epoch(const std::vector<IdSentence>& sentences, uint64_t seed,
                                                     uint64_t epoch) const {
  std::vector<CbowExample> out;
  for (size_t s = 0; s < sentences.size(); ++s) {
    CounterRng rng(seed, stream_key(kCbowStream, epoch, s));
    cbow(sentences[s], rng, out);
  }
  return out;
}

UnigramTable::UnigramTable(const std::vector<int32_t>& slots) : size_(static_cast<int64_t>(slots.size())) {
  if (slots.size() >= (uint64_t{1} << 32)) throw ValueError("expected a unigram table of fewer than 2^32 slots");
  for (size_t a = 0; a < slots.size(); ++a) {
    if (a == 0 || slots[a] != slots[a - 1]) {
      starts_.push_back(static_cast<uint32_t>(a));
      ids_.push_back(slots[a]);
    }
    if (a % (size_t{1} << kShift) == 0) coarse_.push_back(static_cast<uint32_t>(starts_.size() - 1));
  }
}

std::vector<int32_t> UnigramTable::slots() const {
  std::vector<int32_t> out;
  out.reserve(static_cast<size_t>(size_));
  for (size_t run = 0; run < starts_.size(); ++run) {
    const size_t end = run + 1 < starts_.size() ? starts_[run + 1] : static_cast<size_t>(size_);
    out.insert(out.end(), end - starts_[run], ids_[run]);
  }
  return out;
}

UnigramTable unigram_table(const Vocab& vocab, int64_t size, double power) {
  if (size < 1) throw ValueError("expected a unigram table size >= 1, got " + std::to_string(size));
  std::vector<int32_t> words;  // the ids with a count, in vocabulary order
  double total = 0;
  for (int32_t id = 0; id < vocab.size(); ++id) {
    if (vocab.count(id) <= 0) continue;
    words.push_back(id);
    total += std::pow(static_cast<double>(vocab.count(id)), power);
  }
  if (words.empty()) throw ValueError("expected a vocabulary with word counts, got counts that sum to 0");
  // word2vec.c: slot a belongs to word i while a / size <= cumulative share of words 0..i.
  std::vector<int32_t> table(static_cast<size_t>(size));
  size_t i = 0;
  double cumulative = std::pow(static_cast<double>(vocab.count(words[0])), power) / total;
  for (int64_t a = 0; a < size; ++a) {
    table[static_cast<size_t>(a)] = words[i];
    if (static_cast<double>(a) / static_cast<double>(size) > cumulative && i + 1 < words.size()) {
      ++i;
      cumulative += std::pow(static_cast<double>(vocab.count(words[i])), power) / total;
    }
  }
  return UnigramTable(table);
}

int32_t sample_negative(const UnigramTable& table, int32_t positive, CounterRng& rng) {
  const auto size = static_cast<uint64_t>(table.size());
  int32_t id = table[rng.below(size)];
  for (int tries = 0; id == positive && tries < 16; ++tries) id = table[rng.below(size)];
  return id;
}

SkipGramBatch make_skipgram_batch(std::span<const SkipGramPair> pairs, const UnigramTable& table,
                                  int32_t num_negatives, CounterRng& rng) {
  check_negatives(table, num_negatives);
  auto b = static_cast<int64_t>(pairs.size());
  SkipGramBatch batch{i32_tensor({b}), i32_tensor({b}), i32_tensor({b, num_negatives})};
  int32_t* neg = batch.negatives.data<int32_t>();
  for (int64_t i = 0; i < b; ++i) {
    batch.inputs.data<int32_t>()[i] = pairs[i].input;
    batch.targets.data<int32_t>()[i] = pairs[i].target;
    for (int32_t k = 0; k < num_negatives; ++k) *neg++ = sample_negative(table, pairs[i].target, rng);
  }
  return batch;
}

CbowBatch make_cbow_batch(std::span<const CbowExample> examples, int32_t window, const UnigramTable& table,
                          int32_t num_negatives, CounterRng& rng) {
  check_negatives(table, num_negatives);
  auto b = static_cast<int64_t>(examples.size());
  int64_t c = 2 * static_cast<int64_t>(window);
  CbowBatch batch{i32_tensor({b, c}), graph::Tensor({graph::DType::f32, {b, c}}), i32_tensor({b}),
                  i32_tensor({b, num_negatives})};
  int32_t* neg = batch.negatives.data<int32_t>();
  for (int64_t i = 0; i < b; ++i) {
    const CbowExample& ex = examples[i];
    if (static_cast<int64_t>(ex.context.size()) > c) {
      throw ValueError("example " + std::to_string(i) + ": expected at most 2 * window = " + std::to_string(c) +
                       " context words, got " + std::to_string(ex.context.size()));
    }
    for (size_t j = 0; j < ex.context.size(); ++j) {
      batch.contexts.data<int32_t>()[i * c + static_cast<int64_t>(j)] = ex.context[j];  // [B, C]
      batch.context_mask.data<float>()[i * c + static_cast<int64_t>(j)] = 1.0f;
    }
    batch.targets.data<int32_t>()[i] = ex.target;
    for (int32_t k = 0; k < num_negatives; ++k) *neg++ = sample_negative(table, ex.target, rng);
  }
  return batch;
}

}  // namespace flowgrad::text
