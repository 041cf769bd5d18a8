#include "ops/sources.h"

#include <cstring>

#include "ops/parallel.h"
#include "ops/random.h"

namespace flowgrad::ops {
namespace {

void check_shape(const InferContext& ctx, const Shape& s) {
  for (int64_t d : s) {
    if (d < 0) ctx.fail("expected non-negative dimensions, got shape " + graph::shape_str(s));
  }
}

enum class Init { zeros, ones, normal, uniform };

// p[i] = f(i) over [0, n): each value depends on its index alone.
template <class T, class F> void fill_fn(Tensor& t, int threads, F f) {
  T* p = t.data<T>();
  parallel_blocks(t.numel(), threads, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) p[i] = static_cast<T>(f(i));
  });
}

template <class F> void fill(Tensor& t, int threads, F f) {
  switch (t.dtype()) {
    case DType::f32: fill_fn<float>(t, threads, f); break;
    case DType::f64: fill_fn<double>(t, threads, f); break;
    case DType::i32: fill_fn<int32_t>(t, threads, f); break;
    case DType::i64: fill_fn<int64_t>(t, threads, f); break;
    case DType::boolean: fill_fn<bool>(t, threads, f); break;
  }
}

// A normal value costs ~36 ns (two hashes, log1p and cos in double), so
// bert-base's 110M took ~4 s on one thread: the blocks run in parallel, and
// the init name is read once, not compared per value (time to the first
// bert-base step at 2 threads: 9.4-10.1 s before, 6.1-6.2 s after).
void initialize_variable(const graph::Node& node, Tensor& t, int threads) {
  const auto& a = node.attrs_as<VariableAttrs>();
  const uint64_t key = random_key(static_cast<uint64_t>(a.seed), hash_name(node.name));
  double scale = a.scale;
  if (a.init == "xavier_uniform") {
    int64_t r = static_cast<int64_t>(a.shape.size());
    int64_t fan_out = r >= 1 ? a.shape[0] : 1, fan_in = r >= 2 ? a.shape[1] : 1;
    scale = std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  }
  const Init init = a.init == "zeros"    ? Init::zeros
                    : a.init == "ones"   ? Init::ones
                    : a.init == "normal" ? Init::normal
                                         : Init::uniform;
  switch (init) {  // uniform covers xavier_uniform (its scale above)
    case Init::zeros: fill(t, threads, [](int64_t) { return 0.0; }); break;
    case Init::ones: fill(t, threads, [](int64_t) { return 1.0; }); break;
    case Init::normal:
      fill(t, threads, [&](int64_t i) { return scale * normal01(key, static_cast<uint64_t>(i)); });
      break;
    case Init::uniform:
      fill(t, threads, [&](int64_t i) { return scale * (2.0 * uniform01(key, static_cast<uint64_t>(i)) - 1.0); });
      break;
  }
}

// Sources are bound by the runtime, so the reference just materializes what
// the runtime would bind (inputs: nothing to compute).
void reference_constant(const graph::Node& n, std::span<const Tensor>, std::span<Tensor> out) {
  const Tensor& v = n.attrs_as<ConstantAttrs>().value;
  if (v.nbytes()) std::memcpy(out[0].raw(), v.raw(), v.nbytes());
}

const std::string kInits[] = {"zeros", "ones", "normal", "uniform", "xavier_uniform"};

}  // namespace

FLOWGRAD_REGISTER_OP({
    .name = "input",
    .num_inputs = 0,
    .fusion = FusionClass::opaque,
    .source = Source::input,
    .make_attrs = attrs_factory<InputAttrs>(),
    .infer = [](const InferContext& ctx) -> std::vector<TensorType> {
      const auto& a = ctx.attrs_as<InputAttrs>();
      check_shape(ctx, a.shape);
      return {{a.dtype, a.shape}};
    },
    .reference = [](const graph::Node&, std::span<const Tensor>, std::span<Tensor>) {},
    .not_differentiable = true,  // a gradient *to* an input is returned by grad(), not propagated through it
});

FLOWGRAD_REGISTER_OP({
    .name = "constant",
    .num_inputs = 0,
    .fusion = FusionClass::opaque,
    .source = Source::constant,
    .make_attrs = attrs_factory<ConstantAttrs>(),
    .infer = [](const InferContext& ctx) -> std::vector<TensorType> {
      return {ctx.attrs_as<ConstantAttrs>().value.type()};
    },
    .reference = reference_constant,
    .not_differentiable = true,
});

FLOWGRAD_REGISTER_OP({
    .name = "variable",
    .num_inputs = 0,
    .fusion = FusionClass::opaque,
    .source = Source::variable,
    .make_attrs = attrs_factory<VariableAttrs>(),
    .infer = [](const InferContext& ctx) -> std::vector<TensorType> {
      const auto& a = ctx.attrs_as<VariableAttrs>();
      check_shape(ctx, a.shape);
      if (std::find(std::begin(kInits), std::end(kInits), a.init) == std::end(kInits)) {
        ctx.fail("expected init zeros|ones|normal|uniform|xavier_uniform, got '" + a.init + "'");
      }
      return {{a.dtype, a.shape}};
    },
    .reference = [](const graph::Node& n, std::span<const Tensor>, std::span<Tensor> out) {
      initialize_variable(n, out[0], 1);
    },
    .not_differentiable = true,
    .initialize = initialize_variable,
});

Expr input(Emitter& em, std::string_view name, TensorType type, const Loc& loc) {
  return em.emit1("input", InputAttrs{type.shape, type.dtype}, {}, loc, name);
}

Expr constant(Emitter& em, Tensor value, const Loc& loc, std::string_view name) {
  return em.emit1("constant", ConstantAttrs{std::move(value)}, {}, loc, name);
}

Expr scalar(Emitter& em, float value, const Loc& loc) { return constant(em, Tensor::scalar(value), loc); }
Expr scalar(Emitter& em, double value, DType t, const Loc& loc) {
  if (t == DType::f64) return constant(em, Tensor::from<double>({}, {value}), loc);
  return constant(em, Tensor::scalar(static_cast<float>(value)), loc);
}

Expr variable(Emitter& em, std::string_view name, VariableAttrs attrs, const Loc& loc) {
  return em.emit1("variable", std::move(attrs), {}, loc, name);
}

}  // namespace flowgrad::ops
