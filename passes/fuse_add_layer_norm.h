#pragma once
// fuse_add_layer_norm: layer_norm(a + b) -> one add_layer_norm (ops/add_layer_norm.h).
//
//   a ──┐
//   b ──┴─ add ── s ── layer_norm(γ, β) ── y, mean, var
//                 └── (other readers of s: layer_norm_backward, ...)
//     ->
//   a, b, γ, β ── add_layer_norm ── y, mean, var, s
//
// The add's operands must have the add's type (no broadcasting: that is the
// residual add of a Transformer block, h + x). The sum is an output of the
// fused op, so other readers of s — in a training graph layer_norm's
// backward reads it — are pointed there and no one-use check is needed.
// γ and β must not depend on s (the fused node computes s itself).
//
// Runs after autodiff like every fusion, although add_layer_norm also has a
// gradient of its own.

#include "passes/pass.h"

namespace flowgrad::passes {

struct FuseAddLayerNorm {
  static constexpr std::string_view name = "fuse_add_layer_norm";
  bool run(graph::Graph& g);
};

}  // namespace flowgrad::passes
