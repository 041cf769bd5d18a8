#include "ops/reshape.h"

#include <cstring>

#include "ops/parallel.h"

namespace flowgrad::ops {
namespace {

// Resolves a requested shape against the input's: fills the -1, checks the
// element count. Fails with both shapes in the message.
Shape resolve_shape(const InferContext& ctx, const Shape& in, const std::vector<int64_t>& want) {
  auto mismatch = [&](const std::string& why) {
    ctx.fail("expected a shape with the " + std::to_string(graph::numel(in)) + " elements of " +
             graph::shape_str(in) + ", got " + graph::shape_str(want) + why);
  };
  int64_t inferred = -1, known = 1;
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i] == -1) {
      if (inferred >= 0) mismatch(" (at most one -1 is allowed)");
      inferred = static_cast<int64_t>(i);
    } else if (want[i] < 0) {
      mismatch(" (negative dimension " + std::to_string(want[i]) + ")");
    } else if (__builtin_mul_overflow(known, want[i], &known)) {  // attrs may come from a file
      mismatch(" (the element count overflows)");
    }
  }
  int64_t n = graph::numel(in);
  Shape out = want;
  if (inferred >= 0) {
    // [0, -1] could be any size: PyTorch refuses it too.
    if (known == 0) mismatch(" (the -1 is ambiguous next to a zero dimension)");
    if (n % known != 0) mismatch("");
    out[inferred] = n / known;
  } else if (known != n) {
    mismatch(" (" + std::to_string(known) + " elements)");
  }
  return out;
}

std::vector<TensorType> infer(const InferContext& ctx) {
  const TensorType& x = ctx.in(0);
  return {{x.dtype, resolve_shape(ctx, x.shape, ctx.attrs_as<ReshapeAttrs>().shape)}};
}

// A flat copy in fixed blocks; parallel for large tensors. Nothing when the
// memory planner gave the output its dying input's block.
class CopyKernel final : public Kernel {
 public:
  CopyKernel(int64_t numel, size_t elem_size) : numel_(numel), elem_(elem_size) {}
  void run(const KernelArgs& a) override {
    const std::byte* src = a.inputs[0];
    std::byte* dst = a.outputs[0];
    if (src == dst) return;  // planned in place (inplace_ok): a reshape is then free
    parallel_blocks(numel_, a.threads, [&](int64_t lo, int64_t hi) {
      std::memcpy(dst + lo * elem_, src + lo * elem_, static_cast<size_t>(hi - lo) * elem_);
    });
  }
  double cost() const override { return static_cast<double>(numel_); }

 private:
  int64_t numel_;
  size_t elem_;
};

std::unique_ptr<Kernel> lower(const LowerContext& ctx) {
  const TensorType& x = ctx.inputs[0];
  return std::make_unique<CopyKernel>(x.numel(), graph::dtype_size(x.dtype));
}

void reference(const graph::Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  const std::byte* x = in[0].raw();
  std::byte* y = out[0].raw();
  for (size_t i = 0; i < in[0].nbytes(); ++i) y[i] = x[i];
}

}  // namespace

FLOWGRAD_REGISTER_OP({
    .name = "reshape",
    .num_inputs = 1,
    .fusion = FusionClass::injective,
    .make_attrs = attrs_factory<ReshapeAttrs>(),
    .infer = infer,
    .lower = lower,
    .reference = reference,
    .grad = [](GradContext& c) -> std::vector<std::optional<Expr>> {
      return {reshape(c.dout(), c.in(0).shape(), c.loc)};  // [out shape] -> [in shape]
    },
    .inplace_ok = true,
});

Expr reshape(Expr x, Shape shape, const Loc& loc) {
  return x.emitter().emit1("reshape", ReshapeAttrs{.shape = std::move(shape)}, {x}, loc);
}

}  // namespace flowgrad::ops
