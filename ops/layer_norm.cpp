#include "ops/layer_norm.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "graph/dtype_dispatch.h"
#include "ops/binary.h"
#include "ops/dnnl_util.h"
#include "ops/parallel.h"
#include "ops/reshape.h"
#include "ops/sources.h"

namespace flowgrad::ops {
namespace {

using dnnl::normalization_flags;

// x seen as [rows, H].
struct Rows {
  int64_t rows = 0, h = 0;
};

Rows rows_of(const TensorType& x) {
  int64_t h = x.shape.back();
  return {h ? x.numel() / h : 0, h};
}

Shape stats_shape(const Shape& x) { return Shape(x.begin(), x.end() - 1); }

// Checks x float[..., H] (H >= 1), eps > 0 and a parameter [H] of x's dtype at input `i`.
void check_x_and_param(const InferContext& ctx, const TensorType& x, size_t i, const char* what) {
  if (!graph::is_float(x.dtype) || x.rank() < 1 || x.shape.back() < 1) {
    ctx.fail("expected x f32[..., H] or f64[..., H] with H >= 1, got " + x.str());
  }
  double eps = ctx.attrs_as<LayerNormAttrs>().eps;
  if (!(eps > 0)) {
    std::ostringstream os;
    os << "expected eps > 0, got " << eps;
    ctx.fail(os.str());
  }
  TensorType want{x.dtype, {x.shape.back()}};
  if (ctx.in(i) != want) ctx.fail(std::string("expected ") + what + " " + want.str() + ", got " + ctx.in(i).str());
}

std::vector<TensorType> infer_forward(const InferContext& ctx) {
  const TensorType& x = ctx.in(0);
  check_x_and_param(ctx, x, 1, "gamma");
  check_x_and_param(ctx, x, 2, "beta");
  TensorType stats{x.dtype, stats_shape(x.shape)};
  return {x, stats, stats};
}

// inputs: dy, x, mean, variance, gamma
std::vector<TensorType> infer_backward(const InferContext& ctx) {
  const TensorType& x = ctx.in(1);
  check_x_and_param(ctx, x, 4, "gamma");
  if (ctx.in(0) != x) ctx.fail("expected dy of x's type " + x.str() + ", got " + ctx.in(0).str());
  TensorType stats{x.dtype, stats_shape(x.shape)};
  if (ctx.in(2) != stats || ctx.in(3) != stats) {
    ctx.fail("expected mean and variance " + stats.str() + ", got " + ctx.in(2).str() + " and " + ctx.in(3).str());
  }
  TensorType param{x.dtype, {x.shape.back()}};
  return {x, param, param};
}

// oneDNN's layer norm over x as [rows, H], statistics [rows], γ and β [H].
std::unique_ptr<Kernel> lower_forward(const LowerContext& ctx) {
  Rows g = rows_of(ctx.inputs[0]);
  auto data = plain_md({g.rows, g.h}, DType::f32), stats = plain_md({g.rows}, DType::f32);
  auto param = plain_md({g.h}, DType::f32);
  float eps = static_cast<float>(ctx.attrs<LayerNormAttrs>().eps);
  dnnl::layer_normalization_forward::primitive_desc pd(
      dnnl::layer_normalization_forward::desc(dnnl::prop_kind::forward_training, data, stats, eps,
                                              normalization_flags::use_scale | normalization_flags::use_shift),
      scratchpad_attr(), ctx.engine);
  return std::make_unique<DnnlKernel>(make_primitive<dnnl::layer_normalization_forward>(pd), pd.scratchpad_desc(),
                                      std::vector<DnnlKernel::Arg>{{DNNL_ARG_SRC, data, 0, -1},
                                                                   {DNNL_ARG_SCALE, param, 1, -1},
                                                                   {DNNL_ARG_SHIFT, param, 2, -1},
                                                                   {DNNL_ARG_DST, data, -1, 0},
                                                                   {DNNL_ARG_MEAN, stats, -1, 1},
                                                                   {DNNL_ARG_VARIANCE, stats, -1, 2}},
                                      8.0 * static_cast<double>(ctx.inputs[0].numel()));
}

// Σ_h g_h and Σ_h g_h·x̂_h of one row (g = dy·γ), in 8 interleaved lanes so
// that GCC vectorizes it; the order is fixed.
void row_sums(const float* dy, const float* x, const float* gamma, float mu, float rstd, int64_t n, float& mg,
              float& mgx) {
  float a[8] = {}, b[8] = {};
  int64_t h = 0;
  for (; h + 8 <= n; h += 8) {
    for (int l = 0; l < 8; ++l) {
      float g = dy[h + l] * gamma[h + l];
      a[l] += g;
      b[l] += g * ((x[h + l] - mu) * rstd);
    }
  }
  for (; h < n; ++h) {
    float g = dy[h] * gamma[h];
    a[0] += g;
    b[0] += g * ((x[h] - mu) * rstd);
  }
  mg = mgx = 0;
  for (int l = 0; l < 8; ++l) mg += a[l], mgx += b[l];
}

// Rows [lo, hi) of the backward pass: dx, and this block's partial sums of
// dgamma (pg) and dbeta (pb), each [H]. Cloned per instruction set (parallel.h).
FLOWGRAD_X86_CLONES
void backward_rows(const KernelArgs& k, const Rows& g, double eps, int64_t lo, int64_t hi, float* pg, float* pb) {
  const float *dy = k.in<float>(0), *x = k.in<float>(1), *mean = k.in<float>(2), *var = k.in<float>(3);
  const float* gamma = k.in<float>(4);
  float* dx = k.out<float>(0);
  std::fill(pg, pg + g.h, 0.f);
  std::fill(pb, pb + g.h, 0.f);
  const float inv_h = 1.0f / static_cast<float>(g.h);
  for (int64_t r = lo; r < hi; ++r) {
    const float *dyr = dy + r * g.h, *xr = x + r * g.h;
    float* dxr = dx + r * g.h;
    const float mu = mean[r], rstd = static_cast<float>(1.0 / std::sqrt(var[r] + eps));
    float mg, mgx;
    row_sums(dyr, xr, gamma, mu, rstd, g.h, mg, mgx);
    const float a = mg * inv_h, b = mgx * inv_h;
#pragma omp simd
    for (int64_t h = 0; h < g.h; ++h) {
      float xhat = (xr[h] - mu) * rstd;
      pg[h] += dyr[h] * xhat;
      pb[h] += dyr[h];
      dxr[h] = rstd * (dyr[h] * gamma[h] - a - xhat * b);
    }
  }
}

// oneDNN 2.6's layer_normalization_backward sums dgamma/dbeta in per-thread
// chunks, so they change with the thread count. Here rows are cut into blocks
// fixed by the shape; each block writes its own partial sums, and the
// partials are combined in block order. Blocks hold at least 16 rows, so the
// partials take at most 1/8 of x's size.
class BackwardKernel final : public Kernel {
 public:
  BackwardKernel(Rows g, double eps)
      : g_(g), eps_(eps), block_rows_(std::max<int64_t>(16, kBlock / g.h)),
        blocks_((g.rows + block_rows_ - 1) / block_rows_), partials_(blocks_ * 2 * g.h), sums_(2 * g.h) {}

  void run(const KernelArgs& k) override {
    parallel_blocks(g_.rows, k.threads, block_rows_, [&](int64_t lo, int64_t hi) {
      float* p = partials_.data() + (lo / block_rows_) * 2 * g_.h;
      backward_rows(k, g_, eps_, lo, hi, p, p + g_.h);
    });
    // Column tiles; within a tile, blocks are added in order, row by row.
    float *dgamma = k.out<float>(1), *dbeta = k.out<float>(2);
    parallel_blocks(g_.h, k.threads, 1024, [&](int64_t lo, int64_t hi) {
      double *sg = sums_.data(), *sb = sums_.data() + g_.h;
      std::fill(sg + lo, sg + hi, 0.0);
      std::fill(sb + lo, sb + hi, 0.0);
      for (int64_t b = 0; b < blocks_; ++b) {
        const float *pg = partials_.data() + b * 2 * g_.h, *pb = pg + g_.h;
        for (int64_t h = lo; h < hi; ++h) sg[h] += pg[h], sb[h] += pb[h];
      }
      for (int64_t h = lo; h < hi; ++h) dgamma[h] = static_cast<float>(sg[h]), dbeta[h] = static_cast<float>(sb[h]);
    });
  }
  double cost() const override { return 12.0 * static_cast<double>(g_.rows * g_.h); }

 private:
  Rows g_;
  double eps_;
  int64_t block_rows_, blocks_;
  std::vector<float> partials_;  // [blocks, 2, H], allocated once
  std::vector<double> sums_;     // [2, H]
};

template <class T>
void reference_forward_typed(double eps, std::span<const Tensor> in, std::span<Tensor> out) {
  Rows g = rows_of(in[0].type());
  const T *x = in[0].data<T>(), *gamma = in[1].data<T>(), *beta = in[2].data<T>();
  for (int64_t r = 0; r < g.rows; ++r) {
    const T* xr = x + r * g.h;
    double mean = 0, var = 0;
    for (int64_t h = 0; h < g.h; ++h) mean += xr[h];
    mean /= static_cast<double>(g.h);
    for (int64_t h = 0; h < g.h; ++h) var += (xr[h] - mean) * (xr[h] - mean);
    var /= static_cast<double>(g.h);
    double rstd = 1.0 / std::sqrt(var + eps);
    T* yr = out[0].data<T>() + r * g.h;
    for (int64_t h = 0; h < g.h; ++h) yr[h] = static_cast<T>((xr[h] - mean) * rstd * gamma[h] + beta[h]);
    out[1].data<T>()[r] = static_cast<T>(mean);
    out[2].data<T>()[r] = static_cast<T>(var);
  }
}

void reference_forward(const graph::Node& n, std::span<const Tensor> in, std::span<Tensor> out) {
  graph::with_float(in[0].dtype(), [&](auto tag) {
    reference_forward_typed<decltype(tag)>(n.attrs_as<LayerNormAttrs>().eps, in, out);
  });
}

template <class T>
void reference_backward_typed(double eps, std::span<const Tensor> in, std::span<Tensor> out) {
  Rows g = rows_of(in[1].type());
  const T *dy = in[0].data<T>(), *x = in[1].data<T>(), *mean = in[2].data<T>();
  const T *var = in[3].data<T>(), *gamma = in[4].data<T>();
  std::vector<double> dgamma(g.h, 0.0), dbeta(g.h, 0.0);
  for (int64_t r = 0; r < g.rows; ++r) {
    double rstd = 1.0 / std::sqrt(var[r] + eps), mg = 0, mgx = 0;
    for (int64_t h = 0; h < g.h; ++h) {
      int64_t k = r * g.h + h;
      double xhat = (x[k] - mean[r]) * rstd, gk = static_cast<double>(dy[k]) * gamma[h];
      mg += gk;
      mgx += gk * xhat;
      dgamma[h] += dy[k] * xhat;
      dbeta[h] += dy[k];
    }
    mg /= static_cast<double>(g.h);
    mgx /= static_cast<double>(g.h);
    for (int64_t h = 0; h < g.h; ++h) {
      int64_t k = r * g.h + h;
      double xhat = (x[k] - mean[r]) * rstd;
      out[0].data<T>()[k] = static_cast<T>(rstd * (static_cast<double>(dy[k]) * gamma[h] - mg - xhat * mgx));
    }
  }
  for (int64_t h = 0; h < g.h; ++h) {
    out[1].data<T>()[h] = static_cast<T>(dgamma[h]);
    out[2].data<T>()[h] = static_cast<T>(dbeta[h]);
  }
}

void reference_backward(const graph::Node& n, std::span<const Tensor> in, std::span<Tensor> out) {
  graph::with_float(in[1].dtype(), [&](auto tag) {
    reference_backward_typed<decltype(tag)>(n.attrs_as<LayerNormAttrs>().eps, in, out);
  });
}

std::vector<std::optional<Expr>> grad(GradContext& c) {
  LayerNormGrads g = layer_norm_grads(c.dout(0), c.output_grads[1], c.output_grads[2], c.in(0), c.out(1), c.out(2),
                                      c.in(1), c.attrs<LayerNormAttrs>(), c.loc);
  return {g.dx, g.dgamma, g.dbeta};
}

}  // namespace

FLOWGRAD_REGISTER_OP({
    .name = "layer_norm",
    .num_inputs = 3,
    .num_outputs = 3,
    .fusion = FusionClass::opaque,
    .make_attrs = attrs_factory<LayerNormAttrs>(),
    .infer = infer_forward,
    .lower = lower_forward,
    .reference = reference_forward,
    .grad = grad,
});

FLOWGRAD_REGISTER_OP({
    .name = "layer_norm_backward",
    .num_inputs = 5,
    .num_outputs = 3,
    .fusion = FusionClass::opaque,
    .make_attrs = attrs_factory<LayerNormAttrs>(),
    .infer = infer_backward,
    .lower = [](const LowerContext& ctx) -> std::unique_ptr<Kernel> {
      return std::make_unique<BackwardKernel>(rows_of(ctx.inputs[1]), ctx.attrs<LayerNormAttrs>().eps);
    },
    .reference = reference_backward,
    .not_differentiable = true,  // second derivatives through layer norm are not supported
});

LayerNormOutputs layer_norm_with_stats(Expr x, Expr gamma, Expr beta, LayerNormAttrs attrs, const Loc& loc) {
  auto outs = x.emitter().emit("layer_norm", std::make_shared<graph::Attrs<LayerNormAttrs>>(attrs), {x, gamma, beta}, loc);
  return {outs[0], outs[1], outs[2]};
}

Expr layer_norm(Expr x, Expr gamma, Expr beta, LayerNormAttrs attrs, const Loc& loc) {
  return layer_norm_with_stats(x, gamma, beta, attrs, loc).y;
}

LayerNormGrads layer_norm_backward(Expr dy, Expr x, Expr mean, Expr variance, Expr gamma, LayerNormAttrs attrs,
                                   const Loc& loc) {
  auto outs = dy.emitter().emit("layer_norm_backward", std::make_shared<graph::Attrs<LayerNormAttrs>>(attrs),
                                {dy, x, mean, variance, gamma}, loc);
  return {outs[0], outs[1], outs[2]};
}

// dx from the explicit backward op, plus the (rare) gradients that reach the
// saved statistics: dμ/dx = 1/H, dσ²/dx = 2 (x - μ) / H, broadcast over H.
LayerNormGrads layer_norm_grads(Expr dy, std::optional<Expr> dmean, std::optional<Expr> dvariance, Expr x, Expr mean,
                                Expr variance, Expr gamma, LayerNormAttrs attrs, const Loc& loc) {
  LayerNormGrads g = layer_norm_backward(dy, x, mean, variance, gamma, attrs, loc);
  Shape keep = stats_shape(x.shape());
  keep.push_back(1);  // [..., 1]
  float inv_h = 1.0f / static_cast<float>(x.dim(-1));
  if (dmean) g.dx = g.dx + reshape(*dmean, keep, loc) * inv_h;
  if (dvariance) {
    Expr centered = x - reshape(mean, keep, loc);
    g.dx = g.dx + centered * reshape(*dvariance, keep, loc) * (2.0f * inv_h);
  }
  return g;
}

}  // namespace flowgrad::ops
