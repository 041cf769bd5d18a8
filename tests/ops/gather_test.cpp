#include "ops/gather.h"

#include "autodiff/grad.h"
#include "ops/broadcast_to.h"
#include "ops/reduce.h"
#include "ops/sources.h"
#include "ops/sparse_rows.h"
#include "runtime/session.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

const TensorType kI32x6{DType::i32, {6}};

// Integer inputs draw floor(uniform[lo, hi)): hi = V keeps indices valid.
FLOWGRAD_OP_CASES(gather)({
    op_case("gather", {f32({10, 4}), kI32x6}, Default{}, 0, 10),
    op_case("gather", {f32({5, 2, 3}), {DType::i64, {2, 3}}}, Default{}, 0, 5),  // [N...] and [D...] of rank 2
    op_case("gather", {f32({7}), {DType::i32, {4}}}, Default{}, 0, 7),              // a table of scalars
    op_case("gather", {f32({6, 3}), {DType::i64, {}}}, Default{}, 0, 6),            // one index
    op_case("gather", {f32({4, 3}), {DType::i32, {0}}}, Default{}, 0, 4),           // no indices
    op_case("gather", {{DType::i64, {9, 2}}, kI32x6}, Default{}, 0, 9),             // an integer table
    op_case("gather", {f32({2000, 64}), {DType::i32, {3000}}}, Default{}, 0, 2000),  // big: parallel blocks
});

FLOWGRAD_OP_CASES(gather_positions)({
    op_case("gather_positions", {f32({2, 5, 3}), {DType::i32, {2, 4}}}, Default{}, 0, 5),
    op_case("gather_positions", {f32({3, 4, 2, 2}), {DType::i64, {3, 2}}}, Default{}, 0, 4),
    op_case("gather_positions", {f32({2, 6}), {DType::i32, {2, 3}}}, Default{}, 0, 6),  // no hidden dims
    op_case("gather_positions", {f32({8, 128, 96}), {DType::i32, {8, 40}}}, Default{}, 0, 128),
});

TEST_CASE("gather picks rows, embedding is the same op") {
  graph::Graph g;
  ops::Emitter em(g);
  auto table = ops::input(em, "table", f32({3, 2}));
  auto ids = ops::input(em, "ids", {DType::i64, {2, 2}});
  auto y = ops::embedding(table, ids);
  CHECK(y.producer().op == "gather");
  CHECK(y.shape() == Shape{2, 2, 2});
  runtime::Session sess(g);
  auto out = sess.run({{"table", Tensor::from<float>({3, 2}, {0, 1, 10, 11, 20, 21})},
                       {"ids", Tensor::from<int64_t>({2, 2}, {2, 0, 2, 1})}},
                      {y.id()});
  CHECK(identical(out[0], Tensor::from<float>({2, 2, 2}, {20, 21, 0, 1, 20, 21, 10, 11})));
}

TEST_CASE("gather_positions picks per-sequence positions") {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", f32({2, 3, 1}));
  auto pos = ops::input(em, "pos", {DType::i32, {2, 2}});
  auto y = ops::gather_positions(x, pos);
  runtime::Session sess(g);
  auto out = sess.run({{"x", Tensor::from<float>({2, 3, 1}, {0, 1, 2, 10, 11, 12})},
                       {"pos", Tensor::from<int32_t>({2, 2}, {2, 2, 0, 1})}},
                      {y.id()});
  CHECK(identical(out[0], Tensor::from<float>({2, 2, 1}, {2, 2, 10, 11})));
}

TEST_CASE("an index out of range is a ValueError naming the node, the index and V") {
  graph::Graph g;
  ops::Emitter em(g);
  auto table = ops::input(em, "table", f32({4, 2}));
  auto ids = ops::input(em, "ids", {DType::i32, {3}});
  auto x = ops::input(em, "x", f32({1, 4, 2}));
  auto pos = ops::input(em, "pos", {DType::i32, {1, 1}});
  auto s = em.scope("embed");
  auto y = ops::gather(table, ids);
  auto z = ops::gather_positions(x, pos);
  runtime::Session sess(g);
  Tensor t(f32({4, 2}));
  CHECK_THROWS_WITH_AS(sess.run({{"table", t}, {"ids", Tensor::from<int32_t>({3}, {0, 4, 1})}}, {y.id()}),
                       doctest::Contains("embed/gather (gather): expected indices in [0, 4), got 4 at position 1"),
                       ValueError);
  CHECK_THROWS_WITH_AS(sess.run({{"table", t}, {"ids", Tensor::from<int32_t>({3}, {-1, 0, 0})}}, {y.id()}),
                       doctest::Contains("expected indices in [0, 4), got -1 at position 0"), ValueError);
  CHECK_THROWS_WITH_AS(sess.run({{"x", Tensor(f32({1, 4, 2}))}, {"pos", Tensor::from<int32_t>({1, 1}, {4})}}, {z.id()}),
                       doctest::Contains("embed/gather_positions (gather_positions): expected indices in [0, 4), got 4"),
                       ValueError);
  // the session is still usable
  CHECK(sess.run({{"table", t}, {"ids", Tensor::from<int32_t>({3}, {3, 3, 3})}}, {y.id()})[0].numel() == 6);
}

TEST_CASE("gather and gather_positions reject bad shapes and dtypes") {
  graph::Graph g;
  ops::Emitter em(g);
  auto table = ops::input(em, "table", f32({4, 2}));
  auto fids = ops::input(em, "fids", f32({3}));
  auto scalar = ops::input(em, "s", f32({}));
  auto ids = ops::input(em, "ids", {DType::i32, {3}});
  CHECK_THROWS_WITH_AS(ops::gather(table, fids), doctest::Contains("expected i32 or i64 indices, got f32[3]"), ShapeError);
  CHECK_THROWS_WITH_AS(ops::gather(scalar, ids), doctest::Contains("expected a table [V, ...] of rank >= 1, got f32[]"),
                       ShapeError);
  auto x = ops::input(em, "x", f32({2, 5, 3}));
  auto pos = ops::input(em, "pos", {DType::i32, {3, 2}});
  CHECK_THROWS_WITH_AS(ops::gather_positions(x, pos), doctest::Contains("expected i32 or i64 positions [2, P], got i32[3, 2]"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(ops::gather_positions(ids, pos), doctest::Contains("expected x [B, T, ...] of rank >= 2, got i32[3]"),
                       ShapeError);
}

TEST_CASE("gather's gradient is a sparse_rows node summing duplicate rows") {
  graph::Graph g;
  ops::Emitter em(g);
  auto table = ops::input(em, "table", f32({4, 2}));
  auto ids = ops::input(em, "ids", {DType::i32, {2, 2}});
  auto loss = ops::reduce_sum(ops::gather(table, ids));
  auto dtable = autodiff::grad(loss, {table})[0];
  auto sparse = ops::as_sparse_rows(dtable);
  REQUIRE(sparse.has_value());
  CHECK(sparse->num_rows == 4);
  CHECK(sparse->indices.shape() == Shape{4});
  CHECK(sparse->rows.shape() == Shape{4, 2});
  runtime::Session sess(g);
  auto out = sess.run({{"table", Tensor(f32({4, 2}))}, {"ids", Tensor::from<int32_t>({2, 2}, {3, 1, 3, 3})}},
                      {dtable.id()});
  CHECK(identical(out[0], Tensor::from<float>({4, 2}, {0, 0, 1, 1, 0, 0, 3, 3})));
}

TEST_CASE("a sparse gradient consumed by sum_to (a broadcast table) is materialized and correct") {
  graph::Graph g;
  ops::Emitter em(g);
  auto row = ops::input(em, "row", f32({1, 2}));
  auto ids = ops::input(em, "ids", {DType::i32, {3}});
  auto loss = ops::reduce_sum(ops::gather(ops::expand(row, {4, 2}), ids));  // every lookup reads `row`
  auto drow = autodiff::grad(loss, {row})[0];
  CHECK_FALSE(ops::as_sparse_rows(drow).has_value());
  runtime::Session sess(g);
  auto out = sess.run({{"row", Tensor(f32({1, 2}))}, {"ids", Tensor::from<int32_t>({3}, {0, 3, 3})}}, {drow.id()});
  CHECK(identical(out[0], Tensor::from<float>({1, 2}, {3, 3})));
}

}  // namespace
}  // namespace flowgrad::testing
