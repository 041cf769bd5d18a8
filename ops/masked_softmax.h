#pragma once
// masked_softmax: the attention softmax with the score scale and the additive
// padding mask folded in, one pass per row:
//
//   z = x · scale + mask          y = softmax(z) over the last axis (max-shifted)
//
//   x: f32[..., N], mask: f32 broadcastable to x  ->  y: f32[..., N]
//   e.g. scores [B, heads, T, T] with mask [B, 1, 1, T] holding 0 (keep) or
//   -10000 / -inf (padding), scale = 1 / sqrt(head_dim)
//
// A row whose z is -inf everywhere is NaN, as in PyTorch.
//
// Gradient, with ds = softmax_backward(dy, y) (the gradient w.r.t. z):
//   dx = scale · ds          dmask = sum_to(ds, mask's shape)
//
// Kernel: a parallel loop over rows (ops/parallel.h); each row is computed by one
// thread in a fixed order, so the result does not depend on the thread count.

#include "ops/expr.h"

namespace flowgrad::ops {

struct MaskedSoftmaxAttrs {
  double scale = 1.0;
  template <class V> void visit(V& v) { v("scale", scale); }
};

Expr masked_softmax(Expr x, Expr mask, MaskedSoftmaxAttrs attrs = {}, const Loc& loc = Loc::current());

}  // namespace flowgrad::ops
