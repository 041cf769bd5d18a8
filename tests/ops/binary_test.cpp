#include "ops/binary.h"

#include "ops/sources.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

std::vector<OpCase> binary_cases(const std::string& op, double lo, double hi) {
  return {
      op_case(op, {f32({4, 5}), f32({4, 5})}, Default{}, lo, hi),
      op_case(op, {f32({4, 5}), f32({5})}, Default{}, lo, hi),             // row broadcast
      op_case(op, {f32({4, 1}), f32({1, 5})}, Default{}, lo, hi),          // both broadcast
      op_case(op, {f32({3}), f32({2, 4, 3})}, Default{}, lo, hi),          // first operand broadcast
      op_case(op, {f32({2, 3, 4, 5}), f32({}) }, Default{}, lo, hi),       // scalar
      op_case(op, {f32({300, 200}), f32({300, 1})}, Default{}, lo, hi),    // big enough to go parallel
      op_case(op, {{DType::i32, {3, 4}}, {DType::i32, {4}}}, Default{}, 1, 9),
      op_case(op, {{DType::i64, {2, 3}}, {DType::i64, {2, 3}}}, Default{}, 1, 9),
  };
}

FLOWGRAD_OP_CASES(add)(binary_cases("add", -2, 2));
FLOWGRAD_OP_CASES(sub)(binary_cases("sub", -2, 2));
FLOWGRAD_OP_CASES(mul)(binary_cases("mul", -2, 2));
FLOWGRAD_OP_CASES(div)(binary_cases("div", 0.5, 2));

TEST_CASE("a bad broadcast names the node, both shapes and the call site") {
  graph::Graph g;
  ops::Emitter em(g);
  auto s = em.scope("block");
  auto a = ops::input(em, "a", f32({4, 3}));
  auto b = ops::input(em, "b", f32({4}));
  std::string msg;
  int line = __LINE__; try { auto c = a + b; } catch (const ShapeError& e) { msg = e.what(); }  // NOLINT
  CHECK(msg.find("block/add (add) with inputs f32[4, 3], f32[4]") != std::string::npos);
  CHECK(msg.find("expected broadcastable shapes, got [4, 3] and [4]") != std::string::npos);
  CHECK(msg.find("binary_test.cpp:" + std::to_string(line)) != std::string::npos);
}

TEST_CASE("mixed dtypes are rejected") {
  graph::Graph g;
  ops::Emitter em(g);
  auto a = ops::input(em, "a", f32({2}));
  auto b = ops::input(em, "b", {DType::i32, {2}});
  CHECK_THROWS_WITH_AS(ops::mul(a, b), doctest::Contains("expected equal dtypes, got f32 and i32"), ShapeError);
}

TEST_CASE("operators with a float scalar build a constant") {
  graph::Graph g;
  ops::Emitter em(g);
  auto a = ops::input(em, "a", f32({2}));
  auto c = a * 2.0f;
  CHECK(c.producer().op == "mul");
  CHECK(g.producer(c.producer().inputs[1]).op == "constant");
}

}  // namespace
}  // namespace flowgrad::testing
