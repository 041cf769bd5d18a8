#pragma once
// fuse_elementwise: chains of elementwise ops -> one fused_elementwise
// (ops/fused_elementwise.h), a single parallel loop that reads the chain's inputs
// and writes its result once.
//
//   x0 ── mul(0.5) ──┐
//            x1 ─────┴─ add ── relu ── y    ->    x0, x1 ── fused_elementwise("mul x0 0.5; add t0 x1; relu t1") ── y
//
// Members: relu, neg, and add, sub, mul, div whose operands are f32 of the
// output's shape or a constant holding one value (a literal in the program);
// and fused_elementwise itself. Transcendental ops (exp, tanh, gelu, ...)
// are left to oneDNN: its JIT kernels beat this build's portable ones by more
// than the saved memory pass (measured, see fuse_elementwise.cpp). One rule merges a member into a member that reads it, when that is
// the producer's only use; run to a fixpoint, chains grow one op at a time
// (at most kMaxInstructions per fused node). A lone op is left to its oneDNN
// primitive.
//
// Runs last, after the other fusions have taken the adds and activations that
// fold into matmuls, layer norms and softmaxes, and after autodiff
// (fused_elementwise is not differentiable).

#include "passes/pass.h"

namespace flowgrad::passes {

struct FuseElementwise {
  static constexpr std::string_view name = "fuse_elementwise";
  bool run(graph::Graph& g);
};

}  // namespace flowgrad::passes
