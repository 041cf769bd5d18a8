#pragma once
// fuse_matmul_residual: add(matmul(...), r) -> one matmul_bias_act whose
// binary-add post-op adds r while the output tile is still in registers.
//
//   a, b ── matmul | matmul_bias_act ──┐
//                       r (y's type) ──┴─ add ── y   ->   a, b, [bias], r ── matmul_bias_act(residual) ── y
//
// r must have exactly the add's output type (a residual stream, or another
// gradient contribution: autodiff sums the gradients of a value used several
// times with `add`, and in a Transformer most of those terms are matmuls —
// dx = dq·Wq + dk·Wk + dv·Wv + d_residual — so this fires mostly on the
// backward side). The matmul's output must be used only by the add.
// Runs after fuse_matmul_bias_act, so the bias and the activation are already
// in the matmul_bias_act it extends: the post-ops run bias -> act -> + r.
//
// Runs after autodiff like every fusion (matmul_bias_act is not
// differentiable).

#include "passes/pass.h"

namespace flowgrad::passes {

struct FuseMatmulResidual {
  static constexpr std::string_view name = "fuse_matmul_residual";
  bool run(graph::Graph& g);
};

}  // namespace flowgrad::passes
