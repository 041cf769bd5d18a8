#pragma once
// dropout: inverted dropout, as PyTorch's F.dropout.
//
//   training:   y_i = x_i · m_i / (1 - p)     m_i = [u_i >= p]   (p = 1: y = 0)
//   inference:  y = x
//   u_i = uniform01(random_key(seed, stream), step · N + i)      N = numel(x)
//
//   x: f32[...] -> y: f32[...]
//
// The mask is a pure function of (seed, stream, step, i) (ops/random.h): it
// does not depend on scheduling or the thread count. `step` is the session's
// run counter (KernelArgs::step), so every training step draws a new mask.
// `stream` is the hash of the node's path; the builder computes it
// (ops::random_stream), so two dropout nodes never share a mask.
//
// The gradient is an explicit op, dropout_backward(dy) = dy · m / (1 - p),
// with the forward's attrs: it runs in the same session run (same step) and
// regenerates the same mask instead of saving it. Both ops are linear, so
// dropout_backward's gradient is dropout_backward again.
//
// The reference kernels have no session: they use step 0, which is what a
// fresh session's first run uses.

#include "ops/expr.h"

namespace flowgrad::ops {

struct DropoutAttrs {
  double p = 0.1;        // drop probability, in [0, 1]
  int64_t seed = 0;
  bool training = true;  // false: the identity
  int64_t stream = 0;    // set by the builder: hash of the node path
  template <class V> void visit(V& v) {
    v("p", p);
    v("seed", seed);
    v("training", training);
    v("stream", stream);
  }
};

// Sets attrs.stream from the node path (scope + "dropout", made unique).
Expr dropout(Expr x, DropoutAttrs attrs = {}, const Loc& loc = Loc::current());
// Keeps attrs.stream: pass the forward node's attrs.
Expr dropout_backward(Expr dy, DropoutAttrs attrs, const Loc& loc = Loc::current());

}  // namespace flowgrad::ops
