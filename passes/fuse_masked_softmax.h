#pragma once
// fuse_masked_softmax: the attention softmax written out in ops -> one
// masked_softmax (ops/masked_softmax.h), a single pass per row.
//
//   x ── mul|div(c) ──┐
//            mask ────┴─ add ── softmax(last axis) ── y   ->   x, mask ── masked_softmax(scale) ── y
//
//   scale = c for mul (either side), 1/c for div(x, c); c is a constant or
//   fill holding one value. Without the mul (softmax(x + mask)) scale = 1.
//
// The mask may broadcast (e.g. [B, 1, 1, T] against scores [B, h, T, T]); x
// must have the output's shape. The scaled scores and z = x·c + mask must be
// used only on this path (a training graph's softmax gradient reads y, and
// mul's and div's gradients w.r.t. x read c, not x·c, so they still fuse
// after autodiff).
//
// models/bert.cpp calls masked_softmax directly; this catches graphs that
// spell it out (e.g. imported or user-written attention).

#include "passes/pass.h"

namespace flowgrad::passes {

struct FuseMaskedSoftmax {
  static constexpr std::string_view name = "fuse_masked_softmax";
  bool run(graph::Graph& g);
};

}  // namespace flowgrad::passes
