// Sparse embedding gradients end to end: gather's gradient stays a sparse_rows
// node that the optimizer reads directly, so a training step never forms the
// dense V x D gradient.

#include <cmath>
#include <set>

#include "frontend/flowgrad.h"
#include "ops/gather.h"
#include "ops/reduce.h"
#include "ops/sparse_rows.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

constexpr int64_t kV = 50000, kD = 64;

// A word2vec-like step: loss = Σ gather(table, ids) · W. With `dense`, the
// table first goes through `· 1`, whose gradient rule consumes the sparse
// gradient and so materializes it: the reference for the sparse update.
struct Lookup {
  Builder b;
  Expr table, ids, loss;
  optim::TrainStep train;
  Lookup(const optim::Optimizer& opt, int64_t n, bool dense = false) {
    table = b.variable("table", {.shape = {kV, kD}, .init = "normal", .scale = 0.1, .seed = 5});
    ids = b.input("ids", {DType::i32, {n}});
    Expr t = dense ? table * 1.0f : table;
    Expr w = b.constant(random_tensor(f32({n, kD}), 3, -1, 1));
    loss = ops::reduce_sum(ops::embedding(t, ids) * w);
    train = optim::minimize(b, loss, opt);
  }
};

// n ids with many duplicates, and the extreme rows 0 and V - 1.
Tensor some_ids(int64_t n, int64_t distinct) {
  Tensor ids({DType::i32, {n}});
  for (int64_t i = 0; i < n; ++i) ids.data<int32_t>()[i] = static_cast<int32_t>((i * 7919) % distinct * (kV / distinct));
  ids.data<int32_t>()[1] = static_cast<int32_t>(kV - 1);
  return ids;
}

// The table after `steps` training steps (and, in `before`, its initial value).
Tensor train_table(Lookup& m, const Tensor& ids, int steps, int threads = 0, Tensor* before = nullptr) {
  runtime::Session sess(m.b.graph(), {.threads = threads});
  if (before) *before = sess.run({}, {m.table.id()})[0].clone();
  for (int i = 0; i < steps; ++i) sess.run({{"ids", ids}}, {m.train.step.id()});
  return sess.workspace().get("table").clone();
}

std::set<int64_t> touched(const Tensor& ids) {
  std::set<int64_t> rows;
  for (int64_t i = 0; i < ids.numel(); ++i) rows.insert(static_cast<int64_t>(ids.at(i)));
  return rows;
}

TEST_CASE("an SGD step on an embedding never materializes the dense gradient") {
  Lookup m(optim::Sgd{.lr = 0.5}, 256);
  REQUIRE(ops::as_sparse_rows(m.train.grads[0]).has_value());
  Tensor ids = some_ids(256, 100);
  runtime::Session sess(m.b.graph());
  sess.run({{"ids", ids}}, {m.train.step.id()});
  const runtime::Plan* plan = sess.last_plan();
  bool sparse_update = false;
  for (const runtime::Step& s : plan->steps()) {
    const std::string& op = plan->graph().node(s.node).op;
    CHECK_MESSAGE(op != "sparse_rows", "the plan computes the dense gradient in " << s.name);
    sparse_update = sparse_update || op == "sparse_sgd_update";
  }
  CHECK(sparse_update);
  CHECK(plan->buffer_bytes() < static_cast<size_t>(kV * kD * 4));
}

TEST_CASE("the sparse SGD update equals the dense one on touched rows and leaves the others") {
  Tensor ids = some_ids(256, 100), before;
  Lookup sparse(optim::Sgd{.lr = 0.5, .weight_decay = 0.01}, 256), dense(optim::Sgd{.lr = 0.5}, 256, true);
  REQUIRE_FALSE(ops::as_sparse_rows(dense.train.grads[0]).has_value());
  Tensor got = train_table(sparse, ids, 1, 0, &before);
  Tensor want = train_table(dense, ids, 1);
  auto rows = touched(ids);
  int64_t mismatches = 0, moved = 0;
  for (int64_t r = 0; r < kV; ++r) {
    for (int64_t j = 0; j < kD; ++j) {
      int64_t i = r * kD + j;
      if (!rows.contains(r)) {
        moved += got.at(i) != before.at(i);  // lazy weight decay: untouched rows do not decay
      } else {
        // dense has no weight decay: add it back for the comparison
        double expect = want.at(i) - 0.5 * 0.01 * before.at(i);
        mismatches += std::abs(got.at(i) - expect) > 1e-6 * (1 + std::abs(expect));
      }
    }
  }
  CHECK(mismatches == 0);
  CHECK(moved == 0);
  CHECK(got.at(kD * (kV - 1)) != before.at(kD * (kV - 1)));  // the last row was touched
}

TEST_CASE("sparse Adam: the first step equals dense Adam, later steps leave untouched rows") {
  Tensor ids = some_ids(256, 100), before;
  Lookup sparse(optim::Adam{.lr = 0.01}, 256), dense(optim::Adam{.lr = 0.01}, 256, true);
  Tensor got = train_table(sparse, ids, 1, 0, &before);
  Tensor want = train_table(dense, ids, 1);
  CHECK_CLOSE(got, want, 1e-6);  // at t = 1 dense Adam moves untouched rows by 0 / (0 + eps) too
  // two steps with different ids: rows touched only by the first stay put in the second
  Tensor other = some_ids(256, 100);
  for (int64_t i = 0; i < 256; ++i) other.data<int32_t>()[i] = (other.data<int32_t>()[i] + 1) % kV;
  runtime::Session sess(sparse.b.graph());
  sess.run({{"ids", ids}}, {sparse.train.step.id()});
  Tensor after_one = sess.workspace().get("table").clone();
  sess.run({{"ids", other}}, {sparse.train.step.id()});
  const Tensor& after_two = sess.workspace().get("table");
  int64_t r = -1;
  for (int64_t i : touched(ids)) {
    if (!touched(other).contains(i)) r = i;
  }
  REQUIRE(r >= 0);
  for (int64_t j = 0; j < kD; ++j) CHECK(after_two.at(r * kD + j) == after_one.at(r * kD + j));
  int64_t q = other.data<int32_t>()[0];
  CHECK(after_two.at(q * kD) != after_one.at(q * kD));
}

TEST_CASE("duplicate ids give bit-identical sparse updates with 1 and 2 threads") {
  Tensor ids = some_ids(4096, 300);  // ~14 duplicates per row; big enough for parallel blocks
  for (const optim::Optimizer& opt : {optim::Optimizer{optim::Sgd{.lr = 0.5}}, optim::Optimizer{optim::AdamW{.lr = 0.01}}}) {
    Lookup m(opt, 4096);
    runtime::Session one(m.b.graph(), {.threads = 1}), two(m.b.graph(), {.threads = 2});
    for (int i = 0; i < 2; ++i) {
      one.run({{"ids", ids}}, {m.train.step.id()});
      two.run({{"ids", ids}}, {m.train.step.id()});
    }
    CHECK(identical(one.workspace().get("table"), two.workspace().get("table")));
    int update_threads = 0;  // the update ran on the parallel path
    for (const runtime::Step& s : two.last_plan()->steps()) {
      if (two.last_plan()->graph().node(s.node).op.starts_with("sparse_")) update_threads = s.threads;
    }
    CHECK(update_threads == 2);
  }
}

TEST_CASE("a tied embedding looked up twice still gets one sparse update") {
  Builder b;
  Expr table = b.variable("table", {.shape = {kV, kD}, .init = "normal", .scale = 0.1});
  Expr x = b.input("x", {DType::i32, {8}}), y = b.input("y", {DType::i64, {8}});
  Expr loss = ops::reduce_sum(ops::gather(table, x) * ops::gather(table, y));
  auto train = optim::minimize(b, loss, optim::AdamW{.lr = 0.01});
  auto sparse = ops::as_sparse_rows(train.grads[0]);
  REQUIRE(sparse.has_value());
  CHECK(sparse->indices.shape() == Shape{16});
  runtime::Session sess(b.graph());
  Tensor xs = Tensor::from<int32_t>({8}, {1, 2, 3, 4, 5, 6, 7, 8});
  Tensor ys = Tensor::from<int64_t>({8}, {8, 7, 6, 5, 4, 3, 2, 1});
  sess.run({{"x", xs}, {"y", ys}}, {train.step.id()});
  for (const runtime::Step& s : sess.last_plan()->steps()) CHECK(sess.last_plan()->graph().node(s.node).op != "sparse_rows");
  CHECK(sess.last_plan()->buffer_bytes() < static_cast<size_t>(kV * kD * 4));
}

TEST_CASE("momentum SGD with a sparse gradient is a clear error") {
  Builder b;
  Expr table = b.variable("emb", {.shape = {10, 4}, .init = "normal", .scale = 0.1});
  Expr ids = b.input("ids", {DType::i32, {3}});
  Expr loss = ops::reduce_sum(ops::gather(table, ids));
  CHECK_THROWS_WITH_AS(optim::minimize(b, loss, optim::Sgd{.lr = 0.1, .momentum = 0.9}),
                       doctest::Contains("momentum is not supported with sparse gradients: 'emb'"), ValueError);
}

}  // namespace
}  // namespace flowgrad::testing
