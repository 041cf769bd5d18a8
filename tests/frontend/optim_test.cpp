#include "frontend/optim.h"

#include <cmath>

#include "frontend/flowgrad.h"
#include "ops/reduce.h"
#include "ops/softmax_cross_entropy.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

// loss = Σ c · p², so grad = 2 c p changes every step.
struct Quadratic {
  Builder b;
  Expr p, loss;
  optim::TrainStep train;
  Tensor c = Tensor::from<float>({3}, {0.5f, -1.0f, 2.0f});
  explicit Quadratic(const optim::Optimizer& opt) {
    p = b.variable("p", {.shape = {3}, .init = "ones"});
    loss = ops::reduce_sum(b.constant(c) * p * p);
    train = optim::minimize(b, loss, opt);
  }
  std::vector<double> run_steps(int n) {
    runtime::Session sess(b.graph());
    for (int i = 0; i < n; ++i) sess.run({}, {train.step.id()});
    std::vector<double> out;
    for (int64_t i = 0; i < 3; ++i) out.push_back(sess.workspace().get("p").at(i));
    return out;
  }
};

TEST_CASE("Adam: the first step is lr·sign(g) and three steps follow the published formula") {
  Quadratic q(optim::Adam{.lr = 0.1});
  std::vector<double> want{1, 1, 1}, m(3, 0), v(3, 0);
  for (int t = 1; t <= 3; ++t) {
    for (int i = 0; i < 3; ++i) {
      double g = 2 * q.c.at(i) * want[i];
      m[i] = 0.9 * m[i] + 0.1 * g;
      v[i] = 0.999 * v[i] + 0.001 * g * g;
      want[i] -= 0.1 * (m[i] / (1 - std::pow(0.9, t))) / (std::sqrt(v[i] / (1 - std::pow(0.999, t))) + 1e-8);
    }
    if (t == 1) CHECK(want[0] == doctest::Approx(0.9));  // 1 - 0.1 · sign(+1)
  }
  auto got = q.run_steps(3);
  for (int i = 0; i < 3; ++i) CHECK(got[i] == doctest::Approx(want[i]).epsilon(1e-5));
}

TEST_CASE("AdamW decays the weights decoupled from the gradient") {
  Quadratic q(optim::AdamW{.lr = 0.1, .weight_decay = 0.5});
  std::vector<double> want{1, 1, 1}, m(3, 0), v(3, 0);
  for (int t = 1; t <= 3; ++t) {
    for (int i = 0; i < 3; ++i) {
      double g = 2 * q.c.at(i) * want[i];
      want[i] *= 1 - 0.1 * 0.5;
      m[i] = 0.9 * m[i] + 0.1 * g;
      v[i] = 0.999 * v[i] + 0.001 * g * g;
      want[i] -= 0.1 * (m[i] / (1 - std::pow(0.9, t))) / (std::sqrt(v[i] / (1 - std::pow(0.999, t))) + 1e-8);
    }
  }
  auto got = q.run_steps(3);
  for (int i = 0; i < 3; ++i) CHECK(got[i] == doctest::Approx(want[i]).epsilon(1e-5));
}

TEST_CASE("SGD with Nesterov momentum and L2 weight decay, three steps") {
  Quadratic q(optim::Sgd{.lr = 0.05, .momentum = 0.9, .nesterov = true, .weight_decay = 0.1});
  std::vector<double> want{1, 1, 1}, buf(3, 0);
  for (int t = 1; t <= 3; ++t) {
    for (int i = 0; i < 3; ++i) {
      double g = 2 * q.c.at(i) * want[i] + 0.1 * want[i];
      buf[i] = 0.9 * buf[i] + g;
      want[i] -= 0.05 * (g + 0.9 * buf[i]);
    }
  }
  auto got = q.run_steps(3);
  for (int i = 0; i < 3; ++i) CHECK(got[i] == doctest::Approx(want[i]).epsilon(1e-5));
}

TEST_CASE("plain SGD is p -= lr·g") {
  Quadratic q(optim::Sgd{.lr = 0.1});
  auto got = q.run_steps(1);
  for (int i = 0; i < 3; ++i) CHECK(got[i] == doctest::Approx(1 - 0.1 * 2 * q.c.at(i)).epsilon(1e-6));
}

TEST_CASE("learning-rate schedules: warm-up, linear decay, cosine") {
  ops::LrScheduleAttrs lin{.kind = "linear", .lr = 1.0, .warmup_steps = 10, .total_steps = 110};
  CHECK(ops::scheduled_lr(lin, 1) == doctest::Approx(0.1));
  CHECK(ops::scheduled_lr(lin, 10) == doctest::Approx(1.0));
  CHECK(ops::scheduled_lr(lin, 60) == doctest::Approx(0.5));
  CHECK(ops::scheduled_lr(lin, 200) == doctest::Approx(0.0));
  ops::LrScheduleAttrs cos{.kind = "cosine", .lr = 2.0, .warmup_steps = 0, .total_steps = 100};
  CHECK(ops::scheduled_lr(cos, 50) == doctest::Approx(1.0));
  CHECK(ops::scheduled_lr(cos, 100) == doctest::Approx(0.0));
  // and in the graph: the fetched lr of step 3 of a warm-up schedule
  Quadratic q(optim::Sgd{.lr = 0.3, .schedule = {.kind = "constant", .warmup_steps = 6}});
  runtime::Session sess(q.b.graph());
  Tensor lr;
  for (int i = 0; i < 3; ++i) lr = sess.run({}, {q.train.step.id(), q.train.lr.id()})[1];
  CHECK(lr.at(0) == doctest::Approx(0.15));
}

TEST_CASE("global-norm clipping scales every gradient by max_norm / norm") {
  Builder b;
  Expr p = b.variable("p", {.shape = {2}, .init = "ones"});
  Expr loss = ops::reduce_sum(b.constant(Tensor::from<float>({2}, {3, 4})) * p);  // grad (3, 4), norm 5
  auto train = optim::minimize(b, loss, optim::Sgd{.lr = 1.0, .clip_norm = 1.0});
  runtime::Session sess(b.graph());
  auto out = sess.run({}, {train.grads[0].id()});
  CHECK(out[0].at(0) == doctest::Approx(0.6).epsilon(1e-5));
  CHECK(out[0].at(1) == doctest::Approx(0.8).epsilon(1e-5));
}

// Two concentric rings: no linear classifier separates them.
void rings(int64_t n, uint64_t seed, Tensor& x, Tensor& y) {
  x = Tensor(f32({n, 2}));
  y = Tensor({DType::i32, {n}});
  Tensor u = random_tensor(f32({n, 2}), seed, 0, 1);
  for (int64_t i = 0; i < n; ++i) {
    int32_t label = static_cast<int32_t>(i % 2);
    double r = label ? 1.5 + 0.5 * u.at(2 * i) : 0.8 * u.at(2 * i), a = 2 * M_PI * u.at(2 * i + 1);
    x.data<float>()[2 * i] = static_cast<float>(r * std::cos(a));
    x.data<float>()[2 * i + 1] = static_cast<float>(r * std::sin(a));
    y.data<int32_t>()[i] = label;
  }
}

TEST_CASE("an MLP trained with AdamW separates concentric rings, steady-state steps allocate nothing") {
  constexpr int64_t kN = 256;
  Builder b;
  Expr x = b.input("x", f32({kN, 2}));
  Expr y = b.input("y", {DType::i32, {kN}});
  Expr h = ops::relu(nn::linear(b, x, {.out_features = 32, .seed = 1}, "fc1"));
  h = ops::relu(nn::linear(b, h, {.out_features = 32, .seed = 2}, "fc2"));
  Expr logits = nn::linear(b, h, {.out_features = 2, .seed = 3}, "out");
  Expr loss = ops::softmax_cross_entropy(logits, y);
  auto train = optim::minimize(b, loss, optim::AdamW{.lr = 0.02, .weight_decay = 1e-4});

  Tensor xs, ys, xt, yt;
  rings(kN, 1, xs, ys);
  rings(kN, 2, xt, yt);
  runtime::Session sess(b.graph());
  std::vector<double> losses;
  int64_t allocations_after_first = 0;
  for (int step = 0; step < 300; ++step) {
    losses.push_back(sess.run({{"x", xs}, {"y", ys}}, {loss.id(), train.step.id()})[0].at(0));
    if (step == 0) allocations_after_first = graph::tensor_allocations();
  }
  CHECK(graph::tensor_allocations() == allocations_after_first);

  auto mean = [&](size_t lo, size_t hi) {
    double s = 0;
    for (size_t i = lo; i < hi; ++i) s += losses[i];
    return s / static_cast<double>(hi - lo);
  };
  CHECK(mean(0, 30) > mean(135, 165));  // falls on average
  CHECK(mean(135, 165) > mean(270, 300));

  Tensor pred = sess.run({{"x", xt}}, {logits.id()})[0];
  int64_t correct = 0;
  for (int64_t i = 0; i < kN; ++i) {
    int32_t guess = pred.at(2 * i + 1) > pred.at(2 * i) ? 1 : 0;
    correct += guess == yt.data<int32_t>()[i];
  }
  double accuracy = static_cast<double>(correct) / kN;
  MESSAGE("held-out accuracy " << accuracy << ", loss " << losses.front() << " -> " << losses.back());
  CHECK(accuracy >= 0.95);
}

}  // namespace
}  // namespace flowgrad::testing
