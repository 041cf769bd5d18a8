#include "ops/scatter_add.h"

#include "ops/gather.h"
#include "ops/scatter_kernel.h"

namespace flowgrad::ops {
namespace {

std::vector<TensorType> infer(const InferContext& ctx) {
  const TensorType &base = ctx.in(0), &idx = ctx.in(1), &rows = ctx.in(2);
  if (!graph::is_float(base.dtype) || base.rank() < 1) ctx.fail("expected an f32 or f64 base [V, ...], got " + base.str());
  if ((idx.dtype != DType::i32 && idx.dtype != DType::i64) || idx.rank() != 1) {
    ctx.fail("expected i32 or i64 indices [N], got " + idx.str());
  }
  Shape want = base.shape;
  want[0] = idx.shape[0];
  if (rows != TensorType{base.dtype, want}) {
    ctx.fail(std::string("expected rows ") + graph::dtype_name(base.dtype) + graph::shape_str(want) + ", got " + rows.str());
  }
  return {base};
}

}  // namespace

FLOWGRAD_REGISTER_OP({
    .name = "scatter_add",
    .num_inputs = 3,
    .fusion = FusionClass::opaque,
    .make_attrs = attrs_factory<graph::NoAttrs>(),
    .infer = infer,
    .lower = [](const LowerContext& ctx) -> std::unique_ptr<Kernel> {
      const TensorType& base = ctx.inputs[0];
      int64_t d = 1;
      for (size_t i = 1; i < base.shape.size(); ++i) d *= base.shape[i];
      return std::make_unique<ScatterAddKernel>(base.shape[0], ctx.inputs[1].numel(), d, ctx.inputs[1].dtype, true,
                                                node_label(ctx.node));
    },
    .reference = [](const graph::Node& n, std::span<const Tensor> in, std::span<Tensor> out) {
      scatter_add_reference(&in[0], in[1], in[2], out[0], node_label(n));
    },
    .grad = [](GradContext& c) -> std::vector<std::optional<Expr>> {
      return {c.dout(), std::nullopt, gather(c.dout(), c.in(1), c.loc)};
    },
});

Expr scatter_add(Expr base, Expr indices, Expr rows, const Loc& loc) {
  return base.emitter().emit1("scatter_add", graph::NoAttrs{}, {base, indices, rows}, loc);
}

}  // namespace flowgrad::ops
