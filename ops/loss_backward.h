#pragma once
// Shape inference shared by the fused loss backward ops, whose inputs are
// (dloss, logits, targets): dloss must have the forward loss's type (as the
// forward's own inference gives it), and dlogits has the logits' type.

#include "ops/op_def.h"

namespace flowgrad::ops {

inline InferFn loss_backward_infer(InferFn forward) {
  return [forward = std::move(forward)](const InferContext& ctx) -> std::vector<TensorType> {
    std::vector<TensorType> fwd_in{ctx.in(1), ctx.in(2)};
    InferContext fwd{ctx.op, ctx.node_name, ctx.attrs, fwd_in, ctx.loc};
    if (forward(fwd)[0] != ctx.in(0)) ctx.fail("expected dloss of the loss's type, got " + ctx.in(0).str());
    return {ctx.in(1)};
  };
}

}  // namespace flowgrad::ops
