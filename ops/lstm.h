#pragma once
// lstm: a multi-layer, optionally bidirectional LSTM — PyTorch's nn.LSTM
// (batch_first=False, bias=True, no projection) on oneDNN's vanilla_lstm.
//
// For layer l, direction d and sequence b, over its valid steps t < len_b
// (direction 0 walks t = 0 .. len_b-1, direction 1 walks t = len_b-1 .. 0):
//
//   [i f g o] = W_ih · in_t + b_ih + W_hh · h_prev + b_hh     (4H gate rows)
//   i, f, o = σ(·),  g = tanh(·)
//   c = f ⊙ c_prev + i ⊙ g,   h = o ⊙ tanh(c),   y_l[t, b, d·H : (d+1)·H] = h
//
// Layer 0 reads x, layer l > 0 reads y_{l-1} (both directions concatenated);
// y is the last layer's y_l. h_n/c_n hold each layer's and direction's state
// after the sequence's last valid step, at index l·D + d (PyTorch's order).
//
// Inputs, in this order (D = 2 if bidirectional else 1, L = num_layers):
//   x                      f32 [T, B, I]      time-major, like oneDNN's tnc
//   for l < L, for d < D   (PyTorch's names; d = 1 adds the suffix "_reverse")
//     weight_ih_l{l}       f32 [4H, I_l]      I_0 = I, I_l = D·H for l > 0
//     weight_hh_l{l}       f32 [4H, H]
//     bias_ih_l{l}         f32 [4H]
//     bias_hh_l{l}         f32 [4H]
//   h0, c0 (optional)      f32 [L·D, B, H]    both or neither; default zeros
//   lengths (optional)     i32 [B]            each in [0, T]; default all T
// Outputs:
//   y                      f32 [T, B, D·H]    0 at padded positions t >= len_b
//   h_n, c_n               f32 [L·D, B, H]
//   workspace              f32 [W]            hidden (see below)
//
// Weight layout (decided here): the op takes PyTorch's parameter tensors, so
// gradients and checkpoints use PyTorch's names and shapes unchanged. The gate
// order (i, f, g, o) is oneDNN's (i, f, c~, o) as well, and [4H, I_l] is
// oneDNN's ldgoi, so the kernel converts at run time with oneDNN reorders
// (made at lower time, into scratch allocated once) to the primitives'
// preferred layouts, plus bias = b_ih + b_hh; weight gradients come back the
// same way. lstm_weights_from_pytorch / lstm_weights_to_pytorch below convert
// parameter sets between PyTorch's and oneDNN's plain layouts (pure tensor
// code, e.g. for weights saved by oneDNN-based tools).
//
// Padding (how sequences of different lengths share one batch): every
// direction runs as a left-to-right oneDNN primitive over the [T, B] batch
// (or a part of it, see Lanes). Direction 1 gets each sequence reversed
// within its length, so the valid steps of every sequence come first and its
// padding last. The layer input gets one extra channel, 1 at padded steps
// and 0 at valid ones, whose weights are −10⁴ on the input gate and +10⁴ on
// the forget gate: at a padded step i = 0 and f = 1 exactly in f32, so c
// passes through unchanged and the valid steps never see the padding (their
// extra-channel term is exactly 0). y is taken at valid steps only (0
// elsewhere), h_n from y at step len_b - 1, c_n from the primitive's final
// cell state. Gradients flow back the same way (the padded steps have zero
// gate gradients). This keeps the one-big-GEMM speed of oneDNN's RNN for
// every batch; a batch of length-0 sequences gives y = 0, h_n = h0 and
// c_n = c0.
//
// Lanes (threads): each layer runs as independent lanes, one per direction
// and batch part; a unidirectional layer cuts its batch into 2 parts of
// B / 2 sequences (a bidirectional one keeps it whole). Each lane has its own
// primitives; with 2+ threads the lanes run concurrently, one thread each,
// because oneDNN's LSTM is a chain of small per-step GEMMs that gains little
// from a bigger team. The cut depends on the shapes only, so results are
// bit-identical at any thread count (the parts' weight gradients are added in
// part order).
//
// The workspace output is the saved forward state for lstm_backward: oneDNN's
// training workspace (u8 bytes) and the primitive inputs/outputs the backward
// pass needs, per layer and direction, packed into an f32 tensor whose size
// covers those bytes (its size depends on oneDNN's implementation, queried at
// shape inference). It is not part of the op's meaning: the reference kernel
// writes zeros, the op harness does not compare it, its gradient is ignored.
//
// Gradient: one lstm_backward node (ops/lstm_backward.h) giving dx, dh0, dc0
// and every parameter gradient; lstm_backward itself is not differentiable
// (no gradients of gradients through an LSTM).
//
// batch_first: pass LstmOptions{.batch_first = true} to give x as [B, T, I]
// and get y as [B, T, D·H]; the builder inserts swap_axes(·, 0, 1) on both
// sides (h_n and c_n keep [L·D, B, H], as in PyTorch).

#include <optional>

#include "ops/expr.h"

namespace flowgrad::ops {

struct LstmAttrs {
  int64_t hidden_size = 0;
  int64_t num_layers = 1;
  bool bidirectional = false;
  template <class V> void visit(V& v) {
    v("hidden_size", hidden_size);
    v("num_layers", num_layers);
    v("bidirectional", bidirectional);
  }
};

struct LstmOptions {
  std::optional<Expr> h0, c0;   // [L·D, B, H]
  std::optional<Expr> lengths;  // i32 [B]
  bool batch_first = false;     // x: [B, T, I], y: [B, T, D·H]
};

struct LstmResult {
  Expr y, h_n, c_n;
  Expr workspace;  // hidden; only lstm_backward reads it
};

// `params`: 4·L·D tensors in the order of lstm_parameter_names(attrs).
LstmResult lstm(Expr x, const std::vector<Expr>& params, LstmAttrs attrs, LstmOptions options = {},
                const Loc& loc = Loc::current());

// PyTorch's parameter names in the op's input order: weight_ih_l0,
// weight_hh_l0, bias_ih_l0, bias_hh_l0, weight_ih_l0_reverse, ...
std::vector<std::string> lstm_parameter_names(const LstmAttrs& attrs);
// PyTorch's shape of each parameter, same order.
std::vector<Shape> lstm_parameter_shapes(const LstmAttrs& attrs, int64_t input_size);

// One layer's parameters in oneDNN's layouts (ldigo, ldgo without the L axis).
struct DnnlLstmLayer {
  Tensor weights_layer;  // [D, I_l, 4, H]
  Tensor weights_iter;   // [D, H, 4, H]
  Tensor bias;           // [D, 4, H] = bias_ih + bias_hh
};

// PyTorch parameters (lstm_parameter_names order) -> oneDNN layouts, one
// entry per layer. Throws ValueError naming a parameter of the wrong shape.
std::vector<DnnlLstmLayer> lstm_weights_from_pytorch(std::span<const Tensor> params, const LstmAttrs& attrs,
                                                     int64_t input_size);
// The inverse; oneDNN keeps only the bias sum, so bias_ih gets it all and
// bias_hh is 0 (the same LSTM).
std::vector<Tensor> lstm_weights_to_pytorch(std::span<const DnnlLstmLayer> layers, const LstmAttrs& attrs);

}  // namespace flowgrad::ops
