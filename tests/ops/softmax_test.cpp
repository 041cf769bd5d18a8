#include "ops/softmax.h"

#include "ops/sources.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

std::vector<OpCase> softmax_cases(const std::string& op) {
  using ops::SoftmaxAttrs;
  return {
      op_case(op, {f32({7})}, SoftmaxAttrs{}, -4, 4),
      op_case(op, {f32({3, 4, 5})}, SoftmaxAttrs{.axis = -1}, -4, 4),
      op_case(op, {f32({3, 4, 5})}, SoftmaxAttrs{.axis = 0}, -4, 4),  // outer axis
      op_case(op, {f32({3, 4, 5})}, SoftmaxAttrs{.axis = -2}, -4, 4),
      op_case(op, {f32({2, 4, 8, 16})}, SoftmaxAttrs{.axis = -1}, -4, 4),  // attention scores
      op_case(op, {f32({2, 4, 8, 16})}, SoftmaxAttrs{.axis = 1}, -4, 4),
      op_case(op, {f32({256, 512})}, SoftmaxAttrs{.axis = -1}, -8, 8),  // big: 2 threads
      op_case(op, {f32({512, 300})}, SoftmaxAttrs{.axis = 0}, -8, 8),
  };
}

FLOWGRAD_OP_CASES(softmax)(softmax_cases("softmax"));
// A single element per row: softmax is exactly 1. (log_softmax is not tested
// here: oneDNN's softmax_log returns ~1.4e-6 instead of 0, which no relative
// tolerance accepts when every expected value is 0.)
FLOWGRAD_OP_CASES(softmax_edges)({
    op_case("softmax", {f32({5, 1})}, ops::SoftmaxAttrs{.axis = 1}, -4, 4),
    op_case("softmax", {f32({0, 5})}, ops::SoftmaxAttrs{.axis = 1}),  // no rows
    op_case("log_softmax", {f32({3, 0})}, ops::SoftmaxAttrs{.axis = 1}),  // empty rows
});
FLOWGRAD_OP_CASES(log_softmax)(softmax_cases("log_softmax"));

TEST_CASE("softmax rejects an axis outside the rank") {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", f32({2, 3}));
  CHECK_THROWS_WITH_AS(ops::softmax(x, {.axis = 2}), doctest::Contains("expected axis in [-2, 2) for rank 2, got axis 2"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(ops::log_softmax(x, {.axis = -3}),
                       doctest::Contains("expected axis in [-2, 2) for rank 2, got axis -3"), ShapeError);
  auto s = ops::input(em, "s", f32({}));
  CHECK_THROWS_WITH_AS(ops::softmax(s), doctest::Contains("expected axis in [0, 0) for rank 0, got axis -1"), ShapeError);
}

TEST_CASE("softmax wants f32 and keeps the shape") {
  graph::Graph g;
  ops::Emitter em(g);
  auto i = ops::input(em, "i", {DType::i32, {2, 3}});
  CHECK_THROWS_WITH_AS(ops::softmax(i), doctest::Contains("expected input 0 of a float dtype (f32 or f64), got i32"), ShapeError);
  auto x = ops::input(em, "x", f32({2, 3, 4}));
  CHECK(ops::log_softmax(x, {.axis = 1}).shape() == Shape{2, 3, 4});
}

}  // namespace
}  // namespace flowgrad::testing
