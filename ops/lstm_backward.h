#pragma once
// lstm_backward: the gradient of lstm (ops/lstm.h), on oneDNN's
// lstm_backward primitive; emitted by lstm's gradient rule.
//
//   inputs:  lstm's inputs (x, parameters[, h0, c0][, lengths]),
//            lstm's workspace output, dy [T, B, D·H], dh_n, dc_n [L·D, B, H]
//   outputs: dx [T, B, I], dh0, dc0 [L·D, B, H] (always, even without h0/c0),
//            then one gradient per parameter, PyTorch's shapes and order
//            (d bias_ih = d bias_hh: both add to the same gate pre-activation)
//
// Per layer from the last to the first, per direction: the weights are
// reordered into the backward primitive's preferred layout, the weight
// gradient buffers zeroed (oneDNN accumulates into them), the primitive run on
// the saved forward state, and the gradients reordered back. Positions past a
// sequence's length get dx = 0; a sequence of length 0 passes dh_n, dc_n to
// dh0, dc0 unchanged.
//
// The workspace is a cache of the forward pass: the kernel uses it when its
// header carries the mark of the forward kernel of this same run (magic, run
// step, geometry). Anything else — the zeros of the reference interpreter, or
// random data in the op harness — makes it recompute the forward pass into a
// buffer of its own (allocated on that first need, then kept). The reference
// kernel always recomputes the forward pass in double.
//
// Not differentiable: no second derivatives through an LSTM.

#include "ops/lstm.h"

namespace flowgrad::ops {

struct LstmGrads {
  Expr dx, dh0, dc0;
  std::vector<Expr> dparams;  // lstm_parameter_names order
};

// `forward_inputs` exactly as given to the lstm node (x, params[, h0, c0][, lengths]).
LstmGrads lstm_backward(const std::vector<Expr>& forward_inputs, Expr workspace, Expr dy, Expr dh_n, Expr dc_n,
                        LstmAttrs attrs, const Loc& loc = Loc::current());

}  // namespace flowgrad::ops
