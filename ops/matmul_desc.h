#pragma once
// oneDNN descriptors of a matmul's operands, shared by `matmul` and the fused
// `matmul_bias_act`: transposed operands are strided views (never copies),
// batch dimensions are left-padded with 1 and broadcast, the destination is
// dense. A batched A times one shared B is described as one 2-D GEMM
// ([batch·M, K]·[K, N]): the descriptors' rank can be lower than dst_shape's.
//
//   A: [..., M, K] (or [..., K, M]), B: [..., K, N] (or [..., N, K]) -> C: [batch..., M, N]

#include <oneapi/dnnl/dnnl.hpp>

#include "ops/matmul.h"

namespace flowgrad::ops {

struct MatmulDescs {
  dnnl::memory::desc src, weights, dst;
  Shape dst_shape;   // [batch..., M, N]
  double flops = 0;  // 2·batch·M·N·K
};

// The shapes must have passed matmul's inference.
MatmulDescs matmul_descs(const Shape& a, const Shape& b, const MatmulAttrs& attrs);

}  // namespace flowgrad::ops
