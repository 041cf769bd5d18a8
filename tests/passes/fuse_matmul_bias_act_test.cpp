#include "passes/fuse_matmul_bias_act.h"

#include <algorithm>

#include "frontend/flowgrad.h"
#include "ops/matmul_bias_act.h"
#include "pass_testing.h"
#include "passes/pipeline.h"

namespace flowgrad::testing {
namespace {

Expr weight(Builder& b, std::string_view name, Shape shape) {
  return b.variable(name, {.shape = std::move(shape), .init = "normal", .scale = 0.3});
}

TEST_CASE("fuse_matmul_bias_act fuses matmul+bias+act, matmul+bias and matmul+act") {
  Builder b;
  Expr x = b.input("x", f32({8, 16}));
  Expr h = ops::relu(nn::linear(b, x, {.out_features = 32, .seed = 1}, "fc1"));     // matmul, add, relu
  h = ops::tanh(ops::add(weight(b, "b2", {32}), ops::matmul(h, weight(b, "w2", {32, 32}))));  // bias on the left
  h = ops::gelu(ops::matmul(h, weight(b, "w3", {32, 24})), {.approximate = "tanh"});          // no bias
  Expr y = nn::linear(b, h, {.out_features = 4, .seed = 4}, "out");                   // no activation
  b.output(y);
  REQUIRE(count_op(b.graph(), "matmul") == 4);
  graph::Graph g = check_pass<passes::FuseMatmulBiasAct>(b.graph(), {{"x", random_tensor(f32({8, 16}), 7)}});
  CHECK(count_op(g, "matmul_bias_act") == 4);
  for (const char* op : {"matmul", "add", "relu", "tanh", "gelu"}) CHECK_MESSAGE(count_op(g, op) == 0, op);
  CHECK(g.num_nodes() == b.graph().num_nodes() - 10 + 4);  // 4 matmul, 3 add, 3 activations -> 4 fused
  std::vector<std::string> acts;
  for (graph::NodeId id : g.node_ids()) {
    if (g.node(id).op == "matmul_bias_act") acts.push_back(g.node(id).attrs_as<ops::MatmulBiasActAttrs>().activation);
  }
  std::sort(acts.begin(), acts.end());
  CHECK(acts == std::vector<std::string>{"gelu_tanh", "none", "relu", "tanh"});
}

TEST_CASE("fuse_matmul_bias_act leaves the activation alone when the pre-activation has another use") {
  Builder b;
  Expr x = b.input("x", f32({5, 6}));
  Expr pre = nn::linear(b, x, {.out_features = 3, .seed = 2}, "fc");
  b.output(ops::relu(pre));
  b.output(pre);  // also an output: the matmul+bias fuse, the relu stays
  graph::Graph g = check_pass<passes::FuseMatmulBiasAct>(b.graph(), {{"x", random_tensor(f32({5, 6}), 8)}});
  CHECK(count_op(g, "matmul_bias_act") == 1);
  CHECK(count_op(g, "relu") == 1);
  CHECK(count_op(g, "matmul") + count_op(g, "add") == 0);
}

TEST_CASE("fuse_matmul_bias_act leaves a matmul whose output is read twice, and a non-bias add") {
  Builder b;
  Expr x = b.input("x", f32({5, 6}));
  Expr m = ops::matmul(x, weight(b, "w", {6, 3}));
  b.output(ops::relu(m) + m);                                          // m has two uses
  b.output(ops::matmul(x, weight(b, "v", {6, 3})) + b.input("y", f32({5, 3})));  // [5, 3] is no bias
  graph::Graph g = b.graph();
  CHECK_FALSE(passes::FuseMatmulBiasAct{}.run(g));
}

TEST_CASE("in a training graph only matmul+bias fuse (relu's gradient reads the pre-activation); training matches") {
  auto build = [](Builder& b) {
    Expr x = b.input("x", f32({16, 4}));
    Expr y = b.input("y", {DType::i32, {16}});
    Expr h = ops::relu(nn::linear(b, x, {.out_features = 8, .seed = 1}, "fc1"));
    Expr logits = nn::linear(b, h, {.out_features = 3, .seed = 2}, "out");
    Expr loss = ops::softmax_cross_entropy(logits, y);
    auto train = optim::minimize(b, loss, optim::Adam{.lr = 0.05});
    b.output(loss);
    b.output(train.step);
  };
  Builder b;
  build(b);
  runtime::Feeds feeds{{"x", random_tensor(f32({16, 4}), 9)}, {"y", random_tensor({DType::i32, {16}}, 10, 0, 3)}};
  graph::Graph g = check_pass<passes::FuseMatmulBiasAct>(b.graph(), feeds);
  CHECK(count_op(g, "matmul_bias_act") == 2);
  CHECK(count_op(g, "relu") == 1);
  for (graph::NodeId id : g.node_ids()) {
    if (g.node(id).op == "matmul_bias_act") CHECK(g.node(id).attrs_as<ops::MatmulBiasActAttrs>().activation == "none");
  }
  // Three steps through sessions, one with the whole pipeline: same losses and weights.
  runtime::Session plain(b.graph()), opt(b.graph(), frontend::with_passes({}, {.verify = true}));
  for (int step = 0; step < 3; ++step) {
    Tensor l1 = plain.run(feeds, b.graph().outputs())[0].clone();
    Tensor l2 = opt.run(feeds, b.graph().outputs())[0].clone();
    CHECK_CLOSE(l2, l1, 1e-5);
  }
  CHECK_CLOSE(opt.workspace().get("fc1/weight"), plain.workspace().get("fc1/weight"), 1e-5);
  CHECK(count_op(opt.last_plan()->graph(), "matmul_bias_act") == 2);
}

}  // namespace
}  // namespace flowgrad::testing
