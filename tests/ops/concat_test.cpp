#include "ops/concat.h"

#include "ops/sources.h"
#include "runtime/session.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

using ops::ConcatAttrs;
using ops::SplitAttrs;

FLOWGRAD_OP_CASES(concat)({
    op_case("concat", {f32({2, 3}), f32({4, 3})}, ConcatAttrs{.axis = 0}),
    op_case("concat", {f32({2, 3, 4}), f32({2, 1, 4}), f32({2, 2, 4})}, ConcatAttrs{.axis = 1}),
    op_case("concat", {f32({2, 3}), f32({2, 5})}, ConcatAttrs{.axis = -1}),
    op_case("concat", {f32({3}), f32({0}), f32({2})}, ConcatAttrs{.axis = 0}),  // an empty piece
    op_case("concat", {f32({4, 2})}, ConcatAttrs{.axis = 1}),                  // one input
    op_case("concat", {{DType::i64, {3, 2}}, {DType::i64, {3, 1}}}, ConcatAttrs{.axis = 1}, -9, 9),
    op_case("concat", {{DType::boolean, {2, 2}}, {DType::boolean, {1, 2}}}, ConcatAttrs{.axis = 0}),
    op_case("concat", {f32({64, 300, 7}), f32({64, 200, 7})}, ConcatAttrs{.axis = 1}),  // big
});

FLOWGRAD_OP_CASES(split)({
    op_case("split", {f32({6, 3})}, SplitAttrs{.sizes = {1, 2, 3}, .axis = 0}),
    op_case("split", {f32({2, 5, 2})}, SplitAttrs{.sizes = {3, 0, 2}, .axis = 1}),
    op_case("split", {f32({2, 4})}, SplitAttrs{.sizes = {4}, .axis = -1}),
    op_case("split", {{DType::i32, {4, 6}}}, SplitAttrs{.sizes = {2, 4}, .axis = 1}, -9, 9),
    op_case("split", {f32({128, 1000})}, SplitAttrs{.sizes = {500, 300, 200}, .axis = 1}),  // big
});

TEST_CASE("concat and split are inverse") {
  graph::Graph g;
  ops::Emitter em(g);
  auto a = ops::input(em, "a", {DType::i32, {2, 1}});
  auto b = ops::input(em, "b", {DType::i32, {2, 2}});
  auto c = ops::concat({a, b}, 1);
  auto parts = ops::split(c, {2, 1}, -1);
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].shape() == Shape{2, 2});
  CHECK(parts[0].producer().id == parts[1].producer().id);  // one multi-output node
  runtime::Session sess(g);
  auto out = sess.run({{"a", Tensor::from<int32_t>({2, 1}, {1, 2})}, {"b", Tensor::from<int32_t>({2, 2}, {3, 4, 5, 6})}},
                      {c.id(), parts[0].id(), parts[1].id()});
  CHECK(identical(out[0], Tensor::from<int32_t>({2, 3}, {1, 3, 4, 2, 5, 6})));
  CHECK(identical(out[1], Tensor::from<int32_t>({2, 2}, {1, 3, 2, 5})));
  CHECK(identical(out[2], Tensor::from<int32_t>({2, 1}, {4, 6})));
}

TEST_CASE("concat and split reject mismatched shapes, dtypes, axes and sizes") {
  graph::Graph g;
  ops::Emitter em(g);
  auto a = ops::input(em, "a", f32({2, 3}));
  auto b = ops::input(em, "b", f32({3, 4}));
  auto i = ops::input(em, "i", {DType::i32, {2, 3}});
  CHECK_THROWS_WITH_AS(ops::concat({a, b}, 1), doctest::Contains("expected input 1 of shape [2, 4] (all dims but 1 equal), got [3, 4]"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(ops::concat({a, i}, 0), doctest::Contains("expected inputs of dtype f32 and rank 2, got i32[2, 3] at input 1"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(ops::concat({a, a}, 2), doctest::Contains("expected an axis in [-2, 2), got 2"), ShapeError);
  CHECK_THROWS_WITH_AS(ops::split(a, {1, 1}, 1), doctest::Contains("expected sizes summing to 3 (dim 1), got [1, 1] summing to 2"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(ops::split(a, {4, -1}, 1), doctest::Contains("expected non-negative sizes, got [4, -1]"), ShapeError);
  CHECK_THROWS_WITH_AS(ops::split(a, {}, 0), doctest::Contains("expected at least one size"), ShapeError);
}

}  // namespace
}  // namespace flowgrad::testing
