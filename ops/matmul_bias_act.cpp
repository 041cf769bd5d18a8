#include "ops/matmul_bias_act.h"

#include <algorithm>

#include "ops/dnnl_util.h"
#include "ops/matmul_desc.h"
#include "ops/unary.h"

namespace flowgrad::ops {
namespace {

// An activation the fused primitive can apply as an eltwise post-op, and the
// unfused op (with its attrs) whose reference kernel defines it.
struct Activation {
  std::string_view name;
  dnnl::algorithm alg;
  std::string_view op;            // empty: no activation
  std::string_view approximate;   // gelu's attr
};

constexpr Activation kActivations[] = {
    {"none", dnnl::algorithm::undef, "", ""},
    {"relu", dnnl::algorithm::eltwise_relu, "relu", ""},
    {"tanh", dnnl::algorithm::eltwise_tanh, "tanh", ""},
    {"gelu", dnnl::algorithm::eltwise_gelu_erf, "gelu", "none"},
    {"gelu_tanh", dnnl::algorithm::eltwise_gelu_tanh, "gelu", "tanh"},
};

const Activation* find_activation(std::string_view name) {
  for (const Activation& a : kActivations) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

graph::Attrs<MatmulAttrs> matmul_attrs(const MatmulBiasActAttrs& a) {
  return graph::Attrs<MatmulAttrs>(MatmulAttrs{.transpose_a = a.transpose_a, .transpose_b = a.transpose_b});
}

// Which optional inputs a node has: a, b, [bias], [residual].
struct Operands {
  bool bias = false, residual = false;
  size_t residual_index() const { return bias ? 3 : 2; }
};

Operands operands_of(const MatmulBiasActAttrs& at, size_t num_inputs) {
  return {.bias = num_inputs == (at.residual ? 4u : 3u), .residual = at.residual};
}

bool is_bias(const TensorType& bias, const TensorType& y) {
  return bias.dtype == DType::f32 && bias.rank() >= 1 && bias.rank() <= y.rank() && bias.shape.back() == y.shape.back() &&
         std::all_of(bias.shape.begin(), bias.shape.end() - 1, [](int64_t d) { return d == 1; });
}

std::vector<TensorType> infer(const InferContext& ctx) {
  const auto& at = ctx.attrs_as<MatmulBiasActAttrs>();
  size_t fixed = at.residual ? 3 : 2;
  if (ctx.inputs.size() != fixed && ctx.inputs.size() != fixed + 1) {
    ctx.fail(at.residual ? "expected 3 or 4 inputs (a, b[, bias], residual), got " + std::to_string(ctx.inputs.size())
                         : "expected 2 or 3 inputs (a, b[, bias]), got " + std::to_string(ctx.inputs.size()));
  }
  if (!find_activation(at.activation)) {
    ctx.fail("expected activation none|relu|tanh|gelu|gelu_tanh, got '" + at.activation + "'");
  }
  auto mm = matmul_attrs(at);  // matmul's own inference, with its messages
  std::vector<TensorType> out = get_op("matmul").infer(InferContext{ctx.op, ctx.node_name, mm, ctx.inputs.subspan(0, 2), ctx.loc});
  Operands ops = operands_of(at, ctx.inputs.size());
  if (ops.bias && !is_bias(ctx.in(2), out[0])) {
    const Shape& y = out[0].shape;
    ctx.fail("expected an f32 bias of shape [" + std::to_string(y.back()) + "] (or [1, ..., " +
             std::to_string(y.back()) + "]), got " + ctx.in(2).str());
  }
  if (ops.residual && ctx.in(ops.residual_index()) != out[0]) {
    ctx.fail("expected a residual of the output's type " + out[0].str() + ", got " + ctx.in(ops.residual_index()).str());
  }
  return out;
}

// Post-ops in order: the activation, then the residual (a full-tensor binary add).
std::unique_ptr<Kernel> lower(const LowerContext& ctx) {
  const auto& at = ctx.attrs<MatmulBiasActAttrs>();
  Operands ops = operands_of(at, ctx.inputs.size());
  MatmulDescs d = matmul_descs(ctx.inputs[0].shape, ctx.inputs[1].shape, matmul_attrs(at).value);
  dnnl::primitive_attr attr = scratchpad_attr();
  const Activation& act = *find_activation(at.activation);
  std::vector<DnnlKernel::Arg> args{{DNNL_ARG_SRC, d.src, 0, -1}, {DNNL_ARG_WEIGHTS, d.weights, 1, -1},
                                    {DNNL_ARG_DST, d.dst, -1, 0}};
  dnnl::post_ops po;
  if (!act.op.empty()) po.append_eltwise(1.f, act.alg, 0.f, 0.f);
  if (ops.residual) {
    int index = po.len();
    po.append_binary(dnnl::algorithm::binary_add, d.dst);
    args.push_back({DNNL_ARG_ATTR_MULTIPLE_POST_OP(index) | DNNL_ARG_SRC_1, d.dst, static_cast<int>(ops.residual_index()), -1});
  }
  if (po.len() > 0) attr.set_post_ops(po);
  std::optional<dnnl::matmul::desc> desc;
  if (ops.bias) {
    Shape bias(d.dst.dims().size(), 1);  // [1, ..., 1, N] in dst's rank: broadcast over every row
    bias.back() = d.dst_shape.back();
    auto bias_md = plain_md(bias, DType::f32);
    desc.emplace(d.src, d.weights, bias_md, d.dst);
    args.push_back({DNNL_ARG_BIAS, bias_md, 2, -1});
  } else {
    desc.emplace(d.src, d.weights, d.dst);
  }
  dnnl::matmul::primitive_desc pd(*desc, attr, ctx.engine);
  double cost = d.flops + (2.0 + ops.residual) * static_cast<double>(graph::numel(d.dst_shape));
  return std::make_unique<DnnlKernel>(make_primitive<dnnl::matmul>(pd), pd.scratchpad_desc(), std::move(args), cost);
}

// Runs the reference kernel of the unfused op `op` on `in`.
Tensor run_reference(std::string_view op, std::shared_ptr<const graph::AttrsBase> attrs, const graph::Node& like,
                     std::vector<Tensor> in, const TensorType& out_type) {
  graph::Node n = like;
  n.op = std::string(op);
  n.attrs = std::move(attrs);
  std::vector<Tensor> out{Tensor(out_type)};
  get_op(op).reference(n, in, out);
  return out[0];
}

// Exactly the unfused computation: matmul, add the bias, the activation, add the residual.
void reference(const graph::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const auto& at = node.attrs_as<MatmulBiasActAttrs>();
  Operands ops = operands_of(at, in.size());
  const TensorType& type = out[0].type();
  auto no_attrs = std::make_shared<graph::Attrs<graph::NoAttrs>>();
  Tensor y = run_reference("matmul", std::make_shared<graph::Attrs<MatmulAttrs>>(matmul_attrs(at)), node,
                           {in[0], in[1]}, type);
  if (ops.bias) y = run_reference("add", no_attrs, node, {y, in[2]}, type);
  const Activation& act = *find_activation(at.activation);
  if (!act.op.empty()) {
    std::shared_ptr<const graph::AttrsBase> attrs = std::make_shared<graph::Attrs<graph::NoAttrs>>();
    if (act.op == "gelu") attrs = std::make_shared<graph::Attrs<GeluAttrs>>(GeluAttrs{std::string(act.approximate)});
    y = run_reference(act.op, attrs, node, {y}, type);
  }
  if (ops.residual) y = run_reference("add", no_attrs, node, {y, in[ops.residual_index()]}, type);
  std::copy_n(y.data<float>(), y.numel(), out[0].data<float>());
}

}  // namespace

FLOWGRAD_REGISTER_OP({
    .name = "matmul_bias_act",
    .num_inputs = kVariadic,
    .fusion = FusionClass::out_fusable,
    .make_attrs = attrs_factory<MatmulBiasActAttrs>(),
    .infer = infer,
    .lower = lower,
    .reference = reference,
    // Made by fusion, which runs after autodiff: gradients of the unfused ops
    // already exist, so nothing differentiates through the fused op.
    .not_differentiable = true,
});

Expr matmul_bias_act(Expr a, Expr b, Expr bias, MatmulBiasActAttrs attrs, const Loc& loc) {
  std::vector<Expr> in{a, b};
  if (bias.valid()) in.push_back(bias);
  return a.emitter().emit1("matmul_bias_act", std::move(attrs), in, loc);
}

Expr matmul_bias_act_residual(Expr a, Expr b, Expr bias, Expr residual, MatmulBiasActAttrs attrs, const Loc& loc) {
  std::vector<Expr> in{a, b};
  if (bias.valid()) in.push_back(bias);
  in.push_back(residual);
  attrs.residual = true;
  return a.emitter().emit1("matmul_bias_act", std::move(attrs), in, loc);
}

}  // namespace flowgrad::ops
