#pragma once
// A custom op, registered from user code (swish.cpp) without touching
// flowgrad's sources:
//
//   swish(x) = x · σ(beta · x)          (SiLU when beta = 1)
//   x: [...] f32 -> [...] f32   (f64 too, on the reference interpreter only:
//                                 the gradient check's double-precision path)
//
// Its gradient rule, d/dx = σ(βx) + βx · σ(βx) · (1 − σ(βx)), is written with
// the builder API, so autodiff, the gradient check, the passes and graph
// files treat it like a built-in op.

#include "ops/expr.h"

namespace user {

struct SwishAttrs {
  double beta = 1.0;
  template <class V> void visit(V& v) { v("beta", beta); }  // serialization, CSE and printing walk this
};

flowgrad::ops::Expr swish(flowgrad::ops::Expr x, SwishAttrs attrs = {},
                          const flowgrad::ops::Loc& loc = flowgrad::ops::Loc::current());

}  // namespace user
