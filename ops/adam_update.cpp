#include "ops/adam_update.h"

#include <cmath>

#include "ops/parallel.h"

namespace flowgrad::ops {
namespace {

std::vector<TensorType> infer(const InferContext& ctx) {
  const TensorType& p = ctx.in(0);
  const TensorType scalar{DType::f32, {}};
  if (p.dtype != DType::f32) ctx.fail("expected an f32 parameter");
  for (int i : {1, 2, 3}) {
    if (ctx.in(i) != p) ctx.fail("expected grad, m and v of type " + p.str() + ", got " + ctx.in(i).str());
  }
  if (ctx.in(4) != scalar || ctx.in(5) != scalar) ctx.fail("expected f32 scalars for lr and step");
  const auto& a = ctx.attrs_as<AdamAttrs>();
  if (!(a.beta1 >= 0 && a.beta1 < 1 && a.beta2 >= 0 && a.beta2 < 1 && a.eps > 0)) {
    ctx.fail("expected 0 <= beta1, beta2 < 1 and eps > 0");
  }
  return {p, p, p};
}

class AdamKernel final : public Kernel {
 public:
  AdamKernel(AdamAttrs a, int64_t n) : a_(a), n_(n) {}
  void run(const KernelArgs& k) override {
    float *p = k.out<float>(0), *m = k.out<float>(1), *v = k.out<float>(2);
    const float* g = k.in<float>(1);
    const float lr = *k.in<float>(4);
    const double t = *k.in<float>(5);
    const float b1 = static_cast<float>(a_.beta1), b2 = static_cast<float>(a_.beta2);
    const float c1 = static_cast<float>(1.0 / (1.0 - std::pow(a_.beta1, t)));  // bias corrections
    const float c2 = static_cast<float>(1.0 / (1.0 - std::pow(a_.beta2, t)));
    const float eps = static_cast<float>(a_.eps), wd = static_cast<float>(a_.weight_decay);
    const float shrink = a_.decoupled ? 1.0f - lr * wd : 1.0f, l2 = a_.decoupled ? 0.0f : wd;
    const Step s{b1, b2, c1, c2, eps, lr, shrink, l2};
    parallel_blocks(n_, k.threads, [&](int64_t lo, int64_t hi) { update(s, p + lo, m + lo, v + lo, g + lo, hi - lo); });
  }
  double cost() const override { return static_cast<double>(n_) * 10; }

 private:
  struct Step {
    float b1, b2, c1, c2, eps, lr, shrink, l2;
  };
  // One block of the update; cloned per instruction set (memory-bound: 7
  // floats moved per element, 110M elements per bert-base step).
  FLOWGRAD_X86_CLONES
  static void update(const Step& s, float* __restrict p, float* __restrict m, float* __restrict v,
                     const float* __restrict g, int64_t n) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) {
      float gi = g[i] + s.l2 * p[i];
      m[i] = s.b1 * m[i] + (1 - s.b1) * gi;
      v[i] = s.b2 * v[i] + (1 - s.b2) * gi * gi;
      p[i] = p[i] * s.shrink - s.lr * (m[i] * s.c1) / (std::sqrt(v[i] * s.c2) + s.eps);
    }
  }

  AdamAttrs a_;
  int64_t n_;
};

void reference(const graph::Node& n, std::span<const Tensor> in, std::span<Tensor> out) {
  const auto& a = n.attrs_as<AdamAttrs>();
  double lr = in[4].at(0), t = in[5].at(0);
  for (int64_t i = 0; i < in[0].numel(); ++i) {
    AdamElement e = adam_reference_step(a, lr, t, in[0].at(i), in[1].at(i), in[2].at(i), in[3].at(i));
    out[0].data<float>()[i] = static_cast<float>(e.p);
    out[1].data<float>()[i] = static_cast<float>(e.m);
    out[2].data<float>()[i] = static_cast<float>(e.v);
  }
}

}  // namespace

AdamElement adam_reference_step(const AdamAttrs& a, double lr, double t, double p, double g, double m, double v) {
  if (a.decoupled) p *= 1 - lr * a.weight_decay;
  else g += a.weight_decay * p;
  m = a.beta1 * m + (1 - a.beta1) * g;
  v = a.beta2 * v + (1 - a.beta2) * g * g;
  double mhat = m / (1 - std::pow(a.beta1, t)), vhat = v / (1 - std::pow(a.beta2, t));
  return {p - lr * mhat / (std::sqrt(vhat) + a.eps), m, v};
}

FLOWGRAD_REGISTER_OP({
    .name = "adam_update",
    .num_inputs = 6,
    .num_outputs = 3,
    .fusion = FusionClass::opaque,
    .make_attrs = attrs_factory<AdamAttrs>(),
    .infer = infer,
    .lower = [](const LowerContext& ctx) -> std::unique_ptr<Kernel> {
      return std::make_unique<AdamKernel>(ctx.attrs<AdamAttrs>(), ctx.inputs[0].numel());
    },
    .reference = reference,
    .not_differentiable = true,  // an optimizer step
    .inplace = {{0, 0}, {1, 2}, {2, 3}},
});

std::vector<Expr> adam_update(Expr param, Expr grad, Expr m, Expr v, Expr lr, Expr step, AdamAttrs attrs,
                              const Loc& loc) {
  return param.emitter().emit("adam_update", std::make_shared<graph::Attrs<AdamAttrs>>(attrs),
                              {param, grad, m, v, lr, step}, loc);
}

}  // namespace flowgrad::ops
