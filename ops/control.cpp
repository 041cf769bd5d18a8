#include "ops/control.h"

namespace flowgrad::ops {
namespace {

class IncrementKernel final : public Kernel {
 public:
  void run(const KernelArgs& k) override { *k.out<float>(0) = *k.in<float>(0) + 1.0f; }
  double cost() const override { return 1; }
};

class GroupKernel final : public Kernel {
 public:
  void run(const KernelArgs& k) override { *k.out<float>(0) = 0.0f; }
  double cost() const override { return 1; }
};

}  // namespace

FLOWGRAD_REGISTER_OP({
    .name = "increment",
    .num_inputs = 1,
    .fusion = FusionClass::opaque,
    .make_attrs = attrs_factory<graph::NoAttrs>(),
    .infer = [](const InferContext& ctx) -> std::vector<TensorType> {
      if (ctx.in(0) != TensorType{DType::f32, {}}) ctx.fail("expected an f32 scalar counter");
      return {ctx.in(0)};
    },
    .lower = [](const LowerContext&) -> std::unique_ptr<Kernel> { return std::make_unique<IncrementKernel>(); },
    .reference = [](const graph::Node&, std::span<const Tensor> in, std::span<Tensor> out) {
      out[0].data<float>()[0] = in[0].data<float>()[0] + 1.0f;
    },
    .not_differentiable = true,  // a counter
    .inplace = {{0, 0}},
});

FLOWGRAD_REGISTER_OP({
    .name = "group",
    .num_inputs = kVariadic,
    .fusion = FusionClass::opaque,
    .make_attrs = attrs_factory<graph::NoAttrs>(),
    .infer = [](const InferContext& ctx) -> std::vector<TensorType> {
      if (ctx.inputs.empty()) ctx.fail("expected at least one input");
      return {{DType::f32, {}}};
    },
    .lower = [](const LowerContext&) -> std::unique_ptr<Kernel> { return std::make_unique<GroupKernel>(); },
    .reference = [](const graph::Node&, std::span<const Tensor>, std::span<Tensor> out) { out[0].data<float>()[0] = 0; },
    .not_differentiable = true,  // ordering only
});

Expr increment(Expr counter, const Loc& loc) { return counter.emitter().emit1("increment", graph::NoAttrs{}, {counter}, loc); }

Expr group(const std::vector<Expr>& xs, const Loc& loc, std::string_view name) {
  FLOWGRAD_CHECK(!xs.empty(), "group of nothing");
  return xs[0].emitter().emit1("group", graph::NoAttrs{}, xs, loc, name);
}

}  // namespace flowgrad::ops
