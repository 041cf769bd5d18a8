#include "ops/cast.h"

#include <cmath>
#include <limits>
#include <type_traits>

#include "ops/dnnl_util.h"
#include "ops/parallel.h"

namespace flowgrad::ops {
namespace {

// One element, with the semantics documented in cast.h.
template <class To, class From>
To convert(From x) {
  if constexpr (std::is_same_v<To, bool>) {
    return x != From(0);
  } else if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To>) {
    if (std::isnan(x)) return 0;
    // Bounds as floats: `max` rounds up to 2^31 / 2^63, so >= saturates.
    constexpr auto lo = static_cast<From>(std::numeric_limits<To>::min());
    constexpr auto hi = static_cast<From>(std::numeric_limits<To>::max());
    if (x <= lo) return std::numeric_limits<To>::min();
    if (x >= hi) return std::numeric_limits<To>::max();
    return static_cast<To>(x);  // truncates toward zero
  } else {
    return static_cast<To>(x);
  }
}

// Calls f(From{}, To{}) with the C++ types of the two dtypes.
template <class F>
void dispatch(DType from, DType to, F&& f) {
  auto with_to = [&](auto src) {
    switch (to) {
      case DType::f32: return f(src, float{});
      case DType::f64: return f(src, double{});
      case DType::i32: return f(src, int32_t{});
      case DType::i64: return f(src, int64_t{});
      case DType::boolean: return f(src, bool{});
    }
  };
  switch (from) {
    case DType::f32: return with_to(float{});
    case DType::f64: return with_to(double{});
    case DType::i32: return with_to(int32_t{});
    case DType::i64: return with_to(int64_t{});
    case DType::boolean: return with_to(bool{});
  }
}

std::vector<TensorType> infer(const InferContext& ctx) {
  return {{ctx.attrs_as<CastAttrs>().to, ctx.in(0).shape}};
}

class ConvertKernel final : public Kernel {
 public:
  ConvertKernel(int64_t numel, DType from, DType to) : numel_(numel), from_(from), to_(to) {}
  void run(const KernelArgs& a) override {
    dispatch(from_, to_, [&](auto src, auto dst) {
      using From = decltype(src);
      using To = decltype(dst);
      const From* x = a.in<From>(0);
      To* y = a.out<To>(0);
      parallel_blocks(numel_, a.threads, [&](int64_t lo, int64_t hi) {
        for (int64_t i = lo; i < hi; ++i) y[i] = convert<To>(x[i]);
      });
    });
  }
  double cost() const override { return static_cast<double>(numel_); }

 private:
  int64_t numel_;
  DType from_, to_;
};

// Pairs whose oneDNN reorder has exactly the semantics above.
bool reorder_matches(DType from, DType to) {
  bool from_ok = from == DType::f32 || from == DType::i32;
  bool to_ok = to == DType::f32 || to == DType::i32;
  bool rounds = from == DType::f32 && to == DType::i32;  // oneDNN rounds to nearest
  return from_ok && to_ok && !rounds;
}

std::unique_ptr<Kernel> lower(const LowerContext& ctx) {
  const TensorType &x = ctx.inputs[0], &y = ctx.outputs[0];
  if (!reorder_matches(x.dtype, y.dtype) || x.numel() == 0) {
    return std::make_unique<ConvertKernel>(x.numel(), x.dtype, y.dtype);
  }
  auto src = plain_md(x), dst = plain_md(y);  // [...] in both dtypes
  dnnl::reorder::primitive_desc pd(ctx.engine, src, ctx.engine, dst, scratchpad_attr());
  return std::make_unique<DnnlKernel>(make_primitive<dnnl::reorder>(pd), pd.scratchpad_desc(),
                                      std::vector<DnnlKernel::Arg>{{DNNL_ARG_FROM, src, 0, -1}, {DNNL_ARG_TO, dst, -1, 0}},
                                      static_cast<double>(x.numel()));
}

void reference(const graph::Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  dispatch(in[0].dtype(), out[0].dtype(), [&](auto src, auto dst) {
    using From = decltype(src);
    using To = decltype(dst);
    const From* x = in[0].data<From>();
    To* y = out[0].data<To>();
    for (int64_t i = 0; i < in[0].numel(); ++i) y[i] = convert<To>(x[i]);
  });
}

}  // namespace

FLOWGRAD_REGISTER_OP({
    .name = "cast",
    .num_inputs = 1,
    .fusion = FusionClass::elementwise,
    .make_attrs = attrs_factory<CastAttrs>(),
    .infer = infer,
    .lower = lower,
    .reference = reference,
    .not_differentiable = true,
});

Expr cast(Expr x, DType to, const Loc& loc) {
  return x.emitter().emit1("cast", CastAttrs{.to = to}, {x}, loc);
}

}  // namespace flowgrad::ops
