#pragma once
// softmax_backward: the gradient of softmax / log_softmax along an axis,
// from the forward output y (oneDNN 2.6's backward primitives fall back to a
// reference kernel ~16x slower than the forward, so this is a flowgrad kernel, ops/parallel.h):
//
//   softmax:      dx = y ⊙ (dy - Σ_axis dy ⊙ y)
//   log_softmax:  dx = dy - exp(y) ⊙ Σ_axis dy
//
//   dy, y: [..., N, ...] -> dx: same (sums run over `axis`, of size N)
//
// Differentiable again (for gradients of gradients), by composite rules.

#include "ops/expr.h"

namespace flowgrad::ops {

struct SoftmaxBackwardAttrs {
  int64_t axis = -1;
  bool log = false;  // true: the gradient of log_softmax
  template <class V> void visit(V& v) {
    v("axis", axis);
    v("log", log);
  }
};

Expr softmax_backward(Expr dy, Expr y, SoftmaxBackwardAttrs attrs, const Loc& loc = Loc::current());

}  // namespace flowgrad::ops
