#include "ops/gather.h"

#include <cstring>

#include "ops/binary.h"
#include "ops/reshape.h"
#include "ops/scatter_kernel.h"
#include "ops/sources.h"
#include "ops/sparse_rows.h"

namespace flowgrad::ops {
namespace {

bool is_index_type(DType t) { return t == DType::i32 || t == DType::i64; }

std::vector<TensorType> infer_gather(const InferContext& ctx) {
  const TensorType &table = ctx.in(0), &idx = ctx.in(1);
  if (table.rank() < 1) ctx.fail("expected a table [V, ...] of rank >= 1, got " + table.str());
  if (!is_index_type(idx.dtype)) ctx.fail("expected i32 or i64 indices, got " + idx.str());
  Shape out = idx.shape;
  out.insert(out.end(), table.shape.begin() + 1, table.shape.end());
  return {{table.dtype, out}};
}

std::vector<TensorType> infer_positions(const InferContext& ctx) {
  const TensorType &x = ctx.in(0), &pos = ctx.in(1);
  if (x.rank() < 2) ctx.fail("expected x [B, T, ...] of rank >= 2, got " + x.str());
  if (!is_index_type(pos.dtype) || pos.rank() != 2 || pos.shape[0] != x.shape[0]) {
    ctx.fail("expected i32 or i64 positions [" + std::to_string(x.shape[0]) + ", P], got " + pos.str());
  }
  Shape out{x.shape[0], pos.shape[1]};
  out.insert(out.end(), x.shape.begin() + 2, x.shape.end());
  return {{x.dtype, out}};
}

// Both ops as one loop: output row n copies source row (n / per_batch) · range
// + idx[n], idx[n] checked against [0, range). gather is one batch of N.
struct RowCopy {
  int64_t n = 0, per_batch = 0, range = 0;  // output rows, indices per batch, rows per batch
  size_t row_bytes = 0;
  DType index_type = DType::i32;
  std::string who;

  void run(const std::byte* src, const std::byte* idx, std::byte* out, int threads) const {
    int64_t block = std::max<int64_t>(1, static_cast<int64_t>(kBlock * 4 / std::max<size_t>(1, row_bytes)));
    parallel_blocks(n, threads, block, [&](int64_t lo, int64_t hi) {
      for (int64_t r = lo; r < hi; ++r) {
        int64_t i = checked_index(idx, index_type, r, range, who);
        std::memcpy(out + r * row_bytes, src + ((r / per_batch) * range + i) * row_bytes, row_bytes);
      }
    });
  }
};

// [V, D...] + [N...] (gather) or [B, T, H...] + [B, P] (positions).
RowCopy row_copy(const graph::Node& node, const TensorType& x, const TensorType& idx, bool positions) {
  int64_t lead = positions ? 2 : 1, d = 1;
  for (size_t i = static_cast<size_t>(lead); i < x.shape.size(); ++i) d *= x.shape[i];
  int64_t n = idx.numel();
  int64_t per_batch = positions ? idx.shape[1] : n;
  return {n, std::max<int64_t>(1, per_batch), x.shape[lead - 1], static_cast<size_t>(d) * graph::dtype_size(x.dtype),
          idx.dtype, node_label(node)};
}

class RowCopyKernel final : public Kernel {
 public:
  explicit RowCopyKernel(RowCopy copy) : copy_(std::move(copy)) {}
  void run(const KernelArgs& k) override { copy_.run(k.inputs[0], k.inputs[1], k.outputs[0], k.threads); }
  double cost() const override { return static_cast<double>(copy_.n * static_cast<int64_t>(copy_.row_bytes)) / 4; }

 private:
  RowCopy copy_;
};

// The plain oracle: one element at a time.
ReferenceFn reference(bool positions) {
  return [positions](const graph::Node& n, std::span<const Tensor> in, std::span<Tensor> out) {
    RowCopy c = row_copy(n, in[0].type(), in[1].type(), positions);
    size_t elem = graph::dtype_size(in[0].dtype());
    int64_t d = static_cast<int64_t>(c.row_bytes / elem);
    for (int64_t r = 0; r < c.n; ++r) {
      int64_t src = (r / c.per_batch) * c.range + checked_index(in[1].raw(), c.index_type, r, c.range, c.who);
      for (int64_t j = 0; j < d; ++j) {
        std::memcpy(out[0].raw() + (r * d + j) * elem, in[0].raw() + (src * d + j) * elem, elem);
      }
    }
  };
}

LowerFn lower(bool positions) {
  return [positions](const LowerContext& ctx) -> std::unique_ptr<Kernel> {
    return std::make_unique<RowCopyKernel>(row_copy(ctx.node, ctx.inputs[0], ctx.inputs[1], positions));
  };
}

// Flattens the leading `lead` dims of `e` into one: [a, b, D...] -> [a·b, D...].
Expr flatten_leading(Expr e, size_t lead, const Loc& loc) {
  Shape s = e.shape();
  Shape to{graph::numel(Shape(s.begin(), s.begin() + static_cast<int64_t>(lead)))};
  to.insert(to.end(), s.begin() + static_cast<int64_t>(lead), s.end());
  return s == to ? e : reshape(e, to, loc);
}

std::vector<std::optional<Expr>> grad_gather(GradContext& c) {
  if (!graph::is_float(c.in(0).dtype())) return {std::nullopt, std::nullopt};
  size_t lead = static_cast<size_t>(c.in(1).rank());
  Expr idx = flatten_leading(c.in(1), lead, c.loc);  // [N]
  Expr rows = flatten_leading(c.dout(), lead, c.loc);  // [N, D...]
  return {sparse_rows(idx, rows, c.in(0).dim(0), c.loc), std::nullopt};
}

std::vector<std::optional<Expr>> grad_positions(GradContext& c) {
  if (!graph::is_float(c.in(0).dtype())) return {std::nullopt, std::nullopt};
  const int64_t b = c.in(0).dim(0), t = c.in(0).dim(1);
  Tensor offsets({c.in(1).dtype(), {b, 1}});  // [B, 1]: b·T
  for (int64_t i = 0; i < b; ++i) {
    if (offsets.dtype() == DType::i64) offsets.data<int64_t>()[i] = i * t;
    else offsets.data<int32_t>()[i] = static_cast<int32_t>(i * t);
  }
  Expr flat = flatten_leading(add(c.in(1), constant(c.em, offsets, c.loc), c.loc), 2, c.loc);  // [B·P]
  Expr rows = flatten_leading(c.dout(), 2, c.loc);                                              // [B·P, H...]
  return {reshape(sparse_rows(flat, rows, b * t, c.loc), c.in(0).shape(), c.loc), std::nullopt};
}

}  // namespace

FLOWGRAD_REGISTER_OP({
    .name = "gather",
    .num_inputs = 2,
    .fusion = FusionClass::injective,
    .make_attrs = attrs_factory<graph::NoAttrs>(),
    .infer = infer_gather,
    .lower = lower(false),
    .reference = reference(false),
    .grad = grad_gather,
});

FLOWGRAD_REGISTER_OP({
    .name = "gather_positions",
    .num_inputs = 2,
    .fusion = FusionClass::injective,
    .make_attrs = attrs_factory<graph::NoAttrs>(),
    .infer = infer_positions,
    .lower = lower(true),
    .reference = reference(true),
    .grad = grad_positions,
});

Expr gather(Expr table, Expr indices, const Loc& loc) {
  return table.emitter().emit1("gather", graph::NoAttrs{}, {table, indices}, loc);
}

Expr embedding(Expr table, Expr ids, const Loc& loc) { return gather(table, ids, loc); }

Expr gather_positions(Expr x, Expr positions, const Loc& loc) {
  return x.emitter().emit1("gather_positions", graph::NoAttrs{}, {x, positions}, loc);
}

}  // namespace flowgrad::ops
