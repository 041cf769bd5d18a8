#include "ops/sigmoid_cross_entropy.h"

#include <cmath>

#include "graph/dtype_dispatch.h"
#include "ops/binary.h"
#include "ops/loss_backward.h"
#include "ops/parallel.h"
#include "ops/sources.h"
#include "ops/unary.h"

namespace flowgrad::ops {
namespace {

// The reference kernels' element math, in double.
double bce(double x, double t) { return std::max(x, 0.0) - x * t + std::log1p(std::exp(-std::abs(x))); }
double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// The kernels' element math in float (the sums stay in double): glibc's
// float exp and log are several times faster than the double ones, and
// word2vec evaluates 6 of these per training pair. glibc's log1pf is not
// (it was 12% of a word2vec run): log1p(e) = log(u) · e / (u - 1) with
// u = 1 + e is as accurate (Goldberg, "What every computer scientist should
// know about floating-point arithmetic", theorem 4).
float log1p_fast(float e) {
  const float u = 1.0f + e;
  return u == 1.0f ? e : std::log(u) * (e / (u - 1.0f));
}
float bce(float x, float t) { return std::max(x, 0.0f) - x * t + log1p_fast(std::exp(-std::abs(x))); }
float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

std::vector<TensorType> infer_forward(const InferContext& ctx) {
  const auto& a = ctx.attrs_as<BceAttrs>();
  ctx.expect_same_float({0, 1});
  if (ctx.in(1) != ctx.in(0)) ctx.fail("expected logits and targets of the same shape");
  if (a.reduction != "mean" && a.reduction != "sum" && a.reduction != "none") {
    ctx.fail("expected reduction mean|sum|none, got '" + a.reduction + "'");
  }
  return {{ctx.in(0).dtype, a.reduction == "none" ? ctx.in(0).shape : Shape{}}};
}

// The element math: the kernels' (float for float tensors) or the
// reference's (always double).
template <bool kReference, class T>
auto math_type(T x) {
  if constexpr (kReference) return static_cast<double>(x);
  else return x;
}

// Per-element losses into `loss`, then reduced into `out`.
template <bool kReference, class T>
void forward(const T* x, const T* t, int64_t n, const std::string& reduction, double* loss, T* out, int threads) {
  parallel_blocks(n, threads, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) loss[i] = bce(math_type<kReference>(x[i]), math_type<kReference>(t[i]));
  });
  if (reduction == "none") {
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<T>(loss[i]);
    return;
  }
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += loss[i];  // fixed order
  out[0] = static_cast<T>(reduction == "sum" || n == 0 ? s : s / static_cast<double>(n));
}

template <bool kReference, class T>
void backward(const T* dloss, const T* x, const T* t, int64_t n, const std::string& reduction, T* dx, int threads) {
  parallel_blocks(n, threads, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      double scale = reduction == "none" ? dloss[i] : reduction == "sum" ? dloss[0] : dloss[0] / static_cast<double>(n);
      dx[i] = static_cast<T>((sigmoid(math_type<kReference>(x[i])) - t[i]) * scale);
    }
  });
}

class ForwardKernel final : public Kernel {
 public:
  ForwardKernel(std::string reduction, int64_t n) : reduction_(std::move(reduction)), n_(n), loss_(n) {}
  void run(const KernelArgs& k) override {
    forward<false>(k.in<float>(0), k.in<float>(1), n_, reduction_, loss_.data(), k.out<float>(0), k.threads);
  }
  double cost() const override { return static_cast<double>(n_) * 8; }

 private:
  std::string reduction_;
  int64_t n_;
  std::vector<double> loss_;  // allocated once
};

class BackwardKernel final : public Kernel {
 public:
  BackwardKernel(std::string reduction, int64_t n) : reduction_(std::move(reduction)), n_(n) {}
  void run(const KernelArgs& k) override {
    backward<false>(k.in<float>(0), k.in<float>(1), k.in<float>(2), n_, reduction_, k.out<float>(0), k.threads);
  }
  double cost() const override { return static_cast<double>(n_) * 8; }

 private:
  std::string reduction_;
  int64_t n_;
};

// d/dx through the fused backward op; d/dt = -x · dloss (/ N for "mean").
std::vector<std::optional<Expr>> grad(GradContext& c) {
  const auto& a = c.attrs<BceAttrs>();
  Expr x = c.in(0), dloss = c.dout();
  Expr dx = c.em.emit1("sigmoid_binary_cross_entropy_backward", a, {dloss, x, c.in(1)}, c.loc);
  Expr dt = neg(mul(x, dloss, c.loc), c.loc);
  if (a.reduction == "mean") {
    dt = mul(dt, scalar(c.em, 1.0 / static_cast<double>(x.type().numel()), x.dtype(), c.loc), c.loc);
  }
  return {dx, dt};
}

}  // namespace

FLOWGRAD_REGISTER_OP({
    .name = "sigmoid_binary_cross_entropy",
    .num_inputs = 2,
    .fusion = FusionClass::opaque,
    .make_attrs = attrs_factory<BceAttrs>(),
    .infer = infer_forward,
    .lower = [](const LowerContext& ctx) -> std::unique_ptr<Kernel> {
      return std::make_unique<ForwardKernel>(ctx.attrs<BceAttrs>().reduction, ctx.inputs[0].numel());
    },
    .reference = [](const graph::Node& n, std::span<const Tensor> in, std::span<Tensor> out) {
      std::vector<double> loss(static_cast<size_t>(in[0].numel()));
      graph::with_float(in[0].dtype(), [&](auto tag) {
        using T = decltype(tag);
        forward<true>(in[0].data<T>(), in[1].data<T>(), in[0].numel(), n.attrs_as<BceAttrs>().reduction, loss.data(),
                      out[0].data<T>(), 1);
      });
    },
    .grad = grad,
});

FLOWGRAD_REGISTER_OP({
    .name = "sigmoid_binary_cross_entropy_backward",
    .num_inputs = 3,
    .fusion = FusionClass::opaque,
    .make_attrs = attrs_factory<BceAttrs>(),
    .infer = loss_backward_infer(infer_forward),
    .lower = [](const LowerContext& ctx) -> std::unique_ptr<Kernel> {
      return std::make_unique<BackwardKernel>(ctx.attrs<BceAttrs>().reduction, ctx.inputs[1].numel());
    },
    .reference = [](const graph::Node& n, std::span<const Tensor> in, std::span<Tensor> out) {
      graph::with_float(in[1].dtype(), [&](auto tag) {
        using T = decltype(tag);
        backward<true>(in[0].data<T>(), in[1].data<T>(), in[2].data<T>(), in[1].numel(),
                       n.attrs_as<BceAttrs>().reduction, out[0].data<T>(), 1);
      });
    },
    .not_differentiable = true,  // second derivatives of the loss are not supported
});

Expr sigmoid_binary_cross_entropy(Expr logits, Expr targets, BceAttrs attrs, const Loc& loc) {
  return logits.emitter().emit1("sigmoid_binary_cross_entropy", std::move(attrs), {logits, targets}, loc);
}

}  // namespace flowgrad::ops
