#pragma once
// Reductions of f32 over a set of axes:
//
//   reduce_sum(x)  = Σ_r x[..., r, ...]
//   reduce_mean(x) = (1 / R) Σ_r x[..., r, ...]     R = product of the reduced dims
//   reduce_max(x)  = max_r x[..., r, ...]            (NaN if any element is NaN)
//
//   x: [d0, ..., dn-1] -> the dims not in `axes`  (keepdims: reduced dims kept as 1)
//   e.g. [2, 3, 4], axes {1}     -> [2, 4]      ([2, 1, 4] with keepdims)
//        [2, 3, 4], axes {}      -> []          (an empty list reduces every axis)
//
// Axes lie in [-rank, rank) (negative counts from the end), without
// duplicates. Over an empty extent (a reduced dim of size 0) the sum is 0 and
// the mean NaN; reduce_max rejects it.
//
// Kernel: a parallel loop (ops/parallel.h). Each output accumulates its elements
// in an order fixed by the shape alone, in double, so the result is
// bit-identical for any thread count.

#include <vector>

#include "ops/expr.h"

namespace flowgrad::ops {

struct ReduceAttrs {
  std::vector<int64_t> axes;  // empty: all axes
  bool keepdims = false;
  template <class V> void visit(V& v) {
    v("axes", axes);
    v("keepdims", keepdims);
  }
};

Expr reduce_sum(Expr x, ReduceAttrs attrs = {}, const Loc& loc = Loc::current());
Expr reduce_mean(Expr x, ReduceAttrs attrs = {}, const Loc& loc = Loc::current());
Expr reduce_max(Expr x, ReduceAttrs attrs = {}, const Loc& loc = Loc::current());

}  // namespace flowgrad::ops
