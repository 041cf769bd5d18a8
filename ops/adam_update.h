#pragma once
// Adam and AdamW parameter updates, in place (torch.optim.Adam / AdamW):
//
//   Adam:   g = grad + weight_decay · param
//   AdamW:  param ·= 1 - lr · weight_decay  (decoupled), g = grad
//   m = β1 m + (1 - β1) g
//   v = β2 v + (1 - β2) g²
//   param -= lr · (m / (1 - β1^t)) / (sqrt(v / (1 - β2^t)) + eps)
//
//   param, grad, m, v: [...] f32; lr, t: f32[] (t = 1 at the first step)
//   outputs {param', m', v'} alias param, m, v.

#include "ops/expr.h"

namespace flowgrad::ops {

struct AdamAttrs {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
  bool decoupled = false;  // true: AdamW
  template <class V> void visit(V& v) {
    v("beta1", beta1);
    v("beta2", beta2);
    v("eps", eps);
    v("weight_decay", weight_decay);
    v("decoupled", decoupled);
  }
};

// One element of the published update, in double: the reference kernels'
// oracle (dense and sparse). Returns {param', m', v'}.
struct AdamElement {
  double p, m, v;
};
AdamElement adam_reference_step(const AdamAttrs& a, double lr, double t, double p, double g, double m, double v);

std::vector<Expr> adam_update(Expr param, Expr grad, Expr m, Expr v, Expr lr, Expr step, AdamAttrs attrs,
                              const Loc& loc = Loc::current());

}  // namespace flowgrad::ops
