#include "ops/fill.h"

#include <algorithm>

#include "ops/parallel.h"

namespace flowgrad::ops {
namespace {

template <class T> void fill_range(std::byte* out, int64_t lo, int64_t hi, double v) {
  std::fill(reinterpret_cast<T*>(out) + lo, reinterpret_cast<T*>(out) + hi, static_cast<T>(v));
}

void fill_any(std::byte* out, DType t, int64_t lo, int64_t hi, double v) {
  switch (t) {
    case DType::f32: fill_range<float>(out, lo, hi, v); break;
    case DType::f64: fill_range<double>(out, lo, hi, v); break;
    case DType::i32: fill_range<int32_t>(out, lo, hi, v); break;
    case DType::i64: fill_range<int64_t>(out, lo, hi, v); break;
    case DType::boolean: fill_range<bool>(out, lo, hi, v); break;
  }
}

class FillKernel final : public Kernel {
 public:
  explicit FillKernel(FillAttrs a) : a_(std::move(a)) {}
  void run(const KernelArgs& k) override {
    parallel_blocks(graph::numel(a_.shape), k.threads, [&](int64_t lo, int64_t hi) {
      fill_any(k.outputs[0], a_.dtype, lo, hi, a_.value);
    });
  }
  double cost() const override { return static_cast<double>(graph::numel(a_.shape)); }

 private:
  FillAttrs a_;
};

}  // namespace

FLOWGRAD_REGISTER_OP({
    .name = "fill",
    .num_inputs = 0,
    .fusion = FusionClass::elementwise,
    .make_attrs = attrs_factory<FillAttrs>(),
    .infer = [](const InferContext& ctx) -> std::vector<TensorType> {
      const auto& a = ctx.attrs_as<FillAttrs>();
      for (int64_t d : a.shape) {
        if (d < 0) ctx.fail("expected non-negative dimensions, got " + graph::shape_str(a.shape));
      }
      return {{a.dtype, a.shape}};
    },
    .lower = [](const LowerContext& ctx) -> std::unique_ptr<Kernel> {
      return std::make_unique<FillKernel>(ctx.attrs<FillAttrs>());
    },
    .reference = [](const graph::Node& n, std::span<const Tensor>, std::span<Tensor> out) {
      fill_any(out[0].raw(), out[0].dtype(), 0, out[0].numel(), n.attrs_as<FillAttrs>().value);
    },
    .not_differentiable = true,  // no inputs
});

Expr fill(Emitter& em, FillAttrs attrs, const Loc& loc) { return em.emit1("fill", std::move(attrs), {}, loc); }
Expr zeros_like(Expr x, const Loc& loc) { return fill(x.emitter(), {x.shape(), x.dtype(), 0.0}, loc); }
Expr ones_like(Expr x, const Loc& loc) { return fill(x.emitter(), {x.shape(), x.dtype(), 1.0}, loc); }

}  // namespace flowgrad::ops
