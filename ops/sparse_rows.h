#pragma once
// sparse_rows: a dense-typed tensor held as (indices, rows) — the sparse row
// gradient of a lookup (gather / embedding).
//
//   sparse_rows(indices, rows; num_rows V)[v, ...] = Σ_{p : indices[p] == v} rows[p, ...]
//   indices: i32|i64 [N], rows: f32 [N, D...] -> f32 [V, D...]
//
// It is an ordinary node, so autodiff, passes and serialization see nothing
// special. Its kernel (the scatter-add into zeros: duplicates summed in
// position order, deterministic for any thread count; an index outside
// [0, V) is a ValueError at run time) only runs if some op consumes the
// output. The optimizer asks `as_sparse_rows(grad)` and, for a sparse
// gradient, updates the touched rows straight from `indices` and `rows`
// (ops/sparse_update.h): then the V x D tensor is never materialized.
//
// Gradient: d rows = gather(dout, indices); indices get none.

#include <optional>
#include <vector>

#include "ops/expr.h"

namespace flowgrad::ops {

struct SparseRowsAttrs {
  int64_t num_rows = 0;  // V
  template <class V> void visit(V& v) { v("num_rows", num_rows); }
};

Expr sparse_rows(Expr indices, Expr rows, int64_t num_rows, const Loc& loc = Loc::current());

// The parts of a value produced by sparse_rows.
struct SparseRows {
  Expr indices;  // [N]
  Expr rows;     // [N, D...]
  int64_t num_rows = 0;
};

// The (indices, rows) of `e` if a sparse_rows node produced it; the one place
// that recognizes sparse gradients, so no other layer switches on the op name.
std::optional<SparseRows> as_sparse_rows(Expr e);

// The sum of sparse values of one type (e.g. two lookups of a tied
// embedding) as one sparse_rows over the concatenated indices and rows, in
// order; i32 indices are cast to i64 when the parts differ.
Expr add_sparse_rows(const std::vector<SparseRows>& parts, const Loc& loc = Loc::current());

}  // namespace flowgrad::ops
