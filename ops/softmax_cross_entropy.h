#pragma once
// softmax_cross_entropy: F.cross_entropy on logits with integer labels.
//
//   loss_r = logsumexp(x_r) - x_r[label_r]      (stable: max-shifted)
//   reduction "mean": Σ_r loss_r / #{r : label_r != ignore_index}  (0 if none)
//             "sum":  Σ_r loss_r;   "none": loss_r per row
//
//   logits: f32[..., C], labels: i32 or i64 [...] -> f32[] (or [...] for "none")
//
// Rows whose label is ignore_index (default -100, as in PyTorch) contribute
// nothing: the masked-LM loss. A label outside [0, C) is an error at run time.
// The gradient is one fused op, softmax_cross_entropy_backward:
//   dlogits_r = (softmax(x_r) - onehot(label_r)) · dloss_r (/ count for "mean")
// Unlike PyTorch, a "mean" over zero counted rows is 0, not NaN.

#include "ops/expr.h"

namespace flowgrad::ops {

struct CrossEntropyAttrs {
  int64_t ignore_index = -100;
  std::string reduction = "mean";  // mean | sum | none
  template <class V> void visit(V& v) {
    v("ignore_index", ignore_index);
    v("reduction", reduction);
  }
};

Expr softmax_cross_entropy(Expr logits, Expr labels, CrossEntropyAttrs attrs = {}, const Loc& loc = Loc::current());

}  // namespace flowgrad::ops
