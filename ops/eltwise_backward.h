#pragma once
// eltwise_backward: the gradient of an elementwise activation, bound to
// oneDNN's eltwise backward primitive.
//
//   dx = eltwise_backward(dy, saved, kind)        dy, saved, dx: [...]
//
//   kind        saved   dx
//   relu        x       dy * [x > 0]
//   tanh        y       dy * (1 - y²)
//   sigmoid     y       dy * y (1 - y)
//   gelu        x       dy * (Φ(x) + x φ(x))
//   gelu_tanh   x       dy * d/dx gelu_tanh(x)
//   exp         y       dy * y
//   log         x       dy / x
//
// It is itself differentiable (for gradients of gradients) except gelu_tanh
// with respect to x.

#include "ops/expr.h"

namespace flowgrad::ops {

struct EltwiseBackwardAttrs {
  std::string kind;
  template <class V> void visit(V& v) { v("kind", kind); }
};

Expr eltwise_backward(Expr dy, Expr saved, std::string kind, const Loc& loc = Loc::current());

}  // namespace flowgrad::ops
