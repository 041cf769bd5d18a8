#include <cmath>

#include "autodiff/grad.h"
#include "ops/binary.h"
#include "ops/layer_norm.h"
#include "ops/reduce.h"
#include "ops/sources.h"
#include "runtime/session.h"
#include "runtime/threads.h"
#include "runtime/threads.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

using ops::LayerNormAttrs;

FLOWGRAD_OP_CASES(layer_norm)({
    op_case("layer_norm", {f32({4, 8}), f32({8}), f32({8})}, LayerNormAttrs{}),
    op_case("layer_norm", {f32({2, 3, 16}), f32({16}), f32({16})}, LayerNormAttrs{.eps = 1e-12}),
    op_case("layer_norm", {f32({5}), f32({5}), f32({5})}, LayerNormAttrs{}),
    op_case("layer_norm", {f32({0, 8}), f32({8}), f32({8})}, LayerNormAttrs{}),
    op_case("layer_norm", {f32({256, 768}), f32({768}), f32({768})}, LayerNormAttrs{}),
});

// Variance inputs must be positive: draw everything from [0.1, 2).
FLOWGRAD_OP_CASES(layer_norm_backward)({
    op_case("layer_norm_backward", {f32({4, 8}), f32({4, 8}), f32({4}), f32({4}), f32({8})}, LayerNormAttrs{}, 0.1, 2),
    op_case("layer_norm_backward", {f32({2, 3, 16}), f32({2, 3, 16}), f32({2, 3}), f32({2, 3}), f32({16})},
            LayerNormAttrs{}, 0.1, 2),
    op_case("layer_norm_backward", {f32({256, 768}), f32({256, 768}), f32({256}), f32({256}), f32({768})},
            LayerNormAttrs{}, 0.1, 2),
});

// Runs under a process budget of `threads`: oneDNN primitives take their
// OpenMP team size when they are created, so the budget must be set before
// the plan is compiled for the comparison to mean anything.
std::vector<Tensor> run_with(const graph::Graph& g, const runtime::Feeds& feeds,
                             const std::vector<graph::ValueId>& fetches, int threads) {
  int saved = runtime::num_threads();
  runtime::set_num_threads(threads);
  std::vector<Tensor> out;
  {
    runtime::Session sess(g, {.threads = threads});
    for (const Tensor& t : sess.run(feeds, fetches)) out.push_back(t.clone());
  }
  runtime::set_num_threads(saved);
  return out;
}

TEST_CASE("layer_norm normalizes the last axis and saves mean and population variance") {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", f32({1, 4}));
  auto gamma = ops::input(em, "gamma", f32({4}));
  auto beta = ops::input(em, "beta", f32({4}));
  auto ln = ops::layer_norm_with_stats(x, gamma, beta);
  runtime::Session sess(g);
  auto out = sess.run({{"x", Tensor::from<float>({1, 4}, {1, 2, 3, 4})},
                       {"gamma", Tensor::from<float>({4}, {1, 1, 2, 1})},
                       {"beta", Tensor::from<float>({4}, {0, 0, 0, 10})}},
                      {ln.y.id(), ln.mean.id(), ln.variance.id()});
  double rstd = 1 / std::sqrt(1.25 + 1e-5);
  CHECK(out[0].at(0) == doctest::Approx(-1.5 * rstd).epsilon(1e-6));
  CHECK(out[0].at(2) == doctest::Approx(2 * 0.5 * rstd).epsilon(1e-6));
  CHECK(out[0].at(3) == doctest::Approx(1.5 * rstd + 10).epsilon(1e-6));
  CHECK(out[1].at(0) == doctest::Approx(2.5));
  CHECK(out[2].at(0) == doctest::Approx(1.25));
}

TEST_CASE("layer_norm forward and backward are bit-identical with 1 and 2 threads") {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", f32({256, 768}));
  auto gamma = ops::input(em, "gamma", f32({768}));
  auto beta = ops::input(em, "beta", f32({768}));
  auto y = ops::layer_norm(x, gamma, beta);
  auto r = ops::constant(em, random_tensor(f32({256, 768}), 9));
  auto grads = autodiff::grad(ops::reduce_sum(y * r), {x, gamma, beta});
  runtime::Feeds feeds{{"x", random_tensor(f32({256, 768}), 1, -3, 5)},
                       {"gamma", random_tensor(f32({768}), 2)},
                       {"beta", random_tensor(f32({768}), 3)}};
  std::vector<graph::ValueId> fetches{y.id(), grads[0].id(), grads[1].id(), grads[2].id()};
  auto one = run_with(g, feeds, fetches, 1);
  auto two = run_with(g, feeds, fetches, 2);
  for (size_t i = 0; i < one.size(); ++i) CHECK_MESSAGE(graph::identical(one[i], two[i]), "fetch " << i);

  runtime::Session sess(g, {.threads = 2});  // the kernels really got both threads
  sess.run(feeds, fetches);
  int checked = 0;
  for (const runtime::Step& s : sess.last_plan()->steps()) {
    std::string op = g.node(s.node).op;
    if (op == "layer_norm" || op == "layer_norm_backward") {
      CHECK(s.threads == 2);
      ++checked;
    }
  }
  CHECK(checked == 2);
}

TEST_CASE("layer_norm reports bad parameter shapes, dtypes and eps") {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", f32({2, 8}));
  auto p8 = ops::input(em, "p8", f32({8}));
  auto p7 = ops::input(em, "p7", f32({7}));
  auto xi = ops::input(em, "xi", {DType::i32, {2, 8}});
  CHECK_THROWS_WITH_AS(ops::layer_norm(x, p7, p8), doctest::Contains("expected gamma f32[8], got f32[7]"), ShapeError);
  CHECK_THROWS_WITH_AS(ops::layer_norm(x, p8, p7), doctest::Contains("expected beta f32[8], got f32[7]"), ShapeError);
  CHECK_THROWS_WITH_AS(ops::layer_norm(xi, p8, p8), doctest::Contains("expected x f32[..., H] or f64[..., H] with H >= 1, got i32[2, 8]"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(ops::layer_norm(x, p8, p8, {.eps = 0}), doctest::Contains("expected eps > 0, got 0"), ShapeError);
  auto m = ops::input(em, "m", f32({2}));
  auto m3 = ops::input(em, "m3", f32({3}));
  CHECK_THROWS_WITH_AS(ops::layer_norm_backward(x, x, m3, m, p8),
                       doctest::Contains("expected mean and variance f32[2], got f32[3] and f32[2]"), ShapeError);
  CHECK_THROWS_WITH_AS(ops::layer_norm_backward(p8, x, m, m, p8),
                       doctest::Contains("expected dy of x's type f32[2, 8], got f32[8]"), ShapeError);
}

}  // namespace
}  // namespace flowgrad::testing
