#include <cmath>
#include <map>

#include "autodiff/grad.h"
#include "ops/binary.h"
#include "ops/gather.h"
#include "ops/random.h"
#include "ops/reduce.h"
#include "ops/sources.h"
#include "ops/word2vec.h"
#include "runtime/session.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

using ops::NegativeSampleAttrs;

FLOWGRAD_OP_CASES(batched_dot)({
    op_case("batched_dot", {f32({4, 6}), f32({4, 3, 6})}),
    op_case("batched_dot", {f32({1, 13}), f32({1, 1, 13})}),
    op_case("batched_dot", {f32({3, 4}), f32({3, 2, 4})}),
    op_case("batched_dot", {f32({512, 128}), f32({512, 6, 128})}),
});

FLOWGRAD_OP_CASES(batched_dot_backward)({
    op_case("batched_dot_backward", {f32({4, 3}), f32({4, 6}), f32({4, 3, 6})}),
    op_case("batched_dot_backward", {f32({2, 1}), f32({2, 9}), f32({2, 1, 9})}),
    op_case("batched_dot_backward", {f32({3, 2}), f32({3, 4}), f32({3, 2, 4})}),
    op_case("batched_dot_backward", {f32({512, 6}), f32({512, 128}), f32({512, 6, 128})}),
});

FLOWGRAD_OP_CASES(gathered_dot)({
    op_case("gathered_dot", {f32({4, 6}), f32({5, 6}), {DType::i32, {4, 3}}}, Default{}, 0, 5),
    op_case("gathered_dot", {f32({3, 4}), f32({2, 4}), {DType::i64, {3, 2}}}, Default{}, 0, 2),  // duplicates
    op_case("gathered_dot", {f32({1, 9}), f32({3, 9}), {DType::i32, {1, 1}}}, Default{}, 0, 3),
    op_case("gathered_dot", {f32({512, 100}), f32({300, 100}), {DType::i32, {512, 6}}}, Default{}, 0, 300),
});

FLOWGRAD_OP_CASES(gathered_dot_backward)({
    op_case("gathered_dot_backward", {f32({4, 3}), f32({4, 6}), f32({5, 6}), {DType::i32, {4, 3}}}, Default{}, 0, 5),
    op_case("gathered_dot_backward", {f32({3, 2}), f32({3, 4}), f32({2, 4}), {DType::i64, {3, 2}}}, Default{}, 0, 2),
    op_case("gathered_dot_backward", {f32({1, 1}), f32({1, 9}), f32({3, 9}), {DType::i32, {1, 1}}}, Default{}, 0, 3),
    op_case("gathered_dot_backward", {f32({512, 6}), f32({512, 100}), f32({300, 100}), {DType::i32, {512, 6}}},
            Default{}, 0, 300),
});

TEST_CASE("gathered_dot and its gradients are bit-identical to batched_dot of a gather, at 1 and 2 threads") {
  graph::Graph g;
  ops::Emitter em(g);
  auto a = ops::input(em, "a", f32({300, 64}));
  auto table = ops::input(em, "table", f32({50, 64}));
  auto idx = ops::input(em, "idx", {DType::i32, {300, 6}});
  auto w = ops::input(em, "w", f32({300, 6}));
  auto fused = ops::gathered_dot(a, table, idx);
  auto plain = ops::batched_dot(a, ops::gather(table, idx));
  auto fused_grads = autodiff::grad(ops::reduce_sum(fused * w), {a, table});
  auto plain_grads = autodiff::grad(ops::reduce_sum(plain * w), {a, table});
  runtime::Feeds feeds{{"a", random_tensor(f32({300, 64}), 1)},
                       {"table", random_tensor(f32({50, 64}), 2)},
                       {"idx", random_tensor({DType::i32, {300, 6}}, 3, 0, 50)},
                       {"w", random_tensor(f32({300, 6}), 4)}};
  std::vector<graph::ValueId> fetch{fused.id(), plain.id(), fused_grads[0].id(), plain_grads[0].id(),
                                    fused_grads[1].id(), plain_grads[1].id()};
  runtime::Session one(g, {.threads = 1}), two(g, {.threads = 2});
  auto x = one.run(feeds, fetch), y = two.run(feeds, fetch);
  for (size_t i = 0; i < fetch.size(); i += 2) {
    CHECK(identical(x[i], x[i + 1]));
    CHECK(identical(x[i], y[i]));
  }
}

TEST_CASE("gathered_dot rejects an index outside the table at run time and bad types when built") {
  graph::Graph g;
  ops::Emitter em(g);
  auto a = ops::input(em, "a", f32({2, 3}));
  auto table = ops::input(em, "table", f32({4, 3}));
  auto idx = ops::input(em, "idx", {DType::i32, {2, 2}});
  auto y = ops::gathered_dot(a, table, idx);
  runtime::Session sess(g);
  CHECK_THROWS_WITH_AS(sess.run({{"a", Tensor(f32({2, 3}))}, {"table", Tensor(f32({4, 3}))},
                                 {"idx", Tensor::from<int32_t>({2, 2}, {0, 1, 4, 2})}},
                                {y.id()}),
                       doctest::Contains("expected indices in [0, 4), got 4 at position 2"), ValueError);
  auto wide = ops::input(em, "wide", f32({4, 5}));
  auto flat = ops::input(em, "flat", {DType::i32, {2}});
  CHECK_THROWS_WITH_AS(ops::gathered_dot(a, wide, idx), doctest::Contains("expected a table f32[V, 3], got f32[4, 5]"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(ops::gathered_dot(a, table, flat), doctest::Contains("expected indices i32 or i64 [2, K], got i32[2]"),
                       ShapeError);
}

FLOWGRAD_OP_CASES(negative_sample)({
    op_case("negative_sample", {{DType::i64, {1000}}}, NegativeSampleAttrs{.count = 5, .batch = 8, .seed = 1, .stream = 3},
            0, 50),
    op_case("negative_sample", {{DType::i64, {7}}}, NegativeSampleAttrs{.count = 1, .batch = 1}, 0, 7),
    op_case("negative_sample", {{DType::i64, {100000}}},
            NegativeSampleAttrs{.count = 20, .batch = 4096, .seed = 2, .stream = -4}, 0, 30000),
});

TEST_CASE("batched_dot's gradients are Σ_k dy · v and dy ⊗ a") {
  graph::Graph g;
  ops::Emitter em(g);
  auto a = ops::input(em, "a", f32({1, 2}));
  auto v = ops::input(em, "v", f32({1, 2, 2}));
  auto y = ops::batched_dot(a, v);
  Tensor r = Tensor::from<float>({1, 2}, {1, -2});  // dy
  auto grads = autodiff::grad(ops::reduce_sum(y * ops::constant(em, r)), {a, v});
  runtime::Session sess(g);
  auto out = sess.run({{"a", Tensor::from<float>({1, 2}, {3, 4})}, {"v", Tensor::from<float>({1, 2, 2}, {1, 2, 5, 7})}},
                      {y.id(), grads[0].id(), grads[1].id()});
  CHECK_CLOSE(out[0], Tensor::from<float>({1, 2}, {11, 43}), 0);
  CHECK_CLOSE(out[1], Tensor::from<float>({1, 2}, {1 - 10, 2 - 14}), 0);
  CHECK_CLOSE(out[2], Tensor::from<float>({1, 2, 2}, {3, 4, -6, -8}), 0);
}

// A hand-made unigram^0.75 table: counts 81, 16, 1 give weights 27, 8, 1.
Tensor small_table() {
  std::vector<int64_t> t;
  for (auto [word, slots] : std::vector<std::pair<int64_t, int>>{{10, 27}, {20, 8}, {30, 1}}) t.insert(t.end(), slots, word);
  return Tensor::from<int64_t>({static_cast<int64_t>(t.size())}, t);
}

struct Sampler {
  graph::Graph g;
  ops::Emitter em{g};
  ops::Expr y;
  explicit Sampler(NegativeSampleAttrs a) { y = ops::negative_sample(ops::input(em, "table", {DType::i64, {36}}), a); }
};

TEST_CASE("negative_sample draws words in proportion to their table share") {
  Sampler s({.count = 10, .batch = 50000, .seed = 5});
  runtime::Session sess(s.g);
  Tensor draws = sess.run({{"table", small_table()}}, {s.y.id()})[0];
  CHECK(draws.type() == TensorType{DType::i64, {50000, 10}});
  std::map<int64_t, int64_t> seen;
  for (int64_t w : draws.span<int64_t>()) ++seen[w];
  CHECK(seen.size() == 3);
  const double n = static_cast<double>(draws.numel());
  CHECK(seen[10] / n == doctest::Approx(27.0 / 36).epsilon(0.02));
  CHECK(seen[20] / n == doctest::Approx(8.0 / 36).epsilon(0.02));
  CHECK(seen[30] / n == doctest::Approx(1.0 / 36).epsilon(0.02));
}

TEST_CASE("negative_sample is identical with 1 and 2 threads and new at every step") {
  Sampler s({.count = 20, .batch = 10000, .seed = 9});
  runtime::Feeds feeds{{"table", small_table()}};
  runtime::Session one(s.g, {.threads = 1}), two(s.g, {.threads = 2});
  Tensor a = one.run(feeds, {s.y.id()})[0].clone();
  Tensor b = two.run(feeds, {s.y.id()})[0].clone();
  CHECK(graph::identical(a, b));
  for (const runtime::Step& st : two.last_plan()->steps()) {
    if (st.name == "negative_sample") CHECK(st.threads == 2);
  }
  Tensor next = two.run(feeds, {s.y.id()})[0].clone();  // step 1
  CHECK_FALSE(graph::identical(a, next));
  CHECK(graph::identical(next, one.run(feeds, {s.y.id()})[0]));
}

TEST_CASE("each negative_sample node has its own stream") {
  graph::Graph g;
  ops::Emitter em(g);
  auto table = ops::input(em, "table", {DType::i64, {36}});
  auto sc = em.scope("w2v");
  auto a = ops::negative_sample(table, {.count = 8, .batch = 64});
  auto b = ops::negative_sample(table, {.count = 8, .batch = 64});
  CHECK(b.producer().name == "w2v/negative_sample_1");
  CHECK(b.producer().attrs_as<NegativeSampleAttrs>().stream == static_cast<int64_t>(ops::hash_name("w2v/negative_sample_1")));
  runtime::Session sess(g);
  auto out = sess.run({{"table", small_table()}}, {a.id(), b.id()});
  CHECK_FALSE(graph::identical(out[0], out[1]));
}

TEST_CASE("word2vec ops report bad shapes, dtypes and counts") {
  graph::Graph g;
  ops::Emitter em(g);
  auto a = ops::input(em, "a", f32({4, 6}));
  auto v = ops::input(em, "v", f32({4, 3, 5}));
  auto v3 = ops::input(em, "v3", f32({3, 3, 6}));
  auto a3 = ops::input(em, "a3", f32({4, 6, 1}));
  CHECK_THROWS_WITH_AS(ops::batched_dot(a, v), doctest::Contains("expected v f32[4, K, 6], got f32[4, 3, 5]"), ShapeError);
  CHECK_THROWS_WITH_AS(ops::batched_dot(a, v3), doctest::Contains("expected v f32[4, K, 6], got f32[3, 3, 6]"), ShapeError);
  CHECK_THROWS_WITH_AS(ops::batched_dot(a3, v), doctest::Contains("expected a f32[B, D], got f32[4, 6, 1]"), ShapeError);
  auto ok = ops::input(em, "ok", f32({4, 3, 6}));
  CHECK_THROWS_WITH_AS(ops::batched_dot_backward(a, a, ok), doctest::Contains("expected dy f32[4, 3], got f32[4, 6]"),
                       ShapeError);
  auto ftable = ops::input(em, "ftable", f32({10}));
  auto table = ops::input(em, "table", {DType::i64, {10}});
  auto empty = ops::input(em, "empty", {DType::i64, {0}});
  CHECK_THROWS_WITH_AS(ops::negative_sample(ftable, {}), doctest::Contains("expected an i64 table of rank 1, got f32[10]"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(ops::negative_sample(empty, {}), doctest::Contains("expected a non-empty table, got i64[0]"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(ops::negative_sample(table, {.count = 0, .batch = 4}),
                       doctest::Contains("expected count >= 1 and batch >= 1, got count 0 and batch 4"), ShapeError);
}

}  // namespace
}  // namespace flowgrad::testing
