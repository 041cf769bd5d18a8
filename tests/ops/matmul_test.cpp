#include "ops/matmul.h"

#include "ops/sources.h"
#include "testing.h"

namespace flowgrad::testing {

FLOWGRAD_OP_CASES(matmul)({
    op_case("matmul", {f32({3, 5}), f32({5, 4})}),
    op_case("matmul", {f32({5, 3}), f32({5, 4})}, ops::MatmulAttrs{.transpose_a = true}),
    op_case("matmul", {f32({3, 5}), f32({4, 5})}, ops::MatmulAttrs{.transpose_b = true}),
    op_case("matmul", {f32({5, 3}), f32({4, 5})}, ops::MatmulAttrs{.transpose_a = true, .transpose_b = true}),
    op_case("matmul", {f32({2, 3, 7, 5}), f32({2, 3, 5, 6})}),                         // batched 4-D
    op_case("matmul", {f32({2, 3, 7, 5}), f32({5, 6})}),                               // broadcast weights
    op_case("matmul", {f32({1, 3, 7, 5}), f32({2, 1, 6, 5})}, ops::MatmulAttrs{.transpose_b = true}),  // both broadcast
    op_case("matmul", {f32({64, 96}), f32({96, 80})}),
});

TEST_CASE("matmul rejects mismatched inner dimensions with the node path, shapes and call site") {
  graph::Graph g;
  ops::Emitter em(g);
  auto s = em.scope("mlp");
  auto a = ops::input(em, "a", f32({2, 3}));
  auto b = ops::input(em, "b", f32({4, 5}));
  CHECK_THROWS_WITH_AS(ops::matmul(a, b), doctest::Contains("mlp/matmul (matmul) with inputs f32[2, 3], f32[4, 5]"),
                       ShapeError);
  std::string msg;
  int line = __LINE__; try { ops::matmul(a, b); } catch (const ShapeError& e) { msg = e.what(); }  // NOLINT
  CHECK(msg.find("expected the contracted dimensions to match, got K = 3 for a and 4 for b") != std::string::npos);
  CHECK(msg.find("matmul_test.cpp:" + std::to_string(line)) != std::string::npos);
}

TEST_CASE("matmul rejects rank-1 inputs and non-broadcastable batches") {
  graph::Graph g;
  ops::Emitter em(g);
  auto v = ops::input(em, "v", f32({3}));
  auto m = ops::input(em, "m", f32({3, 3}));
  CHECK_THROWS_WITH_AS(ops::matmul(v, m), doctest::Contains("expected inputs of rank >= 2"), ShapeError);
  auto a = ops::input(em, "a", f32({2, 3, 3}));
  auto b = ops::input(em, "b", f32({4, 3, 3}));
  CHECK_THROWS_WITH_AS(ops::matmul(a, b), doctest::Contains("expected broadcastable batch dimensions, got [2] and [4]"),
                       ShapeError);
}

}  // namespace flowgrad::testing
