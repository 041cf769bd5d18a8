#pragma once
// layer_norm over the last axis (PyTorch's F.layer_norm(x, [H], gamma, beta, eps)):
//
//   μ_r = (1/H) Σ_h x[r, h]          σ²_r = (1/H) Σ_h (x[r, h] - μ_r)²   (population variance)
//   y[r, h] = (x[r, h] - μ_r) / sqrt(σ²_r + eps) · γ[h] + β[h]
//
//   x: f32[..., H], gamma: f32[H], beta: f32[H]
//     -> y: f32[..., H], mean: f32[...], variance: f32[...]
//
// The op has three outputs: the statistics are saved for the backward pass
// (oneDNN's forward_training primitive computes them anyway), so the gradient
// never recomputes them. The builder layer_norm() returns y only;
// layer_norm_with_stats() returns all three.
//
// The gradient is one explicit op, layer_norm_backward:
//
//   x̂ = (x - μ) · rstd,  rstd = 1 / sqrt(σ² + eps),  g = dy · γ
//   dx = rstd · (g - mean_h(g) - x̂ · mean_h(g · x̂))
//   dgamma = Σ_rows dy · x̂        dbeta = Σ_rows dy
//
//   dy, x: f32[..., H], mean, variance: f32[...], gamma: f32[H]
//     -> dx: f32[..., H], dgamma: f32[H], dbeta: f32[H]
//
// Gradients reaching the mean and variance outputs (rare) are added with
// ordinary ops: dμ/dx = 1/H, dσ²/dx = 2 (x - μ) / H. layer_norm_backward is
// not differentiable: second derivatives through layer norm are not supported.
//
// Kernels: the forward is oneDNN's layer_normalization_forward (use_scale |
// use_shift); each row is computed alone, so it is bit-identical for any
// thread count. The backward is a flowgrad kernel (ops/parallel.h): oneDNN 2.6's
// layer_normalization_backward sums dgamma/dbeta in per-thread chunks and so
// changes with the OpenMP team size (measured), which would break
// determinism across thread counts.

#include <optional>

#include "ops/expr.h"

namespace flowgrad::ops {

struct LayerNormAttrs {
  double eps = 1e-5;  // PyTorch's default
  template <class V> void visit(V& v) { v("eps", eps); }
};

Expr layer_norm(Expr x, Expr gamma, Expr beta, LayerNormAttrs attrs = {}, const Loc& loc = Loc::current());

struct LayerNormOutputs {
  Expr y, mean, variance;
};
LayerNormOutputs layer_norm_with_stats(Expr x, Expr gamma, Expr beta, LayerNormAttrs attrs = {},
                                       const Loc& loc = Loc::current());

struct LayerNormGrads {
  Expr dx, dgamma, dbeta;
};
LayerNormGrads layer_norm_backward(Expr dy, Expr x, Expr mean, Expr variance, Expr gamma, LayerNormAttrs attrs = {},
                                   const Loc& loc = Loc::current());

// layer_norm's gradient rule: dx, dgamma, dbeta from the gradients of its
// three outputs (dmean and dvariance usually absent). Shared with the fused
// add_layer_norm, whose normalized input is the sum it computes.
LayerNormGrads layer_norm_grads(Expr dy, std::optional<Expr> dmean, std::optional<Expr> dvariance, Expr x, Expr mean,
                                Expr variance, Expr gamma, LayerNormAttrs attrs, const Loc& loc);

}  // namespace flowgrad::ops
