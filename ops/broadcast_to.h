#pragma once
// broadcast_to and its dual sum_to.
//
//   broadcast_to(x, shape): x [S] -> [shape], numpy broadcasting (S broadcasts to shape)
//   sum_to(g, shape):       g [G] -> [shape], sums the dims that broadcasting
//                           from `shape` to G created (the gradient of a broadcast)
//
// broadcast_to's gradient is sum_to; sum_to is reduce_sum + reshape, whose
// gradients bring back broadcast_to.

#include "ops/expr.h"

namespace flowgrad::ops {

struct BroadcastToAttrs {
  Shape shape;
  template <class V> void visit(V& v) { v("shape", shape); }
};

Expr broadcast_to(Expr x, Shape shape, const Loc& loc = Loc::current());
// Alias of broadcast_to (PyTorch's name).
Expr expand(Expr x, Shape shape, const Loc& loc = Loc::current());
Expr sum_to(Expr g, const Shape& shape, const Loc& loc = Loc::current());

}  // namespace flowgrad::ops
