#pragma once
// reshape: the same elements, in the same row-major order, under another
// shape (PyTorch's reshape on a contiguous tensor).
//
//   y.flat[i] = x.flat[i]
//   x: [d0, ..., dn] (any dtype) -> y: shape, numel(shape) == numel(x)
//
// At most one entry of `shape` may be -1; it is inferred from the element
// count ([2, 3, 4] with [-1, 4] gives [6, 4]). Any other negative entry, two
// -1s, or an element-count mismatch is a ShapeError naming both shapes.
// Kernel: a memcpy (parallel blocks when large) — the runtime gives every output
// its own buffer, so reshape copies rather than aliases.

#include "ops/expr.h"

namespace flowgrad::ops {

struct ReshapeAttrs {
  std::vector<int64_t> shape;  // may hold one -1
  template <class V> void visit(V& v) { v("shape", shape); }
};

Expr reshape(Expr x, Shape shape, const Loc& loc = Loc::current());

}  // namespace flowgrad::ops
