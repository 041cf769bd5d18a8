#include "ops/dropout.h"

#include <cstring>
#include <sstream>

#include "graph/dtype_dispatch.h"
#include "ops/parallel.h"
#include "ops/random.h"

namespace flowgrad::ops {
namespace {

std::vector<TensorType> infer(const InferContext& ctx) {
  const TensorType& x = ctx.in(0);
  ctx.expect_float(0);
  double p = ctx.attrs_as<DropoutAttrs>().p;
  if (!(p >= 0 && p <= 1)) {
    std::ostringstream os;
    os << "expected p in [0, 1], got " << p;
    ctx.fail(os.str());
  }
  return {x};
}

uint64_t key_of(const DropoutAttrs& a) { return random_key(static_cast<uint64_t>(a.seed), static_cast<uint64_t>(a.stream)); }

bool is_identity(const DropoutAttrs& a) { return !a.training || a.p == 0; }

// Serves dropout and dropout_backward: the same masked scaling.
class DropoutKernel final : public Kernel {
 public:
  DropoutKernel(const DropoutAttrs& a, int64_t n)
      : key_(key_of(a)),
        threshold_(bits53_threshold(a.p)),
        scale_(a.p < 1 ? static_cast<float>(1.0 / (1.0 - a.p)) : 0.f),
        n_(n),
        identity_(is_identity(a)) {}

  void run(const KernelArgs& k) override {
    const float* x = k.in<float>(0);
    float* y = k.out<float>(0);
    if (identity_) {
      if (n_ > 0) std::memcpy(y, x, static_cast<size_t>(n_) * sizeof(float));
      return;
    }
    const uint64_t base = k.step * static_cast<uint64_t>(n_);
    parallel_blocks(n_, k.threads, [&](int64_t lo, int64_t hi) { mask_rows(x, y, lo, hi, base); });
  }
  double cost() const override { return identity_ ? static_cast<double>(n_) : 4.0 * static_cast<double>(n_); }

 private:
  // y = x·scale where uniform01 >= p, else 0, compared in integers
  // (bits53_threshold). Cloned per instruction set: the per-element hash is
  // four 64-bit multiplies, which only AVX-512DQ vectorizes.
  FLOWGRAD_X86_CLONES
  void mask_rows(const float* x, float* y, int64_t lo, int64_t hi, uint64_t base) const {
    const uint64_t key = key_, threshold = threshold_;
    const float scale = scale_;
#pragma omp simd
    for (int64_t i = lo; i < hi; ++i) {
      y[i] = random_bits53(key, base + static_cast<uint64_t>(i)) >= threshold ? x[i] * scale : 0.f;
    }
  }

  uint64_t key_;
  uint64_t threshold_;
  float scale_;
  int64_t n_;
  bool identity_;
};

// Step 0, in double (see the header).
void reference(const graph::Node& n, std::span<const Tensor> in, std::span<Tensor> out) {
  const auto& a = n.attrs_as<DropoutAttrs>();
  uint64_t key = key_of(a);
  graph::with_float(in[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* x = in[0].data<T>();
    T* y = out[0].data<T>();
    for (int64_t i = 0; i < in[0].numel(); ++i) {
      bool keep = is_identity(a) || uniform01(key, static_cast<uint64_t>(i)) >= a.p;
      double scale = is_identity(a) ? 1.0 : 1.0 / (1.0 - a.p);
      y[i] = keep ? static_cast<T>(x[i] * scale) : T(0);
    }
  });
}

std::vector<std::optional<Expr>> grad(GradContext& c) {
  const auto& a = c.attrs<DropoutAttrs>();
  if (is_identity(a)) return {c.dout()};
  return {dropout_backward(c.dout(), a, c.loc)};
}

OpDef dropout_def(std::string name) {
  return OpDef{
      .name = std::move(name),
      .num_inputs = 1,
      .fusion = FusionClass::elementwise,
      .make_attrs = attrs_factory<DropoutAttrs>(),
      .infer = infer,
      .lower = [](const LowerContext& ctx) -> std::unique_ptr<Kernel> {
        return std::make_unique<DropoutKernel>(ctx.attrs<DropoutAttrs>(), ctx.inputs[0].numel());
      },
      .reference = reference,
      .grad = grad,
      .random = true,
  };
}

[[maybe_unused]] const OpDef& dropout_op = register_op(dropout_def("dropout"));
[[maybe_unused]] const OpDef& dropout_backward_op = register_op(dropout_def("dropout_backward"));

}  // namespace

Expr dropout(Expr x, DropoutAttrs attrs, const Loc& loc) {
  RandomStream s = random_stream(x.emitter(), "dropout");
  attrs.stream = s.key;
  return x.emitter().emit1("dropout", attrs, {x}, loc, s.leaf);
}

Expr dropout_backward(Expr dy, DropoutAttrs attrs, const Loc& loc) {
  return dy.emitter().emit1("dropout_backward", attrs, {dy}, loc);
}

}  // namespace flowgrad::ops
