#pragma once
// matmul_bias_act: a matmul with an optional bias, an optional activation
// and an optional residual, fused into one oneDNN matmul primitive (bias
// argument, eltwise post-op, binary-add post-op).
//
//   y = act(op(A) · op(B) + bias) + residual
//   A: [..., M, K] ([..., K, M] with transpose_a), B: [..., K, N] ([..., N, K] with transpose_b)
//   bias (optional third input): [N], or [1, ..., 1, N] of rank <= rank(y)
//   residual (last input, when the `residual` attr is set): f32 of y's shape
//   y: [batch..., M, N], f32
//   act: none | relu | tanh | gelu (erf) | gelu_tanh
//
// Inputs: a, b, [bias], [residual].
//
// Made by the fuse_matmul_bias_act pass, not by model code. The pass runs
// after autodiff, on a graph whose gradients already exist, so the op is
// `not_differentiable`: nothing ever differentiates through it.
// Reference: the matmul, add, activation and add reference kernels in sequence.

#include "ops/expr.h"

namespace flowgrad::ops {

struct MatmulBiasActAttrs {
  bool transpose_a = false;
  bool transpose_b = false;
  std::string activation = "none";
  bool residual = false;  // the last input is added after the activation
  template <class V> void visit(V& v) {
    v("transpose_a", transpose_a);
    v("transpose_b", transpose_b);
    v("activation", activation);
    v("residual", residual);
  }
};

// `bias` may be an empty Expr (no bias).
Expr matmul_bias_act(Expr a, Expr b, Expr bias, MatmulBiasActAttrs attrs = {}, const Loc& loc = Loc::current());
// The same with a residual (sets attrs.residual); `bias` may be empty.
Expr matmul_bias_act_residual(Expr a, Expr b, Expr bias, Expr residual, MatmulBiasActAttrs attrs = {},
                              const Loc& loc = Loc::current());

}  // namespace flowgrad::ops
