#pragma once
// fuse_matmul_bias_act: matmul (+ bias) (+ activation) -> one matmul_bias_act.
//
// oneDNN runs a matmul with a bias argument and an eltwise post-op in one
// primitive: the bias add and the activation happen while the output tile is
// still in registers, instead of two more passes over [M, N] in memory.
//
//   a ──┐
//   b ──┴─ matmul ──┐
//          bias ────┴─ add ── relu|tanh|gelu ── y   ->   a, b, bias ── matmul_bias_act ── y
//
// Patterns, biggest first (rule benefit): matmul+bias+act (3), matmul+bias
// (2), matmul+act (1). The bias is the other operand of an `add` (either
// side) with shape [N] or [1, ..., 1, N], so the add keeps the matmul's shape.
// Legality is the one-use check on every intermediate: the fused node must
// absorb values nobody else reads. In a training graph the pre-activation is
// also read by the activation's gradient (relu and gelu backward take their
// input), so there only matmul+bias fuse and the activation stays; tanh's
// gradient reads its output, so matmul+bias+tanh fuses even there.
//
// Runs after autodiff (the gradients of the unfused ops already exist), so
// matmul_bias_act needs no gradient of its own.

#include "passes/pass.h"

namespace flowgrad::passes {

struct FuseMatmulBiasAct {
  static constexpr std::string_view name = "fuse_matmul_bias_act";
  bool run(graph::Graph& g);
};

}  // namespace flowgrad::passes
