#pragma once
// A text classifier that flowgrad does not ship: word embeddings pooled with
// a learned attention weighting, then a linear classifier.
//
//   e = embedding(tokens)                  [B, T, D]
//   h = swish(linear(e))                   [B, T, H]   (swish: our custom op)
//   a = softmax_T(linear(h) ⋅ 1)           [B, T]      one score per word
//   p = Σ_t a[:, t] · h[:, t, :]           [B, H]      attention pooling
//   logits = linear(p)                     [B, 2]
//
// The data set is synthetic (make_batch): sentences of filler words with one
// marker word at a random place; the label says whether the marker is from
// the "positive" or the "negative" set. The attention has to find it.

#include <cstdint>

#include "frontend/flowgrad.h"

namespace user {

struct ClassifierConfig {
  int64_t vocab = 32;     // words 0-3: positive markers, 4-7: negative, the rest filler
  int64_t length = 8;     // words per sentence
  int64_t dim = 16;       // embedding width D
  int64_t hidden = 16;    // H
  int64_t batch = 64;     // B
};

struct AttentionClassifier {
  flowgrad::Builder b;
  flowgrad::Expr tokens, labels;    // inputs "tokens" [B, T] i32, "labels" [B] i32
  flowgrad::Expr attention;         // [B, T]
  flowgrad::Expr logits, loss;      // [B, 2], []
  flowgrad::optim::TrainStep train; // fetch train.step: forward, backward and AdamW update

  explicit AttentionClassifier(const ClassifierConfig& c);
};

struct Batch {
  flowgrad::Tensor tokens;  // [B, T] i32
  flowgrad::Tensor labels;  // [B] i32
};

// A deterministic batch: the same (config, seed) gives the same sentences.
Batch make_batch(const ClassifierConfig& c, uint64_t seed);

}  // namespace user
