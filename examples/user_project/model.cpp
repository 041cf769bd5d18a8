// The attention-pooling classifier (model.h) and its synthetic data.

#include "model.h"

#include <random>

#include "swish.h"

namespace user {

using namespace flowgrad;

AttentionClassifier::AttentionClassifier(const ClassifierConfig& c) {
  tokens = b.input("tokens", {DType::i32, {c.batch, c.length}});
  labels = b.input("labels", {DType::i32, {c.batch}});
  auto s = b.scope("classifier");
  Expr e = nn::embedding(b, tokens, {.num_embeddings = c.vocab, .dim = c.dim}, {.init_std = 0.5, .seed = 1});
  Expr h = swish(nn::linear(b, e, {.out_features = c.hidden, .seed = 2}, "proj"));       // [B, T, H]
  Expr scores = nn::linear(b, h, {.out_features = 1, .seed = 3}, "score");             // [B, T, 1]
  attention = ops::softmax(ops::reshape(scores, {c.batch, c.length}));                  // [B, T]
  Expr a = ops::reshape(attention, {c.batch, 1, c.length});                             // [B, 1, T]
  Expr pooled = ops::reshape(ops::matmul(a, h), {c.batch, c.hidden});                   // [B, H]
  logits = nn::linear(b, pooled, {.out_features = 2, .seed = 4}, "out");                // [B, 2]
  loss = ops::softmax_cross_entropy(logits, labels);
  train = optim::minimize(b, loss, optim::AdamW{.lr = 0.005, .weight_decay = 1e-4});
}

Batch make_batch(const ClassifierConfig& c, uint64_t seed) {
  std::mt19937_64 rng(seed);  // its output sequence is fixed by the standard
  Batch batch{Tensor({DType::i32, {c.batch, c.length}}), Tensor({DType::i32, {c.batch}})};
  int32_t* words = batch.tokens.data<int32_t>();
  for (int64_t i = 0; i < c.batch; ++i) {
    for (int64_t t = 0; t < c.length; ++t) words[i * c.length + t] = static_cast<int32_t>(8 + rng() % (c.vocab - 8));
    int32_t label = static_cast<int32_t>(rng() % 2);
    int64_t where = static_cast<int64_t>(rng() % c.length);
    words[i * c.length + where] = static_cast<int32_t>((label ? 0 : 4) + rng() % 4);
    batch.labels.data<int32_t>()[i] = label;
  }
  return batch;
}

}  // namespace user
