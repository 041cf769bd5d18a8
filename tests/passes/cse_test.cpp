#include "passes/cse.h"

#include <cstring>

#include "frontend/flowgrad.h"
#include "ops/sgd_update.h"
#include "pass_testing.h"

namespace flowgrad::testing {
namespace {

// A copy marked `random`: CSE must keep two of them apart. (Deterministic,
// so the harness can check it; only the flag matters here.)
class CopyKernel final : public ops::Kernel {
 public:
  explicit CopyKernel(size_t bytes) : bytes_(bytes) {}
  void run(const ops::KernelArgs& a) override { std::memcpy(a.outputs[0], a.inputs[0], bytes_); }
  double cost() const override { return static_cast<double>(bytes_); }

 private:
  size_t bytes_;
};

FLOWGRAD_REGISTER_OP({
    .name = "test_random_copy",
    .num_inputs = 1,
    .make_attrs = ops::attrs_factory<graph::NoAttrs>(),
    .infer = [](const ops::InferContext& ctx) -> std::vector<TensorType> { return {ctx.in(0)}; },
    .lower = [](const ops::LowerContext& ctx) -> std::unique_ptr<ops::Kernel> {
      return std::make_unique<CopyKernel>(ctx.inputs[0].nbytes());
    },
    .reference = [](const graph::Node&, std::span<const Tensor> in, std::span<Tensor> out) {
      std::memcpy(out[0].raw(), in[0].raw(), in[0].nbytes());
    },
    .not_differentiable = true,  // a test fixture
    .random = true,
});
FLOWGRAD_OP_CASES(test_random_copy)({op_case("test_random_copy", {f32({5})})});

TEST_CASE("cse merges equal nodes, chains included, and keeps different attrs apart") {
  Builder b;
  Expr x = b.input("x", f32({3, 4}));
  Expr w = b.variable("w", {.shape = {5, 4}, .init = "normal", .scale = 1.0});
  Expr h1 = ops::relu(ops::matmul(x, w, {.transpose_b = true}));
  Expr h2 = ops::relu(ops::matmul(x, w, {.transpose_b = true}));  // the same chain again
  Expr t1 = ops::transpose(x, {1, 0});
  Expr t2 = ops::transpose(x, {1, 0});
  Expr z1 = ops::zeros_like(t1), z2 = ops::zeros_like(t2);        // two fills
  b.output(h1 + h2);
  b.output(t1 + t2 + z1 + z2);
  b.output(ops::matmul(x, w, {.transpose_a = false, .transpose_b = true}) - ops::sigmoid(h1));
  graph::Graph g = check_pass<passes::Cse>(b.graph(), {{"x", random_tensor(f32({3, 4}), 2)}});
  CHECK(count_op(g, "matmul") == 1);
  CHECK(count_op(g, "relu") == 1);
  CHECK(count_op(g, "transpose") == 1);
  CHECK(count_op(g, "fill") == 1);
  CHECK(count_op(g, "add") == 4);  // h1+h1, t+t, +z, +z: operands now equal, but different nodes
  CHECK(g.num_nodes() == b.graph().num_nodes() - 5);
}

TEST_CASE("cse never merges sources, in-place updates or random ops") {
  Builder b;
  Expr v1 = b.variable("v1", {.shape = {2}, .init = "ones"});
  Expr v2 = b.variable("v2", {.shape = {2}, .init = "ones"});  // equal attrs, another parameter
  Expr c1 = b.constant(Tensor::from<float>({2}, {1, 2}));
  Expr c2 = b.constant(Tensor::from<float>({2}, {1, 2}));
  Expr r1 = b.emit1("test_random_copy", graph::NoAttrs{}, {v1}, ops::Loc::current());
  Expr r2 = b.emit1("test_random_copy", graph::NoAttrs{}, {v1}, ops::Loc::current());
  Expr lr = b.constant(Tensor::scalar(0.1f));
  Expr u1 = ops::sgd_update(v2, c1, lr);
  b.output(v1 + v2 + c1 + c2 + r1 + r2);
  b.output(u1);
  graph::Graph g = b.graph();
  CHECK_FALSE(passes::Cse{}.run(g));
  CHECK(g.num_nodes() == b.graph().num_nodes());
}

}  // namespace
}  // namespace flowgrad::testing
