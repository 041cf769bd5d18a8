#include "ops/add_layer_norm.h"

#include <algorithm>
#include <cmath>

#include "ops/binary.h"
#include "ops/lane_reduce.h"
#include "ops/parallel.h"

namespace flowgrad::ops {
namespace {

std::vector<TensorType> infer(const InferContext& ctx) {
  const TensorType &a = ctx.in(0), &b = ctx.in(1);
  if (b != a) ctx.fail("expected b of a's type " + a.str() + ", got " + b.str());
  // layer_norm's own inference checks a (float[..., H]), gamma, beta and eps, with its messages.
  std::vector<TensorType> ln_in{a, ctx.in(2), ctx.in(3)};
  std::vector<TensorType> out = get_op("layer_norm").infer(InferContext{ctx.op, ctx.node_name, ctx.attrs, ln_in, ctx.loc});
  out.push_back(a);  // the sum
  return out;
}

// a, b and the outputs seen as [rows, H].
struct Rows {
  int64_t rows = 0, h = 0;
};

// s = a + b over one row, returning Σ s; then Σ (s - mu)². Both in 8
// interleaved float lanes combined in a fixed order (lane_reduce.h; the sum
// is written out here because it also stores s).
float add_row(const float* __restrict a, const float* __restrict b, float* __restrict s, int64_t n) {
  float lanes[8] = {};
  int64_t h = 0;
  for (; h + 8 <= n; h += 8) {
    for (int l = 0; l < 8; ++l) {
      s[h + l] = a[h + l] + b[h + l];
      lanes[l] += s[h + l];
    }
  }
  for (; h < n; ++h) {
    s[h] = a[h] + b[h];
    lanes[0] += s[h];
  }
  float sum = 0;
  for (float l : lanes) sum += l;
  return sum;
}

float squared_deviation(const float* s, float mu, int64_t n) {
  return lane_sum(n, [&](int64_t h) { return (s[h] - mu) * (s[h] - mu); });
}

void add_norm_rows(const KernelArgs& k, Rows g, double eps, int64_t lo, int64_t hi) {
  const float *a = k.in<float>(0), *b = k.in<float>(1), *gamma = k.in<float>(2), *beta = k.in<float>(3);
  float *y = k.out<float>(0), *mean = k.out<float>(1), *var = k.out<float>(2), *sum = k.out<float>(3);
  const float inv_h = 1.0f / static_cast<float>(g.h);
  for (int64_t r = lo; r < hi; ++r) {
    float *sr = sum + r * g.h, *yr = y + r * g.h;
    const float mu = add_row(a + r * g.h, b + r * g.h, sr, g.h) * inv_h;
    const float v = squared_deviation(sr, mu, g.h) * inv_h;
    const float rstd = static_cast<float>(1.0 / std::sqrt(static_cast<double>(v) + eps));
#pragma omp simd
    for (int64_t h = 0; h < g.h; ++h) yr[h] = (sr[h] - mu) * rstd * gamma[h] + beta[h];
    mean[r] = mu;
    var[r] = v;
  }
}

class AddLayerNormKernel final : public Kernel {
 public:
  AddLayerNormKernel(Rows g, double eps) : g_(g), eps_(eps) {}
  void run(const KernelArgs& k) override {
    int64_t block = std::max<int64_t>(1, kBlock / g_.h);
    parallel_blocks(g_.rows, k.threads, block, [&](int64_t lo, int64_t hi) { add_norm_rows(k, g_, eps_, lo, hi); });
  }
  double cost() const override { return 9.0 * static_cast<double>(g_.rows * g_.h); }

 private:
  Rows g_;
  double eps_;
};

// Exactly the unfused computation: the add's reference kernel, then layer_norm's.
void reference(const graph::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  graph::Node add = node;
  add.op = "add";
  add.attrs = std::make_shared<graph::Attrs<graph::NoAttrs>>();
  get_op("add").reference(add, in.subspan(0, 2), out.subspan(3, 1));
  graph::Node ln = node;
  ln.op = "layer_norm";
  std::vector<Tensor> ln_in{out[3], in[2], in[3]};
  get_op("layer_norm").reference(ln, ln_in, out.subspan(0, 3));
}

std::vector<std::optional<Expr>> grad(GradContext& c) {
  LayerNormGrads g = layer_norm_grads(c.dout(0), c.output_grads[1], c.output_grads[2], c.out(3), c.out(1), c.out(2),
                                      c.in(2), c.attrs<LayerNormAttrs>(), c.loc);
  Expr ds = c.output_grads[3] ? g.dx + *c.output_grads[3] : g.dx;
  return {ds, ds, g.dgamma, g.dbeta};
}

}  // namespace

FLOWGRAD_REGISTER_OP({
    .name = "add_layer_norm",
    .num_inputs = 4,
    .num_outputs = 4,
    .fusion = FusionClass::opaque,
    .make_attrs = attrs_factory<LayerNormAttrs>(),
    .infer = infer,
    .lower = [](const LowerContext& ctx) -> std::unique_ptr<Kernel> {
      const TensorType& a = ctx.inputs[0];
      int64_t h = a.shape.back();
      return std::make_unique<AddLayerNormKernel>(Rows{a.numel() / h, h}, ctx.attrs<LayerNormAttrs>().eps);
    },
    .reference = reference,
    .grad = grad,
});

AddLayerNormOutputs add_layer_norm(Expr a, Expr b, Expr gamma, Expr beta, LayerNormAttrs attrs, const Loc& loc) {
  auto outs = a.emitter().emit("add_layer_norm", std::make_shared<graph::Attrs<LayerNormAttrs>>(attrs), {a, b, gamma, beta}, loc);
  return {outs[0], outs[1], outs[2], outs[3]};
}

}  // namespace flowgrad::ops
