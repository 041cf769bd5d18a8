#include "ops/transpose.h"

#include "ops/dnnl_util.h"
#include "ops/sources.h"
#include "runtime/session.h"
#include "testing.h"

namespace flowgrad::testing {
namespace {

using ops::TransposeAttrs;

TransposeAttrs perm(std::vector<int64_t> p) { return {.perm = std::move(p)}; }

FLOWGRAD_OP_CASES(transpose)({
    op_case("transpose", {f32({3, 5})}, perm({1, 0})),
    op_case("transpose", {f32({3, 5})}, perm({0, 1})),                   // identity
    op_case("transpose", {f32({2, 3, 4})}, perm({2, 0, 1})),
    op_case("transpose", {f32({2, 3, 4})}, perm({0, -1, -2})),          // negative entries
    op_case("transpose", {f32({2, 5, 3, 4})}, perm({0, 2, 1, 3})),      // [B, T, H, D] -> [B, H, T, D]
    op_case("transpose", {f32({2, 5, 3, 4})}, perm({3, 2, 1, 0})),
    op_case("transpose", {f32({2, 5, 3, 4})}, perm({0, 1, 2, 3})),      // identity 4-D
    op_case("transpose", {f32({})}, perm({})),                          // scalar
    op_case("transpose", {f32({0, 3})}, perm({1, 0})),                  // empty
    op_case("transpose", {f32({256, 600})}, perm({1, 0})),              // big
    op_case("transpose", {f32({4, 64, 8, 64})}, perm({0, 2, 1, 3})),   // big attention split
    op_case("transpose", {{DType::i32, {3, 4, 5}}}, perm({1, 2, 0}), -50, 50),
    op_case("transpose", {{DType::i64, {2, 3, 4, 5}}}, perm({0, 2, 1, 3}), -50, 50),
    op_case("transpose", {{DType::i64, {256, 600}}}, perm({1, 0}), -50, 50),  // big, TBB
    op_case("transpose", {{DType::boolean, {4, 7}}}, perm({1, 0})),
    op_case("transpose", {{DType::boolean, {2, 3, 5}}}, perm({2, 1, 0})),
});

Tensor run1(graph::Graph& g, const Tensor& x, ops::Expr y) {
  runtime::Session sess(g);
  return sess.run({{"x", x}}, {y.id()})[0];
}

TEST_CASE("transpose moves elements as the perm says") {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", {DType::i32, {2, 3}});
  auto y = ops::transpose(x, {1, 0});
  auto got = run1(g, Tensor::from<int32_t>({2, 3}, {1, 2, 3, 4, 5, 6}), y);
  CHECK(identical(got, Tensor::from<int32_t>({3, 2}, {1, 4, 2, 5, 3, 6})));
}

TEST_CASE("permute and swap_axes emit the transpose op") {
  graph::Graph g;
  ops::Emitter em(g);
  auto x = ops::input(em, "x", f32({2, 5, 3, 4}));
  auto p = ops::permute(x, {0, 2, 1, 3});
  CHECK(p.producer().op == "transpose");
  CHECK(p.shape() == Shape{2, 3, 5, 4});
  auto s = ops::swap_axes(x, -1, -2);
  CHECK(s.producer().op == "transpose");
  CHECK(s.producer().attrs_as<TransposeAttrs>().perm == std::vector<int64_t>{0, 1, 3, 2});
  CHECK(s.shape() == Shape{2, 5, 4, 3});
  CHECK_THROWS_WITH_AS(ops::swap_axes(x, 0, 4), doctest::Contains("expected swap_axes axes in [-4, 4), got 0 and 4"),
                       ShapeError);
}

TEST_CASE("transpose rejects a perm that is not a permutation") {
  graph::Graph g;
  ops::Emitter em(g);
  auto s = em.scope("attn");
  auto x = ops::input(em, "x", f32({2, 3, 4}));
  std::string msg;
  int line = __LINE__; try { ops::transpose(x, {0, 0, 1}); } catch (const ShapeError& e) { msg = e.what(); }  // NOLINT
  CHECK(msg.find("attn/transpose (transpose) with inputs f32[2, 3, 4]") != std::string::npos);
  CHECK(msg.find("expected perm to be a permutation of [0, 1, 2], got [0, 0, 1]") != std::string::npos);
  CHECK(msg.find("transpose_test.cpp:" + std::to_string(line)) != std::string::npos);
  CHECK_THROWS_WITH_AS(ops::transpose(x, {1, 0}), doctest::Contains("permutation of [0, 1, 2], got [1, 0]"), ShapeError);
  CHECK_THROWS_WITH_AS(ops::transpose(x, {0, 1, 3}), doctest::Contains("permutation of [0, 1, 2], got [0, 1, 3]"), ShapeError);
  CHECK_THROWS_WITH_AS(ops::transpose(x, {0, 1, -4}), doctest::Contains("got [0, 1, -4]"), ShapeError);
}

TEST_CASE("f32 transpose lowers to one oneDNN reorder, i64 to none") {
  for (auto [dtype, primitives] : {std::pair{DType::f32, 1}, std::pair{DType::i64, 0}}) {
    graph::Graph g;
    ops::Emitter em(g);
    auto x = ops::input(em, "x", {dtype, {3, 4}});
    auto y = ops::transpose(x, {1, 0});
    int64_t before = ops::dnnl_primitive_count();
    run1(g, random_tensor(x.type(), 1), y);
    CHECK(ops::dnnl_primitive_count() - before == primitives);
  }
}

}  // namespace
}  // namespace flowgrad::testing
