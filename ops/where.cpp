#include "ops/where.h"

#include <cstring>

#include "ops/broadcast_to.h"
#include "ops/parallel.h"
#include "ops/shape_util.h"
#include "ops/sources.h"

namespace flowgrad::ops {
namespace {

std::vector<TensorType> infer_where(const InferContext& ctx) {
  const TensorType &c = ctx.in(0), &a = ctx.in(1), &b = ctx.in(2);
  if (c.dtype != DType::boolean) ctx.fail("expected a bool condition, got " + c.str());
  if (a.dtype != b.dtype) ctx.fail("expected a and b of one dtype, got " + a.str() + " and " + b.str());
  auto ab = broadcast_shapes(a.shape, b.shape);
  auto out = ab ? broadcast_shapes(c.shape, *ab) : std::nullopt;
  if (!out) {
    ctx.fail("expected broadcastable shapes, got " + graph::shape_str(c.shape) + ", " + graph::shape_str(a.shape) +
             " and " + graph::shape_str(b.shape));
  }
  return {{a.dtype, *out}};
}

std::vector<TensorType> infer_masked_fill(const InferContext& ctx) {
  const TensorType &x = ctx.in(0), &m = ctx.in(1);
  if (m.dtype != DType::boolean) ctx.fail("expected a bool mask, got " + m.str());
  auto b = broadcast_shapes(m.shape, x.shape);
  if (!b || *b != x.shape) {
    ctx.fail("expected a mask that broadcasts to " + graph::shape_str(x.shape) + ", got " + graph::shape_str(m.shape));
  }
  return {x};
}

// Where each operand of `select` is read from, for every output element.
// Operands: 0 = condition, 1 = "true" side, 2 = "false" side; a constant
// true side (masked_fill) has no shape.
struct Select {
  Shape out;
  std::vector<Shape> in;
  std::vector<std::vector<int64_t>> strides;
  bool dense = true;  // every operand has the output's shape
  size_t elem = 4;
  uint64_t constant = 0;  // masked_fill's value, as bits of the dtype

  Select(Shape o, std::vector<Shape> shapes, size_t e) : out(std::move(o)), in(std::move(shapes)), elem(e) {
    for (const Shape& s : in) {
      strides.push_back(broadcast_strides(s, out));
      dense = dense && s == out;
    }
  }
  int64_t at(size_t k, int64_t i) const { return dense ? i : strided_offset(i, out, strides[k]); }

  template <class U> void loop(const bool* c, const U* a, const U* b, U* y, int64_t lo, int64_t hi) const {
    U value;
    std::memcpy(&value, &constant, sizeof(U));
    for (int64_t i = lo; i < hi; ++i) y[i] = c[at(0, i)] ? (a ? a[at(1, i)] : value) : b[at(in.size() - 1, i)];
  }
  // inputs: cond, [a,] b.
  void run(const bool* c, const std::byte* a, const std::byte* b, std::byte* y, int threads) const {
    parallel_blocks(graph::numel(out), threads, [&](int64_t lo, int64_t hi) {
      switch (elem) {
        case 1: loop(c, reinterpret_cast<const uint8_t*>(a), reinterpret_cast<const uint8_t*>(b), reinterpret_cast<uint8_t*>(y), lo, hi); break;
        case 4: loop(c, reinterpret_cast<const uint32_t*>(a), reinterpret_cast<const uint32_t*>(b), reinterpret_cast<uint32_t*>(y), lo, hi); break;
        default: loop(c, reinterpret_cast<const uint64_t*>(a), reinterpret_cast<const uint64_t*>(b), reinterpret_cast<uint64_t*>(y), lo, hi); break;
      }
    });
  }
};

// `value` converted to `t`, as raw bits.
uint64_t value_bits(double value, DType t) {
  uint64_t bits = 0;
  auto put = [&](auto v) { std::memcpy(&bits, &v, sizeof(v)); };
  switch (t) {
    case DType::f32: put(static_cast<float>(value)); break;
    case DType::f64: put(value); break;
    case DType::i32: put(static_cast<int32_t>(value)); break;
    case DType::i64: put(static_cast<int64_t>(value)); break;
    case DType::boolean: put(static_cast<bool>(value != 0)); break;
  }
  return bits;
}

Select where_select(std::span<const TensorType> in, const TensorType& out) {
  return Select(out.shape, {in[0].shape, in[1].shape, in[2].shape}, graph::dtype_size(out.dtype));
}

Select fill_select(std::span<const TensorType> in, double value) {
  Select s(in[0].shape, {in[1].shape, in[0].shape}, graph::dtype_size(in[0].dtype));  // mask, x
  s.constant = value_bits(value, in[0].dtype);
  return s;
}

class SelectKernel final : public Kernel {
 public:
  SelectKernel(Select s, bool with_a) : s_(std::move(s)), with_a_(with_a) {}
  void run(const KernelArgs& k) override {
    // where: (cond, a, b); masked_fill: (x, mask) -> cond = mask, b = x.
    if (with_a_) s_.run(k.in<bool>(0), k.inputs[1], k.inputs[2], k.outputs[0], k.threads);
    else s_.run(k.in<bool>(1), nullptr, k.inputs[0], k.outputs[0], k.threads);
  }
  double cost() const override { return static_cast<double>(graph::numel(s_.out)); }

 private:
  Select s_;
  bool with_a_;
};

// The plain oracle: per element, each operand's flat offset from the broadcast strides.
void reference_where(const graph::Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  const Shape& o = out[0].shape();
  const size_t elem = graph::dtype_size(out[0].dtype());
  auto sc = broadcast_strides(in[0].shape(), o), sa = broadcast_strides(in[1].shape(), o), sb = broadcast_strides(in[2].shape(), o);
  for (int64_t i = 0; i < out[0].numel(); ++i) {
    bool c = in[0].data<bool>()[strided_offset(i, o, sc)];
    const std::byte* src = c ? in[1].raw() + strided_offset(i, o, sa) * static_cast<int64_t>(elem)
                             : in[2].raw() + strided_offset(i, o, sb) * static_cast<int64_t>(elem);
    std::memcpy(out[0].raw() + i * static_cast<int64_t>(elem), src, elem);
  }
}

void reference_masked_fill(const graph::Node& n, std::span<const Tensor> in, std::span<Tensor> out) {
  const Shape& o = out[0].shape();
  const size_t elem = graph::dtype_size(out[0].dtype());
  const uint64_t bits = value_bits(n.attrs_as<MaskedFillAttrs>().value, out[0].dtype());
  auto sm = broadcast_strides(in[1].shape(), o);
  for (int64_t i = 0; i < out[0].numel(); ++i) {
    const std::byte* src = in[1].data<bool>()[strided_offset(i, o, sm)] ? reinterpret_cast<const std::byte*>(&bits)
                                                                        : in[0].raw() + i * static_cast<int64_t>(elem);
    std::memcpy(out[0].raw() + i * static_cast<int64_t>(elem), src, elem);
  }
}

std::vector<std::optional<Expr>> grad_where(GradContext& c) {
  Expr g = c.dout(), zero = scalar(c.em, 0.0, g.dtype(), c.loc);
  return {std::nullopt, sum_to(where(c.in(0), g, zero, c.loc), c.in(1).shape(), c.loc),
          sum_to(where(c.in(0), zero, g, c.loc), c.in(2).shape(), c.loc)};
}

}  // namespace

FLOWGRAD_REGISTER_OP({
    .name = "where",
    .num_inputs = 3,
    .fusion = FusionClass::broadcast,
    .make_attrs = attrs_factory<graph::NoAttrs>(),
    .infer = infer_where,
    .lower = [](const LowerContext& ctx) -> std::unique_ptr<Kernel> {
      return std::make_unique<SelectKernel>(where_select(ctx.inputs, ctx.outputs[0]), true);
    },
    .reference = reference_where,
    .grad = grad_where,
});

FLOWGRAD_REGISTER_OP({
    .name = "masked_fill",
    .num_inputs = 2,
    .fusion = FusionClass::broadcast,
    .make_attrs = attrs_factory<MaskedFillAttrs>(),
    .infer = infer_masked_fill,
    .lower = [](const LowerContext& ctx) -> std::unique_ptr<Kernel> {
      return std::make_unique<SelectKernel>(fill_select(ctx.inputs, ctx.attrs<MaskedFillAttrs>().value), false);
    },
    .reference = reference_masked_fill,
    .grad = [](GradContext& c) -> std::vector<std::optional<Expr>> {
      Expr g = c.dout();
      return {where(c.in(1), scalar(c.em, 0.0, g.dtype(), c.loc), g, c.loc), std::nullopt};
    },
});

Expr where(Expr cond, Expr a, Expr b, const Loc& loc) {
  return cond.emitter().emit1("where", graph::NoAttrs{}, {cond, a, b}, loc);
}

Expr masked_fill(Expr x, Expr mask, double value, const Loc& loc) {
  return x.emitter().emit1("masked_fill", MaskedFillAttrs{.value = value}, {x, mask}, loc);
}

}  // namespace flowgrad::ops
