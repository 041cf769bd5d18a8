#pragma once
// concat and split along one axis (torch.cat / torch.split with sizes).
//
//   concat(xs; axis):  xs_k: [A..., n_k, B...] (same dtype) -> [A..., Σ n_k, B...]
//                      y[..., o_k + i, ...] = xs_k[..., i, ...],  o_k = Σ_{j<k} n_j
//   split(x; sizes, axis): x: [A..., Σ sizes, B...] -> one output per size,
//                      y_k: [A..., sizes[k], B...], the inverse of concat
//
// The axis may be negative (counted from the end). Gradients: concat's is a
// split of dout by the inputs' sizes; split's is the concat of the output
// gradients (zeros where none flowed).
// Kernel: one BoxCopy (ops/box_copy.h) per input / output: memcpy of runs.

#include <vector>

#include "ops/expr.h"

namespace flowgrad::ops {

struct ConcatAttrs {
  int64_t axis = 0;
  template <class V> void visit(V& v) { v("axis", axis); }
};

struct SplitAttrs {
  std::vector<int64_t> sizes;
  int64_t axis = 0;
  template <class V> void visit(V& v) {
    v("sizes", sizes);
    v("axis", axis);
  }
};

Expr concat(const std::vector<Expr>& xs, int64_t axis, const Loc& loc = Loc::current());
std::vector<Expr> split(Expr x, std::vector<int64_t> sizes, int64_t axis, const Loc& loc = Loc::current());

}  // namespace flowgrad::ops
