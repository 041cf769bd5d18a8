#pragma once
// BERT pre-training examples: next-sentence-prediction pairs and masked-LM
// masking (Devlin et al. 2019; the layout of Google's create_pretraining_data).
//
// Pairs (make_segment_pairs). Per document, with max_tokens = max_len - 3:
//   1. target = max_tokens, or with probability short_seq_prob a length
//      uniform in [2, max_tokens]
//   2. gather the next sentences into a chunk until it holds >= target tokens
//      (at least one sentence)
//   3. is_next with probability next_prob (0.5)
//   4. split the chunk into A | rest: at a uniform sentence boundary if it has
//      >= 2 sentences, else at a uniform token boundary of its one sentence
//      (a 1-token chunk cannot be split: it is paired with a random B)
//   5. B = rest if is_next; else sentences of another document (uniform),
//      from a uniform start, until B has >= target - |A| tokens, and the
//      sentences of the chunk after A are put back for the next pair
//   6. truncate: while |A| + |B| > max_tokens, drop the last token of the
//      longer segment (B on ties)
// Packing: [CLS] A [SEP] B [SEP]; segment ids 0 for [CLS], A and the first
// [SEP], 1 for B and the last [SEP]; label 0 if B follows A, 1 if random (the
// Hugging Face convention). Padding to max_len with [PAD] (segment 0,
// attention mask 0) is pad_sequence's / the Batcher's job.
//
// Masking (MlmMasker::apply). Candidates are the positions whose token is not
// special ([PAD] [UNK] [CLS] [SEP] [MASK]). n = mask_prob * #candidates,
// rounded stochastically (floor, plus one with probability frac), so exactly
// 15% are selected in expectation; at most max_predictions if > 0. A uniform
// random subset of n candidates is selected; each selected token becomes
// [MASK] with probability 0.8, a uniform random non-special token with 0.1,
// and stays with 0.1. labels = the original id at selected positions,
// ignore_label (-100) elsewhere.
//
// Random streams: document d of epoch e uses key (pairs, e, d); the masking of
// example i uses key (mlm, e, i). Re-running an epoch reproduces it exactly;
// a new epoch gives new pairs and masks (dynamic masking).

#include <cstdint>
#include <span>
#include <vector>

#include "text/corpus.h"
#include "text/random.h"
#include "text/sequence_example.h"
#include "text/vocab.h"
#include "text/wordpiece.h"

namespace flowgrad::text {

// Documents -> sentences -> WordPiece ids; empty sentences and documents dropped.
using TokenizedDocument = std::vector<std::vector<int32_t>>;
std::vector<TokenizedDocument> tokenize_documents(const std::vector<Document>& docs,
                                                  const WordPieceTokenizer& tokenizer);

struct MlmOptions {
  double mask_prob = 0.15;
  double mask_token_prob = 0.8;    // of the selected: -> [MASK]
  double random_token_prob = 0.1;  // of the selected: -> a random non-special token
  int32_t max_predictions = 0;     // 0: no limit
  int32_t ignore_label = -100;
};

class MlmMasker {
 public:
  // ValueError if the vocab lacks [MASK] or has no non-special token, or the
  // probabilities are outside [0, 1] (mask_token_prob + random_token_prob <= 1).
  MlmMasker(const Vocab& vocab, MlmOptions options = {});

  // ids [T] are masked in place; labels [T] receive the targets.
  void apply(std::span<int32_t> ids, std::span<int32_t> labels, CounterRng& rng) const;
  // Fills example.token_labels.
  void apply(SequenceExample& example, CounterRng& rng) const;

 private:
  MlmOptions options_;
  int32_t mask_id_;
  std::vector<bool> special_;      // by id
  std::vector<int32_t> ordinary_;  // the non-special ids
};

struct SegmentPair {
  std::vector<int32_t> a, b;
  bool is_next = false;
};

struct PretrainingOptions {
  int32_t max_len = 128;
  double short_seq_prob = 0.1;
  double next_prob = 0.5;
  MlmOptions mlm = {};
};

// Steps 1-6 over all documents (ValueError with fewer than 2 documents).
std::vector<SegmentPair> make_segment_pairs(const std::vector<TokenizedDocument>& docs,
                                            const PretrainingOptions& options, uint64_t seed, uint64_t epoch);

// [CLS] A [SEP] B [SEP] with segment ids and the NSP label.
SequenceExample pack_pair(const SegmentPair& pair, const Vocab& vocab);

// Pairs, packed and masked: the examples of one epoch.
std::vector<SequenceExample> make_pretraining_examples(const std::vector<TokenizedDocument>& docs,
                                                       const Vocab& vocab, const PretrainingOptions& options,
                                                       uint64_t seed, uint64_t epoch);

}  // namespace flowgrad::text
