// Numerics check mode (runtime/numerics.h): a NaN made in the middle of a
// larger graph is reported at the node that made it, with its op, its
// inputs' ranges and the DSL line that created it.

#include "runtime/numerics.h"

#include <cmath>
#include <cstdlib>
#include <string>

#include "frontend/flowgrad.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

// x -> linear -> tanh -> (h - 2) -> log -> linear -> reduce_mean. tanh keeps
// h in (-1, 1), so log reads only negative numbers: every node from log on
// holds NaN, and the check must blame log, not what follows it.
struct PoisonedNet {
  Builder b;
  Expr x, loss;
  int log_line = 0;
  PoisonedNet() {
    x = b.input("x", f32({4, 8}));
    auto s = b.scope("net");
    Expr h = ops::tanh(nn::linear(b, x, {.out_features = 8, .seed = 1}, "hidden"));
    Expr shifted = h - 2.0f;
    log_line = __LINE__ + 1;
    Expr bad = ops::log(shifted);
    Expr out = nn::linear(b, bad, {.out_features = 3, .seed = 2}, "out");
    loss = ops::reduce_mean(out);
  }
};

std::string checked_run_error(const PoisonedNet& net, runtime::SessionOptions options) {
  runtime::Session sess(net.b.graph(), options);
  try {
    sess.run({{"x", random_tensor(f32({4, 8}), 3)}}, {net.loss.id()});
  } catch (const runtime::NumericsError& e) {
    return e.what();
  }
  return "";
}

TEST_CASE("numerics check mode names the first node that made a NaN and its DSL line") {
  PoisonedNet net;
  std::string msg = checked_run_error(net, {.check_numerics = true});
  INFO(msg);
  CHECK(msg.find("node 'net/log' (log)") != std::string::npos);
  CHECK(msg.find("32 NaN, 0 Inf in output 0 f32[4, 8]") != std::string::npos);
  CHECK(msg.find(std::string(__FILE__) + ":" + std::to_string(net.log_line)) != std::string::npos);
  // tanh(.) - 2 lies in [-3, -1]: the input's range shows why log failed.
  auto at = msg.find("#0 f32[4, 8] in [-");
  REQUIRE(at != std::string::npos);
  CHECK(msg.find(", -", at) != std::string::npos);  // max < 0 too
}

TEST_CASE("without the check the NaN flows to the output, and the environment switches the check on") {
  PoisonedNet net;
  runtime::Session plain(net.b.graph(), {.check_numerics = false});
  auto out = plain.run({{"x", random_tensor(f32({4, 8}), 3)}}, {net.loss.id()});
  CHECK(std::isnan(out[0].at(0)));

  ::setenv("FLOWGRAD_CHECK_NUMERICS", "1", 1);
  runtime::SessionOptions from_env;
  ::unsetenv("FLOWGRAD_CHECK_NUMERICS");
  CHECK(from_env.check_numerics);
  CHECK_FALSE(runtime::SessionOptions{}.check_numerics);
  CHECK(checked_run_error(net, from_env).find("(log)") != std::string::npos);
}

TEST_CASE("numerics check mode passes finite runs and gives the same results") {
  Builder b;
  Expr x = b.input("x", f32({16, 8}));
  Expr y = ops::reduce_mean(ops::log(ops::exp(nn::linear(b, x, {.out_features = 4, .seed = 5}, "l"))));
  Tensor xs = random_tensor(f32({16, 8}), 9);
  runtime::Session checked(b.graph(), {.check_numerics = true}), plain(b.graph());
  CHECK(checked.run({{"x", xs}}, {y.id()})[0].at(0) == plain.run({{"x", xs}}, {y.id()})[0].at(0));
}

TEST_CASE("value ranges count NaN and Inf apart from the finite range") {
  Tensor t = Tensor::from<float>({5}, {1.f, NAN, -3.f, INFINITY, 2.f});
  runtime::ValueRange r = runtime::value_range(t.type(), t.raw());
  CHECK(r.min == -3);
  CHECK(r.max == 2);
  CHECK(r.nan == 1);
  CHECK(r.inf == 1);
  CHECK(r.str() == "in [-3, 2], 1 NaN, 1 Inf");
}

}  // namespace
}  // namespace flowgrad::testing
