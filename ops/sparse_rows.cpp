#include "ops/sparse_rows.h"

#include "ops/cast.h"
#include "ops/concat.h"
#include "ops/gather.h"
#include "ops/scatter_kernel.h"

namespace flowgrad::ops {
namespace {

bool is_index_type(DType t) { return t == DType::i32 || t == DType::i64; }

std::vector<TensorType> infer(const InferContext& ctx) {
  const TensorType &idx = ctx.in(0), &rows = ctx.in(1);
  const int64_t v = ctx.attrs_as<SparseRowsAttrs>().num_rows;
  if (!is_index_type(idx.dtype) || idx.rank() != 1) ctx.fail("expected i32 or i64 indices [N], got " + idx.str());
  if (!graph::is_float(rows.dtype) || rows.rank() < 1 || rows.shape[0] != idx.shape[0]) {
    ctx.fail("expected f32 or f64 rows [" + std::to_string(idx.shape[0]) + ", ...], got " + rows.str());
  }
  if (v < 0) ctx.fail("expected num_rows >= 0, got " + std::to_string(v));
  Shape out = rows.shape;
  out[0] = v;
  return {{rows.dtype, out}};
}

// Elements per row of a [V, D...] or [N, D...] type.
int64_t row_size(const TensorType& t) {
  int64_t d = 1;
  for (size_t i = 1; i < t.shape.size(); ++i) d *= t.shape[i];
  return d;
}

}  // namespace

FLOWGRAD_REGISTER_OP({
    .name = "sparse_rows",
    .num_inputs = 2,
    .fusion = FusionClass::opaque,
    .make_attrs = attrs_factory<SparseRowsAttrs>(),
    .infer = infer,
    .lower = [](const LowerContext& ctx) -> std::unique_ptr<Kernel> {
      return std::make_unique<ScatterAddKernel>(ctx.attrs<SparseRowsAttrs>().num_rows, ctx.inputs[0].numel(),
                                                row_size(ctx.inputs[1]), ctx.inputs[0].dtype, false,
                                                node_label(ctx.node));
    },
    .reference = [](const graph::Node& n, std::span<const Tensor> in, std::span<Tensor> out) {
      scatter_add_reference(nullptr, in[0], in[1], out[0], node_label(n));
    },
    .grad = [](GradContext& c) -> std::vector<std::optional<Expr>> {
      return {std::nullopt, gather(c.dout(), c.in(0), c.loc)};  // [V, D...] -> [N, D...]
    },
});

Expr sparse_rows(Expr indices, Expr rows, int64_t num_rows, const Loc& loc) {
  return indices.emitter().emit1("sparse_rows", SparseRowsAttrs{.num_rows = num_rows}, {indices, rows}, loc);
}

std::optional<SparseRows> as_sparse_rows(Expr e) {
  const graph::Node& n = e.producer();
  if (n.op != "sparse_rows") return std::nullopt;
  const int64_t v = n.attrs_as<SparseRowsAttrs>().num_rows;
  const graph::ValueId idx = n.inputs[0], rows = n.inputs[1];
  return SparseRows{e.emitter().wrap(idx), e.emitter().wrap(rows), v};
}

Expr add_sparse_rows(const std::vector<SparseRows>& parts, const Loc& loc) {
  FLOWGRAD_CHECK(!parts.empty(), "add_sparse_rows of nothing");
  bool mixed = false;
  for (const SparseRows& p : parts) {
    FLOWGRAD_CHECK(p.num_rows == parts[0].num_rows, "add_sparse_rows: parts of different types");
    mixed = mixed || p.indices.dtype() != parts[0].indices.dtype();
  }
  if (parts.size() == 1) return sparse_rows(parts[0].indices, parts[0].rows, parts[0].num_rows, loc);
  std::vector<Expr> indices, rows;
  for (const SparseRows& p : parts) {
    indices.push_back(mixed && p.indices.dtype() != DType::i64 ? cast(p.indices, DType::i64, loc) : p.indices);
    rows.push_back(p.rows);
  }
  return sparse_rows(concat(indices, 0, loc), concat(rows, 0, loc), parts[0].num_rows, loc);
}

}  // namespace flowgrad::ops
