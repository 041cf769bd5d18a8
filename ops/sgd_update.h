#pragma once
// SGD parameter updates, in place (PyTorch's torch.optim.SGD, dampening 0):
//
//   g = grad + weight_decay · param
//   sgd_update:           param -= lr · g
//   sgd_momentum_update:  buf = momentum · buf + g
//                         param -= lr · (nesterov ? g + momentum · buf : buf)
//
//   param, grad, buf: [...] (same shape, f32); lr: f32[]
//   outputs alias param (and buf): they are the updated variables.

#include "ops/expr.h"

namespace flowgrad::ops {

struct SgdAttrs {
  double momentum = 0.0;
  bool nesterov = false;
  double weight_decay = 0.0;
  template <class V> void visit(V& v) {
    v("momentum", momentum);
    v("nesterov", nesterov);
    v("weight_decay", weight_decay);
  }
};

Expr sgd_update(Expr param, Expr grad, Expr lr, SgdAttrs attrs = {}, const Loc& loc = Loc::current());
// Returns {param', buf'}.
std::vector<Expr> sgd_momentum_update(Expr param, Expr grad, Expr lr, Expr buf, SgdAttrs attrs,
                                      const Loc& loc = Loc::current());

}  // namespace flowgrad::ops
