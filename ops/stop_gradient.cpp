#include "ops/stop_gradient.h"

#include <cstring>

#include "ops/parallel.h"

namespace flowgrad::ops {
namespace {

class CopyKernel final : public Kernel {
 public:
  explicit CopyKernel(size_t bytes) : bytes_(static_cast<int64_t>(bytes)) {}
  void run(const KernelArgs& k) override {
    parallel_blocks(bytes_, k.threads, 1 << 18, [&](int64_t lo, int64_t hi) {
      std::memcpy(k.outputs[0] + lo, k.inputs[0] + lo, static_cast<size_t>(hi - lo));
    });
  }
  double cost() const override { return static_cast<double>(bytes_) / 4; }

 private:
  int64_t bytes_;
};

}  // namespace

FLOWGRAD_REGISTER_OP({
    .name = "stop_gradient",
    .num_inputs = 1,
    .fusion = FusionClass::elementwise,
    .make_attrs = attrs_factory<graph::NoAttrs>(),
    .infer = [](const InferContext& ctx) -> std::vector<TensorType> { return {ctx.in(0)}; },
    .lower = [](const LowerContext& ctx) -> std::unique_ptr<Kernel> {
      return std::make_unique<CopyKernel>(ctx.inputs[0].nbytes());
    },
    .reference = [](const graph::Node&, std::span<const Tensor> in, std::span<Tensor> out) {
      if (in[0].nbytes()) std::memcpy(out[0].raw(), in[0].raw(), in[0].nbytes());
    },
    .not_differentiable = true,  // by definition
});

Expr stop_gradient(Expr x, const Loc& loc) { return x.emitter().emit1("stop_gradient", graph::NoAttrs{}, {x}, loc); }

}  // namespace flowgrad::ops
