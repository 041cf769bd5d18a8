#pragma once
// sigmoid_binary_cross_entropy: F.binary_cross_entropy_with_logits.
//
//   loss_i = max(x_i, 0) - x_i t_i + log(1 + exp(-|x_i|))   (stable for any |x|)
//   reduction "mean" (over all elements), "sum" or "none"
//
//   logits, targets: f32[...] (same shape) -> f32[] (or [...] for "none")
//
// Negative sampling's loss. The gradient is one fused op,
// sigmoid_binary_cross_entropy_backward: dx_i = (σ(x_i) - t_i) · dloss_i
// (/ N for "mean"); the targets' gradient is -x · dloss, as in PyTorch.

#include "ops/expr.h"

namespace flowgrad::ops {

struct BceAttrs {
  std::string reduction = "mean";  // mean | sum | none
  template <class V> void visit(V& v) { v("reduction", reduction); }
};

Expr sigmoid_binary_cross_entropy(Expr logits, Expr targets, BceAttrs attrs = {}, const Loc& loc = Loc::current());

}  // namespace flowgrad::ops
