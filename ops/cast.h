#pragma once
// cast: converts every element to another dtype (PyTorch's x.to(dtype)).
//
//   y[i] = convert<to>(x[i])
//   x: [...] (any dtype) -> y: [...] (dtype `to`)
//
//   float -> integer   truncates toward zero, like static_cast; values out of
//                      the target's range saturate and NaN becomes 0 (where
//                      static_cast is undefined)
//   any -> bool        x != 0 (NaN is true)
//   bool -> any        0 or 1
//   integer -> float / integer -> integer   static_cast (i64 -> i32 wraps)
//
// Kernel: a oneDNN reorder for i32 -> f32 and same-type f32/i32 copies; a
// loop otherwise (oneDNN has no i64, its u8 is not bool, and its f32 -> s32
// rounds to nearest instead of truncating).
//
// Gradients do not flow through cast: it is registered not_differentiable
// (the only differentiable case, f32 -> f32, is an identity nobody needs).

#include "ops/expr.h"

namespace flowgrad::ops {

struct CastAttrs {
  DType to = DType::f32;
  template <class V> void visit(V& v) { v("to", to); }
};

Expr cast(Expr x, DType to, const Loc& loc = Loc::current());

}  // namespace flowgrad::ops
