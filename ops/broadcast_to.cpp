#include "ops/broadcast_to.h"

#include <cstring>

#include "ops/parallel.h"
#include "ops/reduce.h"
#include "ops/reshape.h"
#include "ops/shape_util.h"

namespace flowgrad::ops {
namespace {

std::vector<TensorType> infer(const InferContext& ctx) {
  const Shape& to = ctx.attrs_as<BroadcastToAttrs>().shape;
  auto b = broadcast_shapes(ctx.in(0).shape, to);
  if (!b || *b != to) {
    ctx.fail("expected a shape that broadcasts to " + graph::shape_str(to) + ", got " +
             graph::shape_str(ctx.in(0).shape));
  }
  return {{ctx.in(0).dtype, to}};
}

// out[i] = x[offset(i)] for elements of `size` bytes.
void broadcast_copy(const std::byte* x, std::byte* out, size_t size, const Shape& from, const Shape& to,
                    int threads) {
  auto st = broadcast_strides(from, to);
  parallel_blocks(graph::numel(to), threads, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) std::memcpy(out + i * size, x + strided_offset(i, to, st) * size, size);
  });
}

class BroadcastKernel final : public Kernel {
 public:
  BroadcastKernel(Shape from, Shape to, size_t size) : from_(std::move(from)), to_(std::move(to)), size_(size) {}
  void run(const KernelArgs& k) override { broadcast_copy(k.inputs[0], k.outputs[0], size_, from_, to_, k.threads); }
  double cost() const override { return static_cast<double>(graph::numel(to_)); }

 private:
  Shape from_, to_;
  size_t size_;
};

}  // namespace

FLOWGRAD_REGISTER_OP({
    .name = "broadcast_to",
    .num_inputs = 1,
    .fusion = FusionClass::broadcast,
    .make_attrs = attrs_factory<BroadcastToAttrs>(),
    .infer = infer,
    .lower = [](const LowerContext& ctx) -> std::unique_ptr<Kernel> {
      return std::make_unique<BroadcastKernel>(ctx.inputs[0].shape, ctx.outputs[0].shape,
                                               graph::dtype_size(ctx.inputs[0].dtype));
    },
    .reference = [](const graph::Node&, std::span<const Tensor> in, std::span<Tensor> out) {
      broadcast_copy(in[0].raw(), out[0].raw(), graph::dtype_size(in[0].dtype()), in[0].shape(), out[0].shape(), 1);
    },
    .grad = [](GradContext& c) -> std::vector<std::optional<Expr>> { return {sum_to(c.dout(), c.in(0).shape(), c.loc)}; },
});

Expr broadcast_to(Expr x, Shape shape, const Loc& loc) {
  if (x.shape() == shape) return x;
  return x.emitter().emit1("broadcast_to", BroadcastToAttrs{std::move(shape)}, {x}, loc);
}

Expr expand(Expr x, Shape shape, const Loc& loc) { return broadcast_to(x, std::move(shape), loc); }

Expr sum_to(Expr g, const Shape& shape, const Loc& loc) {
  if (g.shape() == shape) return g;
  int64_t lead = g.rank() - static_cast<int64_t>(shape.size());
  FLOWGRAD_CHECK(lead >= 0, "sum_to a larger rank");
  std::vector<int64_t> axes;
  for (int64_t i = 0; i < g.rank(); ++i) {
    if (i < lead || (shape[i - lead] == 1 && g.shape()[i] != 1)) axes.push_back(i);
  }
  Expr s = axes.empty() ? g : reduce_sum(g, {.axes = axes, .keepdims = true}, loc);  // [.., 1, ..]
  return s.shape() == shape ? s : reshape(s, shape, loc);
}

}  // namespace flowgrad::ops
