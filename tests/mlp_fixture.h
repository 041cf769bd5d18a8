#pragma once
// A small MLP training step (x f32[batch, features] -> relu(linear) x2 ->
// linear -> 2 logits, softmax cross-entropy, one optimizer update), shared by
// the pass, check-mode and memory-plan tests. The defaults are the MLP of
// tests/frontend/optim_test.cpp; feeds are random with seeds (feed_seed,
// feed_seed + 1).

#include "frontend/flowgrad.h"
#include "testing.h"

namespace flowgrad::testing {

struct MlpOptions {
  int64_t batch = 256, features = 2, hidden = 32;
  optim::Optimizer optimizer = optim::AdamW{.lr = 0.02, .weight_decay = 1e-4};
  uint64_t feed_seed = 11;
};

struct MlpStep {
  Builder b;
  Expr logits, loss;
  optim::TrainStep train;
  MlpOptions o;

  explicit MlpStep(MlpOptions options) : o(std::move(options)) {
    Expr x = b.input("x", {DType::f32, {o.batch, o.features}});
    Expr y = b.input("y", {DType::i32, {o.batch}});
    Expr h = ops::relu(nn::linear(b, x, {.out_features = o.hidden, .seed = 1}, "fc1"));
    h = ops::relu(nn::linear(b, h, {.out_features = o.hidden, .seed = 2}, "fc2"));
    logits = nn::linear(b, h, {.out_features = 2, .seed = 3}, "out");
    loss = ops::softmax_cross_entropy(logits, y);
    train = optim::minimize(b, loss, o.optimizer);
  }
  runtime::Feeds feeds() const {
    return {{"x", random_tensor({DType::f32, {o.batch, o.features}}, o.feed_seed)},
            {"y", random_tensor({DType::i32, {o.batch}}, o.feed_seed + 1, 0, 2)}};
  }
};

}  // namespace flowgrad::testing
