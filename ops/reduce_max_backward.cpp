#include "ops/reduce_max_backward.h"

#include <algorithm>

#include "graph/dtype_dispatch.h"

#include "ops/shape_util.h"

namespace flowgrad::ops {
namespace {

// Sequential: a single pass in row-major order decides "first maximal".
void route(const float* dy, const float* x, const float* y, float* dx, uint8_t* done, const Shape& keep,
           const Shape& s) {
  auto st = broadcast_strides(keep, s);
  std::fill(done, done + graph::numel(keep), 0);
  for (int64_t i = 0; i < graph::numel(s); ++i) {
    int64_t o = strided_offset(i, s, st);
    bool hit = !done[o] && x[i] == y[o];
    dx[i] = hit ? dy[o] : 0.0f;
    done[o] |= hit;
  }
}

class Kernel_ final : public Kernel {
 public:
  Kernel_(Shape keep, Shape s) : keep_(std::move(keep)), s_(std::move(s)), done_(graph::numel(keep_)) {}
  void run(const KernelArgs& k) override {
    route(k.in<float>(0), k.in<float>(1), k.in<float>(2), k.out<float>(0), done_.data(), keep_, s_);
  }
  double cost() const override { return static_cast<double>(graph::numel(s_)); }

 private:
  Shape keep_, s_;
  std::vector<uint8_t> done_;  // allocated once
};

std::vector<TensorType> infer(const InferContext& ctx) {
  const TensorType &dy = ctx.in(0), &x = ctx.in(1), &y = ctx.in(2);
  ctx.expect_same_float({1, 0, 2});
  if (dy != y || dy.rank() != x.rank()) {
    ctx.fail("expected dy and y of x's rank with reduced axes kept as 1");
  }
  for (int64_t d = 0; d < x.rank(); ++d) {
    if (y.shape[d] != 1 && y.shape[d] != x.shape[d]) ctx.fail("expected y's dims to be 1 or x's");
  }
  return {x};
}

}  // namespace

FLOWGRAD_REGISTER_OP({
    .name = "reduce_max_backward",
    .num_inputs = 3,
    .fusion = FusionClass::opaque,
    .make_attrs = attrs_factory<graph::NoAttrs>(),
    .infer = infer,
    .lower = [](const LowerContext& ctx) -> std::unique_ptr<Kernel> {
      return std::make_unique<Kernel_>(ctx.inputs[0].shape, ctx.inputs[1].shape);
    },
    .reference = [](const graph::Node&, std::span<const Tensor> in, std::span<Tensor> out) {
      const Shape &keep = in[0].shape(), &s = in[1].shape();
      graph::with_float(in[1].dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T *dy = in[0].data<T>(), *x = in[1].data<T>(), *y = in[2].data<T>();
        T* dx = out[0].data<T>();
        for (int64_t o = 0; o < graph::numel(keep); ++o) {  // group by group
          bool done = false;
          auto st = broadcast_strides(keep, s);
          for (int64_t i = 0; i < graph::numel(s); ++i) {
            if (strided_offset(i, s, st) != o) continue;
            bool hit = !done && x[i] == y[o];
            dx[i] = hit ? dy[o] : T(0);
            done |= hit;
          }
        }
      });
    },
    .not_differentiable = true,
});

Expr reduce_max_backward(Expr dy, Expr x, Expr y, const Loc& loc) {
  return dy.emitter().emit1("reduce_max_backward", graph::NoAttrs{}, {dy, x, y}, loc);
}

}  // namespace flowgrad::ops
