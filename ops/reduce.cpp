#include "ops/reduce.h"

#include "graph/dtype_dispatch.h"
#include "ops/binary.h"
#include "ops/broadcast_to.h"
#include "ops/reduce_max_backward.h"
#include "ops/reshape.h"
#include "ops/sources.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "ops/parallel.h"
#include "ops/shape_util.h"

namespace flowgrad::ops {
namespace {

// How elements combine. Mean is Sum divided by the reduced extent at the end.
struct SumAcc {
  static constexpr double kInit = 0.0;
  static double add(double a, double v) { return a + v; }
};
struct MaxAcc {
  static constexpr double kInit = -INFINITY;
  static double add(double a, double v) { return v > a || std::isnan(v) ? v : a; }  // NaN sticks
};

// mask[d]: input axis d is reduced. Returns an error ("expected ..., got ...")
// or an empty string.
std::string reduced_mask(const ReduceAttrs& a, int64_t rank, std::vector<bool>& mask) {
  mask.assign(rank, a.axes.empty());
  for (int64_t axis : a.axes) {
    auto d = normalize_axis(axis, rank);
    if (!d) {
      return "expected axes in [" + std::to_string(-rank) + ", " + std::to_string(rank) + ") for rank " +
             std::to_string(rank) + ", got axis " + std::to_string(axis);
    }
    if (mask[*d]) return "expected distinct axes, got " + graph::shape_str(a.axes) + " (axis " + std::to_string(*d) + " twice)";
    mask[*d] = true;
  }
  return "";
}

int64_t reduced_extent(const Shape& s, const std::vector<bool>& mask) {
  int64_t r = 1;
  for (size_t d = 0; d < s.size(); ++d) r *= mask[d] ? s[d] : 1;
  return r;
}

InferFn infer(bool needs_elements) {
  return [=](const InferContext& ctx) -> std::vector<TensorType> {
    const TensorType& x = ctx.in(0);
    ctx.expect_float(0);
    const auto& a = ctx.attrs_as<ReduceAttrs>();
    std::vector<bool> mask;
    if (std::string err = reduced_mask(a, x.rank(), mask); !err.empty()) ctx.fail(err);
    if (needs_elements && reduced_extent(x.shape, mask) == 0) ctx.fail("expected a non-empty reduced extent, got 0 elements");
    Shape out;
    for (int64_t d = 0; d < x.rank(); ++d) {
      if (!mask[d]) out.push_back(x.shape[d]);
      else if (a.keepdims) out.push_back(1);
    }
    return {{x.dtype, out}};
  };
}

// The input with size-1 axes dropped and neighbouring axes of the same kind
// (reduced or kept) merged, e.g. [2, 3, 1, 4] reducing {1, 3} -> [2, 12],
// reduced {false, true}.
struct Coalesced {
  Shape dims;
  std::vector<bool> reduced;
};

Coalesced coalesce(const Shape& s, const std::vector<bool>& mask) {
  Coalesced c;
  for (size_t d = 0; d < s.size(); ++d) {
    if (s[d] == 1) continue;
    if (!c.dims.empty() && c.reduced.back() == mask[d]) {
      c.dims.back() *= s[d];
    } else {
      c.dims.push_back(s[d]);
      c.reduced.push_back(mask[d]);
    }
  }
  return c;
}

// The input seen as [outer, r, inner]: possible when the coalesced reduced
// axes are a single run (the common case). nullopt otherwise.
struct RunGeometry {
  int64_t outer = 1, r = 1, inner = 1;
};

std::optional<RunGeometry> run_geometry(const Coalesced& c) {
  RunGeometry g;
  size_t n = c.dims.size(), i = 0;
  if (i < n && !c.reduced[i]) g.outer = c.dims[i++];
  if (i < n && c.reduced[i]) g.r = c.dims[i++];
  if (i < n && !c.reduced[i]) g.inner = c.dims[i++];
  if (i < n) return std::nullopt;
  return g;
}

// acc[0, width) <- the column reductions of a [rows, width] block at p whose
// rows are `stride` apart. One column uses four chains (then a fixed combine)
// so it is not bound by add latency. Cloned per instruction set (parallel.h).
template <class Acc>
FLOWGRAD_X86_CLONES void accumulate(const float* p, int64_t rows, int64_t stride, int64_t width, double* acc) {
  if (width == 1) {
    double l[4] = {Acc::kInit, Acc::kInit, Acc::kInit, Acc::kInit};
    int64_t j = 0;
    for (; j + 4 <= rows; j += 4) {
      for (int k = 0; k < 4; ++k) l[k] = Acc::add(l[k], p[(j + k) * stride]);
    }
    for (; j < rows; ++j) l[0] = Acc::add(l[0], p[j * stride]);
    acc[0] = Acc::add(Acc::add(l[0], l[1]), Acc::add(l[2], l[3]));
    return;
  }
  std::fill(acc, acc + width, Acc::kInit);
  for (int64_t j = 0; j < rows; ++j) {
    const float* row = p + j * stride;
#pragma omp simd
    for (int64_t i = 0; i < width; ++i) acc[i] = Acc::add(acc[i], row[i]);
  }
}

// The run case, [outer, r, inner] -> [outer, inner]. Work items are
// (o, column tile, row chunk) blocks. Long row segments stream fastest, so
// tiles are wide; rows are split into chunks only when (o, tile) pairs are too
// few to share out, and then partial results land in partials_ and are
// combined chunk by chunk, in order. All sizes depend on the shape alone.
template <class Acc>
class RunKernel final : public Kernel {
 public:
  static constexpr int64_t kTile = 4096;          // columns per item: 32 KiB of accumulators
  static constexpr int64_t kMinItems = 16;        // fewer (o, tile) pairs than this: chunk the rows
  static constexpr int64_t kChunkWork = 1 << 18;  // elements per chunked item, roughly

  RunKernel(RunGeometry g, double divisor) : g_(g), divisor_(divisor) {
    tile_ = std::clamp<int64_t>(g.inner, 1, kTile);
    tiles_ = (g.inner + tile_ - 1) / tile_;
    chunk_ = g.outer * tiles_ >= kMinItems ? g.r : std::max<int64_t>(1, kChunkWork / tile_);
    chunks_ = std::max<int64_t>(1, (g.r + chunk_ - 1) / chunk_);
    if (chunks_ > 1) partials_.resize(g.outer * g.inner * chunks_);
  }

  void run(const KernelArgs& k) override {
    const float* x = k.in<float>(0);
    float* y = k.out<float>(0);
    int64_t items = g_.outer * tiles_ * chunks_;
    int64_t per_block = std::max<int64_t>(1, kBlock / std::max<int64_t>(1, std::min(chunk_, g_.r) * tile_));
    parallel_blocks(items, k.threads, per_block, [&](int64_t lo, int64_t hi) {
      for (int64_t item = lo; item < hi; ++item) run_item(x, y, item);
    });
    if (chunks_ == 1) return;
    parallel_blocks(g_.outer * g_.inner, k.threads, [&](int64_t lo, int64_t hi) {
      for (int64_t j = lo; j < hi; ++j) {
        const double* part = &partials_[j * chunks_];  // [chunks]
        double a = Acc::kInit;
        for (int64_t c = 0; c < chunks_; ++c) a = Acc::add(a, part[c]);
        y[j] = static_cast<float>(a / divisor_);
      }
    });
  }

  double cost() const override { return static_cast<double>(g_.outer * g_.r * g_.inner); }

 private:
  void run_item(const float* x, float* y, int64_t item) {
    int64_t c = item % chunks_, t = (item / chunks_) % tiles_, o = item / (chunks_ * tiles_);
    int64_t i0 = t * tile_, width = std::min(tile_, g_.inner - i0);
    int64_t r0 = c * chunk_, rows = std::min(chunk_, g_.r - r0);
    double acc[kTile];
    accumulate<Acc>(x + (o * g_.r + r0) * g_.inner + i0, rows, g_.inner, width, acc);  // [rows, width]
    for (int64_t i = 0; i < width; ++i) {
      int64_t j = o * g_.inner + i0 + i;  // output index
      if (chunks_ == 1) y[j] = static_cast<float>(acc[i] / divisor_);
      else partials_[j * chunks_ + c] = acc[i];
    }
  }

  RunGeometry g_;
  double divisor_;
  int64_t tile_, tiles_, chunk_, chunks_;
  std::vector<double> partials_;  // [outer * inner, chunks], made at lower time
};

// Any other axis set, on the coalesced shape: per output, the last reduced
// axis is a tight strided loop, the other reduced axes an index walk.
template <class Acc>
class StridedKernel final : public Kernel {
 public:
  StridedKernel(const Coalesced& c, double divisor) : divisor_(divisor) {
    auto st = graph::contiguous_strides(c.dims);
    for (size_t d = 0; d < c.dims.size(); ++d) {
      (c.reduced[d] ? red_ : kept_).push_back(c.dims[d]);
      (c.reduced[d] ? red_st_ : kept_st_).push_back(st[d]);
    }
    last_ = red_.back();  // a non-run set has >= 2 reduced axes
    last_st_ = red_st_.back();
    red_.pop_back();
    red_st_.pop_back();
  }

  void run(const KernelArgs& k) override {
    const float* x = k.in<float>(0);
    float* y = k.out<float>(0);
    int64_t walk = graph::numel(red_), per_block = std::max<int64_t>(1, kBlock / std::max<int64_t>(1, walk * last_));
    parallel_blocks(graph::numel(kept_), k.threads, per_block, [&](int64_t lo, int64_t hi) {
      for (int64_t o = lo; o < hi; ++o) {
        const float* base = x + strided_offset(o, kept_, kept_st_);
        double a = Acc::kInit, part;
        for (int64_t j = 0; j < walk; ++j) {
          accumulate<Acc>(base + strided_offset(j, red_, red_st_), last_, last_st_, 1, &part);
          a = Acc::add(a, part);
        }
        y[o] = static_cast<float>(a / divisor_);
      }
    });
  }

  double cost() const override { return static_cast<double>(graph::numel(kept_) * graph::numel(red_) * last_); }

 private:
  Shape kept_, red_;  // red_: the reduced axes but the last
  std::vector<int64_t> kept_st_, red_st_;
  int64_t last_, last_st_;
  double divisor_;
};

template <class Acc, bool kMean>
std::unique_ptr<Kernel> lower(const LowerContext& ctx) {
  const Shape& in = ctx.inputs[0].shape;
  std::vector<bool> mask;
  reduced_mask(ctx.attrs<ReduceAttrs>(), static_cast<int64_t>(in.size()), mask);
  double divisor = kMean ? static_cast<double>(reduced_extent(in, mask)) : 1.0;
  Coalesced c = coalesce(in, mask);
  if (auto g = run_geometry(c)) return std::make_unique<RunKernel<Acc>>(*g, divisor);
  return std::make_unique<StridedKernel<Acc>>(c, divisor);
}

template <class Acc, bool kMean>
void reference(const graph::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const Shape& s = in[0].shape();
  std::vector<bool> mask;
  reduced_mask(node.attrs_as<ReduceAttrs>(), static_cast<int64_t>(s.size()), mask);
  std::vector<double> acc(out[0].numel(), Acc::kInit);
  graph::with_float(in[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* x = in[0].data<T>();
    for (int64_t i = 0; i < in[0].numel(); ++i) {
      int64_t o = 0, stride = 1, rest = i;  // o: i's output index (row-major over the kept dims)
      for (int64_t d = static_cast<int64_t>(s.size()) - 1; d >= 0; --d) {
        if (!mask[d]) {
          o += (rest % s[d]) * stride;
          stride *= s[d];
        }
        rest /= s[d];
      }
      acc[o] = Acc::add(acc[o], x[i]);
    }
    double divisor = kMean ? static_cast<double>(reduced_extent(s, mask)) : 1.0;
    T* y = out[0].data<T>();
    for (size_t o = 0; o < acc.size(); ++o) y[o] = static_cast<T>(acc[o] / divisor);
  });
}

// x's shape with the reduced axes set to 1.
Shape keep_shape(const Shape& x, const ReduceAttrs& a) {
  std::vector<bool> mask;
  reduced_mask(a, static_cast<int64_t>(x.size()), mask);
  Shape k = x;
  for (size_t d = 0; d < x.size(); ++d) k[d] = mask[d] ? 1 : x[d];
  return k;
}

// sum:  dx = broadcast(dy);  mean: dx = broadcast(dy) / count;
// max:  dx = dy at the first maximal element of each reduced group, else 0.
template <class Acc, bool kMean>
std::vector<std::optional<Expr>> reduce_grad(GradContext& c) {
  Expr x = c.in(0);
  Shape keep = keep_shape(x.shape(), c.attrs<ReduceAttrs>());
  Expr dy = reshape(c.dout(), keep, c.loc);  // [.., 1, ..]
  if constexpr (std::is_same_v<Acc, MaxAcc>) {
    return {reduce_max_backward(dy, x, reshape(c.out(), keep, c.loc), c.loc)};
  } else {
    Expr dx = broadcast_to(dy, x.shape(), c.loc);
    if (!kMean) return {dx};
    double count = static_cast<double>(x.type().numel() / graph::numel(keep));
    return {mul(dx, scalar(c.em, 1.0 / count, x.dtype(), c.loc), c.loc)};
  }
}

template <class Acc, bool kMean>
OpDef reduce_def(std::string name) {
  return OpDef{
      .name = std::move(name),
      .num_inputs = 1,
      .fusion = FusionClass::reduce,
      .make_attrs = attrs_factory<ReduceAttrs>(),
      .infer = infer(std::is_same_v<Acc, MaxAcc>),
      .lower = lower<Acc, kMean>,
      .reference = reference<Acc, kMean>,
      .grad = reduce_grad<Acc, kMean>,
  };
}

[[maybe_unused]] const OpDef& sum_def = register_op(reduce_def<SumAcc, false>("reduce_sum"));
[[maybe_unused]] const OpDef& mean_def = register_op(reduce_def<SumAcc, true>("reduce_mean"));
[[maybe_unused]] const OpDef& max_def = register_op(reduce_def<MaxAcc, false>("reduce_max"));

}  // namespace

Expr reduce_sum(Expr x, ReduceAttrs attrs, const Loc& loc) { return x.emitter().emit1("reduce_sum", attrs, {x}, loc); }
Expr reduce_mean(Expr x, ReduceAttrs attrs, const Loc& loc) { return x.emitter().emit1("reduce_mean", attrs, {x}, loc); }
Expr reduce_max(Expr x, ReduceAttrs attrs, const Loc& loc) { return x.emitter().emit1("reduce_max", attrs, {x}, loc); }

}  // namespace flowgrad::ops
