#include "ops/lr_schedule.h"

#include <algorithm>
#include <cmath>

namespace flowgrad::ops {
namespace {

class ScheduleKernel final : public Kernel {
 public:
  explicit ScheduleKernel(LrScheduleAttrs a) : a_(std::move(a)) {}
  void run(const KernelArgs& k) override { *k.out<float>(0) = static_cast<float>(scheduled_lr(a_, *k.in<float>(0))); }
  double cost() const override { return 1; }

 private:
  LrScheduleAttrs a_;
};

std::vector<TensorType> infer(const InferContext& ctx) {
  const auto& a = ctx.attrs_as<LrScheduleAttrs>();
  if (ctx.in(0) != TensorType{DType::f32, {}}) ctx.fail("expected an f32 scalar step");
  if (a.kind != "constant" && a.kind != "linear" && a.kind != "cosine") {
    ctx.fail("expected kind constant|linear|cosine, got '" + a.kind + "'");
  }
  if (a.kind != "constant" && a.total_steps <= a.warmup_steps) {
    ctx.fail("expected total_steps > warmup_steps for a " + a.kind + " schedule, got " +
             std::to_string(a.total_steps) + " <= " + std::to_string(a.warmup_steps));
  }
  if (a.warmup_steps < 0 || !(a.lr >= 0)) ctx.fail("expected lr >= 0 and warmup_steps >= 0");
  return {{DType::f32, {}}};
}

}  // namespace

double scheduled_lr(const LrScheduleAttrs& a, double t) {
  if (a.warmup_steps > 0 && t <= static_cast<double>(a.warmup_steps)) return a.lr * t / static_cast<double>(a.warmup_steps);
  if (a.kind == "constant") return a.lr;
  double p = (t - static_cast<double>(a.warmup_steps)) / static_cast<double>(a.total_steps - a.warmup_steps);
  p = std::clamp(p, 0.0, 1.0);
  if (a.kind == "linear") return a.lr * (1.0 - p);
  return a.lr * 0.5 * (1.0 + std::cos(M_PI * p));
}

FLOWGRAD_REGISTER_OP({
    .name = "lr_schedule",
    .num_inputs = 1,
    .fusion = FusionClass::opaque,
    .make_attrs = attrs_factory<LrScheduleAttrs>(),
    .infer = infer,
    .lower = [](const LowerContext& ctx) -> std::unique_ptr<Kernel> {
      return std::make_unique<ScheduleKernel>(ctx.attrs<LrScheduleAttrs>());
    },
    .reference = [](const graph::Node& n, std::span<const Tensor> in, std::span<Tensor> out) {
      out[0].data<float>()[0] = static_cast<float>(scheduled_lr(n.attrs_as<LrScheduleAttrs>(), in[0].data<float>()[0]));
    },
    .not_differentiable = true,  // a hyper-parameter
});

Expr lr_schedule(Expr step, LrScheduleAttrs attrs, const Loc& loc) {
  return step.emitter().emit1("lr_schedule", std::move(attrs), {step}, loc);
}

}  // namespace flowgrad::ops
