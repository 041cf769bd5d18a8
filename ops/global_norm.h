#pragma once
// global_norm_scale: the factor that clips a set of gradients to a global
// L2 norm (torch.nn.utils.clip_grad_norm_):
//
//   norm  = sqrt(Σ_k Σ_i g_k[i]²)
//   scale = min(1, max_norm / (norm + 1e-6))
//
//   g_0 .. g_n: any f32 shapes -> f32[]
//
// Sums run in double, per fixed block, combined in order: deterministic.

#include "ops/expr.h"

namespace flowgrad::ops {

struct GlobalNormAttrs {
  double max_norm = 1.0;
  template <class V> void visit(V& v) { v("max_norm", max_norm); }
};

Expr global_norm_scale(const std::vector<Expr>& grads, GlobalNormAttrs attrs, const Loc& loc = Loc::current());
// Each gradient times the clip factor.
std::vector<Expr> clip_by_global_norm(const std::vector<Expr>& grads, double max_norm, const Loc& loc = Loc::current());

}  // namespace flowgrad::ops
