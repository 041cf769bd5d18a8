#include "ops/concat.h"

#include <cstring>

#include "ops/box_copy.h"
#include "ops/shape_util.h"

namespace flowgrad::ops {
namespace {

int64_t checked_axis(const InferContext& ctx, int64_t axis, int64_t rank) {
  auto a = normalize_axis(axis, rank);
  if (!a) ctx.fail("expected an axis in [" + std::to_string(-rank) + ", " + std::to_string(rank) + "), got " + std::to_string(axis));
  return *a;
}

std::vector<TensorType> infer_concat(const InferContext& ctx) {
  if (ctx.inputs.empty()) ctx.fail("expected at least one input");
  const TensorType& first = ctx.in(0);
  const int64_t axis = checked_axis(ctx, ctx.attrs_as<ConcatAttrs>().axis, first.rank());
  TensorType out = first;
  out.shape[axis] = 0;
  for (size_t k = 0; k < ctx.inputs.size(); ++k) {
    Shape want = first.shape, got = ctx.in(k).shape;
    if (ctx.in(k).dtype != first.dtype || got.size() != want.size()) {
      ctx.fail("expected inputs of dtype " + std::string(graph::dtype_name(first.dtype)) + " and rank " +
               std::to_string(first.rank()) + ", got " + ctx.in(k).str() + " at input " + std::to_string(k));
    }
    want[axis] = got[axis];
    if (got != want) {
      ctx.fail("expected input " + std::to_string(k) + " of shape " + graph::shape_str(want) + " (all dims but " +
               std::to_string(axis) + " equal), got " + graph::shape_str(got));
    }
    out.shape[axis] += got[axis];
  }
  return {out};
}

std::vector<TensorType> infer_split(const InferContext& ctx) {
  const TensorType& x = ctx.in(0);
  const auto& a = ctx.attrs_as<SplitAttrs>();
  const int64_t axis = checked_axis(ctx, a.axis, x.rank());
  if (a.sizes.empty()) ctx.fail("expected at least one size");
  int64_t total = 0;
  std::vector<TensorType> out;
  for (int64_t s : a.sizes) {
    if (s < 0) ctx.fail("expected non-negative sizes, got " + graph::shape_str(a.sizes));
    total += s;
    out.push_back(x);
    out.back().shape[axis] = s;
  }
  if (total != x.shape[axis]) {
    ctx.fail("expected sizes summing to " + std::to_string(x.shape[axis]) + " (dim " + std::to_string(axis) +
             "), got " + graph::shape_str(a.sizes) + " summing to " + std::to_string(total));
  }
  return out;
}

// One box per piece: piece k sits at offset o_k along `axis` of the whole.
std::vector<BoxCopy> piece_boxes(const Shape& whole, std::span<const TensorType> pieces, int64_t axis, size_t elem,
                                 bool into_whole) {
  std::vector<BoxCopy> boxes;
  Shape zero(whole.size(), 0), at = zero;
  for (const TensorType& p : pieces) {
    if (into_whole) boxes.emplace_back(p.shape, zero, whole, at, p.shape, elem);
    else boxes.emplace_back(whole, at, p.shape, zero, p.shape, elem);
    at[axis] += p.shape[axis];
  }
  return boxes;
}

class PiecesKernel final : public Kernel {
 public:
  PiecesKernel(std::vector<BoxCopy> boxes, bool concat) : boxes_(std::move(boxes)), concat_(concat) {}
  void run(const KernelArgs& k) override {
    for (size_t i = 0; i < boxes_.size(); ++i) {
      if (concat_) boxes_[i].run(k.inputs[i], k.outputs[0], k.threads);
      else boxes_[i].run(k.inputs[0], k.outputs[i], k.threads);
    }
  }
  double cost() const override {
    double c = 0;
    for (const BoxCopy& b : boxes_) c += static_cast<double>(b.elements());
    return c;
  }

 private:
  std::vector<BoxCopy> boxes_;
  bool concat_;
};

// Plain oracle: walk the whole tensor; element (..., j, ...) belongs to the
// piece whose range along `axis` holds j.
void reference_pieces(const Shape& whole, int64_t axis, std::span<const Tensor> pieces_in, std::span<Tensor> pieces_out,
                      const std::byte* whole_in, std::byte* whole_out, size_t elem) {
  int64_t inner = 1;
  for (size_t d = static_cast<size_t>(axis) + 1; d < whole.size(); ++d) inner *= whole[d];
  const int64_t n = whole[axis];
  for (int64_t i = 0; i < graph::numel(whole); ++i) {
    int64_t outer = i / (n * inner), j = (i / inner) % n, rest = i % inner;
    size_t k = 0;
    int64_t start = 0;
    auto size_of = [&](size_t p) { return (whole_in ? pieces_out[p].shape() : pieces_in[p].shape())[axis]; };
    while (j >= start + size_of(k)) start += size_of(k++);
    int64_t local = (outer * size_of(k) + (j - start)) * inner + rest;
    if (whole_in) std::memcpy(pieces_out[k].raw() + local * elem, whole_in + i * elem, elem);
    else std::memcpy(whole_out + i * elem, pieces_in[k].raw() + local * elem, elem);
  }
}

int64_t axis_of(int64_t axis, int64_t rank) { return *normalize_axis(axis, rank); }

}  // namespace

FLOWGRAD_REGISTER_OP({
    .name = "concat",
    .num_inputs = kVariadic,
    .fusion = FusionClass::injective,
    .make_attrs = attrs_factory<ConcatAttrs>(),
    .infer = infer_concat,
    .lower = [](const LowerContext& ctx) -> std::unique_ptr<Kernel> {
      const TensorType& y = ctx.outputs[0];
      int64_t axis = axis_of(ctx.attrs<ConcatAttrs>().axis, y.rank());
      return std::make_unique<PiecesKernel>(piece_boxes(y.shape, ctx.inputs, axis, graph::dtype_size(y.dtype), true), true);
    },
    .reference = [](const graph::Node& n, std::span<const Tensor> in, std::span<Tensor> out) {
      int64_t axis = axis_of(n.attrs_as<ConcatAttrs>().axis, static_cast<int64_t>(out[0].shape().size()));
      reference_pieces(out[0].shape(), axis, in, {}, nullptr, out[0].raw(), graph::dtype_size(out[0].dtype()));
    },
    .grad = [](GradContext& c) -> std::vector<std::optional<Expr>> {
      int64_t axis = axis_of(c.attrs<ConcatAttrs>().axis, c.out().rank());
      std::vector<int64_t> sizes;
      for (const Expr& x : c.inputs) sizes.push_back(x.dim(axis));
      std::vector<std::optional<Expr>> out;
      for (Expr g : split(c.dout(), sizes, axis, c.loc)) out.push_back(g);
      return out;
    },
});

FLOWGRAD_REGISTER_OP({
    .name = "split",
    .num_inputs = 1,
    .num_outputs = kVariadic,
    .fusion = FusionClass::injective,
    .make_attrs = attrs_factory<SplitAttrs>(),
    .infer = infer_split,
    .lower = [](const LowerContext& ctx) -> std::unique_ptr<Kernel> {
      const TensorType& x = ctx.inputs[0];
      int64_t axis = axis_of(ctx.attrs<SplitAttrs>().axis, x.rank());
      return std::make_unique<PiecesKernel>(piece_boxes(x.shape, ctx.outputs, axis, graph::dtype_size(x.dtype), false), false);
    },
    .reference = [](const graph::Node& n, std::span<const Tensor> in, std::span<Tensor> out) {
      int64_t axis = axis_of(n.attrs_as<SplitAttrs>().axis, static_cast<int64_t>(in[0].shape().size()));
      reference_pieces(in[0].shape(), axis, {}, out, in[0].raw(), nullptr, graph::dtype_size(in[0].dtype()));
    },
    .grad = [](GradContext& c) -> std::vector<std::optional<Expr>> {
      std::vector<Expr> douts;
      for (size_t i = 0; i < c.outputs.size(); ++i) douts.push_back(c.dout(i));
      return {concat(douts, c.attrs<SplitAttrs>().axis, c.loc)};
    },
});

Expr concat(const std::vector<Expr>& xs, int64_t axis, const Loc& loc) {
  FLOWGRAD_CHECK(!xs.empty(), "concat of nothing");
  return xs[0].emitter().emit1("concat", ConcatAttrs{.axis = axis}, xs, loc);
}

std::vector<Expr> split(Expr x, std::vector<int64_t> sizes, int64_t axis, const Loc& loc) {
  return x.emitter().emit("split", std::make_shared<graph::Attrs<SplitAttrs>>(SplitAttrs{std::move(sizes), axis}), {x},
                          loc);
}

}  // namespace flowgrad::ops
