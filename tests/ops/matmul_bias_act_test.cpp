#include "ops/matmul_bias_act.h"

#include "ops/sources.h"
#include "testing.h"

namespace flowgrad::testing {

using ops::MatmulBiasActAttrs;

FLOWGRAD_OP_CASES(matmul_bias_act)({
    op_case("matmul_bias_act", {f32({3, 5}), f32({5, 4})}),
    op_case("matmul_bias_act", {f32({3, 5}), f32({5, 4}), f32({4})}),
    op_case("matmul_bias_act", {f32({3, 5}), f32({4, 5}), f32({4})}, MatmulBiasActAttrs{.transpose_b = true, .activation = "relu"}),
    op_case("matmul_bias_act", {f32({5, 3}), f32({5, 4}), f32({1, 4})}, MatmulBiasActAttrs{.transpose_a = true, .activation = "tanh"}),
    op_case("matmul_bias_act", {f32({6, 8}), f32({8, 7}), f32({7})}, MatmulBiasActAttrs{.activation = "gelu"}),
    op_case("matmul_bias_act", {f32({6, 8}), f32({8, 7}), f32({7})}, MatmulBiasActAttrs{.activation = "gelu_tanh"}),
    op_case("matmul_bias_act", {f32({6, 8}), f32({8, 7})}, MatmulBiasActAttrs{.activation = "relu"}),     // no bias
    op_case("matmul_bias_act", {f32({2, 3, 7, 5}), f32({6, 5}), f32({6})},                               // batched, shared weight
            MatmulBiasActAttrs{.transpose_b = true, .activation = "relu"}),
    op_case("matmul_bias_act", {f32({2, 7, 5}), f32({2, 5, 6}), f32({1, 1, 6})}, MatmulBiasActAttrs{.activation = "tanh"}),
    op_case("matmul_bias_act", {f32({64, 96}), f32({80, 96}), f32({80})}, MatmulBiasActAttrs{.transpose_b = true, .activation = "gelu"}),
    // with a residual (the last input), added after the activation
    op_case("matmul_bias_act", {f32({3, 5}), f32({5, 4}), f32({3, 4})}, MatmulBiasActAttrs{.residual = true}),
    op_case("matmul_bias_act", {f32({3, 5}), f32({4, 5}), f32({4}), f32({3, 4})},
            MatmulBiasActAttrs{.transpose_b = true, .activation = "relu", .residual = true}),
    op_case("matmul_bias_act", {f32({2, 7, 5}), f32({6, 5}), f32({6}), f32({2, 7, 6})},
            MatmulBiasActAttrs{.transpose_b = true, .activation = "gelu", .residual = true}),
    op_case("matmul_bias_act", {f32({5, 3}), f32({2, 5, 4}), f32({2, 3, 4})},
            MatmulBiasActAttrs{.transpose_a = true, .activation = "tanh", .residual = true}),
});

TEST_CASE("matmul_bias_act rejects a bias that is not [N], a residual not of the output type and an unknown activation") {
  graph::Graph g;
  ops::Emitter em(g);
  auto a = ops::input(em, "a", f32({2, 3}));
  auto b = ops::input(em, "b", f32({3, 4}));
  auto bad_bias = ops::input(em, "bias", f32({2, 4}));
  CHECK_THROWS_WITH_AS(ops::matmul_bias_act(a, b, bad_bias),
                       doctest::Contains("expected an f32 bias of shape [4] (or [1, ..., 4]), got f32[2, 4]"), ShapeError);
  CHECK_THROWS_WITH_AS(ops::matmul_bias_act(a, b, {}, {.activation = "swish"}),
                       doctest::Contains("expected activation none|relu|tanh|gelu|gelu_tanh, got 'swish'"), ShapeError);
  CHECK_THROWS_WITH_AS(ops::matmul_bias_act(a, a, {}), doctest::Contains("expected the contracted dimensions to match"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(ops::matmul_bias_act_residual(a, b, {}, ops::input(em, "row", f32({4}))),
                       doctest::Contains("expected a residual of the output's type f32[2, 4], got f32[4]"), ShapeError);
  CHECK_THROWS_WITH_AS(ops::matmul_bias_act(a, b, {}, {.residual = true}),
                       doctest::Contains("expected 3 or 4 inputs (a, b[, bias], residual), got 2"), ShapeError);
}

}  // namespace flowgrad::testing
