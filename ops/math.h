#pragma once
// More elementwise math on f32 (f64 on the reference interpreter), each a oneDNN eltwise primitive, with
// gradients composed from existing ops:
//
//   op                 y                      dx
//   sqrt(x)            √x                     dy / y · 0.5
//   rsqrt(x)           x^-0.5                 dy · y³ · -0.5
//   pow(x, e)          x^e                    dy · e · x^(e-1)        (0 for e = 0)
//   abs(x)             |x|                    dy · sign(x)            (0 at x = 0)
//   clamp(x, lo, hi)   min(max(x, lo), hi)    dy · [lo < x < hi]
//   log_sigmoid(x)     -log(1 + e^-x)         dy · sigmoid(-x)
//
//   x: f32[...] -> y: f32[...]
//
// Kernels: eltwise_sqrt, eltwise_pow (alpha 1, beta e; rsqrt is beta -0.5),
// eltwise_abs, eltwise_clip (alpha lo, beta hi), eltwise_logsigmoid (stable
// for large |x|). pow follows std::pow: a negative base with a non-integer
// exponent gives NaN. clamp's gradient is 0 at the bounds themselves
// (PyTorch passes it there); sign(x) and the clamp indicator come from
// eltwise_backward's relu form, dy · [s > 0].
//
// argmax(x, axis): the index of the first maximal element along `axis`
// (NaN counts as maximal, as in PyTorch), i64, not differentiable.
//   x: f32[d0, ..., dn] -> i64[d without axis]   (keepdims: axis kept as 1)
//
// mean_var(x, axes): builder only, {mean, population variance} over `axes`
// (reduce_mean of (x - mean)², two passes for stability); no new op.

#include <limits>

#include "ops/expr.h"
#include "ops/reduce.h"

namespace flowgrad::ops {

struct PowAttrs {
  double exponent = 2.0;
  template <class V> void visit(V& v) { v("exponent", exponent); }
};

struct ClampAttrs {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  template <class V> void visit(V& v) {
    v("min", min);
    v("max", max);
  }
};

struct ArgmaxAttrs {
  int64_t axis = -1;
  bool keepdims = false;
  template <class V> void visit(V& v) {
    v("axis", axis);
    v("keepdims", keepdims);
  }
};

Expr sqrt(Expr x, const Loc& loc = Loc::current());
Expr rsqrt(Expr x, const Loc& loc = Loc::current());
Expr pow(Expr x, double exponent, const Loc& loc = Loc::current());
Expr abs(Expr x, const Loc& loc = Loc::current());
Expr clamp(Expr x, ClampAttrs attrs, const Loc& loc = Loc::current());
Expr log_sigmoid(Expr x, const Loc& loc = Loc::current());
Expr argmax(Expr x, ArgmaxAttrs attrs = {}, const Loc& loc = Loc::current());

struct MeanVar {
  Expr mean, var;
};
MeanVar mean_var(Expr x, ReduceAttrs axes = {}, const Loc& loc = Loc::current());

}  // namespace flowgrad::ops
