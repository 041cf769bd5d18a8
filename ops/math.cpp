#include "ops/math.h"

#include <cmath>
#include <sstream>

#include "graph/dtype_dispatch.h"
#include "ops/binary.h"
#include "ops/dnnl_util.h"
#include "ops/eltwise_backward.h"
#include "ops/fill.h"
#include "ops/parallel.h"
#include "ops/reshape.h"
#include "ops/shape_util.h"
#include "ops/unary.h"

namespace flowgrad::ops {
namespace {

using Grads = std::vector<std::optional<Expr>>;
using dnnl::algorithm;

std::vector<TensorType> infer_float_same(const InferContext& ctx) {
  ctx.expect_float(0);
  return {ctx.in(0)};
}

std::unique_ptr<Kernel> eltwise_kernel(const LowerContext& ctx, algorithm alg, float alpha, float beta) {
  auto md = plain_md(ctx.inputs[0]);
  dnnl::eltwise_forward::primitive_desc pd(
      dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_training, alg, md, alpha, beta), scratchpad_attr(), ctx.engine);
  return std::make_unique<DnnlKernel>(make_primitive<dnnl::eltwise_forward>(pd), pd.scratchpad_desc(),
                                      std::vector<DnnlKernel::Arg>{{DNNL_ARG_SRC, md, 0, -1}, {DNNL_ARG_DST, md, -1, 0}},
                                      static_cast<double>(ctx.inputs[0].numel()));
}

// An eltwise op: `params(node)` gives oneDNN's (alpha, beta); `f(node, x)` is
// the reference.
template <class Attrs, class Params, class F>
OpDef eltwise_def(std::string name, algorithm alg, Params params, F f, GradFn grad) {
  return OpDef{
      .name = std::move(name),
      .num_inputs = 1,
      .fusion = FusionClass::elementwise,
      .make_attrs = attrs_factory<Attrs>(),
      .infer = infer_float_same,
      .lower = [=](const LowerContext& ctx) {
        auto [alpha, beta] = params(ctx.node);
        return eltwise_kernel(ctx, alg, alpha, beta);
      },
      .reference = [=](const graph::Node& n, std::span<const Tensor> in, std::span<Tensor> out) {
        graph::with_float(in[0].dtype(), [&](auto tag) {
          using T = decltype(tag);
          const T* x = in[0].data<T>();
          T* y = out[0].data<T>();
          for (int64_t i = 0; i < in[0].numel(); ++i) y[i] = static_cast<T>(f(n, static_cast<double>(x[i])));
        });
      },
      .grad = std::move(grad),
  };
}

std::pair<float, float> no_params(const graph::Node&) { return {0.f, 0.f}; }

double exponent_of(const graph::Node& n) { return n.attrs_as<PowAttrs>().exponent; }

// dy · [s > 0], from eltwise_backward's relu form.
Expr where_positive(Expr dy, Expr s, const Loc& loc) { return eltwise_backward(dy, s, "relu", loc); }

Grads grad_sqrt(GradContext& c) { return {c.dout() / c.out() * 0.5f}; }
Grads grad_rsqrt(GradContext& c) { return {c.dout() * pow(c.out(), 3.0, c.loc) * -0.5f}; }
Grads grad_pow(GradContext& c) {
  double e = c.attrs<PowAttrs>().exponent;
  if (e == 0) return {zeros_like(c.in(0), c.loc)};
  return {c.dout() * pow(c.in(0), e - 1, c.loc) * static_cast<float>(e)};
}
Grads grad_abs(GradContext& c) {
  Expr dy = c.dout(), x = c.in(0);
  return {where_positive(dy, x, c.loc) - where_positive(dy, neg(x, c.loc), c.loc)};
}
Grads grad_clamp(GradContext& c) {
  const auto& a = c.attrs<ClampAttrs>();
  Expr g = c.dout(), x = c.in(0);
  if (std::isfinite(a.min)) g = where_positive(g, x - static_cast<float>(a.min), c.loc);
  if (std::isfinite(a.max)) g = where_positive(g, neg(x, c.loc) + static_cast<float>(a.max), c.loc);
  return {g};
}
Grads grad_log_sigmoid(GradContext& c) { return {c.dout() * sigmoid(neg(c.in(0), c.loc), c.loc)}; }

double log_sigmoid_ref(double x) { return x < 0 ? x - std::log1p(std::exp(x)) : -std::log1p(std::exp(-x)); }

std::vector<TensorType> infer_clamp(const InferContext& ctx) {
  const auto& a = ctx.attrs_as<ClampAttrs>();
  if (!(a.min <= a.max)) {
    std::ostringstream os;
    os << "expected min <= max, got min " << a.min << " and max " << a.max;
    ctx.fail(os.str());
  }
  return infer_float_same(ctx);
}

OpDef clamp_def() {
  OpDef d = eltwise_def<ClampAttrs>(
      "clamp", algorithm::eltwise_clip,
      [](const graph::Node& n) {
        const auto& a = n.attrs_as<ClampAttrs>();
        return std::pair{static_cast<float>(a.min), static_cast<float>(a.max)};
      },
      [](const graph::Node& n, double x) {
        const auto& a = n.attrs_as<ClampAttrs>();
        return std::min(std::max(x, static_cast<double>(static_cast<float>(a.min))),
                        static_cast<double>(static_cast<float>(a.max)));
      },
      grad_clamp);
  d.infer = infer_clamp;
  return d;
}

using graph::NoAttrs;
[[maybe_unused]] const OpDef& sqrt_op = register_op(eltwise_def<NoAttrs>(
    "sqrt", algorithm::eltwise_sqrt, no_params, [](const graph::Node&, double x) { return std::sqrt(x); }, grad_sqrt));
[[maybe_unused]] const OpDef& rsqrt_op = register_op(eltwise_def<NoAttrs>(
    "rsqrt", algorithm::eltwise_pow, [](const graph::Node&) { return std::pair{1.f, -0.5f}; },
    [](const graph::Node&, double x) { return 1 / std::sqrt(x); }, grad_rsqrt));
[[maybe_unused]] const OpDef& pow_op = register_op(eltwise_def<PowAttrs>(
    "pow", algorithm::eltwise_pow, [](const graph::Node& n) { return std::pair{1.f, static_cast<float>(exponent_of(n))}; },
    [](const graph::Node& n, double x) { return std::pow(x, static_cast<double>(static_cast<float>(exponent_of(n)))); },
    grad_pow));
[[maybe_unused]] const OpDef& abs_op = register_op(eltwise_def<NoAttrs>(
    "abs", algorithm::eltwise_abs, no_params, [](const graph::Node&, double x) { return std::abs(x); }, grad_abs));
[[maybe_unused]] const OpDef& clamp_op = register_op(clamp_def());
[[maybe_unused]] const OpDef& log_sigmoid_op = register_op(eltwise_def<NoAttrs>(
    "log_sigmoid", algorithm::eltwise_logsigmoid, no_params,
    [](const graph::Node&, double x) { return log_sigmoid_ref(x); }, grad_log_sigmoid));

// --- argmax ------------------------------------------------------------------

// x seen as [outer, n, inner] around the axis.
struct AxisGeometry {
  int64_t outer = 1, n = 1, inner = 1;
};

AxisGeometry axis_geometry(const Shape& s, int64_t axis) {
  AxisGeometry g;
  for (int64_t d = 0; d < static_cast<int64_t>(s.size()); ++d) {
    if (d < axis) g.outer *= s[d];
    else if (d == axis) g.n = s[d];
    else g.inner *= s[d];
  }
  return g;
}

int64_t argmax_axis(const graph::Node& n, int64_t rank) { return *normalize_axis(n.attrs_as<ArgmaxAttrs>().axis, rank); }

std::vector<TensorType> infer_argmax(const InferContext& ctx) {
  const TensorType& x = ctx.in(0);
  if (x.dtype != DType::f32) ctx.fail(std::string("expected f32, got ") + graph::dtype_name(x.dtype));
  const auto& a = ctx.attrs_as<ArgmaxAttrs>();
  auto axis = normalize_axis(a.axis, x.rank());
  if (!axis) {
    ctx.fail("expected axis in [" + std::to_string(-x.rank()) + ", " + std::to_string(x.rank()) + ") for rank " +
             std::to_string(x.rank()) + ", got axis " + std::to_string(a.axis));
  }
  if (x.shape[*axis] == 0) ctx.fail("expected a non-empty axis, got size 0");
  Shape out = x.shape;
  if (a.keepdims) out[*axis] = 1;
  else out.erase(out.begin() + *axis);
  return {{DType::i64, out}};
}

// Rows [lo, hi) of the outer·inner independent rows: the first maximum, NaN first.
void argmax_rows(const float* x, int64_t* out, const AxisGeometry& g, int64_t lo, int64_t hi) {
  for (int64_t row = lo; row < hi; ++row) {
    const float* p = x + (row / g.inner) * g.n * g.inner + row % g.inner;
    int64_t best = 0;
    for (int64_t j = 1; j < g.n && !std::isnan(p[best * g.inner]); ++j) {
      float v = p[j * g.inner];
      if (v > p[best * g.inner] || std::isnan(v)) best = j;
    }
    out[row] = best;
  }
}

class ArgmaxKernel final : public Kernel {
 public:
  explicit ArgmaxKernel(AxisGeometry g) : g_(g) {}
  void run(const KernelArgs& k) override {
    int64_t block = std::max<int64_t>(1, kBlock / g_.n);
    parallel_blocks(g_.outer * g_.inner, k.threads, block,
                    [&](int64_t lo, int64_t hi) { argmax_rows(k.in<float>(0), k.out<int64_t>(0), g_, lo, hi); });
  }
  double cost() const override { return static_cast<double>(g_.outer * g_.n * g_.inner); }

 private:
  AxisGeometry g_;
};

FLOWGRAD_REGISTER_OP({
    .name = "argmax",
    .num_inputs = 1,
    .fusion = FusionClass::reduce,
    .make_attrs = attrs_factory<ArgmaxAttrs>(),
    .infer = infer_argmax,
    .lower = [](const LowerContext& ctx) -> std::unique_ptr<Kernel> {
      const Shape& s = ctx.inputs[0].shape;
      return std::make_unique<ArgmaxKernel>(axis_geometry(s, argmax_axis(ctx.node, static_cast<int64_t>(s.size()))));
    },
    .reference = [](const graph::Node& n, std::span<const Tensor> in, std::span<Tensor> out) {
      const Shape& s = in[0].shape();
      AxisGeometry g = axis_geometry(s, argmax_axis(n, static_cast<int64_t>(s.size())));
      for (int64_t o = 0; o < g.outer; ++o) {
        for (int64_t i = 0; i < g.inner; ++i) {
          int64_t best = 0;
          double best_v = in[0].at(o * g.n * g.inner + i);
          for (int64_t j = 1; j < g.n; ++j) {
            double v = in[0].at((o * g.n + j) * g.inner + i);
            if (!std::isnan(best_v) && (std::isnan(v) || v > best_v)) best = j, best_v = v;
          }
          out[0].data<int64_t>()[o * g.inner + i] = best;
        }
      }
    },
    .not_differentiable = true,  // an index
});

Expr emit_unary(std::string_view op, Expr x, const Loc& loc) { return x.emitter().emit1(op, NoAttrs{}, {x}, loc); }

}  // namespace

Expr sqrt(Expr x, const Loc& loc) { return emit_unary("sqrt", x, loc); }
Expr rsqrt(Expr x, const Loc& loc) { return emit_unary("rsqrt", x, loc); }
Expr abs(Expr x, const Loc& loc) { return emit_unary("abs", x, loc); }
Expr log_sigmoid(Expr x, const Loc& loc) { return emit_unary("log_sigmoid", x, loc); }
Expr pow(Expr x, double exponent, const Loc& loc) { return x.emitter().emit1("pow", PowAttrs{exponent}, {x}, loc); }
Expr clamp(Expr x, ClampAttrs attrs, const Loc& loc) { return x.emitter().emit1("clamp", attrs, {x}, loc); }
Expr argmax(Expr x, ArgmaxAttrs attrs, const Loc& loc) { return x.emitter().emit1("argmax", attrs, {x}, loc); }

MeanVar mean_var(Expr x, ReduceAttrs axes, const Loc& loc) {
  ReduceAttrs keep = axes;
  keep.keepdims = true;
  Expr mean = reduce_mean(x, keep, loc);  // [.., 1, ..]
  Expr centered = sub(x, mean, loc);
  Expr var = reduce_mean(mul(centered, centered, loc), axes, loc);
  if (!axes.keepdims) mean = reshape(mean, var.shape(), loc);
  return {mean, var};
}

}  // namespace flowgrad::ops
