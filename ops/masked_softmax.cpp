#include "ops/masked_softmax.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "graph/dtype_dispatch.h"
#include "ops/binary.h"
#include "ops/broadcast_to.h"
#include "ops/elementwise_math.h"
#include "ops/lane_reduce.h"
#include "ops/parallel.h"
#include "ops/shape_util.h"
#include "ops/softmax_backward.h"
#include "ops/sources.h"

namespace flowgrad::ops {
namespace {

std::vector<TensorType> infer(const InferContext& ctx) {
  const TensorType &x = ctx.in(0), &mask = ctx.in(1);
  if (x.rank() < 1) ctx.fail("expected x f32[..., N], got " + x.str());
  ctx.expect_same_float({0, 1});
  auto b = broadcast_shapes(x.shape, mask.shape);
  if (!b || *b != x.shape) ctx.fail("expected a mask broadcastable to " + graph::shape_str(x.shape) + ", got " + mask.str());
  return {x};
}

// x as rows of N, and where each row's mask starts and steps.
struct Geometry {
  Shape x;
  std::vector<int64_t> mask_strides;  // over x's dims, 0 where broadcast
  int64_t rows = 0, n = 0;

  Geometry(const Shape& xs, const Shape& ms) : x(xs), mask_strides(broadcast_strides(ms, xs)), n(xs.back()) {
    rows = n ? graph::numel(xs) / n : 0;
  }
  int64_t mask_base(int64_t row) const { return strided_offset(row * n, x, mask_strides); }
  int64_t mask_step() const { return mask_strides.back(); }
};

// y for rows [lo, hi): z = x·scale + mask, max-shifted exp, normalized.
// Cloned per instruction set (parallel.h).
FLOWGRAD_X86_CLONES
void softmax_rows(const float* x, const float* mask, float* y, const Geometry& g, float scale, int64_t lo, int64_t hi) {
  const int64_t n = g.n;
  for (int64_t r = lo; r < hi; ++r) {
    const float* xr = x + r * n;
    const float* mr = mask + g.mask_base(r);
    float* yr = y + r * n;
    if (g.mask_step() == 1) {
#pragma omp simd
      for (int64_t j = 0; j < n; ++j) yr[j] = xr[j] * scale + mr[j];
    } else {  // one mask value for the whole row
      const float c = mr[0];
#pragma omp simd
      for (int64_t j = 0; j < n; ++j) yr[j] = xr[j] * scale + c;
    }
    const float m = lane_max(yr, n);
#pragma omp simd
    for (int64_t j = 0; j < n; ++j) yr[j] = math::exp_nonpositive(yr[j] - m);  // NaN if the row is all -inf
    const float inv = 1.0f / lane_sum(n, [&](int64_t j) { return yr[j]; });
#pragma omp simd
    for (int64_t j = 0; j < n; ++j) yr[j] *= inv;
  }
}

class MaskedSoftmaxKernel final : public Kernel {
 public:
  MaskedSoftmaxKernel(Geometry g, float scale) : g_(std::move(g)), scale_(scale) {}
  void run(const KernelArgs& k) override {
    int64_t block = std::max<int64_t>(1, kBlock / std::max<int64_t>(1, g_.n));
    parallel_blocks(g_.rows, k.threads, block, [&](int64_t lo, int64_t hi) {
      softmax_rows(k.in<float>(0), k.in<float>(1), k.out<float>(0), g_, scale_, lo, hi);
    });
  }
  double cost() const override { return 10.0 * static_cast<double>(g_.rows * g_.n); }

 private:
  Geometry g_;
  float scale_;
};

template <class T>
void reference_typed(double scale, std::span<const Tensor> in, std::span<Tensor> out) {
  Geometry g(in[0].shape(), in[1].shape());
  const T *x = in[0].data<T>(), *mask = in[1].data<T>();
  std::vector<double> z(g.n);
  for (int64_t r = 0; r < g.rows; ++r) {
    double m = -INFINITY, sum = 0;
    for (int64_t j = 0; j < g.n; ++j) {
      z[j] = x[r * g.n + j] * scale + mask[g.mask_base(r) + j * g.mask_step()];
      m = std::max(m, z[j]);
    }
    for (int64_t j = 0; j < g.n; ++j) sum += std::exp(z[j] - m);
    for (int64_t j = 0; j < g.n; ++j) out[0].data<T>()[r * g.n + j] = static_cast<T>(std::exp(z[j] - m) / sum);
  }
}

void reference(const graph::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  graph::with_float(in[0].dtype(), [&](auto tag) {
    reference_typed<decltype(tag)>(node.attrs_as<MaskedSoftmaxAttrs>().scale, in, out);
  });
}

std::vector<std::optional<Expr>> grad(GradContext& c) {
  double scale = c.attrs<MaskedSoftmaxAttrs>().scale;
  Expr ds = softmax_backward(c.dout(), c.out(), {.axis = -1}, c.loc);  // d/dz
  Expr dx = scale == 1.0 ? ds : ds * scalar(c.em, scale, ds.dtype(), c.loc);
  return {dx, sum_to(ds, c.in(1).shape(), c.loc)};
}

}  // namespace

FLOWGRAD_REGISTER_OP({
    .name = "masked_softmax",
    .num_inputs = 2,
    .fusion = FusionClass::opaque,
    .make_attrs = attrs_factory<MaskedSoftmaxAttrs>(),
    .infer = infer,
    .lower = [](const LowerContext& ctx) -> std::unique_ptr<Kernel> {
      return std::make_unique<MaskedSoftmaxKernel>(Geometry(ctx.inputs[0].shape, ctx.inputs[1].shape),
                                                   static_cast<float>(ctx.attrs<MaskedSoftmaxAttrs>().scale));
    },
    .reference = reference,
    .grad = grad,
});

Expr masked_softmax(Expr x, Expr mask, MaskedSoftmaxAttrs attrs, const Loc& loc) {
  return x.emitter().emit1("masked_softmax", attrs, {x, mask}, loc);
}

}  // namespace flowgrad::ops
