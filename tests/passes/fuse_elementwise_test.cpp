#include "passes/fuse_elementwise.h"

#include "frontend/flowgrad.h"
#include "ops/fused_elementwise.h"
#include "ops/unary.h"
#include "pass_testing.h"
#include "passes/pipeline.h"

namespace flowgrad::testing {
namespace {

std::string program_of(const graph::Graph& g) {
  for (graph::NodeId id : g.node_ids()) {
    if (g.node(id).op == "fused_elementwise") return g.node(id).attrs_as<ops::FusedElementwiseAttrs>().program;
  }
  return "";
}

TEST_CASE("fuse_elementwise turns a chain of unary and binary ops into one program") {
  Builder b;
  Expr x = b.input("x", f32({16, 40}));
  Expr r = b.input("r", f32({16, 40}));
  Expr y = ops::relu(x * 0.5f + r);
  y = (y - x) / 3.0f;
  b.output(ops::neg(y) * r - 1.5f);
  size_t before = b.graph().num_nodes();  // 2 inputs, 3 constants, 8 ops
  graph::Graph g = check_pass<passes::FuseElementwise>(
      b.graph(), {{"x", random_tensor(f32({16, 40}), 1)}, {"r", random_tensor(f32({16, 40}), 2)}});
  CHECK(count_op(g, "fused_elementwise") == 1);
  CHECK(g.num_nodes() == 3);  // x, r, one fused node
  CHECK(before == 13);
  CHECK(program_of(g) == "mul x0 0.5; add t0 x1; relu t1; sub t2 x0; div t3 3; neg t4; mul t5 x1; sub t6 1.5");
}

TEST_CASE("fuse_elementwise stops at a value read twice, a broadcast operand, a lone op and transcendental ops") {
  Builder b;
  Expr x = b.input("x", f32({4, 6}));
  Expr row = b.input("row", f32({6}));
  Expr shared = ops::exp(x);
  b.output(ops::relu(shared));  // shared has two readers
  b.output(ops::tanh(shared));
  b.output(ops::relu(ops::tanh(x) + row));  // a broadcast add is no member: tanh, add and relu stay apart
  b.output(ops::neg(x));  // alone
  b.output(ops::tanh(ops::exp(x) * 2.0f));  // oneDNN's eltwise kernels beat the fused loop for these
  graph::Graph g = b.graph();
  CHECK_FALSE(passes::FuseElementwise{}.run(g));
}

TEST_CASE("in a training graph elementwise chains fuse (where no gradient reads inside them), training matches") {
  auto build = [](Builder& b) {
    Expr x = b.input("x", f32({32, 8}));
    Expr y = b.input("y", {DType::i32, {32}});
    Expr h = nn::linear(b, x, {.out_features = 16, .seed = 1}, "fc1");
    h = ops::tanh(ops::tanh(h) * 2.0f + 0.5f);  // mul and add fuse; the tanhs stay oneDNN eltwise
    Expr logits = nn::linear(b, h, {.out_features = 3, .seed = 2}, "out");
    Expr loss = ops::softmax_cross_entropy(logits, y);
    auto train = optim::minimize(b, loss, optim::Sgd{.lr = 0.1});
    b.output(loss);
    b.output(train.step);
  };
  Builder b;
  build(b);
  runtime::Feeds feeds{{"x", random_tensor(f32({32, 8}), 3)}, {"y", random_tensor({DType::i32, {32}}, 4, 0, 3)}};
  graph::Graph g = check_pass<passes::FuseElementwise>(b.graph(), feeds);
  CHECK(count_op(g, "fused_elementwise") >= 1);
  CHECK(g.num_nodes() < b.graph().num_nodes());
  runtime::Session plain(b.graph()), opt(b.graph(), frontend::with_passes({}, {.verify = true}));
  for (int step = 0; step < 5; ++step) {
    Tensor l1 = plain.run(feeds, b.graph().outputs())[0].clone();
    Tensor l2 = opt.run(feeds, b.graph().outputs())[0].clone();
    CHECK_CLOSE(l2, l1, 1e-5);
  }
  CHECK_CLOSE(opt.workspace().get("fc1/weight"), plain.workspace().get("fc1/weight"), 1e-5);
}

}  // namespace
}  // namespace flowgrad::testing
