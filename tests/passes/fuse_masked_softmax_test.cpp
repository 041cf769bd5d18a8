#include "passes/fuse_masked_softmax.h"

#include <cmath>

#include "frontend/flowgrad.h"
#include "ops/binary.h"
#include "ops/masked_softmax.h"
#include "ops/matmul.h"
#include "ops/slice.h"
#include "pass_testing.h"
#include "passes/pipeline.h"

namespace flowgrad::testing {
namespace {

double scale_of(const graph::Graph& g) {
  for (graph::NodeId id : g.node_ids()) {
    if (g.node(id).op == "masked_softmax") return g.node(id).attrs_as<ops::MaskedSoftmaxAttrs>().scale;
  }
  return 0;
}

TEST_CASE("fuse_masked_softmax fuses softmax(x * c + mask), softmax(mask + x / c) and softmax(x + mask)") {
  for (int form = 0; form < 3; ++form) {
    INFO("form " << form);
    Builder b;
    Expr x = b.input("x", f32({2, 3, 5, 5}));
    Expr mask = b.input("mask", f32({2, 1, 1, 5}));
    Expr z = form == 0 ? x * 0.25f + mask : form == 1 ? mask + x / 4.0f : x + mask;
    b.output(ops::softmax(z));
    size_t before = b.graph().num_nodes();
    runtime::Feeds feeds{{"x", random_tensor(f32({2, 3, 5, 5}), 1, -4, 4)},
                         {"mask", random_tensor(f32({2, 1, 1, 5}), 2, -10000, 0)}};
    graph::Graph g = check_pass<passes::FuseMaskedSoftmax>(b.graph(), feeds);
    CHECK(count_op(g, "masked_softmax") == 1);
    CHECK(count_op(g, "softmax") + count_op(g, "add") + count_op(g, "mul") + count_op(g, "div") == 0);
    // mul/div, its constant and add, softmax -> masked_softmax; softmax(x + mask): add, softmax -> one
    CHECK(g.num_nodes() == before - (form == 2 ? 1 : 3));
    CHECK(scale_of(g) == (form == 2 ? 1.0 : 0.25));
  }
}

TEST_CASE("fuse_masked_softmax leaves a softmax over another axis and scores read twice") {
  Builder b;
  Expr x = b.input("x", f32({4, 6}));
  Expr mask = b.input("mask", f32({4, 6}));
  b.output(ops::softmax(x * 0.5f + mask, {.axis = 0}));
  Expr z = x * 0.5f + mask;
  b.output(ops::softmax(z));
  b.output(z);  // z is also an output
  graph::Graph g = b.graph();
  CHECK_FALSE(passes::FuseMaskedSoftmax{}.run(g));
}

// Attention written out in ops: softmax(q·kᵀ / sqrt(d) + mask) · v, trained.
struct NaiveAttention {
  Builder b;
  NaiveAttention() {
    Expr x = b.input("x", f32({4, 8, 16}));          // [B, T, H]
    Expr att = b.input("att", f32({4, 8}));           // 1 keep, 0 pad
    Expr y = b.input("y", {DType::i32, {4}});
    Expr mask = ops::reshape((att - 1.0f) * 10000.0f, {4, 1, 8});  // [B, 1, T]
    Expr q = nn::linear(b, x, {.out_features = 16, .seed = 1}, "q");
    Expr k = nn::linear(b, x, {.out_features = 16, .seed = 2}, "k");
    Expr v = nn::linear(b, x, {.out_features = 16, .seed = 3}, "v");
    Expr probs = ops::softmax(ops::matmul(q, k, {.transpose_b = true}) / 4.0f + mask);  // [B, T, T]
    Expr ctx = ops::matmul(probs, v);                                                     // [B, T, H]
    Expr pooled = ops::reshape(ops::slice(ctx, {.axes = {1}, .starts = {0}, .ends = {1}}), {4, 16});
    Expr loss = ops::softmax_cross_entropy(nn::linear(b, pooled, {.out_features = 2, .seed = 4}, "out"), y);
    auto train = optim::minimize(b, loss, optim::Adam{.lr = 0.02});
    b.output(loss);
    b.output(train.step);
  }
  runtime::Feeds feeds() const {
    Tensor att({DType::f32, {4, 8}});
    for (int64_t i = 0; i < 32; ++i) att.data<float>()[i] = (i % 8) < 8 - i / 8 ? 1.0f : 0.0f;
    return {{"x", random_tensor(f32({4, 8, 16}), 41)}, {"att", att}, {"y", random_tensor({DType::i32, {4}}, 42, 0, 2)}};
  }
};

TEST_CASE("in a training graph the written-out attention softmax fuses, and training matches") {
  NaiveAttention m;
  graph::Graph g = m.b.graph();
  passes::optimize(g, {.disabled = {"fuse_masked_softmax"}, .verify = true});
  size_t before = g.num_nodes();
  graph::Graph fused = check_pass<passes::FuseMaskedSoftmax>(g, m.feeds());
  CHECK(count_op(fused, "masked_softmax") == 1);
  CHECK(count_op(fused, "softmax") == 0);
  CHECK(fused.num_nodes() == before - 2);  // div, add, softmax -> masked_softmax (div's gradient reads the constant)
  CHECK(scale_of(fused) == 0.25);
  runtime::Session plain(m.b.graph()), opt(m.b.graph(), frontend::with_passes({}, {.verify = true}));
  for (int step = 0; step < 5; ++step) {
    Tensor l1 = plain.run(m.feeds(), m.b.graph().outputs())[0].clone();
    Tensor l2 = opt.run(m.feeds(), m.b.graph().outputs())[0].clone();
    CHECK_CLOSE(l2, l1, 1e-5);
  }
  CHECK_CLOSE(opt.workspace().get("q/weight"), plain.workspace().get("q/weight"), 1e-5);
  CHECK(count_op(opt.last_plan()->graph(), "masked_softmax") == 1);
}

}  // namespace
}  // namespace flowgrad::testing
