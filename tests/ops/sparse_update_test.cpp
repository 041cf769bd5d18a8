#include "ops/sparse_update.h"

#include <cmath>

#include "ops/scatter_kernel.h"
#include "ops/sources.h"
#include "runtime/session.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

const TensorType kScalar{DType::f32, {}};
const TensorType kI32x9{DType::i32, {9}};

// Integer inputs draw floor(uniform[lo, hi)): V >= hi keeps indices valid.
// Adam's v and step come from the same range, so it stays positive.
FLOWGRAD_OP_CASES(sparse_sgd_update)({
    op_case("sparse_sgd_update", {f32({6, 3}), kI32x9, f32({9, 3}), kScalar}, ops::SgdAttrs{}, 0, 6),
    op_case("sparse_sgd_update", {f32({4, 2, 2}), {DType::i64, {5}}, f32({5, 2, 2}), kScalar},
            ops::SgdAttrs{.weight_decay = 0.1}, 0, 4),
    op_case("sparse_sgd_update", {f32({300, 128}), {DType::i32, {3000}}, f32({3000, 128}), kScalar}, ops::SgdAttrs{}, 0, 300),
});

FLOWGRAD_OP_CASES(sparse_adam_update)({
    op_case("sparse_adam_update", {f32({3, 4}), kI32x9, f32({9, 4}), f32({3, 4}), f32({3, 4}), kScalar, kScalar},
            ops::AdamAttrs{}, 0.5, 3),
    op_case("sparse_adam_update", {f32({3, 5}), {DType::i64, {4}}, f32({4, 5}), f32({3, 5}), f32({3, 5}), kScalar, kScalar},
            ops::AdamAttrs{.weight_decay = 0.01, .decoupled = true}, 0.5, 3),
    op_case("sparse_adam_update", {f32({3, 4}), kI32x9, f32({9, 4}), f32({3, 4}), f32({3, 4}), kScalar, kScalar},
            ops::AdamAttrs{.weight_decay = 0.1}, 0.5, 3),
    op_case("sparse_adam_update",  // big: one group per block, in parallel
            {f32({3, 20000}), {DType::i32, {8}}, f32({8, 20000}), f32({3, 20000}), f32({3, 20000}), kScalar, kScalar},
            ops::AdamAttrs{}, 0.5, 3),
});

struct SparseStep {
  graph::Graph g;
  ops::Emitter em{g};
  ops::Expr p = ops::input(em, "p", f32({4, 2}));
  ops::Expr idx = ops::input(em, "idx", {DType::i32, {3}});
  ops::Expr rows = ops::input(em, "rows", f32({3, 2}));
  ops::Expr m = ops::input(em, "m", f32({4, 2}));
  ops::Expr v = ops::input(em, "v", f32({4, 2}));
  ops::Expr lr = ops::input(em, "lr", kScalar);
  ops::Expr t = ops::input(em, "t", kScalar);
  Tensor idx_value = Tensor::from<int32_t>({3}, {2, 0, 2});
  Tensor rows_value = Tensor::from<float>({3, 2}, {1, 2, 3, 4, 5, 6});
};

TEST_CASE("sparse_sgd_update sums duplicates, decays touched rows only and leaves the others") {
  SparseStep s;
  auto up = ops::sparse_sgd_update(s.p, s.idx, s.rows, s.lr, {.weight_decay = 0.5});
  runtime::Session sess(s.g);
  Tensor p = Tensor::from<float>({4, 2}, {1, 1, 1, 1, 1, 1, 1, 1});
  sess.run({{"p", p}, {"idx", s.idx_value}, {"rows", s.rows_value}, {"lr", Tensor::scalar(0.1f)}}, {up.id()});
  // row 0: g = (3, 4); row 2: g = (1 + 5, 2 + 6); rows 1, 3 untouched (no decay)
  std::vector<double> want{1 - 0.1 * 3.5, 1 - 0.1 * 4.5, 1, 1, 1 - 0.1 * 6.5, 1 - 0.1 * 8.5, 1, 1};
  for (int i = 0; i < 8; ++i) CHECK(p.at(i) == doctest::Approx(want[i]).epsilon(1e-6));
}

TEST_CASE("sparse_adam_update is lazy: untouched rows keep param, m and v") {
  SparseStep s;
  auto up = ops::sparse_adam_update(s.p, s.idx, s.rows, s.m, s.v, s.lr, s.t, {});
  runtime::Session sess(s.g);
  Tensor p = Tensor::from<float>({4, 2}, {1, 1, 1, 1, 1, 1, 1, 1});
  Tensor m = Tensor::from<float>({4, 2}, {0, 0, 0.5, 0.5, 0, 0, 0.5, 0.5});
  Tensor v = Tensor::from<float>({4, 2}, {0, 0, 0.5, 0.5, 0, 0, 0.5, 0.5});
  sess.run({{"p", p}, {"idx", s.idx_value}, {"rows", s.rows_value}, {"m", m}, {"v", v}, {"lr", Tensor::scalar(0.1f)},
            {"t", Tensor::scalar(1)}},
           {up[0].id(), up[1].id(), up[2].id()});
  for (int i : {2, 3, 6, 7}) {
    CHECK(p.at(i) == 1.0);  // dense Adam would move these rows by their momentum
    CHECK(m.at(i) == 0.5);
    CHECK(v.at(i) == 0.5);
  }
  // touched rows at t = 1 from zero moments: param -= lr · sign(g), m = 0.1 g, v = 0.001 g²
  for (int i : {0, 1, 4, 5}) CHECK(p.at(i) == doctest::Approx(0.9).epsilon(1e-5));
  CHECK(m.at(4) == doctest::Approx(0.6).epsilon(1e-6));
  CHECK(v.at(5) == doctest::Approx(0.001 * 64).epsilon(1e-5));
}

TEST_CASE("sparse_sgd_update gives bit-identical params with 1 and 2 threads, with and without weight decay") {
  for (double decay : {0.0, 0.01}) {  // in position order, and grouped
    graph::Graph g;
    ops::Emitter em(g);
    auto p = ops::input(em, "p", f32({500, 100}));
    auto idx = ops::input(em, "idx", {DType::i32, {6000}});
    auto rows = ops::input(em, "rows", f32({6000, 100}));
    auto lr = ops::input(em, "lr", kScalar);
    auto up = ops::sparse_sgd_update(p, idx, rows, lr, {.weight_decay = decay});
    Tensor idx_value = random_tensor({DType::i32, {6000}}, 1, 0, 500), rows_value = random_tensor(f32({6000, 100}), 2);
    std::vector<Tensor> params;
    for (int threads : {1, 2}) {
      runtime::Session sess(g, {.threads = threads});
      params.push_back(random_tensor(f32({500, 100}), 3));
      sess.run({{"p", params.back()}, {"idx", idx_value}, {"rows", rows_value}, {"lr", Tensor::scalar(0.1f)}}, {up.id()});
      CHECK(sess.last_plan()->steps()[0].threads == threads);  // the 2-thread run took the parallel path
    }
    CHECK(identical(params[0], params[1]));
    CHECK(!identical(params[0], random_tensor(f32({500, 100}), 3)));  // the update ran
  }
}

TEST_CASE("sparse updates reject momentum, bad indices and mismatched state") {
  SparseStep s;
  CHECK_THROWS_WITH_AS(ops::sparse_sgd_update(s.p, s.idx, s.rows, s.lr, {.momentum = 0.9}),
                       doctest::Contains("expected momentum 0: momentum is not supported with sparse gradients"), ShapeError);
  auto wide = ops::input(s.em, "wide", f32({3, 3}));
  CHECK_THROWS_WITH_AS(ops::sparse_sgd_update(s.p, s.idx, wide, s.lr), doctest::Contains("expected rows f32[3, 2], got f32[3, 3]"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(ops::sparse_adam_update(s.p, s.idx, s.rows, s.m, wide, s.lr, s.t, {}),
                       doctest::Contains("expected m and v of type f32[4, 2], got f32[3, 3]"), ShapeError);
  auto up = ops::sparse_sgd_update(s.p, s.idx, s.rows, s.lr);
  runtime::Session sess(s.g);
  Tensor p = Tensor::from<float>({4, 2}, {1, 1, 1, 1, 1, 1, 1, 1});
  CHECK_THROWS_WITH_AS(sess.run({{"p", p}, {"idx", Tensor::from<int32_t>({3}, {0, 1, 4})}, {"rows", s.rows_value},
                                 {"lr", Tensor::scalar(0.1f)}},
                                {up.id()}),
                       doctest::Contains("sparse_sgd_update (sparse_sgd_update): expected indices in [0, 4), got 4 at position 2"),
                       ValueError);
  for (int i = 0; i < 8; ++i) CHECK(p.at(i) == 1.0);  // nothing was written
  // 2^31 indices: refused before their scratch is allocated (group numbers are int32)
  CHECK_THROWS_WITH_AS(ops::RowGroups(int64_t{1} << 31, 4),
                       doctest::Contains("expected fewer than 2^31 indices, got 2147483648"), ShapeError);
}

}  // namespace
}  // namespace flowgrad::testing
