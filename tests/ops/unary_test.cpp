#include "ops/unary.h"

#include "ops/sources.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

std::vector<OpCase> unary_cases(const std::string& op, double lo, double hi) {
  return {op_case(op, {f32({7})}, Default{}, lo, hi), op_case(op, {f32({3, 4, 5})}, Default{}, lo, hi),
          op_case(op, {f32({4, 6})}, Default{}, lo, hi), op_case(op, {f32({256, 300})}, Default{}, lo, hi)};
}

FLOWGRAD_OP_CASES(relu)(unary_cases("relu", -2, 2));
FLOWGRAD_OP_CASES(tanh)(unary_cases("tanh", -3, 3));
FLOWGRAD_OP_CASES(sigmoid)(unary_cases("sigmoid", -6, 6));
FLOWGRAD_OP_CASES(exp)(unary_cases("exp", -3, 3));
FLOWGRAD_OP_CASES(log)(unary_cases("log", 0.1, 5));
FLOWGRAD_OP_CASES(neg)(unary_cases("neg", -2, 2));
FLOWGRAD_OP_CASES(gelu)({
    op_case("gelu", {f32({3, 4, 5})}, ops::GeluAttrs{}, -4, 4),
    op_case("gelu", {f32({3, 4, 5})}, ops::GeluAttrs{.approximate = "tanh"}, -4, 4),
    op_case("gelu", {f32({7})}, ops::GeluAttrs{}, -4, 4),
    op_case("gelu", {f32({2, 6})}, ops::GeluAttrs{.approximate = "tanh"}, -4, 4),
    op_case("gelu", {f32({128, 512})}, ops::GeluAttrs{}, -4, 4),
});

TEST_CASE("gelu rejects an unknown approximation") {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", f32({2}));
  CHECK_THROWS_WITH_AS(ops::gelu(x, {.approximate = "fast"}),
                       doctest::Contains("expected approximate \"none\" or \"tanh\", got \"fast\""), ShapeError);
}

TEST_CASE("unary ops want f32") {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", {DType::i32, {2}});
  CHECK_THROWS_WITH_AS(ops::relu(x), doctest::Contains("expected input 0 of a float dtype (f32 or f64), got i32"), ShapeError);
}

}  // namespace
}  // namespace flowgrad::testing
