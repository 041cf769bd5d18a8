#pragma once
// reduce_max_backward: the gradient of reduce_max. Each reduced group's
// gradient goes to its first maximal element in row-major order (like the
// index torch.max(dim) returns); the other elements get 0.
//
//   dy: [keep], x: [S], y: [keep] -> dx: [S]    keep = S with reduced axes = 1
//
// Not differentiable itself: reduce_max's second derivative is zero almost
// everywhere (w.r.t. x) and this op is not needed to differentiate again.

#include "ops/expr.h"

namespace flowgrad::ops {

Expr reduce_max_backward(Expr dy, Expr x, Expr y, const Loc& loc = Loc::current());

}  // namespace flowgrad::ops
