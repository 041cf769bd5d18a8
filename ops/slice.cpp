#include "ops/slice.h"

#include <cstring>

#include "ops/box_copy.h"
#include "ops/parallel.h"
#include "ops/shape_util.h"

namespace flowgrad::ops {
namespace {

// The box a slice reads: its corner and extent in x, one entry per dim.
struct Box {
  Shape at, extent;
};

// nullopt with a reason in `why` if the attrs do not describe a box of `x`.
std::optional<Box> slice_box(const SliceAttrs& a, const Shape& x, std::string& why) {
  const int64_t rank = static_cast<int64_t>(x.size());
  Box b{Shape(x.size(), 0), x};
  if (a.starts.size() != a.ends.size() || (!a.axes.empty() && a.axes.size() != a.starts.size())) {
    why = "expected as many starts and ends (and axes, if given), got " + std::to_string(a.starts.size()) + ", " +
          std::to_string(a.ends.size()) + " (and " + std::to_string(a.axes.size()) + ")";
    return std::nullopt;
  }
  std::vector<bool> seen(x.size(), false);
  for (size_t k = 0; k < a.starts.size(); ++k) {
    auto axis = normalize_axis(a.axes.empty() ? static_cast<int64_t>(k) : a.axes[k], rank);
    if (!axis || seen[*axis]) {
      why = "expected distinct axes in [" + std::to_string(-rank) + ", " + std::to_string(rank) + ")";
      return std::nullopt;
    }
    seen[*axis] = true;
    int64_t d = x[*axis], s = a.starts[k] < 0 ? a.starts[k] + d : a.starts[k], e = a.ends[k] < 0 ? a.ends[k] + d : a.ends[k];
    if (s < 0 || s > e || e > d) {
      why = "expected 0 <= start <= end <= " + std::to_string(d) + " on axis " + std::to_string(*axis) + ", got " +
            std::to_string(a.starts[k]) + ":" + std::to_string(a.ends[k]);
      return std::nullopt;
    }
    b.at[*axis] = s;
    b.extent[*axis] = e - s;
  }
  return b;
}

Box checked_box(const SliceAttrs& a, const Shape& x) {
  std::string why;
  auto b = slice_box(a, x, why);
  FLOWGRAD_CHECK(b.has_value(), why);
  return *b;
}

std::vector<TensorType> infer_slice(const InferContext& ctx) {
  std::string why;
  auto b = slice_box(ctx.attrs_as<SliceAttrs>(), ctx.in(0).shape, why);
  if (!b) ctx.fail(why);
  return {{ctx.in(0).dtype, b->extent}};
}

std::vector<TensorType> infer_pad(const InferContext& ctx) {
  const TensorType& x = ctx.in(0);
  const auto& a = ctx.attrs_as<PadAttrs>();
  if (a.before.size() != x.shape.size() || a.after.size() != x.shape.size()) {
    ctx.fail("expected before and after with one entry per dim (" + std::to_string(x.rank()) + "), got " +
             graph::shape_str(a.before) + " and " + graph::shape_str(a.after));
  }
  Shape out = x.shape;
  for (size_t i = 0; i < out.size(); ++i) {
    if (a.before[i] < 0 || a.after[i] < 0) {
      ctx.fail("expected non-negative padding, got " + graph::shape_str(a.before) + " and " + graph::shape_str(a.after));
    }
    if (__builtin_add_overflow(out[i], a.before[i], &out[i]) || __builtin_add_overflow(out[i], a.after[i], &out[i])) {
      ctx.fail("padding " + graph::shape_str(a.before) + " and " + graph::shape_str(a.after) + " overflows the dimension");
    }
  }
  return {{x.dtype, out}};
}

// Writes `value` converted to `t` into every element of out[lo, hi).
void fill_value(std::byte* out, DType t, int64_t lo, int64_t hi, double value) {
  for (int64_t i = lo; i < hi; ++i) {
    switch (t) {
      case DType::f32: reinterpret_cast<float*>(out)[i] = static_cast<float>(value); break;
      case DType::f64: reinterpret_cast<double*>(out)[i] = value; break;
      case DType::i32: reinterpret_cast<int32_t*>(out)[i] = static_cast<int32_t>(value); break;
      case DType::i64: reinterpret_cast<int64_t*>(out)[i] = static_cast<int64_t>(value); break;
      case DType::boolean: reinterpret_cast<bool*>(out)[i] = value != 0; break;
    }
  }
}

class BoxKernel final : public Kernel {
 public:
  // With `fill`, the whole output is first set to `value` (pad).
  BoxKernel(BoxCopy box, int64_t out_numel, DType t, bool fill, double value)
      : box_(std::move(box)), out_numel_(out_numel), t_(t), fill_(fill), value_(value) {}
  void run(const KernelArgs& k) override {
    if (fill_) {
      parallel_blocks(out_numel_, k.threads, [&](int64_t lo, int64_t hi) { fill_value(k.outputs[0], t_, lo, hi, value_); });
    }
    box_.run(k.inputs[0], k.outputs[0], k.threads);
  }
  double cost() const override { return static_cast<double>(fill_ ? out_numel_ : box_.elements()); }

 private:
  BoxCopy box_;
  int64_t out_numel_;
  DType t_;
  bool fill_;
  double value_;
};

// The plain oracle: walk the box with a multi-index.
void reference_box(const Tensor& src, const Shape& src_at, Tensor& dst, const Shape& dst_at, const Shape& box) {
  const size_t elem = graph::dtype_size(src.dtype());
  const auto ss = graph::contiguous_strides(src.shape()), ds = graph::contiguous_strides(dst.shape());
  std::vector<int64_t> idx(box.size(), 0);
  for (int64_t i = 0; i < graph::numel(box); ++i) {
    int64_t s = 0, d = 0;
    for (size_t k = 0; k < box.size(); ++k) {
      s += (src_at[k] + idx[k]) * ss[k];
      d += (dst_at[k] + idx[k]) * ds[k];
    }
    std::memcpy(dst.raw() + d * static_cast<int64_t>(elem), src.raw() + s * static_cast<int64_t>(elem), elem);
    for (int64_t k = static_cast<int64_t>(box.size()) - 1; k >= 0 && ++idx[k] == box[k]; --k) idx[k] = 0;
  }
}

std::vector<std::optional<Expr>> grad_slice(GradContext& c) {
  Shape x = c.in(0).shape();
  Box b = checked_box(c.attrs<SliceAttrs>(), x);
  PadAttrs p{.before = b.at, .after = Shape(x.size())};
  for (size_t i = 0; i < x.size(); ++i) p.after[i] = x[i] - b.at[i] - b.extent[i];
  return {pad(c.dout(), std::move(p), c.loc)};
}

std::vector<std::optional<Expr>> grad_pad(GradContext& c) {
  const auto& a = c.attrs<PadAttrs>();
  Shape x = c.in(0).shape();
  SliceAttrs s{.starts = a.before, .ends = a.before};
  for (size_t i = 0; i < x.size(); ++i) s.ends[i] += x[i];
  return {slice(c.dout(), std::move(s), c.loc)};
}

}  // namespace

FLOWGRAD_REGISTER_OP({
    .name = "slice",
    .num_inputs = 1,
    .fusion = FusionClass::injective,
    .make_attrs = attrs_factory<SliceAttrs>(),
    .infer = infer_slice,
    .lower = [](const LowerContext& ctx) -> std::unique_ptr<Kernel> {
      const TensorType &x = ctx.inputs[0], &y = ctx.outputs[0];
      Box b = checked_box(ctx.attrs<SliceAttrs>(), x.shape);
      BoxCopy copy(x.shape, b.at, y.shape, Shape(y.shape.size(), 0), y.shape, graph::dtype_size(x.dtype));
      return std::make_unique<BoxKernel>(std::move(copy), y.numel(), y.dtype, false, 0.0);
    },
    .reference = [](const graph::Node& n, std::span<const Tensor> in, std::span<Tensor> out) {
      Box b = checked_box(n.attrs_as<SliceAttrs>(), in[0].shape());
      reference_box(in[0], b.at, out[0], Shape(b.at.size(), 0), b.extent);
    },
    .grad = grad_slice,
});

FLOWGRAD_REGISTER_OP({
    .name = "pad",
    .num_inputs = 1,
    .fusion = FusionClass::injective,
    .make_attrs = attrs_factory<PadAttrs>(),
    .infer = infer_pad,
    .lower = [](const LowerContext& ctx) -> std::unique_ptr<Kernel> {
      const TensorType &x = ctx.inputs[0], &y = ctx.outputs[0];
      const auto& a = ctx.attrs<PadAttrs>();
      BoxCopy copy(x.shape, Shape(x.shape.size(), 0), y.shape, a.before, x.shape, graph::dtype_size(x.dtype));
      return std::make_unique<BoxKernel>(std::move(copy), y.numel(), y.dtype, true, a.value);
    },
    .reference = [](const graph::Node& n, std::span<const Tensor> in, std::span<Tensor> out) {
      const auto& a = n.attrs_as<PadAttrs>();
      fill_value(out[0].raw(), out[0].dtype(), 0, out[0].numel(), a.value);
      reference_box(in[0], Shape(a.before.size(), 0), out[0], a.before, in[0].shape());
    },
    .grad = grad_pad,
});

Expr slice(Expr x, SliceAttrs attrs, const Loc& loc) { return x.emitter().emit1("slice", std::move(attrs), {x}, loc); }
Expr pad(Expr x, PadAttrs attrs, const Loc& loc) { return x.emitter().emit1("pad", std::move(attrs), {x}, loc); }

}  // namespace flowgrad::ops
