#pragma once
// one_hot: integer labels as indicator vectors (tf.one_hot semantics).
//
//   one_hot(indices; depth)[..., c] = 1 if indices[...] == c else 0
//   indices: i32|i64 [...] -> f32 [..., depth]
//
// An index outside [0, depth) (e.g. an ignore label -100) gives a row of
// zeros, as in TensorFlow (PyTorch raises instead). Not differentiable: its
// only input is integer. Kernel: a parallel loop over rows (ops/parallel.h).

#include "ops/expr.h"

namespace flowgrad::ops {

struct OneHotAttrs {
  int64_t depth = 0;
  template <class V> void visit(V& v) { v("depth", depth); }
};

Expr one_hot(Expr indices, int64_t depth, const Loc& loc = Loc::current());

}  // namespace flowgrad::ops
