#include <cmath>
#include <limits>

#include "autodiff/grad.h"
#include "ops/binary.h"
#include "ops/math.h"
#include "ops/sources.h"
#include "runtime/session.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

using ops::ArgmaxAttrs;
using ops::ClampAttrs;
using ops::PowAttrs;

std::vector<OpCase> cases(const std::string& op, double lo, double hi) {
  return {op_case(op, {f32({7})}, Default{}, lo, hi), op_case(op, {f32({3, 4, 5})}, Default{}, lo, hi),
          op_case(op, {f32({4, 6})}, Default{}, lo, hi), op_case(op, {f32({256, 300})}, Default{}, lo, hi)};
}

FLOWGRAD_OP_CASES(sqrt)(cases("sqrt", 0.1, 4));
FLOWGRAD_OP_CASES(rsqrt)(cases("rsqrt", 0.1, 4));
FLOWGRAD_OP_CASES(abs)(cases("abs", -2, 2));
FLOWGRAD_OP_CASES(log_sigmoid)(cases("log_sigmoid", -8, 8));
FLOWGRAD_OP_CASES(pow)({
    op_case("pow", {f32({3, 4, 5})}, PowAttrs{.exponent = 2}),
    op_case("pow", {f32({3, 4, 5})}, PowAttrs{.exponent = 3}),
    op_case("pow", {f32({3, 4, 5})}, PowAttrs{.exponent = 0.5}, 0.1, 4),
    op_case("pow", {f32({3, 4, 5})}, PowAttrs{.exponent = -1.5}, 0.2, 3),
    op_case("pow", {f32({7})}, PowAttrs{.exponent = 0}),
    op_case("pow", {f32({2, 6})}, PowAttrs{.exponent = 3}),
    op_case("pow", {f32({256, 300})}, PowAttrs{.exponent = 2}),
});
FLOWGRAD_OP_CASES(clamp)({
    op_case("clamp", {f32({3, 4, 5})}, ClampAttrs{.min = -0.5, .max = 1}),
    op_case("clamp", {f32({3, 4})}, ClampAttrs{.min = 0}),
    op_case("clamp", {f32({3, 4})}, ClampAttrs{.max = 0.25}),
    op_case("clamp", {f32({7})}, ClampAttrs{.min = -1, .max = 1}),
    op_case("clamp", {f32({256, 300})}, ClampAttrs{.min = -1, .max = 1}),
});
FLOWGRAD_OP_CASES(argmax)({
    op_case("argmax", {f32({3, 5})}, ArgmaxAttrs{}),
    op_case("argmax", {f32({4, 3, 5})}, ArgmaxAttrs{.axis = 1, .keepdims = true}),
    op_case("argmax", {f32({300, 2, 400})}, ArgmaxAttrs{.axis = 0}),
});

// Runs y = f(x) on `values` and returns y.
template <class F>
Tensor apply(F f, const Tensor& values) {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", values.type());
  auto y = f(x);
  runtime::Session sess(g);
  return sess.run({{"x", values}}, {y.id()})[0].clone();
}

// Runs dx of Σ f(x) at `values`.
template <class F>
Tensor gradient(F f, const Tensor& values) {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", values.type());
  auto dx = autodiff::grad(ops::reduce_sum(f(x)), {x})[0];
  runtime::Session sess(g);
  return sess.run({{"x", values}}, {dx.id()})[0].clone();
}

TEST_CASE("math ops give the textbook values, pow handles negative bases with integer exponents") {
  Tensor x = Tensor::from<float>({4}, {4, 0.25f, 9, 1});
  CHECK_CLOSE(apply([](ops::Expr e) { return ops::sqrt(e); }, x), Tensor::from<float>({4}, {2, 0.5f, 3, 1}), 1e-6);
  CHECK_CLOSE(apply([](ops::Expr e) { return ops::rsqrt(e); }, x), Tensor::from<float>({4}, {0.5f, 2, 1 / 3.f, 1}), 1e-6);
  Tensor neg = Tensor::from<float>({4}, {-2, -1.5f, 0, 3});
  CHECK_CLOSE(apply([](ops::Expr e) { return ops::pow(e, 3); }, neg), Tensor::from<float>({4}, {-8, -3.375f, 0, 27}), 1e-6);
  CHECK_CLOSE(apply([](ops::Expr e) { return ops::pow(e, 2); }, neg), Tensor::from<float>({4}, {4, 2.25f, 0, 9}), 1e-6);
  CHECK_CLOSE(apply([](ops::Expr e) { return ops::abs(e); }, neg), Tensor::from<float>({4}, {2, 1.5f, 0, 3}), 0);
  CHECK_CLOSE(apply([](ops::Expr e) { return ops::clamp(e, {.min = -1, .max = 2}); }, neg),
              Tensor::from<float>({4}, {-1, -1, 0, 2}), 0);
}

TEST_CASE("log_sigmoid is stable for large |x|") {
  Tensor x = Tensor::from<float>({5}, {-100, -30, 0, 30, 100});
  Tensor y = apply([](ops::Expr e) { return ops::log_sigmoid(e); }, x);
  CHECK(y.at(0) == doctest::Approx(-100));
  CHECK(y.at(1) == doctest::Approx(-30));
  CHECK(y.at(2) == doctest::Approx(-std::log(2.0)));
  CHECK(y.at(3) == doctest::Approx(-std::exp(-30.0)).epsilon(1e-3));
  CHECK(y.at(4) <= 0);
  CHECK(y.at(4) > -1e-30);
  Tensor dx = gradient([](ops::Expr e) { return ops::log_sigmoid(e); }, x);
  CHECK(dx.at(0) == doctest::Approx(1));
  CHECK(dx.at(2) == doctest::Approx(0.5));
  CHECK(dx.at(4) == doctest::Approx(0));
}

TEST_CASE("abs and clamp gradients at the kinks: 0 at x = 0 for abs, 0 at the bounds for clamp") {
  Tensor x = Tensor::from<float>({6}, {-2, -1, 0, 0.5f, 2, 3});
  Tensor dabs = gradient([](ops::Expr e) { return ops::abs(e); }, x);
  CHECK_CLOSE(dabs, Tensor::from<float>({6}, {-1, -1, 0, 1, 1, 1}), 0);
  Tensor dclamp = gradient([](ops::Expr e) { return ops::clamp(e, {.min = -1, .max = 2}); }, x);
  CHECK_CLOSE(dclamp, Tensor::from<float>({6}, {0, 0, 1, 1, 0, 0}), 0);
}

TEST_CASE("argmax takes the first maximum, NaN wins, keepdims keeps the axis") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  Tensor x = Tensor::from<float>({3, 4}, {1, 5, 5, 2, nan, 1, 9, 9, -3, -1, -2, -1});
  Tensor last = apply([](ops::Expr e) { return ops::argmax(e); }, x);
  CHECK(last.type() == TensorType{DType::i64, {3}});
  CHECK(graph::identical(last, Tensor::from<int64_t>({3}, {1, 0, 1})));
  Tensor first = apply([](ops::Expr e) { return ops::argmax(e, {.axis = 0, .keepdims = true}); }, x);
  CHECK(graph::identical(first, Tensor::from<int64_t>({1, 4}, {1, 0, 1, 1})));
}

TEST_CASE("mean_var gives the mean and the population variance over the axes") {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", f32({2, 4}));
  auto rows = ops::mean_var(x, {.axes = {1}});
  auto all = ops::mean_var(x, {.keepdims = true});
  CHECK(rows.mean.shape() == Shape{2});
  CHECK(rows.var.shape() == Shape{2});
  CHECK(all.mean.shape() == Shape{1, 1});
  auto dx = autodiff::grad(ops::reduce_sum(rows.var), {x})[0];
  runtime::Session sess(g);
  Tensor xs = Tensor::from<float>({2, 4}, {1, 2, 3, 4, 10, 10, 10, 14});
  auto out = sess.run({{"x", xs}}, {rows.mean.id(), rows.var.id(), all.var.id(), dx.id()});
  CHECK_CLOSE(out[0], Tensor::from<float>({2}, {2.5f, 11}), 1e-6);
  CHECK_CLOSE(out[1], Tensor::from<float>({2}, {1.25f, 3}), 1e-6);
  CHECK(out[2].at(0) == doctest::Approx(20.1875));  // mean 6.75 over all 8
  // d var / dx = 2 (x - mean) / N
  CHECK_CLOSE(out[3], Tensor::from<float>({2, 4}, {-0.75f, -0.25f, 0.25f, 0.75f, -0.5f, -0.5f, -0.5f, 1.5f}), 1e-6);
}

TEST_CASE("math ops report bad dtypes, bounds and axes") {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", f32({2, 3}));
  auto xi = ops::input(em, "xi", {DType::i32, {2, 3}});
  CHECK_THROWS_WITH_AS(ops::sqrt(xi), doctest::Contains("expected input 0 of a float dtype (f32 or f64), got i32"), ShapeError);
  CHECK_THROWS_WITH_AS(ops::pow(xi, 2), doctest::Contains("expected input 0 of a float dtype (f32 or f64), got i32"), ShapeError);
  CHECK_THROWS_WITH_AS(ops::clamp(x, {.min = 2, .max = 1}), doctest::Contains("expected min <= max, got min 2 and max 1"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(ops::argmax(x, {.axis = 2}), doctest::Contains("expected axis in [-2, 2) for rank 2, got axis 2"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(ops::argmax(xi), doctest::Contains("expected f32, got i32"), ShapeError);
  auto empty = ops::input(em, "empty", f32({2, 0}));
  CHECK_THROWS_WITH_AS(ops::argmax(empty), doctest::Contains("expected a non-empty axis, got size 0"), ShapeError);
}

}  // namespace
}  // namespace flowgrad::testing
