#include "ops/one_hot.h"

#include "ops/sources.h"
#include "runtime/session.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

using ops::OneHotAttrs;

FLOWGRAD_OP_CASES(one_hot)({
    op_case("one_hot", {{DType::i32, {6}}}, OneHotAttrs{.depth = 4}, -1, 5),  // -1 and 4: rows of zeros
    op_case("one_hot", {{DType::i64, {2, 3}}}, OneHotAttrs{.depth = 5}, 0, 5),
    op_case("one_hot", {{DType::i32, {}}}, OneHotAttrs{.depth = 3}, 0, 3),
    op_case("one_hot", {{DType::i32, {4096}}}, OneHotAttrs{.depth = 100}, 0, 100),  // big
});


TEST_CASE("one_hot indicates the index, out-of-range indices give zero rows") {
  graph::Graph g;
  ops::Emitter em(g);
  auto ids = ops::input(em, "ids", {DType::i64, {3}});
  auto h = ops::one_hot(ids, 3);
  CHECK(h.shape() == Shape{3, 3});
  runtime::Session sess(g);
  auto out = sess.run({{"ids", Tensor::from<int64_t>({3}, {2, -100, 0})}}, {h.id()});
  CHECK(identical(out[0], Tensor::from<float>({3, 3}, {0, 0, 1, 0, 0, 0, 1, 0, 0})));
}

TEST_CASE("one_hot wants integer indices and a non-negative depth") {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", f32({2, 3}));
  auto i = ops::input(em, "i", {DType::i32, {2, 3}});
  CHECK_THROWS_WITH_AS(ops::one_hot(x, 3), doctest::Contains("expected i32 or i64 indices, got f32[2, 3]"), ShapeError);
  CHECK_THROWS_WITH_AS(ops::one_hot(i, -1), doctest::Contains("expected depth >= 0, got -1"), ShapeError);
}

}  // namespace
}  // namespace flowgrad::testing
