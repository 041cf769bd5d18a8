#include "ops/global_norm.h"

#include <cmath>

#include "ops/binary.h"
#include "ops/parallel.h"

namespace flowgrad::ops {
namespace {

double clip_factor(double sum_squares, double max_norm) {
  return std::min(1.0, max_norm / (std::sqrt(sum_squares) + 1e-6));
}

class GlobalNormKernel final : public Kernel {
 public:
  GlobalNormKernel(std::vector<int64_t> sizes, double max_norm) : sizes_(std::move(sizes)), max_norm_(max_norm) {
    for (int64_t n : sizes_) partial_.resize(partial_.size() + static_cast<size_t>((n + kBlock - 1) / kBlock));
  }
  void run(const KernelArgs& k) override {
    size_t base = 0;
    for (size_t t = 0; t < sizes_.size(); ++t) {
      const float* g = k.in<float>(t);
      parallel_blocks(sizes_[t], k.threads, [&](int64_t lo, int64_t hi) {
        double s = 0;
        for (int64_t i = lo; i < hi; ++i) s += static_cast<double>(g[i]) * g[i];
        partial_[base + static_cast<size_t>(lo / kBlock)] = s;
      });
      base += static_cast<size_t>((sizes_[t] + kBlock - 1) / kBlock);
    }
    double total = 0;
    for (double s : partial_) total += s;  // fixed order
    *k.out<float>(0) = static_cast<float>(clip_factor(total, max_norm_));
  }
  double cost() const override {
    double c = 0;
    for (int64_t n : sizes_) c += static_cast<double>(n) * 2;
    return c;
  }

 private:
  std::vector<int64_t> sizes_;
  double max_norm_;
  std::vector<double> partial_;  // allocated once
};

}  // namespace

FLOWGRAD_REGISTER_OP({
    .name = "global_norm_scale",
    .num_inputs = kVariadic,
    .fusion = FusionClass::reduce,
    .make_attrs = attrs_factory<GlobalNormAttrs>(),
    .infer = [](const InferContext& ctx) -> std::vector<TensorType> {
      if (ctx.inputs.empty()) ctx.fail("expected at least one gradient");
      for (const auto& t : ctx.inputs) {
        if (t.dtype != DType::f32) ctx.fail("expected f32 gradients");
      }
      if (!(ctx.attrs_as<GlobalNormAttrs>().max_norm > 0)) ctx.fail("expected max_norm > 0");
      return {{DType::f32, {}}};
    },
    .lower = [](const LowerContext& ctx) -> std::unique_ptr<Kernel> {
      std::vector<int64_t> sizes;
      for (const auto& t : ctx.inputs) sizes.push_back(t.numel());
      return std::make_unique<GlobalNormKernel>(sizes, ctx.attrs<GlobalNormAttrs>().max_norm);
    },
    .reference = [](const graph::Node& n, std::span<const Tensor> in, std::span<Tensor> out) {
      double s = 0;
      for (const Tensor& t : in) {
        for (int64_t i = 0; i < t.numel(); ++i) s += t.at(i) * t.at(i);
      }
      out[0].data<float>()[0] = static_cast<float>(clip_factor(s, n.attrs_as<GlobalNormAttrs>().max_norm));
    },
    .not_differentiable = true,  // an optimizer utility
});

Expr global_norm_scale(const std::vector<Expr>& grads, GlobalNormAttrs attrs, const Loc& loc) {
  FLOWGRAD_CHECK(!grads.empty(), "global norm of nothing");
  return grads[0].emitter().emit1("global_norm_scale", attrs, grads, loc);
}

std::vector<Expr> clip_by_global_norm(const std::vector<Expr>& grads, double max_norm, const Loc& loc) {
  Expr scale = global_norm_scale(grads, {.max_norm = max_norm}, loc);
  std::vector<Expr> out;
  for (const Expr& g : grads) out.push_back(mul(g, scale, loc));
  return out;
}

}  // namespace flowgrad::ops
