#include "ops/softmax.h"

#include "ops/softmax_backward.h"

#include <cmath>

#include "graph/dtype_dispatch.h"
#include "ops/dnnl_util.h"
#include "ops/shape_util.h"

namespace flowgrad::ops {
namespace {

std::vector<TensorType> infer(const InferContext& ctx) {
  const TensorType& x = ctx.in(0);
  ctx.expect_float(0);
  int64_t axis = ctx.attrs_as<SoftmaxAttrs>().axis;
  if (!normalize_axis(axis, x.rank())) {
    ctx.fail("expected axis in [" + std::to_string(-x.rank()) + ", " + std::to_string(x.rank()) + ") for rank " +
             std::to_string(x.rank()) + ", got axis " + std::to_string(axis));
  }
  return {x};
}

std::unique_ptr<Kernel> softmax_kernel(const LowerContext& ctx, dnnl::algorithm alg) {
  const TensorType& x = ctx.inputs[0];
  int axis = static_cast<int>(*normalize_axis(ctx.attrs<SoftmaxAttrs>().axis, x.rank()));
  auto md = plain_md(x);
  dnnl::softmax_v2_forward::primitive_desc pd(
      dnnl::softmax_v2_forward::desc(dnnl::prop_kind::forward_training, alg, md, md, axis), scratchpad_attr(),
      ctx.engine);
  return std::make_unique<DnnlKernel>(make_primitive<dnnl::softmax_v2_forward>(pd), pd.scratchpad_desc(),
                                      std::vector<DnnlKernel::Arg>{{DNNL_ARG_SRC, md, 0, -1}, {DNNL_ARG_DST, md, -1, 0}},
                                      10.0 * static_cast<double>(x.numel()));
}

// The input seen as [outer, n, inner] around the softmax axis.
struct Geometry {
  int64_t outer = 1, n = 1, inner = 1;
};

Geometry geometry(const Shape& s, int64_t axis) {
  Geometry g;
  for (int64_t d = 0; d < static_cast<int64_t>(s.size()); ++d) {
    if (d < axis) g.outer *= s[d];
    else if (d == axis) g.n = s[d];
    else g.inner *= s[d];
  }
  return g;
}

ReferenceFn softmax_reference(bool log_form) {
  return [=](const graph::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
    const Shape& s = in[0].shape();
    Geometry g = geometry(s, *normalize_axis(node.attrs_as<SoftmaxAttrs>().axis, static_cast<int64_t>(s.size())));
    graph::with_float(in[0].dtype(), [&](auto tag) {
      using T = decltype(tag);
      const T* x = in[0].data<T>();
      T* y = out[0].data<T>();
      for (int64_t o = 0; o < g.outer; ++o) {
        for (int64_t i = 0; i < g.inner; ++i) {
          const T* xr = x + o * g.n * g.inner + i;  // [n] with stride inner
          T* yr = y + o * g.n * g.inner + i;
          double m = -INFINITY;
          for (int64_t j = 0; j < g.n; ++j) m = std::max(m, static_cast<double>(xr[j * g.inner]));
          double sum = 0;
          for (int64_t j = 0; j < g.n; ++j) sum += std::exp(xr[j * g.inner] - m);
          for (int64_t j = 0; j < g.n; ++j) {
            double z = xr[j * g.inner] - m;
            yr[j * g.inner] = static_cast<T>(log_form ? z - std::log(sum) : std::exp(z) / sum);
          }
        }
      }
    });
  };
}

OpDef softmax_def(std::string name, dnnl::algorithm alg, bool log_form) {
  return OpDef{
      .name = std::move(name),
      .num_inputs = 1,
      .fusion = FusionClass::opaque,
      .make_attrs = attrs_factory<SoftmaxAttrs>(),
      .infer = infer,
      .lower = [alg](const LowerContext& ctx) { return softmax_kernel(ctx, alg); },
      .reference = softmax_reference(log_form),
      .grad = [log_form](GradContext& c) -> std::vector<std::optional<Expr>> {
        SoftmaxBackwardAttrs a{.axis = c.attrs<SoftmaxAttrs>().axis, .log = log_form};
        return {softmax_backward(c.dout(), c.out(), a, c.loc)};
      },
  };
}

[[maybe_unused]] const OpDef& softmax_op = register_op(softmax_def("softmax", dnnl::algorithm::softmax_accurate, false));
[[maybe_unused]] const OpDef& log_softmax_op = register_op(softmax_def("log_softmax", dnnl::algorithm::softmax_log, true));

}  // namespace

Expr softmax(Expr x, SoftmaxAttrs attrs, const Loc& loc) { return x.emitter().emit1("softmax", attrs, {x}, loc); }
Expr log_softmax(Expr x, SoftmaxAttrs attrs, const Loc& loc) {
  return x.emitter().emit1("log_softmax", attrs, {x}, loc);
}

}  // namespace flowgrad::ops
