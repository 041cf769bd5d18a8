#pragma once
// transpose: permutes the axes of a tensor (numpy transpose, PyTorch permute).
//
//   y[i0, ..., in] = x[j] where j[perm[k]] = ik, i.e. output dim k is input dim perm[k]
//   x: [d0, ..., dn] (any dtype) -> y: [d_perm[0], ..., d_perm[n]]
//
// `perm` must be a permutation of 0..rank-1; negative entries count from the
// end (-1 is the last axis). Anything else is a ShapeError.
// Kernel: for f32 and i32 a oneDNN reorder from the input viewed with
// permuted strides to a dense output ("transpose as a reorder"); for i64 and
// bool (and empty tensors, or ranks beyond oneDNN's 12) a gather loop (ops/parallel.h).
//
//   transpose(x, {0, 2, 1, 3})   // [B, T, H, D] -> [B, H, T, D] (attention heads)
//   permute(x, perm)             // the same op under PyTorch's name
//   swap_axes(x, -1, -2)         // [.., M, N] -> [.., N, M]

#include "ops/expr.h"

namespace flowgrad::ops {

struct TransposeAttrs {
  std::vector<int64_t> perm;  // output dim i = input dim perm[i]
  template <class V> void visit(V& v) { v("perm", perm); }
};

Expr transpose(Expr x, std::vector<int64_t> perm, const Loc& loc = Loc::current());
// Alias of transpose (one op, "transpose", in the registry).
Expr permute(Expr x, std::vector<int64_t> perm, const Loc& loc = Loc::current());
// Transpose that exchanges axes a and b (negative axes count from the end).
Expr swap_axes(Expr x, int64_t a, int64_t b, const Loc& loc = Loc::current());

}  // namespace flowgrad::ops
