#include "ops/softmax_backward.h"

#include <cmath>

#include "graph/dtype_dispatch.h"
#include "ops/binary.h"
#include "ops/broadcast_to.h"
#include "ops/lane_reduce.h"
#include "ops/parallel.h"
#include "ops/reduce.h"
#include "ops/shape_util.h"
#include "ops/unary.h"

namespace flowgrad::ops {
namespace {

// The tensor seen as [outer, n, inner] around the axis.
struct Rows {
  int64_t outer = 1, n = 1, inner = 1;
};

Rows rows_of(const Shape& s, int64_t axis) {
  Rows r;
  for (int64_t d = 0; d < static_cast<int64_t>(s.size()); ++d) {
    if (d < axis) r.outer *= s[d];
    else if (d == axis) r.n = s[d];
    else r.inner *= s[d];
  }
  return r;
}

// dx for rows [lo, hi) of the outer·inner independent rows.
template <class T>
void backward_rows(const T* dy, const T* y, T* dx, const Rows& r, bool log_form, int64_t lo, int64_t hi) {
  for (int64_t row = lo; row < hi; ++row) {
    int64_t base = (row / r.inner) * r.n * r.inner + row % r.inner;  // [outer, ·, inner]
    double s = 0;
    for (int64_t j = 0; j < r.n; ++j) {
      int64_t k = base + j * r.inner;
      s += log_form ? dy[k] : static_cast<double>(dy[k]) * y[k];
    }
    for (int64_t j = 0; j < r.n; ++j) {
      int64_t k = base + j * r.inner;
      dx[k] = static_cast<T>(log_form ? dy[k] - std::exp(static_cast<double>(y[k])) * s : y[k] * (dy[k] - s));
    }
  }
}

// The common case, softmax over the last axis (attention): contiguous rows,
// s summed in float over fixed lanes (lane_reduce.h) so it vectorizes; cloned
// per instruction set (parallel.h).
FLOWGRAD_X86_CLONES
void contiguous_softmax_rows(const float* dy, const float* y, float* dx, int64_t n, int64_t lo, int64_t hi) {
  for (int64_t row = lo; row < hi; ++row) {
    const float *dyr = dy + row * n, *yr = y + row * n;
    float* dxr = dx + row * n;
    const float s = lane_sum(n, [&](int64_t j) { return dyr[j] * yr[j]; });
#pragma omp simd
    for (int64_t j = 0; j < n; ++j) dxr[j] = yr[j] * (dyr[j] - s);
  }
}

class BackwardKernel final : public Kernel {
 public:
  BackwardKernel(Rows r, bool log_form) : r_(r), log_(log_form) {}
  void run(const KernelArgs& k) override {
    int64_t rows = r_.outer * r_.inner;
    int64_t block = std::max<int64_t>(1, kBlock / std::max<int64_t>(1, r_.n));
    const bool contiguous = r_.inner == 1 && !log_;
    parallel_blocks(rows, k.threads, block, [&](int64_t lo, int64_t hi) {
      if (contiguous) contiguous_softmax_rows(k.in<float>(0), k.in<float>(1), k.out<float>(0), r_.n, lo, hi);
      else backward_rows(k.in<float>(0), k.in<float>(1), k.out<float>(0), r_, log_, lo, hi);
    });
  }
  double cost() const override { return static_cast<double>(r_.outer * r_.n * r_.inner) * 4; }

 private:
  Rows r_;
  bool log_;
};

int64_t axis_of(const graph::Node& n, int64_t rank) { return *normalize_axis(n.attrs_as<SoftmaxBackwardAttrs>().axis, rank); }

std::vector<TensorType> infer(const InferContext& ctx) {
  const TensorType& y = ctx.in(1);
  ctx.expect_same_float({1, 0});
  if (ctx.in(0) != y) ctx.fail("expected dy and y of the same shape");
  if (!normalize_axis(ctx.attrs_as<SoftmaxBackwardAttrs>().axis, y.rank())) ctx.fail("expected an axis within the rank");
  return {y};
}

// Second derivatives (see the header's formulas), with s·, t· summed over the axis:
//   softmax:     d dy = softmax_backward(ddx, y);   d y = ddx ⊙ (dy - Σ dy⊙y) - dy ⊙ Σ ddx⊙y
//   log_softmax: d dy = ddx - Σ ddx⊙exp(y);         d y = -ddx ⊙ exp(y) ⊙ Σ dy
std::vector<std::optional<Expr>> grad(GradContext& c) {
  const auto& a = c.attrs<SoftmaxBackwardAttrs>();
  Expr dy = c.in(0), y = c.in(1), ddx = c.dout();
  int64_t axis = *normalize_axis(a.axis, y.rank());
  auto axis_sum = [&](Expr e) {  // [.., 1, ..] broadcast back
    return broadcast_to(reduce_sum(e, {.axes = {axis}, .keepdims = true}, c.loc), y.shape(), c.loc);
  };
  if (a.log) {
    Expr ey = exp(y, c.loc);
    return {sub(ddx, axis_sum(mul(ddx, ey, c.loc)), c.loc), neg(mul(mul(ddx, ey, c.loc), axis_sum(dy), c.loc), c.loc)};
  }
  Expr d_y = sub(mul(ddx, sub(dy, axis_sum(mul(dy, y, c.loc)), c.loc), c.loc), mul(dy, axis_sum(mul(ddx, y, c.loc)), c.loc),
                 c.loc);
  return {softmax_backward(ddx, y, a, c.loc), d_y};
}

}  // namespace

FLOWGRAD_REGISTER_OP({
    .name = "softmax_backward",
    .num_inputs = 2,
    .fusion = FusionClass::opaque,
    .make_attrs = attrs_factory<SoftmaxBackwardAttrs>(),
    .infer = infer,
    .lower = [](const LowerContext& ctx) -> std::unique_ptr<Kernel> {
      const Shape& s = ctx.inputs[1].shape;
      Rows r = rows_of(s, axis_of(ctx.node, static_cast<int64_t>(s.size())));
      return std::make_unique<BackwardKernel>(r, ctx.attrs<SoftmaxBackwardAttrs>().log);
    },
    .reference = [](const graph::Node& n, std::span<const Tensor> in, std::span<Tensor> out) {
      const Shape& s = in[1].shape();
      Rows r = rows_of(s, axis_of(n, static_cast<int64_t>(s.size())));
      graph::with_float(in[1].dtype(), [&](auto tag) {
        using T = decltype(tag);
        backward_rows(in[0].data<T>(), in[1].data<T>(), out[0].data<T>(), r, n.attrs_as<SoftmaxBackwardAttrs>().log, 0,
                      r.outer * r.inner);
      });
    },
    .grad = grad,
});

Expr softmax_backward(Expr dy, Expr y, SoftmaxBackwardAttrs attrs, const Loc& loc) {
  return dy.emitter().emit1("softmax_backward", attrs, {dy, y}, loc);
}

}  // namespace flowgrad::ops
