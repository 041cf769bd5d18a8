#include "passes/constant_fold.h"

#include "frontend/flowgrad.h"
#include "ops/control.h"
#include "pass_testing.h"

namespace flowgrad::testing {
namespace {

TEST_CASE("constant_fold evaluates transposes and reshapes of constants and fills") {
  Builder b;
  Expr x = b.input("x", f32({6}));
  Tensor table = random_tensor(f32({2, 3}), 3);
  Expr c = ops::reshape(ops::transpose(b.constant(table), {1, 0}), {6});     // [2, 3] -> [3, 2] -> [6]
  Expr f = ops::fill(b, {.shape = {6}, .dtype = DType::f32, .value = 2.0});  // a fill feeding a fold
  b.output(ops::relu(x * (c + f)));
  REQUIRE(b.graph().num_nodes() == 8);
  graph::Graph g = check_pass<passes::ConstantFold>(b.graph(), {{"x", random_tensor(f32({6}), 4)}});
  CHECK(g.num_nodes() == 4);  // x, the folded constant, mul, relu
  CHECK(count_op(g, "constant") == 1);
  CHECK(count_op(g, "transpose") + count_op(g, "reshape") + count_op(g, "fill") == 0);
  const graph::Node& folded = g.producer(g.node(g.find("relu")->inputs[0]).inputs[1]);
  CHECK(folded.name == "add/folded");
  const Tensor& value = folded.attrs_as<ops::ConstantAttrs>().value;
  CHECK(value.at(1) == doctest::Approx(table.at(3) + 2.0));  // transposed: [0][1] of the result is [1][0] of the table
}

TEST_CASE("constant_fold leaves large results, lone fills, sources and in-place ops alone") {
  Builder b;
  Expr big = ops::broadcast_to(b.constant(Tensor::scalar(1.0f)), {300, 300});  // 90000 > 1 << 16 elements
  Expr lone = ops::fill(b, {.shape = {4}, .dtype = DType::f32, .value = 1.0});
  Expr counter = ops::increment(b.constant(Tensor::scalar(0.0f)));
  b.output(big);
  b.output(lone);
  b.output(counter);
  graph::Graph g = b.graph();
  CHECK_FALSE(passes::ConstantFold{}.run(g));
  CHECK(g.num_nodes() == b.graph().num_nodes());
}

}  // namespace
}  // namespace flowgrad::testing
