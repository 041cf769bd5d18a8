#include "ops/sparse_rows.h"

#include "autodiff/grad.h"
#include "ops/binary.h"
#include "ops/gather.h"
#include "ops/matmul.h"
#include "ops/reduce.h"
#include "ops/scatter_add.h"
#include "ops/sources.h"
#include "ops/transpose.h"
#include "runtime/session.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

using ops::SparseRowsAttrs;

FLOWGRAD_OP_CASES(sparse_rows)({
    op_case("sparse_rows", {{DType::i32, {8}}, f32({8, 3})}, SparseRowsAttrs{.num_rows = 5}, 0, 5),  // duplicates
    op_case("sparse_rows", {{DType::i64, {4}}, f32({4, 2, 2})}, SparseRowsAttrs{.num_rows = 6}, 0, 6),
    op_case("sparse_rows", {{DType::i32, {6}}, f32({6})}, SparseRowsAttrs{.num_rows = 3}, 0, 3),  // rows of scalars
    op_case("sparse_rows", {{DType::i32, {0}}, f32({0, 4})}, SparseRowsAttrs{.num_rows = 2}, 0, 2),
    op_case("sparse_rows", {{DType::i32, {5000}}, f32({5000, 32})}, SparseRowsAttrs{.num_rows = 700}, 0, 700),
});

TEST_CASE("sparse_rows sums duplicates into zeros, scatter_add into a base") {
  graph::Graph g;
  ops::Emitter em(g);
  auto idx = ops::input(em, "idx", {DType::i64, {3}});
  auto rows = ops::input(em, "rows", f32({3, 2}));
  auto base = ops::input(em, "base", f32({3, 2}));
  auto dense = ops::sparse_rows(idx, rows, 3);
  auto added = ops::scatter_add(base, idx, rows);
  runtime::Session sess(g);
  auto out = sess.run({{"idx", Tensor::from<int64_t>({3}, {2, 0, 2})},
                       {"rows", Tensor::from<float>({3, 2}, {1, 2, 3, 4, 5, 6})},
                       {"base", Tensor::from<float>({3, 2}, {1, 1, 1, 1, 1, 1})}},
                      {dense.id(), added.id()});
  CHECK(identical(out[0], Tensor::from<float>({3, 2}, {3, 4, 0, 0, 6, 8})));
  CHECK(identical(out[1], Tensor::from<float>({3, 2}, {4, 5, 1, 1, 7, 9})));
}

TEST_CASE("sparse_rows and scatter_add reject bad indices at run time and bad types when built") {
  graph::Graph g;
  ops::Emitter em(g);
  auto idx = ops::input(em, "idx", {DType::i32, {2}});
  auto rows = ops::input(em, "rows", f32({2, 2}));
  auto base = ops::input(em, "base", f32({3, 2}));
  auto s = ops::sparse_rows(idx, rows, 3);
  auto a = ops::scatter_add(base, idx, rows);
  runtime::Session sess(g);
  Tensor r(f32({2, 2}));
  CHECK_THROWS_WITH_AS(sess.run({{"idx", Tensor::from<int32_t>({2}, {0, 3})}, {"rows", r}}, {s.id()}),
                       doctest::Contains("sparse_rows (sparse_rows): expected indices in [0, 3), got 3 at position 1"),
                       ValueError);
  CHECK_THROWS_WITH_AS(
      sess.run({{"idx", Tensor::from<int32_t>({2}, {-2, 0})}, {"rows", r}, {"base", Tensor(f32({3, 2}))}}, {a.id()}),
      doctest::Contains("scatter_add (scatter_add): expected indices in [0, 3), got -2 at position 0"), ValueError);
  auto fidx = ops::input(em, "fidx", f32({2}));
  auto idx2 = ops::input(em, "idx2", {DType::i32, {2, 1}});
  auto rows3 = ops::input(em, "rows3", f32({3, 2}));
  CHECK_THROWS_WITH_AS(ops::sparse_rows(fidx, rows, 3), doctest::Contains("expected i32 or i64 indices [N], got f32[2]"), ShapeError);
  CHECK_THROWS_WITH_AS(ops::sparse_rows(idx2, rows, 3), doctest::Contains("expected i32 or i64 indices [N], got i32[2, 1]"), ShapeError);
  CHECK_THROWS_WITH_AS(ops::sparse_rows(idx, rows3, 3), doctest::Contains("expected f32 or f64 rows [2, ...], got f32[3, 2]"), ShapeError);
  CHECK_THROWS_WITH_AS(ops::sparse_rows(idx, rows, -1), doctest::Contains("expected num_rows >= 0, got -1"), ShapeError);
  auto rows_wide = ops::input(em, "rows_wide", f32({2, 5}));
  CHECK_THROWS_WITH_AS(ops::scatter_add(base, idx, rows_wide), doctest::Contains("expected rows f32[2, 2], got f32[2, 5]"),
                       ShapeError);
}

TEST_CASE("sparse_rows groups afresh on every run, also after a run rejected for a bad index") {
  graph::Graph g;
  ops::Emitter em(g);
  auto idx = ops::input(em, "idx", {DType::i32, {4}});
  auto rows = ops::input(em, "rows", f32({4, 1}));
  auto s = ops::sparse_rows(idx, rows, 4);
  runtime::Session sess(g);
  Tensor r = Tensor::from<float>({4, 1}, {1, 2, 4, 8});
  auto run = [&](std::vector<int32_t> i) { return sess.run({{"idx", Tensor::from<int32_t>({4}, i)}, {"rows", r}}, {s.id()})[0]; };
  CHECK(identical(run({3, 1, 3, 0}), Tensor::from<float>({4, 1}, {8, 2, 0, 5})));
  CHECK_THROWS_AS(run({2, 2, 9, 1}), ValueError);
  CHECK(identical(run({2, 2, 1, 2}), Tensor::from<float>({4, 1}, {0, 4, 11, 0})));
  CHECK(identical(run({0, 1, 2, 3}), Tensor::from<float>({4, 1}, {1, 2, 4, 8})));
}

TEST_CASE("sparse_rows and scatter_add sum duplicates bit-identically with 1 and 2 threads") {
  graph::Graph g;
  ops::Emitter em(g);
  auto idx = ops::input(em, "idx", {DType::i32, {20000}});
  auto rows = ops::input(em, "rows", f32({20000, 32}));
  auto base = ops::input(em, "base", f32({500, 32}));
  auto s = ops::sparse_rows(idx, rows, 500);
  auto a = ops::scatter_add(base, idx, rows);
  runtime::Feeds feeds{{"idx", random_tensor({DType::i32, {20000}}, 1, 0, 500)},  // ~40 per row
                       {"rows", random_tensor(f32({20000, 32}), 2)},
                       {"base", random_tensor(f32({500, 32}), 3)}};
  runtime::Session one(g, {.threads = 1}), two(g, {.threads = 2});
  for (ops::Expr e : {s, a}) {  // one at a time, so each gets both threads
    Tensor x = one.run(feeds, {e.id()})[0], y = two.run(feeds, {e.id()})[0];
    CHECK(identical(x, y));
    CHECK(two.last_plan()->steps()[0].threads == 2);  // the parallel path ran
  }
}

TEST_CASE("as_sparse_rows recognizes sparse_rows values only") {
  graph::Graph g;
  ops::Emitter em(g);
  auto idx = ops::input(em, "idx", {DType::i32, {2}});
  auto rows = ops::input(em, "rows", f32({2, 3}));
  auto s = ops::sparse_rows(idx, rows, 7);
  auto sr = ops::as_sparse_rows(s);
  REQUIRE(sr.has_value());
  CHECK(sr->indices.id() == idx.id());
  CHECK(sr->rows.id() == rows.id());
  CHECK(sr->num_rows == 7);
  CHECK_FALSE(ops::as_sparse_rows(rows).has_value());
  CHECK_FALSE(ops::as_sparse_rows(ops::add(s, s)).has_value());
}

// A table looked up twice (a tied embedding) and, optionally, used densely too.
struct Tied {
  graph::Graph g;
  ops::Emitter em{g};
  ops::Expr table = ops::input(em, "table", f32({5, 2}));
  ops::Expr a = ops::input(em, "a", {DType::i32, {3}});
  ops::Expr b = ops::input(em, "b", {DType::i64, {2}});
  ops::Expr loss;
  Tensor run(ops::Expr dtable) {
    runtime::Session sess(g);
    Tensor t = Tensor::from<float>({5, 2}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
    return sess.run({{"table", t}, {"a", Tensor::from<int32_t>({3}, {4, 1, 4})}, {"b", Tensor::from<int64_t>({2}, {1, 0})}},
                    {dtable.id()})[0].clone();
  }
};

TEST_CASE("autodiff sums two sparse gradients of one value into one sparse_rows") {
  Tied t;
  t.loss = ops::reduce_sum(ops::gather(t.table, t.a)) + ops::reduce_sum(ops::gather(t.table, t.b) * 2.0f);
  auto dtable = autodiff::grad(t.loss, {t.table})[0];
  auto sparse = ops::as_sparse_rows(dtable);
  REQUIRE(sparse.has_value());
  CHECK(sparse->indices.producer().op == "concat");
  CHECK(sparse->indices.dtype() == DType::i64);  // i32 and i64 parts: widened
  CHECK(sparse->rows.shape() == Shape{5, 2});
  // rows 4 (twice), 1 from a; 1 and 0 (times 2) from b
  CHECK(identical(t.run(dtable), Tensor::from<float>({5, 2}, {2, 2, 3, 3, 0, 0, 0, 0, 2, 2})));
}

TEST_CASE("a sparse and a dense gradient of one value are added densely") {
  Tied t;
  auto ones = ops::constant(t.em, Tensor::from<float>({1, 2}, {1, 1}));
  t.loss = ops::reduce_sum(ops::gather(t.table, t.a)) + ops::reduce_sum(ops::matmul(ones, ops::transpose(t.table, {1, 0})));
  auto dtable = autodiff::grad(t.loss, {t.table})[0];
  CHECK_FALSE(ops::as_sparse_rows(dtable).has_value());
  CHECK(dtable.producer().op == "add");
  CHECK(identical(t.run(dtable), Tensor::from<float>({5, 2}, {1, 1, 2, 2, 1, 1, 1, 1, 3, 3})));
}

}  // namespace
}  // namespace flowgrad::testing
