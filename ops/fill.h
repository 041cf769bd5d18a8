#pragma once
// fill: a tensor of one value, recomputed (cheaply) each run.
//
//   fill(shape, value, dtype) -> [shape]
//
// Used for gradient seeds and zero gradients; constant folding may turn it into
// a constant.

#include "ops/expr.h"

namespace flowgrad::ops {

struct FillAttrs {
  Shape shape;
  DType dtype = DType::f32;
  double value = 0.0;
  template <class V> void visit(V& v) {
    v("shape", shape);
    v("dtype", dtype);
    v("value", value);
  }
};

Expr fill(Emitter& em, FillAttrs attrs, const Loc& loc = Loc::current());
Expr zeros_like(Expr x, const Loc& loc = Loc::current());
Expr ones_like(Expr x, const Loc& loc = Loc::current());

}  // namespace flowgrad::ops
