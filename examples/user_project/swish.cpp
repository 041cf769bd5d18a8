// The `swish` op: schema, shape inference, kernel (a deterministic parallel loop, ops/parallel.h),
// plain reference kernel (f32 and f64, for the double-precision gradient
// check) and gradient rule, registered once at start-up.

#include "swish.h"

#include <cmath>

#include "graph/dtype_dispatch.h"
#include "ops/binary.h"
#include "ops/parallel.h"
#include "ops/unary.h"

namespace user {
namespace {

using namespace flowgrad;

// f32, or f64 on the reference interpreter (the kernel below is f32 only).
std::vector<graph::TensorType> infer_swish(const ops::InferContext& ctx) {
  ctx.expect_float(0);
  return {ctx.in(0)};
}

// Built once at compile time; run() only reads and writes the given buffers.
class SwishKernel : public ops::Kernel {
 public:
  SwishKernel(int64_t n, float beta) : n_(n), beta_(beta) {}
  void run(const ops::KernelArgs& args) override {
    const float* x = args.in<float>(0);
    float* y = args.out<float>(0);
    ops::parallel_blocks(n_, args.threads, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) y[i] = x[i] / (1.0f + std::exp(-beta_ * x[i]));
    });
  }
  double cost() const override { return static_cast<double>(4 * n_); }

 private:
  int64_t n_;
  float beta_;
};

std::unique_ptr<ops::Kernel> lower_swish(const ops::LowerContext& ctx) {
  return std::make_unique<SwishKernel>(ctx.inputs[0].numel(), static_cast<float>(ctx.attrs<SwishAttrs>().beta));
}

// The test oracle: plain loops in double, written once for f32 and f64.
void reference_swish(const graph::Node& node, std::span<const graph::Tensor> in, std::span<graph::Tensor> out) {
  double beta = node.attrs_as<SwishAttrs>().beta;
  graph::with_float(in[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* x = in[0].data<T>();
    T* y = out[0].data<T>();
    for (int64_t i = 0; i < in[0].numel(); ++i) {
      double v = x[i];
      y[i] = static_cast<T>(v / (1.0 + std::exp(-beta * v)));
    }
  });
}

// dy/dx = s + βx·s·(1 − s), s = σ(βx): ordinary nodes, so it is itself differentiable.
std::vector<std::optional<ops::Expr>> grad_swish(ops::GradContext& c) {
  auto beta = static_cast<float>(c.attrs<SwishAttrs>().beta);
  ops::Expr bx = c.in(0) * beta;
  ops::Expr s = ops::sigmoid(bx, c.loc);
  ops::Expr ds = s + bx * s * (ops::neg(s, c.loc) + 1.0f);
  return {c.dout() * ds};
}

FLOWGRAD_REGISTER_OP({
    .name = "swish",
    .num_inputs = 1,
    .fusion = ops::FusionClass::elementwise,
    .make_attrs = ops::attrs_factory<SwishAttrs>(),
    .infer = infer_swish,
    .lower = lower_swish,
    .reference = reference_swish,
    .grad = grad_swish,
});

}  // namespace

ops::Expr swish(ops::Expr x, SwishAttrs attrs, const ops::Loc& loc) {
  return x.emitter().emit1("swish", attrs, {x}, loc);
}

}  // namespace user
