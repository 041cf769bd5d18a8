#include "ops/fused_elementwise.h"

#include <cmath>
#include <limits>

#include "ops/elementwise_math.h"
#include "ops/sources.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

using ops::FusedElementwiseAttrs;

FLOWGRAD_OP_CASES(fused_elementwise)({
    op_case("fused_elementwise", {f32({3, 4}), f32({3, 4})}, FusedElementwiseAttrs{"mul x0 0.5; add t0 x1; tanh t1"}),
    op_case("fused_elementwise", {f32({7})}, FusedElementwiseAttrs{"relu x0; neg t0; sub 1.5 t1; div t2 x0"}),
    op_case("fused_elementwise", {f32({2, 3, 5})}, FusedElementwiseAttrs{"gelu x0; sigmoid x0; mul t0 t1; exp t2"}, -4, 4),
    op_case("fused_elementwise", {f32({4, 5}), f32({4, 5})}, FusedElementwiseAttrs{"gelu_tanh x1; add t0 x0; log x0; sub t1 t2"},
            0.1, 3),
    op_case("fused_elementwise", {f32({1000, 300}), f32({1000, 300}), f32({1000, 300})},  // many chunks and blocks
            FusedElementwiseAttrs{"mul x0 x1; add t0 x2; gelu t1; mul t2 -0.25; tanh t3"}, -3, 3),
});

TEST_CASE("the vectorizable exp, tanh and erf agree with libm") {
  double worst_exp = 0, worst_tanh = 0, worst_erf = 0;
  for (float x = -80.0f; x < 80.0f; x += 0.0137f) {
    worst_exp = std::max(worst_exp, std::abs(ops::math::exp(x) / std::exp(static_cast<double>(x)) - 1));
  }
  for (float x = -12.0f; x < 12.0f; x += 0.00113f) {
    double t = std::tanh(static_cast<double>(x));
    worst_tanh = std::max(worst_tanh, std::abs(ops::math::tanh(x) - t) / std::max(std::abs(t), 1e-30));
    worst_erf = std::max(worst_erf, std::abs(ops::math::erf(x) - std::erf(static_cast<double>(x))));
  }
  MESSAGE("max rel. error exp " << worst_exp << ", tanh " << worst_tanh << "; max abs. error erf " << worst_erf);
  CHECK(worst_exp < 5e-7);
  CHECK(worst_tanh < 5e-7);
  CHECK(worst_erf < 1e-6);
  const float inf = std::numeric_limits<float>::infinity();
  CHECK(ops::math::exp(100.0f) == inf);
  CHECK(ops::math::exp(-100.0f) == 0.0f);
  CHECK(ops::math::exp(-inf) == 0.0f);
  CHECK(std::isnan(ops::math::exp(std::nanf(""))));
  CHECK(ops::math::exp(88.7f) == doctest::Approx(std::exp(static_cast<double>(88.7f))).epsilon(1e-6));
  CHECK(ops::math::tanh(-inf) == -1.0f);
  CHECK(std::isnan(ops::math::tanh(std::nanf(""))));
  CHECK(ops::math::sigmoid(-200.0f) == 0.0f);
}

TEST_CASE("fused_elementwise reports bad programs and inputs of different types") {
  graph::Graph g;
  ops::Emitter em(g);
  auto a = ops::input(em, "a", f32({2, 3}));
  auto row = ops::input(em, "row", f32({3}));
  auto bad = [&](std::string program, std::string message) {
    CHECK_THROWS_WITH_AS(ops::fused_elementwise({a}, {program}), doctest::Contains(message.c_str()), ShapeError);
  };
  bad("", "an empty program");
  bad("mul x0", "instruction 0 (mul): 1 operands, expected 2");
  bad("swish x0", "instruction 0 (swish): an unknown op");
  bad("tanh x1", "no input x1");
  bad("tanh t0", "t0 is not computed yet");
  bad("add x0 0.5.5", "bad operand '0.5.5'");
  CHECK_THROWS_WITH_AS(ops::fused_elementwise({a, row}, {"add x0 x1"}),
                       doctest::Contains("expected f32 inputs of one type, got f32[3] beside f32[2, 3]"), ShapeError);
}

TEST_CASE("an elementwise program prints and parses back to itself") {
  std::string text = "mul x0 0.1; add t0 x1; gelu_tanh t1; sub -3.25e-07 t2";
  std::string error;
  auto p = ops::ElementwiseProgram::parse(text, error);
  REQUIRE(p);
  CHECK(p->str() == text);
  CHECK(p->code[3].args[0].value == -3.25e-07f);
}

}  // namespace
}  // namespace flowgrad::testing
