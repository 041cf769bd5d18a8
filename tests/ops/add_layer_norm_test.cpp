#include "ops/add_layer_norm.h"

#include "ops/binary.h"
#include "ops/sources.h"
#include "runtime/session.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

using ops::LayerNormAttrs;

FLOWGRAD_OP_CASES(add_layer_norm)({
    op_case("add_layer_norm", {f32({4, 8}), f32({4, 8}), f32({8}), f32({8})}, LayerNormAttrs{}),
    op_case("add_layer_norm", {f32({2, 3, 16}), f32({2, 3, 16}), f32({16}), f32({16})}, LayerNormAttrs{.eps = 1e-12}),
    op_case("add_layer_norm", {f32({5}), f32({5}), f32({5}), f32({5})}, LayerNormAttrs{}),
    op_case("add_layer_norm", {f32({0, 8}), f32({0, 8}), f32({8}), f32({8})}, LayerNormAttrs{}),
    op_case("add_layer_norm", {f32({256, 768}), f32({256, 768}), f32({768}), f32({768})}, LayerNormAttrs{}),
});

TEST_CASE("add_layer_norm equals layer_norm(a + b) and returns the sum, at 1 and 2 threads alike") {
  graph::Graph g;
  ops::Emitter em(g);
  auto a = ops::input(em, "a", f32({64, 256}));
  auto b = ops::input(em, "b", f32({64, 256}));
  auto gamma = ops::input(em, "gamma", f32({256}));
  auto beta = ops::input(em, "beta", f32({256}));
  auto fused = ops::add_layer_norm(a, b, gamma, beta, {.eps = 1e-12});
  auto plain = ops::layer_norm_with_stats(a + b, gamma, beta, {.eps = 1e-12});
  runtime::Feeds feeds{{"a", random_tensor(f32({64, 256}), 1, -3, 5)}, {"b", random_tensor(f32({64, 256}), 2)},
                       {"gamma", random_tensor(f32({256}), 3)}, {"beta", random_tensor(f32({256}), 4)}};
  std::vector<graph::ValueId> fetches{fused.y.id(), fused.mean.id(), fused.variance.id(), fused.sum.id(),
                                      plain.y.id(), plain.mean.id(), plain.variance.id()};
  runtime::Session one(g, {.threads = 1}), two(g, {.threads = 2});
  auto r1 = one.run(feeds, fetches);
  auto r2 = two.run(feeds, fetches);
  for (size_t i = 0; i < 3; ++i) CHECK_CLOSE(r1[i], r1[4 + i], 1e-5);
  const float *fa = feeds[0].second.data<float>(), *fb = feeds[1].second.data<float>(), *sum = r1[3].data<float>();
  for (int64_t i = 0; i < 64 * 256; ++i) REQUIRE(sum[i] == fa[i] + fb[i]);
  for (size_t i = 0; i < 4; ++i) CHECK(graph::identical(r1[i], r2[i]));
}

TEST_CASE("add_layer_norm reports operands of different types") {
  graph::Graph g;
  ops::Emitter em(g);
  auto a = ops::input(em, "a", f32({2, 4}));
  auto row = ops::input(em, "row", f32({4}));
  auto p = ops::input(em, "p", f32({4}));
  auto q = ops::input(em, "q", f32({3}));
  CHECK_THROWS_WITH_AS(ops::add_layer_norm(a, row, p, p), doctest::Contains("expected b of a's type f32[2, 4], got f32[4]"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(ops::add_layer_norm(a, a, q, p), doctest::Contains("expected gamma f32[4], got f32[3]"), ShapeError);
}

}  // namespace
}  // namespace flowgrad::testing
