#include "ops/one_hot.h"

#include <algorithm>

#include "ops/parallel.h"
#include "ops/scatter_kernel.h"

namespace flowgrad::ops {
namespace {

std::vector<TensorType> infer(const InferContext& ctx) {
  const TensorType& idx = ctx.in(0);
  const int64_t depth = ctx.attrs_as<OneHotAttrs>().depth;
  if (idx.dtype != DType::i32 && idx.dtype != DType::i64) ctx.fail("expected i32 or i64 indices, got " + idx.str());
  if (depth < 0) ctx.fail("expected depth >= 0, got " + std::to_string(depth));
  Shape out = idx.shape;
  out.push_back(depth);
  return {{DType::f32, out}};
}

// Rows [lo, hi) of the output.
void one_hot_rows(const std::byte* idx, DType t, int64_t depth, float* out, int64_t lo, int64_t hi) {
  std::fill(out + lo * depth, out + hi * depth, 0.0f);
  for (int64_t r = lo; r < hi; ++r) {
    int64_t c = index_at(idx, t, r);
    if (c >= 0 && c < depth) out[r * depth + c] = 1.0f;
  }
}

class OneHotKernel final : public Kernel {
 public:
  OneHotKernel(int64_t n, int64_t depth, DType t) : n_(n), depth_(depth), t_(t) {}
  void run(const KernelArgs& k) override {
    int64_t block = std::max<int64_t>(1, kBlock / std::max<int64_t>(1, depth_));
    parallel_blocks(n_, k.threads, block, [&](int64_t lo, int64_t hi) {
      one_hot_rows(k.inputs[0], t_, depth_, k.out<float>(0), lo, hi);
    });
  }
  double cost() const override { return static_cast<double>(n_ * depth_); }

 private:
  int64_t n_, depth_;
  DType t_;
};

}  // namespace

FLOWGRAD_REGISTER_OP({
    .name = "one_hot",
    .num_inputs = 1,
    .fusion = FusionClass::injective,
    .make_attrs = attrs_factory<OneHotAttrs>(),
    .infer = infer,
    .lower = [](const LowerContext& ctx) -> std::unique_ptr<Kernel> {
      return std::make_unique<OneHotKernel>(ctx.inputs[0].numel(), ctx.attrs<OneHotAttrs>().depth, ctx.inputs[0].dtype);
    },
    .reference = [](const graph::Node& n, std::span<const Tensor> in, std::span<Tensor> out) {
      const int64_t depth = n.attrs_as<OneHotAttrs>().depth;
      for (int64_t r = 0; r < in[0].numel(); ++r) {
        for (int64_t c = 0; c < depth; ++c) {
          out[0].data<float>()[r * depth + c] = static_cast<int64_t>(in[0].at(r)) == c ? 1.0f : 0.0f;
        }
      }
    },
    .not_differentiable = true,  // integer input
});

Expr one_hot(Expr indices, int64_t depth, const Loc& loc) {
  return indices.emitter().emit1("one_hot", OneHotAttrs{.depth = depth}, {indices}, loc);
}

}  // namespace flowgrad::ops
