#include <cmath>

#include "ops/sigmoid_cross_entropy.h"
#include "ops/softmax_cross_entropy.h"
#include "ops/sources.h"
#include "runtime/session.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

using ops::BceAttrs;
using ops::CrossEntropyAttrs;

FLOWGRAD_OP_CASES(softmax_cross_entropy)({
    op_case("softmax_cross_entropy", {f32({6, 5}), {DType::i32, {6}}}, CrossEntropyAttrs{}, 0, 5),
    op_case("softmax_cross_entropy", {f32({2, 3, 7}), {DType::i64, {2, 3}}}, CrossEntropyAttrs{.reduction = "sum"}, 0, 7),
    op_case("softmax_cross_entropy", {f32({4, 3}), {DType::i64, {4}}}, CrossEntropyAttrs{.reduction = "none"}, 0, 3),
    op_case("softmax_cross_entropy", {f32({512, 300}), {DType::i32, {512}}}, CrossEntropyAttrs{}, 0, 300),
});

FLOWGRAD_OP_CASES(softmax_cross_entropy_backward)({
    op_case("softmax_cross_entropy_backward", {f32({}), f32({6, 5}), {DType::i32, {6}}}, CrossEntropyAttrs{}, 0, 5),
    op_case("softmax_cross_entropy_backward", {f32({4}), f32({4, 3}), {DType::i64, {4}}},
            CrossEntropyAttrs{.reduction = "none"}, 0, 3),
});

FLOWGRAD_OP_CASES(sigmoid_binary_cross_entropy)({
    op_case("sigmoid_binary_cross_entropy", {f32({8}), f32({8})}, BceAttrs{}, -3, 3),
    op_case("sigmoid_binary_cross_entropy", {f32({4, 6}), f32({4, 6})}, BceAttrs{.reduction = "sum"}, -3, 3),
    op_case("sigmoid_binary_cross_entropy", {f32({3, 2}), f32({3, 2})}, BceAttrs{.reduction = "none"}, -3, 3),
    op_case("sigmoid_binary_cross_entropy", {f32({400, 400}), f32({400, 400})}, BceAttrs{}, -3, 3),
});

FLOWGRAD_OP_CASES(sigmoid_binary_cross_entropy_backward)({
    op_case("sigmoid_binary_cross_entropy_backward", {f32({}), f32({8}), f32({8})}, BceAttrs{}, -3, 3),
    op_case("sigmoid_binary_cross_entropy_backward", {f32({3, 2}), f32({3, 2}), f32({3, 2})},
            BceAttrs{.reduction = "none"}, -3, 3),
});

TEST_CASE("cross entropy ignores ignore_index rows and averages over the rest") {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", f32({3, 2}));
  auto y = ops::input(em, "y", {DType::i64, {3}});
  auto loss = ops::softmax_cross_entropy(x, y);
  runtime::Session sess(g);
  Tensor xs = Tensor::from<float>({3, 2}, {0, 0, 1000, 0, 0, 2});
  Tensor ys = Tensor::from<int64_t>({3}, {0, -100, 1});
  // rows 0 and 2: log 2 and log(1 + e^-2); row 1 (huge logit) is ignored
  double want = (std::log(2.0) + std::log1p(std::exp(-2.0))) / 2;
  CHECK(sess.run({{"x", xs}, {"y", ys}}, {loss.id()})[0].at(0) == doctest::Approx(want).epsilon(1e-6));
  Tensor all_ignored = Tensor::from<int64_t>({3}, {-100, -100, -100});
  CHECK(sess.run({{"x", xs}, {"y", all_ignored}}, {loss.id()})[0].at(0) == 0.0);
}

TEST_CASE("cross entropy is stable for huge logits and rejects labels out of range") {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", f32({1, 3}));
  auto y = ops::input(em, "y", {DType::i32, {1}});
  auto loss = ops::softmax_cross_entropy(x, y);
  runtime::Session sess(g);
  Tensor xs = Tensor::from<float>({1, 3}, {1e4f, -1e4f, 0});
  CHECK(sess.run({{"x", xs}, {"y", Tensor::from<int32_t>({1}, {1})}}, {loss.id()})[0].at(0) == doctest::Approx(2e4));
  CHECK_THROWS_WITH_AS(sess.run({{"x", xs}, {"y", Tensor::from<int32_t>({1}, {3})}}, {loss.id()}),
                       doctest::Contains("label 3 at row 0 is outside [0, 3)"), ValueError);
  // the session is still usable after the error
  CHECK(sess.run({{"x", xs}, {"y", Tensor::from<int32_t>({1}, {0})}}, {loss.id()})[0].at(0) == doctest::Approx(0.0));
}

TEST_CASE("binary cross entropy from logits is stable for large |x|") {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", f32({4}));
  auto t = ops::input(em, "t", f32({4}));
  auto loss = ops::sigmoid_binary_cross_entropy(x, t, {.reduction = "none"});
  runtime::Session sess(g);
  auto out = sess.run({{"x", Tensor::from<float>({4}, {100, -100, 100, 0})}, {"t", Tensor::from<float>({4}, {1, 0, 0, 1})}},
                      {loss.id()})[0];
  CHECK(out.at(0) == doctest::Approx(0.0));
  CHECK(out.at(1) == doctest::Approx(0.0));
  CHECK(out.at(2) == doctest::Approx(100.0));
  CHECK(out.at(3) == doctest::Approx(std::log(2.0)));
}

TEST_CASE("loss shape errors name the expected label shape") {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", f32({4, 3}));
  auto y = ops::input(em, "y", {DType::i32, {3}});
  CHECK_THROWS_WITH_AS(ops::softmax_cross_entropy(x, y), doctest::Contains("expected labels of shape [4], got [3]"),
                       ShapeError);
}

}  // namespace
}  // namespace flowgrad::testing
