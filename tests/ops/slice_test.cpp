#include "ops/slice.h"

#include "ops/sources.h"
#include "runtime/session.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

using ops::PadAttrs;
using ops::SliceAttrs;

FLOWGRAD_OP_CASES(slice)({
    op_case("slice", {f32({5, 4})}, SliceAttrs{.starts = {1}, .ends = {4}}),                     // leading axis
    op_case("slice", {f32({3, 6, 4})}, SliceAttrs{.axes = {-1, 1}, .starts = {1, 2}, .ends = {3, -1}}),
    op_case("slice", {f32({4, 4})}, SliceAttrs{.starts = {-3, 0}, .ends = {4, 4}}),              // negative start
    op_case("slice", {f32({3, 2})}, SliceAttrs{.starts = {2}, .ends = {2}}),                     // empty
    op_case("slice", {f32({2, 3})}, SliceAttrs{}),                                               // the whole tensor
    op_case("slice", {{DType::i64, {6, 5}}}, SliceAttrs{.axes = {1}, .starts = {1}, .ends = {5}}, -9, 9),
    op_case("slice", {f32({256, 1024})}, SliceAttrs{.axes = {1}, .starts = {100}, .ends = {900}}),  // big
});

FLOWGRAD_OP_CASES(pad)({
    op_case("pad", {f32({2, 3})}, PadAttrs{.before = {1, 0}, .after = {2, 1}, .value = 0.5}),
    op_case("pad", {f32({3})}, PadAttrs{.before = {0}, .after = {0}}),
    op_case("pad", {f32({2, 2, 2})}, PadAttrs{.before = {0, 1, 2}, .after = {1, 0, 0}}),
    op_case("pad", {{DType::i32, {2, 3}}}, PadAttrs{.before = {1, 1}, .after = {1, 1}, .value = -7}, -9, 9),
    op_case("pad", {f32({300, 400})}, PadAttrs{.before = {10, 20}, .after = {0, 30}, .value = -1}),  // big
});

TEST_CASE("slice takes a box and pad surrounds a tensor with a value") {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", {DType::i32, {2, 3}});
  auto s = ops::slice(x, {.axes = {1}, .starts = {1}, .ends = {3}});
  auto p = ops::pad(x, {.before = {0, 1}, .after = {1, 0}, .value = 9});
  CHECK(s.shape() == Shape{2, 2});
  CHECK(p.shape() == Shape{3, 4});
  runtime::Session sess(g);
  auto out = sess.run({{"x", Tensor::from<int32_t>({2, 3}, {1, 2, 3, 4, 5, 6})}}, {s.id(), p.id()});
  CHECK(identical(out[0], Tensor::from<int32_t>({2, 2}, {2, 3, 5, 6})));
  CHECK(identical(out[1], Tensor::from<int32_t>({3, 4}, {9, 1, 2, 3, 9, 4, 5, 6, 9, 9, 9, 9})));
}

TEST_CASE("slice and pad reject bad bounds") {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", f32({4, 5}));
  CHECK_THROWS_WITH_AS(ops::slice(x, {.starts = {1, 2}, .ends = {3, 6}}),
                       doctest::Contains("expected 0 <= start <= end <= 5 on axis 1, got 2:6"), ShapeError);
  CHECK_THROWS_WITH_AS(ops::slice(x, {.starts = {3}, .ends = {1}}),
                       doctest::Contains("expected 0 <= start <= end <= 4 on axis 0, got 3:1"), ShapeError);
  CHECK_THROWS_WITH_AS(ops::slice(x, {.starts = {1}, .ends = {}}),
                       doctest::Contains("expected as many starts and ends (and axes, if given), got 1, 0 (and 0)"), ShapeError);
  CHECK_THROWS_WITH_AS(ops::slice(x, {.axes = {1, -1}, .starts = {0, 0}, .ends = {1, 1}}),
                       doctest::Contains("expected distinct axes in [-2, 2)"), ShapeError);
  CHECK_THROWS_WITH_AS(ops::pad(x, {.before = {1}, .after = {1}}),
                       doctest::Contains("expected before and after with one entry per dim (2), got [1] and [1]"), ShapeError);
  CHECK_THROWS_WITH_AS(ops::pad(x, {.before = {0, -1}, .after = {0, 0}}),
                       doctest::Contains("expected non-negative padding, got [0, -1] and [0, 0]"), ShapeError);
}

}  // namespace
}  // namespace flowgrad::testing
