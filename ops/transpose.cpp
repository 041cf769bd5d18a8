#include "ops/transpose.h"

#include <cstring>
#include <numeric>

#include "ops/dnnl_util.h"
#include "ops/parallel.h"
#include "ops/shape_util.h"

namespace flowgrad::ops {
namespace {

// `perm` with negative entries mapped to [0, rank); nullopt unless it is a
// permutation of 0..rank-1.
std::optional<std::vector<int64_t>> normalize_perm(const std::vector<int64_t>& perm, int64_t rank) {
  if (static_cast<int64_t>(perm.size()) != rank) return std::nullopt;
  std::vector<int64_t> out;
  std::vector<bool> seen(rank, false);
  for (int64_t p : perm) {
    auto axis = normalize_axis(p, rank);
    if (!axis || seen[*axis]) return std::nullopt;
    seen[*axis] = true;
    out.push_back(*axis);
  }
  return out;
}

std::vector<TensorType> infer(const InferContext& ctx) {
  const TensorType& x = ctx.in(0);
  const auto& perm = ctx.attrs_as<TransposeAttrs>().perm;
  auto p = normalize_perm(perm, x.rank());
  if (!p) {
    std::vector<int64_t> identity(x.rank());
    std::iota(identity.begin(), identity.end(), 0);
    ctx.fail("expected perm to be a permutation of " + graph::shape_str(identity) + ", got " + graph::shape_str(perm));
  }
  Shape out;
  for (int64_t axis : *p) out.push_back(x.shape[axis]);
  return {{x.dtype, out}};
}

// Strides (in elements) that read the input in output order:
// stride[i] = input_stride[perm[i]]. x: [d0..dn] -> view: [d_perm[0]..d_perm[n]]
std::vector<int64_t> permuted_strides(const Shape& in, const std::vector<int64_t>& perm) {
  auto st = graph::contiguous_strides(in);
  std::vector<int64_t> out;
  for (int64_t axis : perm) out.push_back(st[axis]);
  return out;
}

// out[i] = in[strided_offset(i)], element type chosen by size only.
template <class T>
void gather(const T* in, T* out, const Shape& shape, const std::vector<int64_t>& strides, int threads) {
  parallel_blocks(graph::numel(shape), threads, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) out[i] = in[strided_offset(i, shape, strides)];
  });
}

class GatherKernel final : public Kernel {
 public:
  GatherKernel(Shape out, std::vector<int64_t> strides, size_t elem) : out_(out), strides_(strides), elem_(elem) {}
  void run(const KernelArgs& a) override {
    switch (elem_) {
      case 1: gather(a.in<uint8_t>(0), a.out<uint8_t>(0), out_, strides_, a.threads); break;
      case 4: gather(a.in<uint32_t>(0), a.out<uint32_t>(0), out_, strides_, a.threads); break;
      case 8: gather(a.in<uint64_t>(0), a.out<uint64_t>(0), out_, strides_, a.threads); break;
      default: FLOWGRAD_CHECK(false, "transpose: unexpected element size");
    }
  }
  double cost() const override { return static_cast<double>(graph::numel(out_)); }

 private:
  Shape out_;
  std::vector<int64_t> strides_;
  size_t elem_;
};

std::unique_ptr<Kernel> lower(const LowerContext& ctx) {
  const TensorType &x = ctx.inputs[0], &y = ctx.outputs[0];
  auto perm = *normalize_perm(ctx.attrs<TransposeAttrs>().perm, x.rank());
  auto strides = permuted_strides(x.shape, perm);
  bool dnnl_type = x.dtype == DType::f32 || x.dtype == DType::i32;
  if (!dnnl_type || y.numel() == 0 || y.rank() > DNNL_MAX_NDIMS) {
    return std::make_unique<GatherKernel>(y.shape, strides, graph::dtype_size(x.dtype));
  }
  auto src = strided_md(y.shape, x.dtype, strides);  // x viewed as [d_perm[0], ...]
  auto dst = plain_md(y);
  dnnl::reorder::primitive_desc pd(ctx.engine, src, ctx.engine, dst, scratchpad_attr());
  return std::make_unique<DnnlKernel>(make_primitive<dnnl::reorder>(pd), pd.scratchpad_desc(),
                                      std::vector<DnnlKernel::Arg>{{DNNL_ARG_FROM, src, 0, -1}, {DNNL_ARG_TO, dst, -1, 0}},
                                      static_cast<double>(y.numel()));
}

// Walks the output with a multi-index; the input offset follows it.
void reference(const graph::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const Shape& xs = in[0].shape();
  auto perm = *normalize_perm(node.attrs_as<TransposeAttrs>().perm, static_cast<int64_t>(xs.size()));
  const Shape& ys = out[0].shape();
  auto xst = graph::contiguous_strides(xs);
  size_t elem = graph::dtype_size(in[0].dtype());
  std::vector<int64_t> idx(ys.size(), 0);  // index into y
  for (int64_t i = 0; i < out[0].numel(); ++i) {
    int64_t src = 0;
    for (size_t k = 0; k < ys.size(); ++k) src += idx[k] * xst[perm[k]];
    std::memcpy(out[0].raw() + i * elem, in[0].raw() + src * elem, elem);
    for (int64_t k = static_cast<int64_t>(ys.size()) - 1; k >= 0 && ++idx[k] == ys[k]; --k) idx[k] = 0;
  }
}

}  // namespace

FLOWGRAD_REGISTER_OP({
    .name = "transpose",
    .num_inputs = 1,
    .fusion = FusionClass::injective,
    .make_attrs = attrs_factory<TransposeAttrs>(),
    .infer = infer,
    .lower = lower,
    .reference = reference,
    .grad = [](GradContext& c) -> std::vector<std::optional<Expr>> {
      // out[i] = in[perm[i]]  =>  din = transpose(dout, inverse(perm))
      auto perm = *normalize_perm(c.attrs<TransposeAttrs>().perm, c.in(0).rank());
      std::vector<int64_t> inverse(perm.size());
      for (size_t i = 0; i < perm.size(); ++i) inverse[static_cast<size_t>(perm[i])] = static_cast<int64_t>(i);
      return {transpose(c.dout(), inverse, c.loc)};
    },
});

Expr transpose(Expr x, std::vector<int64_t> perm, const Loc& loc) {
  return x.emitter().emit1("transpose", TransposeAttrs{.perm = std::move(perm)}, {x}, loc);
}

Expr permute(Expr x, std::vector<int64_t> perm, const Loc& loc) { return transpose(x, std::move(perm), loc); }

Expr swap_axes(Expr x, int64_t a, int64_t b, const Loc& loc) {
  auto na = normalize_axis(a, x.rank()), nb = normalize_axis(b, x.rank());
  if (!na || !nb) {
    // Reported like an inference error of the transpose it would have emitted.
    const std::string op = "transpose", name = x.emitter().path(op);
    const graph::Attrs<TransposeAttrs> attrs;
    const TensorType type = x.type();
    const SourceLoc where = SourceLoc::from(loc);
    InferContext{op, name, attrs, std::span(&type, 1), where}.fail(
        "expected swap_axes axes in [" + std::to_string(-x.rank()) + ", " + std::to_string(x.rank()) + "), got " +
        std::to_string(a) + " and " + std::to_string(b));
  }
  std::vector<int64_t> perm(x.rank());
  std::iota(perm.begin(), perm.end(), 0);
  std::swap(perm[*na], perm[*nb]);
  return transpose(x, std::move(perm), loc);
}

}  // namespace flowgrad::ops
