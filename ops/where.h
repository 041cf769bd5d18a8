#pragma once
// Selection by a boolean mask, with numpy broadcasting.
//
//   where(cond, a, b)[i] = cond[i] ? a[i] : b[i]
//     cond: bool [C], a: [A], b: [B] (a, b: the same dtype) -> [broadcast(C, A, B)]
//   masked_fill(x, mask; value)[i] = mask[i] ? value : x[i]     (PyTorch's masked_fill)
//     x: [X] (any dtype), mask: bool [M] broadcasting to X -> [X]; value converted to x's dtype
//
// Gradients: d a = sum_to(where(cond, dout, 0)), d b = sum_to(where(cond, 0, dout));
// d x = where(mask, 0, dout). The condition gets none.
// Kernel: a parallel loop (ops/parallel.h) reading each operand through broadcast strides (plain
// indexing when every shape equals the output's).

#include "ops/expr.h"

namespace flowgrad::ops {

struct MaskedFillAttrs {
  double value = 0.0;
  template <class V> void visit(V& v) { v("value", value); }
};

Expr where(Expr cond, Expr a, Expr b, const Loc& loc = Loc::current());
Expr masked_fill(Expr x, Expr mask, double value, const Loc& loc = Loc::current());

}  // namespace flowgrad::ops
