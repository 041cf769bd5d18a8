#pragma once
// softmax and log_softmax along one axis, f32, each a oneDNN softmax_v2
// primitive (softmax_accurate / softmax_log):
//
//   softmax(x)_i     = exp(x_i - m) / Σ_j exp(x_j - m)        m = max_j x_j
//   log_softmax(x)_i = (x_i - m) - log Σ_j exp(x_j - m)
//
//   x: [..., N, ...] -> [..., N, ...]   (i, j run over `axis`, of size N)
//
// `axis` counts from the end when negative; it must lie in [-rank, rank), so
// a scalar has no softmax.

#include "ops/expr.h"

namespace flowgrad::ops {

struct SoftmaxAttrs {
  int64_t axis = -1;
  template <class V> void visit(V& v) { v("axis", axis); }
};

Expr softmax(Expr x, SoftmaxAttrs attrs = {}, const Loc& loc = Loc::current());
Expr log_softmax(Expr x, SoftmaxAttrs attrs = {}, const Loc& loc = Loc::current());

}  // namespace flowgrad::ops
