#pragma once
// add_layer_norm: a residual add and the layer norm that follows it, in one
// pass over each row (made by the fuse_add_layer_norm pass):
//
//   s = a + b                                   (the residual stream)
//   y = layer_norm(s, gamma, beta, eps)         (see ops/layer_norm.h)
//
//   a, b: f32[..., H] (same type), gamma, beta: f32[H]
//     -> y: f32[..., H], mean: f32[...], variance: f32[...], sum: f32[..., H]
//
// Outputs 0-2 are layer_norm's; the sum is output 3, because layer_norm's
// backward reads its input (and other consumers of the sum may exist). The
// kernel writes s once and normalizes the row while it is still in cache,
// where the unfused ops write s, then read it back.
//
// Gradient: layer_norm's rule applied at s (ops::layer_norm_grads), plus any
// gradient reaching the sum output; a and b both receive that total.
//
// Kernel: a parallel loop (ops/parallel.h) over rows; each row is computed by one thread in a fixed
// order, so the result does not depend on the thread count.

#include "ops/layer_norm.h"

namespace flowgrad::ops {

struct AddLayerNormOutputs {
  Expr y, mean, variance, sum;
};

AddLayerNormOutputs add_layer_norm(Expr a, Expr b, Expr gamma, Expr beta, LayerNormAttrs attrs = {},
                                   const Loc& loc = Loc::current());

}  // namespace flowgrad::ops
