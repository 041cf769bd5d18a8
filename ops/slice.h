#pragma once
// slice and pad: a box of a tensor, and a tensor inside a border.
//
//   slice(x; axes, starts, ends): y = x[..., starts[k]:ends[k], ...] on axes[k]
//     (step 1), other axes whole. Empty `axes` means 0, 1, .., len(starts)-1.
//     Negative axes, starts and ends count from the end (ends[k] may equal the
//     dim); after that 0 <= start <= end <= dim is required (no clamping).
//     x: [d0, ..., dn] -> y: [.., ends[k] - starts[k], ..]
//   pad(x; before, after, value): y = x surrounded by `value`
//     x: [d0, ..., dn] -> y: [before[i] + d_i + after[i]] (one entry per dim, >= 0)
//     y[before + i] = x[i], every other element = value
//
// Gradients: slice's is pad(dout) with zeros, pad's is slice(dout). Any dtype.
// Kernel: BoxCopy (ops/box_copy.h); pad fills the border first.

#include <vector>

#include "ops/expr.h"

namespace flowgrad::ops {

struct SliceAttrs {
  std::vector<int64_t> axes;  // empty: the leading axes
  std::vector<int64_t> starts;
  std::vector<int64_t> ends;
  template <class V> void visit(V& v) {
    v("axes", axes);
    v("starts", starts);
    v("ends", ends);
  }
};

struct PadAttrs {
  std::vector<int64_t> before;
  std::vector<int64_t> after;
  double value = 0.0;
  template <class V> void visit(V& v) {
    v("before", before);
    v("after", after);
    v("value", value);
  }
};

Expr slice(Expr x, SliceAttrs attrs, const Loc& loc = Loc::current());
Expr pad(Expr x, PadAttrs attrs, const Loc& loc = Loc::current());

}  // namespace flowgrad::ops
