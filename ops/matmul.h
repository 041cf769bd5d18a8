#pragma once
// matmul: C = op(A) · op(B), batched, numpy-broadcast batch dimensions.
//
//   A: [..., M, K]  ([..., K, M] with transpose_a)
//   B: [..., K, N]  ([..., N, K] with transpose_b)
//   C: [broadcast(batch_A, batch_B)..., M, N]
//
// Both inputs have rank >= 2, f32. Transposes are strided oneDNN memory
// descriptors, never copies. Kernel: oneDNN matmul (gemm:jit on AVX2).

#include "ops/expr.h"

namespace flowgrad::ops {

struct MatmulAttrs {
  bool transpose_a = false;
  bool transpose_b = false;
  template <class V> void visit(V& v) {
    v("transpose_a", transpose_a);
    v("transpose_b", transpose_b);
  }
};

Expr matmul(Expr a, Expr b, MatmulAttrs attrs = {}, const Loc& loc = Loc::current());

}  // namespace flowgrad::ops
