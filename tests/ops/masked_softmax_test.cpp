#include <cmath>
#include <limits>

#include "autodiff/grad.h"
#include "ops/binary.h"
#include "ops/masked_softmax.h"
#include "ops/reduce.h"
#include "ops/softmax.h"
#include "ops/sources.h"
#include "runtime/session.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

using ops::MaskedSoftmaxAttrs;

FLOWGRAD_OP_CASES(masked_softmax)({
    op_case("masked_softmax", {f32({2, 3, 4, 4}), f32({2, 1, 1, 4})}, MaskedSoftmaxAttrs{.scale = 0.5}),
    op_case("masked_softmax", {f32({3, 5}), f32({3, 5})}, MaskedSoftmaxAttrs{}),
    op_case("masked_softmax", {f32({4, 6}), f32({6})}, MaskedSoftmaxAttrs{.scale = 2}),
    op_case("masked_softmax", {f32({2, 2, 3}), f32({2, 1, 3})}, MaskedSoftmaxAttrs{}),
    op_case("masked_softmax", {f32({8, 4, 64, 64}), f32({8, 1, 1, 64})}, MaskedSoftmaxAttrs{.scale = 0.125}),
});

TEST_CASE("masked_softmax equals softmax(x * scale + mask) and zeroes -inf positions") {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", f32({2, 3, 5, 5}));
  auto mask = ops::input(em, "mask", f32({2, 1, 1, 5}));
  auto y = ops::masked_softmax(x, mask, {.scale = 0.25});
  auto want = ops::softmax(x * 0.25f + mask);
  runtime::Session sess(g);
  const float inf = std::numeric_limits<float>::infinity();
  Tensor xs = random_tensor(f32({2, 3, 5, 5}), 1, -4, 4);
  Tensor ms = Tensor::from<float>({2, 1, 1, 5}, {0, 0, 0, -10000, -10000, 0, -inf, 0, 0, -inf});
  auto out = sess.run({{"x", xs}, {"mask", ms}}, {y.id(), want.id()});
  CHECK_CLOSE(out[0], out[1], 1e-6);
  for (int64_t row = 0; row < 15; ++row) {  // batch 1: keys 1 and 4 are -inf
    CHECK(out[0].at(75 + row * 5 + 1) == 0.0);
    CHECK(out[0].at(75 + row * 5 + 4) == 0.0);
  }
}

TEST_CASE("masked_softmax of a row masked entirely with -inf is NaN, as in PyTorch") {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", f32({2, 3}));
  auto mask = ops::input(em, "mask", f32({2, 3}));
  auto y = ops::masked_softmax(x, mask);
  runtime::Session sess(g);
  const float inf = std::numeric_limits<float>::infinity();
  auto out = sess.run({{"x", Tensor::from<float>({2, 3}, {1, 2, 3, 1, 2, 3})},
                       {"mask", Tensor::from<float>({2, 3}, {-inf, -inf, -inf, 0, 0, 0})}},
                      {y.id()})[0];
  CHECK(std::isnan(out.at(0)));
  CHECK(out.at(5) == doctest::Approx(std::exp(1.0) / (std::exp(-1.0) + 1 + std::exp(1.0))));
}

TEST_CASE("masked_softmax and its gradient are bit-identical with 1 and 2 threads") {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", f32({16, 12, 32, 32}));
  auto mask = ops::input(em, "mask", f32({16, 1, 1, 32}));
  auto y = ops::masked_softmax(x, mask, {.scale = 0.125});
  auto r = ops::constant(em, random_tensor(f32({16, 12, 32, 32}), 3));
  auto dx = autodiff::grad(ops::reduce_sum(y * r), {x})[0];
  runtime::Feeds feeds{{"x", random_tensor(f32({16, 12, 32, 32}), 1, -8, 8)},
                       {"mask", random_tensor(f32({16, 1, 1, 32}), 2, -10, 0)}};
  runtime::Session one(g, {.threads = 1}), two(g, {.threads = 2});
  auto a = one.run(feeds, {y.id(), dx.id()});
  auto b = two.run(feeds, {y.id(), dx.id()});
  CHECK(graph::identical(a[0], b[0]));
  CHECK(graph::identical(a[1], b[1]));
  for (const runtime::Step& s : two.last_plan()->steps()) {
    if (g.node(s.node).op == "masked_softmax") CHECK(s.threads == 2);
  }
}

TEST_CASE("masked_softmax reports a mask that does not broadcast to x") {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", f32({2, 3, 4, 4}));
  auto bad = ops::input(em, "bad", f32({2, 1, 1, 5}));
  auto wider = ops::input(em, "wider", f32({3, 2, 3, 4, 4}));
  auto mi = ops::input(em, "mi", {DType::i32, {2, 1, 1, 4}});
  CHECK_THROWS_WITH_AS(ops::masked_softmax(x, bad),
                       doctest::Contains("expected a mask broadcastable to [2, 3, 4, 4], got f32[2, 1, 1, 5]"), ShapeError);
  CHECK_THROWS_WITH_AS(ops::masked_softmax(x, wider),
                       doctest::Contains("expected a mask broadcastable to [2, 3, 4, 4], got f32[3, 2, 3, 4, 4]"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(ops::masked_softmax(x, mi), doctest::Contains("expected inputs 0 and 1 of the same float dtype, got f32 and i32"),
                       ShapeError);
}

}  // namespace
}  // namespace flowgrad::testing
