#include "passes/fuse_matmul_residual.h"

#include "frontend/flowgrad.h"
#include "ops/matmul_bias_act.h"
#include "pass_testing.h"
#include "passes/fuse_matmul_bias_act.h"
#include "passes/pipeline.h"

namespace flowgrad::testing {
namespace {

Expr weight(Builder& b, std::string_view name, Shape shape) {
  return b.variable(name, {.shape = std::move(shape), .init = "normal", .scale = 0.3});
}

int residual_fusions(const graph::Graph& g) {
  int n = 0;
  for (graph::NodeId id : g.node_ids()) {
    const graph::Node& node = g.node(id);
    n += node.op == "matmul_bias_act" && node.attrs_as<ops::MatmulBiasActAttrs>().residual;
  }
  return n;
}

TEST_CASE("fuse_matmul_residual folds a residual add into a matmul and into a matmul_bias_act") {
  Builder b;
  Expr x = b.input("x", f32({8, 16}));
  Expr r = b.input("r", f32({8, 32}));
  Expr h = ops::relu(nn::linear(b, x, {.out_features = 32, .seed = 1}, "fc1")) + r;  // matmul, add, relu, add
  Expr y = r + ops::matmul(h, weight(b, "w2", {32, 32}));                              // residual on the left
  b.output(y);
  graph::Graph g = b.graph();
  CHECK(passes::FuseMatmulBiasAct{}.run(g));
  REQUIRE(count_op(g, "add") == 2);
  size_t before = g.num_nodes();
  runtime::Feeds feeds{{"x", random_tensor(f32({8, 16}), 7)}, {"r", random_tensor(f32({8, 32}), 8)}};
  graph::Graph fused = check_pass<passes::FuseMatmulResidual>(g, feeds);
  CHECK(count_op(fused, "add") == 0);
  CHECK(residual_fusions(fused) == 2);
  CHECK(fused.num_nodes() == before - 2);  // two adds absorbed
  // fused vs the graph as built (no fusion at all)
  runtime::Workspace w1, w2;
  CHECK_CLOSE(run_outputs(fused, feeds, w2)[0], run_outputs(b.graph(), feeds, w1)[0], 1e-5);
}

TEST_CASE("fuse_matmul_residual leaves a matmul read twice, a broadcast add and a fused residual") {
  Builder b;
  Expr x = b.input("x", f32({5, 6}));
  Expr m = ops::matmul(x, weight(b, "w", {6, 3}));
  b.output(m + ops::relu(m));                                                 // m has two uses
  b.output(ops::matmul(x, weight(b, "v", {6, 3})) + b.input("row", f32({3})));  // a bias, not a residual
  Expr r = b.input("r", f32({5, 3}));
  b.output(ops::matmul_bias_act_residual(x, weight(b, "u", {6, 3}), {}, r) + r);  // already has a residual
  graph::Graph g = b.graph();
  CHECK_FALSE(passes::FuseMatmulResidual{}.run(g));
}

// x -> [linear -> relu -> linear] + x, twice, then a classifier: the residual
// adds fuse forward, and on the backward side the gradient sums
// d(x) = d(linear input) + d(residual) fuse into the matmuls that make them.
struct ResidualMlp {
  Builder b;
  ResidualMlp() {
    Expr x = b.input("x", f32({32, 16}));
    Expr y = b.input("y", {DType::i32, {32}});
    Expr h = x;
    for (int l = 0; l < 2; ++l) {
      auto s = b.scope("block" + std::to_string(l));
      Expr inner = ops::relu(nn::linear(b, h, {.out_features = 24, .seed = 10 + l}, "fc1"));
      h = nn::linear(b, inner, {.out_features = 16, .seed = 20 + l}, "fc2") + h;
    }
    Expr logits = nn::linear(b, h, {.out_features = 3, .seed = 3}, "out");
    Expr loss = ops::softmax_cross_entropy(logits, y);
    auto train = optim::minimize(b, loss, optim::Adam{.lr = 0.02});
    b.output(loss);
    b.output(train.step);
  }
  runtime::Feeds feeds() const {
    return {{"x", random_tensor(f32({32, 16}), 21)}, {"y", random_tensor({DType::i32, {32}}, 22, 0, 3)}};
  }
};

TEST_CASE("in a training graph residual adds fuse forward and backward, and training matches") {
  ResidualMlp m;
  graph::Graph g = m.b.graph();
  CHECK(passes::FuseMatmulBiasAct{}.run(g));
  size_t before = g.num_nodes();
  graph::Graph fused = check_pass<passes::FuseMatmulResidual>(g, m.feeds());
  int n = residual_fusions(fused);
  MESSAGE("residual MLP training graph: " << before << " nodes -> " << fused.num_nodes() << ", " << n
                                          << " matmuls with a residual");
  CHECK(n >= 3);  // 2 forward residual adds, and gradient sums on the backward side
  CHECK(fused.num_nodes() == before - static_cast<size_t>(n));
  runtime::Session plain(m.b.graph()), opt(m.b.graph(), frontend::with_passes({}, {.verify = true}));
  for (int step = 0; step < 3; ++step) {
    Tensor l1 = plain.run(m.feeds(), m.b.graph().outputs())[0].clone();
    Tensor l2 = opt.run(m.feeds(), m.b.graph().outputs())[0].clone();
    CHECK_CLOSE(l2, l1, 1e-5);
  }
  CHECK_CLOSE(opt.workspace().get("block0/fc1/weight"), plain.workspace().get("block0/fc1/weight"), 1e-5);
  CHECK(residual_fusions(opt.last_plan()->graph()) == n);
}

}  // namespace
}  // namespace flowgrad::testing
