#pragma once
// stop_gradient(x) = x in the forward pass; no gradient flows through it.
//   x: [...] -> [...]

#include "ops/expr.h"

namespace flowgrad::ops {

Expr stop_gradient(Expr x, const Loc& loc = Loc::current());

}  // namespace flowgrad::ops
