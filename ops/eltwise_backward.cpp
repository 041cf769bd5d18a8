#include "ops/eltwise_backward.h"

#include <cmath>

#include "graph/dtype_dispatch.h"
#include "ops/binary.h"
#include "ops/dnnl_util.h"
#include "ops/sources.h"
#include "ops/unary.h"

namespace flowgrad::ops {
namespace {

using dnnl::algorithm;

struct Kind {
  const char* name;
  algorithm alg;
  bool uses_dst;                   // saved is y (forward output), else x
  double (*derivative)(double s);  // dx/dy as a function of saved
};

double gelu_tanh_derivative(double x) {
  const double c = std::sqrt(2.0 / M_PI);
  double u = c * (x + 0.044715 * x * x * x), t = std::tanh(u);
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x);
}

const Kind kKinds[] = {
    {"relu", algorithm::eltwise_relu, false, [](double x) { return x > 0 ? 1.0 : 0.0; }},
    {"tanh", algorithm::eltwise_tanh_use_dst_for_bwd, true, [](double y) { return 1 - y * y; }},
    {"sigmoid", algorithm::eltwise_logistic_use_dst_for_bwd, true, [](double y) { return y * (1 - y); }},
    {"gelu", algorithm::eltwise_gelu_erf, false,
     [](double x) { return 0.5 * (1 + std::erf(x / std::sqrt(2.0))) + x * std::exp(-0.5 * x * x) / std::sqrt(2 * M_PI); }},
    {"gelu_tanh", algorithm::eltwise_gelu_tanh, false, gelu_tanh_derivative},
    {"exp", algorithm::eltwise_exp_use_dst_for_bwd, true, [](double y) { return y; }},
    {"log", algorithm::eltwise_log, false, [](double x) { return 1 / x; }},
};

const Kind* find_kind(const std::string& name) {
  for (const Kind& k : kKinds) {
    if (name == k.name) return &k;
  }
  return nullptr;
}

std::vector<TensorType> infer(const InferContext& ctx) {
  const std::string& kind = ctx.attrs_as<EltwiseBackwardAttrs>().kind;
  if (!find_kind(kind)) ctx.fail("expected kind relu|tanh|sigmoid|gelu|gelu_tanh|exp|log, got '" + kind + "'");
  ctx.expect_same_float({0, 1});
  if (ctx.in(0) != ctx.in(1)) ctx.fail("expected two inputs of the same type");
  return {ctx.in(0)};
}

std::unique_ptr<Kernel> lower(const LowerContext& ctx) {
  const Kind& k = *find_kind(ctx.attrs<EltwiseBackwardAttrs>().kind);
  auto md = plain_md(ctx.inputs[0]);
  dnnl::eltwise_forward::primitive_desc hint(
      dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_training, k.alg, md, 0.f, 0.f), ctx.engine);
  dnnl::eltwise_backward::primitive_desc pd(dnnl::eltwise_backward::desc(k.alg, md, md, 0.f, 0.f), scratchpad_attr(),
                                            ctx.engine, hint);
  return std::make_unique<DnnlKernel>(make_primitive<dnnl::eltwise_backward>(pd), pd.scratchpad_desc(),
                                      std::vector<DnnlKernel::Arg>{{DNNL_ARG_DIFF_DST, md, 0, -1},
                                                                   {k.uses_dst ? DNNL_ARG_DST : DNNL_ARG_SRC, md, 1, -1},
                                                                   {DNNL_ARG_DIFF_SRC, md, -1, 0}},
                                      static_cast<double>(ctx.inputs[0].numel()) * 2);
}

void reference(const graph::Node& n, std::span<const Tensor> in, std::span<Tensor> out) {
  const Kind& k = *find_kind(n.attrs_as<EltwiseBackwardAttrs>().kind);
  graph::with_float(in[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T *dy = in[0].data<T>(), *s = in[1].data<T>();
    T* dx = out[0].data<T>();
    for (int64_t i = 0; i < in[0].numel(); ++i) dx[i] = static_cast<T>(dy[i] * k.derivative(s[i]));
  });
}

// d(dx)/d(saved) · ddx, per kind (see the table in the header).
std::optional<Expr> saved_grad(GradContext& c, const std::string& kind, Expr dy, Expr s, Expr ddx) {
  if (kind == "relu") return std::nullopt;  // zero almost everywhere
  if (kind == "tanh") return s * (dy * ddx) * -2.0f;
  if (kind == "sigmoid") return dy * ddx * (s * -2.0f + 1.0f);
  if (kind == "exp") return dy * ddx;
  if (kind == "log") return (dy * ddx) / (s * s) * -1.0f;
  if (kind == "gelu") {  // gelu''(x) = φ(x) (2 - x²)
    Expr phi = exp(s * s * -0.5f, c.loc) * scalar(c.em, 1.0 / std::sqrt(2 * M_PI), s.dtype(), c.loc);
    return dy * ddx * phi * (s * s * -1.0f + 2.0f);
  }
  throw Error("second derivative of gelu(approximate=\"tanh\") is not implemented (node " + c.node.name + ")");
}

std::vector<std::optional<Expr>> grad(GradContext& c) {
  const std::string& kind = c.attrs<EltwiseBackwardAttrs>().kind;
  Expr ddx = c.dout();
  return {eltwise_backward(ddx, c.in(1), kind, c.loc), saved_grad(c, kind, c.in(0), c.in(1), ddx)};
}

}  // namespace

FLOWGRAD_REGISTER_OP({
    .name = "eltwise_backward",
    .num_inputs = 2,
    .fusion = FusionClass::elementwise,
    .make_attrs = attrs_factory<EltwiseBackwardAttrs>(),
    .infer = infer,
    .lower = lower,
    .reference = reference,
    .grad = grad,
});

Expr eltwise_backward(Expr dy, Expr saved, std::string kind, const Loc& loc) {
  return dy.emitter().emit1("eltwise_backward", EltwiseBackwardAttrs{std::move(kind)}, {dy, saved}, loc);
}

}  // namespace flowgrad::ops
