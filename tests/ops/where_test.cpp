#include "ops/where.h"

#include "ops/sources.h"
#include "runtime/session.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

using ops::MaskedFillAttrs;

TensorType boolean(Shape s) { return {DType::boolean, std::move(s)}; }

FLOWGRAD_OP_CASES(where)({
    op_case("where", {boolean({3, 4}), f32({3, 4}), f32({3, 4})}),
    op_case("where", {boolean({3, 1}), f32({4}), f32({2, 3, 4})}),  // all three broadcast
    op_case("where", {boolean({}), f32({2, 2}), f32({2, 2})}),
    op_case("where", {boolean({5}), {DType::i64, {5}}, {DType::i64, {1}}}, Default{}, -9, 9),
    op_case("where", {boolean({400, 400}), f32({400, 400}), f32({400, 1})}),  // big
});

FLOWGRAD_OP_CASES(masked_fill)({
    op_case("masked_fill", {f32({3, 4}), boolean({3, 4})}, MaskedFillAttrs{.value = -1e4}),
    op_case("masked_fill", {f32({2, 3, 4}), boolean({2, 1, 4})}, MaskedFillAttrs{.value = 2.5}),  // attention mask
    op_case("masked_fill", {f32({5}), boolean({1})}, MaskedFillAttrs{.value = 0}),
    op_case("masked_fill", {{DType::i32, {6}}, boolean({6})}, MaskedFillAttrs{.value = -100}, -9, 9),
    op_case("masked_fill", {f32({8, 128, 128}), boolean({8, 1, 128})}, MaskedFillAttrs{.value = -1e9}),  // big
});

TEST_CASE("where selects and masked_fill fills") {
  graph::Graph g;
  ops::Emitter em(g);
  auto c = ops::input(em, "c", boolean({2, 1}));
  auto a = ops::input(em, "a", f32({2, 2}));
  auto b = ops::input(em, "b", f32({}));
  auto w = ops::where(c, a, b);
  auto m = ops::masked_fill(a, c, -5);
  runtime::Session sess(g);
  auto out = sess.run({{"c", Tensor::from<bool>({2, 1}, {true, false})},
                       {"a", Tensor::from<float>({2, 2}, {1, 2, 3, 4})},
                       {"b", Tensor::scalar(7)}},
                      {w.id(), m.id()});
  CHECK(identical(out[0], Tensor::from<float>({2, 2}, {1, 2, 7, 7})));
  CHECK(identical(out[1], Tensor::from<float>({2, 2}, {-5, -5, 3, 4})));
}

TEST_CASE("where and masked_fill reject bad types") {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", f32({2, 3}));
  auto i = ops::input(em, "i", {DType::i32, {2, 3}});
  auto c = ops::input(em, "c", boolean({2, 3}));
  auto c4 = ops::input(em, "c4", boolean({4}));
  CHECK_THROWS_WITH_AS(ops::where(x, x, x), doctest::Contains("expected a bool condition, got f32[2, 3]"), ShapeError);
  CHECK_THROWS_WITH_AS(ops::where(c, x, i), doctest::Contains("expected a and b of one dtype, got f32[2, 3] and i32[2, 3]"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(ops::where(c4, x, x), doctest::Contains("expected broadcastable shapes, got [4], [2, 3] and [2, 3]"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(ops::masked_fill(x, i, 0), doctest::Contains("expected a bool mask, got i32[2, 3]"), ShapeError);
  auto c23 = ops::input(em, "c23", boolean({2, 2, 3}));
  CHECK_THROWS_WITH_AS(ops::masked_fill(x, c23, 0), doctest::Contains("expected a mask that broadcasts to [2, 3], got [2, 2, 3]"),
                       ShapeError);
}

}  // namespace
}  // namespace flowgrad::testing
