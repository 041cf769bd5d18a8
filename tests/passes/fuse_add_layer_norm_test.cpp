#include "passes/fuse_add_layer_norm.h"

#include "frontend/flowgrad.h"
#include "ops/add_layer_norm.h"
#include "ops/unary.h"
#include "pass_testing.h"
#include "passes/pipeline.h"

namespace flowgrad::testing {
namespace {

TEST_CASE("fuse_add_layer_norm fuses layer_norm(a + b) and leaves a broadcast add alone") {
  Builder b;
  Expr x = b.input("x", f32({6, 16}));
  Expr r = b.input("r", f32({6, 16}));
  Expr row = b.input("row", f32({16}));
  b.output(nn::layer_norm(b, x + r, {.eps = 1e-12}, "ln1"));
  b.output(nn::layer_norm(b, x + row, {}, "ln2"));  // broadcast: not a residual add
  size_t before = b.graph().num_nodes();
  runtime::Feeds feeds{{"x", random_tensor(f32({6, 16}), 1)}, {"r", random_tensor(f32({6, 16}), 2)},
                       {"row", random_tensor(f32({16}), 3)}};
  graph::Graph g = check_pass<passes::FuseAddLayerNorm>(b.graph(), feeds);
  CHECK(count_op(g, "add_layer_norm") == 1);
  CHECK(count_op(g, "layer_norm") == 1);
  CHECK(count_op(g, "add") == 1);
  CHECK(g.num_nodes() == before - 1);  // add + layer_norm -> add_layer_norm
}

TEST_CASE("fuse_add_layer_norm keeps the sum for its other readers") {
  Builder b;
  Expr x = b.input("x", f32({4, 8}));
  Expr r = b.input("r", f32({4, 8}));
  Expr s = x + r;
  b.output(nn::layer_norm(b, s, {}, "ln"));
  b.output(ops::relu(s));  // another reader of the sum
  graph::Graph g = check_pass<passes::FuseAddLayerNorm>(
      b.graph(), {{"x", random_tensor(f32({4, 8}), 4)}, {"r", random_tensor(f32({4, 8}), 5)}});
  CHECK(count_op(g, "add") + count_op(g, "layer_norm") == 0);
  CHECK(count_op(g, "add_layer_norm") == 1);
}

// Two post-norm residual blocks (BERT's h = layer_norm(f(x) + x)) and a classifier.
struct PostNormNet {
  Builder b;
  PostNormNet() {
    Expr x = b.input("x", f32({32, 16}));
    Expr y = b.input("y", {DType::i32, {32}});
    Expr h = x;
    for (int l = 0; l < 2; ++l) {
      auto s = b.scope("block" + std::to_string(l));
      Expr f = nn::linear(b, ops::tanh(nn::linear(b, h, {.out_features = 24, .seed = 10 + l}, "fc1")),
                          {.out_features = 16, .seed = 20 + l}, "fc2");
      h = nn::layer_norm(b, f + h, {}, "LayerNorm");
    }
    Expr loss = ops::softmax_cross_entropy(nn::linear(b, h, {.out_features = 3, .seed = 3}, "out"), y);
    auto train = optim::minimize(b, loss, optim::Adam{.lr = 0.02});
    b.output(loss);
    b.output(train.step);
  }
  runtime::Feeds feeds() const {
    return {{"x", random_tensor(f32({32, 16}), 31)}, {"y", random_tensor({DType::i32, {32}}, 32, 0, 3)}};
  }
};

TEST_CASE("in a training graph add + layer_norm fuse (the backward reads the sum output), and training matches") {
  PostNormNet m;
  size_t before = m.b.graph().num_nodes();
  graph::Graph g = check_pass<passes::FuseAddLayerNorm>(m.b.graph(), m.feeds());
  CHECK(count_op(g, "add_layer_norm") == 2);
  CHECK(count_op(g, "layer_norm") == 0);
  CHECK(count_op(g, "layer_norm_backward") == 2);
  CHECK(g.num_nodes() == before - 2);
  runtime::Session plain(m.b.graph()), opt(m.b.graph(), frontend::with_passes({}, {.verify = true}));
  for (int step = 0; step < 5; ++step) {
    Tensor l1 = plain.run(m.feeds(), m.b.graph().outputs())[0].clone();
    Tensor l2 = opt.run(m.feeds(), m.b.graph().outputs())[0].clone();
    CHECK_CLOSE(l2, l1, 1e-5);
  }
  for (const char* w : {"block0/fc1/weight", "block1/LayerNorm/weight", "block0/LayerNorm/bias"}) {
    CHECK_CLOSE(opt.workspace().get(w), plain.workspace().get(w), 1e-5);
  }
  CHECK(count_op(opt.last_plan()->graph(), "add_layer_norm") == 2);
}

TEST_CASE("add_layer_norm is differentiable: autodiff through the fused op matches the unfused gradient") {
  Builder b;
  Expr x = b.input("x", f32({8, 12}));
  Expr r = b.input("r", f32({8, 12}));
  Expr gamma = b.variable("g", {.shape = {12}, .init = "normal", .scale = 1.0});
  Expr beta = b.variable("bt", {.shape = {12}, .init = "normal", .scale = 1.0});
  Expr w = b.constant(random_tensor(f32({8, 12}), 6));
  ops::AddLayerNormOutputs fused = ops::add_layer_norm(x, r, gamma, beta);
  Expr lf = ops::reduce_sum(fused.y * w) + ops::reduce_sum(fused.sum * fused.sum);  // a gradient reaches the sum too
  Expr s = x + r;
  Expr lp = ops::reduce_sum(ops::layer_norm(s, gamma, beta) * w) + ops::reduce_sum(s * s);
  auto df = autodiff::grad(lf, {x, r, gamma, beta});
  auto dp = autodiff::grad(lp, {x, r, gamma, beta});
  runtime::Session sess(b.graph());
  std::vector<graph::ValueId> fetches;
  for (size_t i = 0; i < 4; ++i) fetches.push_back(df[i].id());
  for (size_t i = 0; i < 4; ++i) fetches.push_back(dp[i].id());
  auto out = sess.run({{"x", random_tensor(f32({8, 12}), 7)}, {"r", random_tensor(f32({8, 12}), 8)}}, fetches);
  for (size_t i = 0; i < 4; ++i) CHECK_CLOSE(out[i], out[4 + i], 1e-5);
}

}  // namespace
}  // namespace flowgrad::testing
