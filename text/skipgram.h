#pragma once
// Word2vec training examples with the semantics of word2vec.c (Mikolov et
// al.), drawn from counter-based streams (text/random.h) instead of its LCG:
//
// Subsampling. Each occurrence of word w (count f, corpus total N = sum of the
// vocabulary's counts, threshold t = `sample`) is kept with probability
//   keep(w) = (sqrt(f / (t N)) + 1) * (t N) / f      (>= 1 means always)
// before windows are formed, so windows span the kept words only.
//
// Dynamic window. For the word at each position, b is uniform in [0, window)
// and the effective window is window - b, i.e. uniform in [1, window]; every
// word within that distance (excluding the center) is a context word.
//
// Skip-gram pairs follow word2vec.c's roles: `input` is the context word (its
// row of the input embedding syn0 is trained), `target` is the center word
// (the output row syn1neg, with negatives); CBOW examples average the
// context words' input rows to predict `target`.
//
// Unigram table. word2vec.c's InitUnigramTable: a table of `size` word ids in
// which word w fills a share count(w)^0.75 / sum count^0.75 of the slots, in
// vocabulary order. Words of count 0 (special tokens) get no slot.
// Negatives are table[uniform slot], redrawn (up to 16 times) while equal to
// the positive target; word2vec.c skips them instead, which leaves a variable
// number of negatives per pair.
//
// Random streams: sentence s of epoch e uses key (kind, e, s) under the seed,
// so the examples of an epoch do not depend on threads or on the order of
// generation, and a resumed run regenerates them identically.

#include <cstdint>
#include <span>
#include <vector>

#include "graph/tensor.h"
#include "text/random.h"
#include "text/vocab.h"

namespace flowgrad::text {

using IdSentence = std::vector<int32_t>;

// Sentences as word ids; words outside the vocabulary are dropped (as in
// word2vec.c) and sentences longer than max_sentence_length are cut into
// chunks of that length (word2vec.c's MAX_SENTENCE_LENGTH is 1000; it counts
// the words that survive subsampling, we count before subsampling).
std::vector<IdSentence> encode_sentences(const std::vector<Document>& docs, const Vocab& vocab,
                                         const TokenizeFn& tokenize, int32_t max_sentence_length = 1000);

struct Word2VecOptions {
  int32_t window = 5;
  double sample = 1e-3;  // subsampling threshold t; 0 disables subsampling
};

struct SkipGramPair {
  int32_t input;   // the context word
  int32_t target;  // the center word
  bool operator==(const SkipGramPair&) const = default;
};

struct CbowExample {
  int32_t target;                // the center word
  std::vector<int32_t> context;  // 1 .. 2 * window words, in sentence order
};

class Word2VecSampler {
 public:
  // Uses vocab.counts(); ValueError if they sum to 0 or window < 1.
  Word2VecSampler(const Vocab& vocab, Word2VecOptions options = {});

  double keep_probability(int32_t id) const { return keep_[static_cast<size_t>(id)]; }
  // The words of `sentence` that survive subsampling, in order.
  IdSentence subsample(std::span<const int32_t> sentence, CounterRng& rng) const;
  // Subsampling and dynamic windows over one sentence.
  void skipgram(std::span<const int32_t> sentence, CounterRng& rng, std::vector<SkipGramPair>& out) const;
  void cbow(std::span<const int32_t> sentence, CounterRng& rng, std::vector<CbowExample>& out) const;

  // All examples of one epoch, sentence after sentence.
  std::vector<SkipGramPair> skipgram_epoch(const std::vector<IdSentence>& sentences, uint64_t seed,
                                           uint64_t epoch) const;
  std::vector<CbowExample> cbow_epoch(const std::vector<IdSentence>& sentences, uint64_t seed, uint64_t epoch) const;

  const Word2VecOptions& options() const { return options_; }

 private:
  // The window reach around each position of a subsampled sentence.
  std::vector<int32_t> reaches(size_t n, CounterRng& rng) const;

  Word2VecOptions options_;
  std::vector<double> keep_;
};

// A negative-sampling table: `slots` word ids, kept as a compact index. The
// table is runs of equal ids (word2vec.c's holds each word's slots together),
// so slot a's id is that of the last run starting at or before a: found from
// a coarse index of every 64th slot's run and a short scan of the run starts.
// Those fit in the L2 cache where the slots (40 MB for the default 10^7) do
// not, and the slots themselves are not kept; a lookup returns exactly
// slots[a].
class UnigramTable {
 public:
  UnigramTable() = default;
  explicit UnigramTable(const std::vector<int32_t>& slots);

  int64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  int32_t operator[](uint64_t slot) const {
    size_t run = coarse_[slot >> kShift];
    while (run + 1 < starts_.size() && starts_[run + 1] <= slot) ++run;
    return ids_[run];
  }
  // Every slot's id, written out from the runs.
  std::vector<int32_t> slots() const;

 private:
  static constexpr int kShift = 6;  // coarse index: every 64th slot
  int64_t size_ = 0;
  std::vector<uint32_t> starts_;  // first slot of each run (fewer than 2^32 slots)
  std::vector<int32_t> ids_;      // id of each run
  std::vector<uint32_t> coarse_;  // [size / 64]: the run holding slot i · 64
};

// word2vec.c's negative-sampling table over the vocabulary counts.
UnigramTable unigram_table(const Vocab& vocab, int64_t size = 10'000'000, double power = 0.75);

// One negative for `positive`: a table entry different from it if possible.
int32_t sample_negative(const UnigramTable& table, int32_t positive, CounterRng& rng);

// Skip-gram batch: inputs [B] i32, targets [B] i32, negatives [B, K] i32.
struct SkipGramBatch {
  graph::Tensor inputs, targets, negatives;
};
SkipGramBatch make_skipgram_batch(std::span<const SkipGramPair> pairs, const UnigramTable& table,
                                  int32_t num_negatives, CounterRng& rng);

// CBOW batch: contexts [B, C] i32 (C = 2 * window, padded with 0),
// context_mask [B, C] f32 (1 for real context words), targets [B] i32,
// negatives [B, K] i32.
struct CbowBatch {
  graph::Tensor contexts, context_mask, targets, negatives;
};
CbowBatch make_cbow_batch(std::span<const CbowExample> examples, int32_t window, const UnigramTable& table,
                          int32_t num_negatives, CounterRng& rng);

}  // namespace flowgrad::text
