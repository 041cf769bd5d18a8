#include <cmath>

#include "autodiff/grad.h"
#include "ops/binary.h"
#include "ops/dropout.h"
#include "ops/random.h"
#include "ops/reduce.h"
#include "ops/sources.h"
#include "runtime/session.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

using ops::DropoutAttrs;

FLOWGRAD_OP_CASES(dropout)({
    op_case("dropout", {f32({7})}, DropoutAttrs{.p = 0.3, .seed = 1, .stream = 5}),
    op_case("dropout", {f32({3, 4, 5})}, DropoutAttrs{.p = 0.5, .seed = 2, .stream = -77}),
    op_case("dropout", {f32({300, 400})}, DropoutAttrs{.p = 0.1, .seed = 3, .stream = 9}),
    op_case("dropout", {f32({3, 4})}, DropoutAttrs{.p = 0.5, .training = false}),
    op_case("dropout", {f32({3, 4})}, DropoutAttrs{.p = 1.0}),
});

FLOWGRAD_OP_CASES(dropout_backward)({
    op_case("dropout_backward", {f32({3, 4, 5})}, DropoutAttrs{.p = 0.2, .seed = 4, .stream = 11}),
    op_case("dropout_backward", {f32({7})}, DropoutAttrs{.p = 0.3, .seed = 5, .stream = 2}),
    op_case("dropout_backward", {f32({4, 6})}, DropoutAttrs{.p = 0.5, .seed = 6, .stream = -3}),
    op_case("dropout_backward", {f32({300, 400})}, DropoutAttrs{.p = 0.1, .seed = 3, .stream = 9}),
});

constexpr int64_t kN = 400 * 256;  // big enough to be split across 2 threads

struct OnesDropout {
  graph::Graph g;
  ops::Emitter em{g};
  ops::Expr x, y;
  explicit OnesDropout(DropoutAttrs a) {
    x = ops::input(em, "x", f32({400, 256}));
    y = ops::dropout(x, a);
  }
  runtime::Feeds feeds() const {
    Tensor ones(f32({400, 256}));
    for (float& v : ones.span<float>()) v = 1;
    return {{"x", ones}};
  }
};

TEST_CASE("the kernel's integer keep test equals uniform01 >= p, the reference's") {
  const uint64_t key = ops::random_key(7, 11);
  for (double p : {0.0, 0.1, 1.0 / 3.0, 0.5, 0.9, 1.0}) {
    const uint64_t threshold = ops::bits53_threshold(p);
    int64_t differ = 0;
    for (uint64_t c = 0; c < 100000; ++c) differ += (ops::uniform01(key, c) >= p) != (ops::random_bits53(key, c) >= threshold);
    CHECK_MESSAGE(differ == 0, "p = " << p);
  }
  // At the boundary itself: the draw equal to p is kept, the one below is not.
  const uint64_t t = ops::bits53_threshold(0.25);
  CHECK(static_cast<double>(t) * 0x1.0p-53 == 0.25);
  CHECK(static_cast<double>(t - 1) * 0x1.0p-53 < 0.25);
}

TEST_CASE("dropout masks are identical with 1 and 2 threads, and new at every step") {
  OnesDropout net({.p = 0.3, .seed = 42});
  runtime::Session one(net.g, {.threads = 1}), two(net.g, {.threads = 2});
  Tensor a = one.run(net.feeds(), {net.y.id()})[0].clone();
  Tensor b = two.run(net.feeds(), {net.y.id()})[0].clone();
  CHECK(graph::identical(a, b));
  for (const runtime::Step& s : two.last_plan()->steps()) {
    if (s.name == "dropout") CHECK(s.threads == 2);
  }
  Tensor next = two.run(net.feeds(), {net.y.id()})[0].clone();  // step 1
  int64_t differ = 0;
  for (int64_t i = 0; i < kN; ++i) differ += a.at(i) != next.at(i);
  CHECK(differ > kN / 4);  // 2 p (1 - p) = 42% of the elements change
  Tensor later = one.run(net.feeds(), {net.y.id()})[0].clone();
  CHECK(graph::identical(next, later));  // step 1 with 1 thread too
  one.set_step(0);
  CHECK(graph::identical(one.run(net.feeds(), {net.y.id()})[0], a));
}

TEST_CASE("dropout drops a fraction p and scales the rest by 1 / (1 - p)") {
  for (double p : {0.1, 0.3, 0.5}) {
    OnesDropout net({.p = p, .seed = 7});
    runtime::Session sess(net.g);
    Tensor y = sess.run(net.feeds(), {net.y.id()})[0];
    int64_t dropped = 0, wrong_scale = 0;
    for (float v : y.span<float>()) {
      dropped += v == 0;
      wrong_scale += v != 0 && v != static_cast<float>(1 / (1 - p));
    }
    CHECK(wrong_scale == 0);
    CHECK(std::abs(static_cast<double>(dropped) / kN - p) < 0.01);
  }
}

TEST_CASE("dropout's backward regenerates the forward's mask at every step") {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", f32({64, 32}));
  auto y = ops::dropout(x, {.p = 0.4, .seed = 3});
  Tensor rs = random_tensor(f32({64, 32}), 5, 1, 2);  // nonzero
  auto r = ops::constant(em, rs);
  auto dx = autodiff::grad(ops::reduce_sum(y * r), {x})[0];
  runtime::Session sess(g);
  Tensor xs = random_tensor(f32({64, 32}), 6, 1, 2);  // nonzero
  for (int step = 0; step < 3; ++step) {
    auto out = sess.run({{"x", xs}}, {y.id(), dx.id()});
    int64_t kept = 0, mismatched = 0;
    for (int64_t i = 0; i < xs.numel(); ++i) {
      bool y_kept = out[0].at(i) != 0;
      kept += y_kept;
      // dx = r / (1 - p) where the forward kept x, else 0
      mismatched += y_kept ? out[1].at(i) != doctest::Approx(rs.at(i) / 0.6) : out[1].at(i) != 0;
    }
    CHECK(mismatched == 0);
    CHECK(kept > 0);
    CHECK(kept < xs.numel());
  }
}

TEST_CASE("each dropout node gets its own stream, the hash of its path") {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", f32({400, 256}));
  auto s = em.scope("layer");
  auto a = ops::dropout(x, {.p = 0.5});
  auto b = ops::dropout(x, {.p = 0.5});
  CHECK(a.producer().name == "layer/dropout");
  CHECK(b.producer().name == "layer/dropout_1");
  CHECK(a.producer().attrs_as<DropoutAttrs>().stream == static_cast<int64_t>(ops::hash_name("layer/dropout")));
  CHECK(b.producer().attrs_as<DropoutAttrs>().stream == static_cast<int64_t>(ops::hash_name("layer/dropout_1")));
  runtime::Session sess(g);
  Tensor ones(f32({400, 256}));
  for (float& v : ones.span<float>()) v = 1;
  auto out = sess.run({{"x", ones}}, {a.id(), b.id()});
  CHECK_FALSE(graph::identical(out[0], out[1]));
}

TEST_CASE("dropout in inference mode is the identity, and so is its gradient") {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", f32({5, 6}));
  auto y = ops::dropout(x, {.p = 0.5, .training = false});
  auto dx = autodiff::grad(ops::reduce_sum(y), {x})[0];
  runtime::Session sess(g);
  Tensor xs = random_tensor(f32({5, 6}), 1);
  auto out = sess.run({{"x", xs}}, {y.id(), dx.id()});
  CHECK(graph::identical(out[0], xs));
  for (int64_t i = 0; i < xs.numel(); ++i) CHECK(out[1].at(i) == 1.0);
}

TEST_CASE("dropout rejects p outside [0, 1] and non-f32 inputs") {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", f32({4}));
  auto xi = ops::input(em, "xi", {DType::i32, {4}});
  CHECK_THROWS_WITH_AS(ops::dropout(x, {.p = 1.5}), doctest::Contains("expected p in [0, 1], got 1.5"), ShapeError);
  CHECK_THROWS_WITH_AS(ops::dropout(x, {.p = -0.1}), doctest::Contains("expected p in [0, 1], got -0.1"), ShapeError);
  CHECK_THROWS_WITH_AS(ops::dropout(xi), doctest::Contains("expected input 0 of a float dtype (f32 or f64), got i32"), ShapeError);
}

}  // namespace
}  // namespace flowgrad::testing
