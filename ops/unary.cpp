#include "ops/unary.h"

#include <cmath>

#include "graph/dtype_dispatch.h"
#include "ops/dnnl_util.h"
#include "ops/eltwise_backward.h"

namespace flowgrad::ops {
namespace {

std::vector<TensorType> infer_float_same(const InferContext& ctx) {
  ctx.expect_float(0);
  return {ctx.in(0)};
}

std::vector<TensorType> infer_gelu(const InferContext& ctx) {
  const auto& a = ctx.attrs_as<GeluAttrs>();
  if (a.approximate != "none" && a.approximate != "tanh") {
    ctx.fail("expected approximate \"none\" or \"tanh\", got \"" + a.approximate + "\"");
  }
  return infer_float_same(ctx);
}

std::unique_ptr<Kernel> eltwise_kernel(const LowerContext& ctx, dnnl::algorithm alg, float alpha = 0.f) {
  auto md = plain_md(ctx.inputs[0]);
  dnnl::eltwise_forward::primitive_desc pd(
      dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_training, alg, md, alpha, 0.f), scratchpad_attr(),
      ctx.engine);
  return std::make_unique<DnnlKernel>(make_primitive<dnnl::eltwise_forward>(pd), pd.scratchpad_desc(),
                                      std::vector<DnnlKernel::Arg>{{DNNL_ARG_SRC, md, 0, -1}, {DNNL_ARG_DST, md, -1, 0}},
                                      static_cast<double>(ctx.inputs[0].numel()));
}

template <class F>
ReferenceFn map_reference(F f) {
  return [=](const graph::Node& n, std::span<const Tensor> in, std::span<Tensor> out) {
    graph::with_float(in[0].dtype(), [&](auto tag) {
      using T = decltype(tag);
      const T* x = in[0].data<T>();
      T* y = out[0].data<T>();
      for (int64_t i = 0; i < in[0].numel(); ++i) y[i] = static_cast<T>(f(n, static_cast<double>(x[i])));
    });
  };
}

// The gradient through eltwise_backward of `kind`, saving x or y as oneDNN wants.
GradFn backward_via(std::string kind, bool saves_output) {
  return [=](GradContext& c) -> std::vector<std::optional<Expr>> {
    return {eltwise_backward(c.dout(), saves_output ? c.out() : c.in(0), kind, c.loc)};
  };
}

template <class F>
OpDef unary_def(std::string name, dnnl::algorithm alg, F f, GradFn grad) {
  return OpDef{
      .name = std::move(name),
      .num_inputs = 1,
      .fusion = FusionClass::elementwise,
      .make_attrs = attrs_factory<graph::NoAttrs>(),
      .infer = infer_float_same,
      .lower = [alg](const LowerContext& ctx) { return eltwise_kernel(ctx, alg); },
      .reference = map_reference(f),
      .grad = std::move(grad),
      .inplace_ok = true,  // oneDNN eltwise allows dst == src
  };
}

double gelu_ref(const graph::Node& n, double x) {
  if (n.attrs_as<GeluAttrs>().approximate == "tanh") {
    return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
  }
  return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
}

using dnnl::algorithm;
[[maybe_unused]] const OpDef& relu_def = register_op(unary_def(
    "relu", algorithm::eltwise_relu, [](const graph::Node&, double x) { return x > 0 ? x : 0.0; },
    backward_via("relu", false)));
[[maybe_unused]] const OpDef& tanh_def = register_op(unary_def(
    "tanh", algorithm::eltwise_tanh, [](const graph::Node&, double x) { return std::tanh(x); },
    backward_via("tanh", true)));
[[maybe_unused]] const OpDef& sigmoid_def = register_op(unary_def(
    "sigmoid", algorithm::eltwise_logistic, [](const graph::Node&, double x) { return 1.0 / (1.0 + std::exp(-x)); },
    backward_via("sigmoid", true)));
[[maybe_unused]] const OpDef& exp_def = register_op(unary_def(
    "exp", algorithm::eltwise_exp, [](const graph::Node&, double x) { return std::exp(x); },
    backward_via("exp", true)));
[[maybe_unused]] const OpDef& log_def = register_op(unary_def(
    "log", algorithm::eltwise_log, [](const graph::Node&, double x) { return std::log(x); },
    backward_via("log", false)));

// neg(x) = -x, oneDNN eltwise_linear with alpha = -1; its gradient is neg.
OpDef neg_op() {
  OpDef d = unary_def("neg", algorithm::eltwise_linear, [](const graph::Node&, double x) { return -x; },
                      [](GradContext& c) -> std::vector<std::optional<Expr>> { return {neg(c.dout(), c.loc)}; });
  d.lower = [](const LowerContext& ctx) { return eltwise_kernel(ctx, algorithm::eltwise_linear, -1.f); };
  return d;
}
[[maybe_unused]] const OpDef& neg_def = register_op(neg_op());

OpDef gelu_op() {
  OpDef d = unary_def("gelu", algorithm::eltwise_gelu_erf, gelu_ref, [](GradContext& c) {
    bool tanh_form = c.attrs<GeluAttrs>().approximate == "tanh";
    return backward_via(tanh_form ? "gelu_tanh" : "gelu", false)(c);
  });
  d.make_attrs = attrs_factory<GeluAttrs>();
  d.infer = infer_gelu;
  d.lower = [](const LowerContext& ctx) {
    bool tanh_form = ctx.attrs<GeluAttrs>().approximate == "tanh";
    return eltwise_kernel(ctx, tanh_form ? algorithm::eltwise_gelu_tanh : algorithm::eltwise_gelu_erf);
  };
  return d;
}
[[maybe_unused]] const OpDef& gelu_def = register_op(gelu_op());

Expr emit_unary(std::string_view op, Expr x, const Loc& loc) {
  return x.emitter().emit1(op, graph::NoAttrs{}, {x}, loc);
}

}  // namespace

Expr relu(Expr x, const Loc& loc) { return emit_unary("relu", x, loc); }
Expr tanh(Expr x, const Loc& loc) { return emit_unary("tanh", x, loc); }
Expr sigmoid(Expr x, const Loc& loc) { return emit_unary("sigmoid", x, loc); }
Expr exp(Expr x, const Loc& loc) { return emit_unary("exp", x, loc); }
Expr log(Expr x, const Loc& loc) { return emit_unary("log", x, loc); }
Expr neg(Expr x, const Loc& loc) { return emit_unary("neg", x, loc); }
Expr gelu(Expr x, GeluAttrs attrs, const Loc& loc) { return x.emitter().emit1("gelu", std::move(attrs), {x}, loc); }

}  // namespace flowgrad::ops
