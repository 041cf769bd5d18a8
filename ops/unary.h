#pragma once
// Elementwise unary ops on f32 (f64 on the reference interpreter), each a oneDNN eltwise primitive:
//
//   relu(x)    = max(x, 0)
//   tanh(x)
//   sigmoid(x) = 1 / (1 + exp(-x))
//   gelu(x)    = x * Φ(x)                                   (approximate = "none")
//              = 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))  (approximate = "tanh")
//   exp(x), log(x), neg(x) = -x
//
// Gradients go through eltwise_backward (oneDNN's backward primitive).
//
//   x: [...] -> [...]

#include "ops/expr.h"

namespace flowgrad::ops {

struct GeluAttrs {
  std::string approximate = "none";  // "none" (erf) or "tanh", as in PyTorch
  template <class V> void visit(V& v) { v("approximate", approximate); }
};

Expr relu(Expr x, const Loc& loc = Loc::current());
Expr tanh(Expr x, const Loc& loc = Loc::current());
Expr sigmoid(Expr x, const Loc& loc = Loc::current());
Expr gelu(Expr x, GeluAttrs attrs = {}, const Loc& loc = Loc::current());
Expr exp(Expr x, const Loc& loc = Loc::current());
Expr log(Expr x, const Loc& loc = Loc::current());
Expr neg(Expr x, const Loc& loc = Loc::current());

}  // namespace flowgrad::ops
