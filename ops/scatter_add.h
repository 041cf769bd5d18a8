#pragma once
// scatter_add: rows added into a copy of a base tensor (dense).
//
//   scatter_add(base, indices, rows)[v, ...] = base[v, ...] + Σ_{p : indices[p] == v} rows[p, ...]
//   base: f32 [V, D...], indices: i32|i64 [N], rows: f32 [N, D...] -> f32 [V, D...]
//
// Duplicates are summed in position order (deterministic for any thread
// count); an index outside [0, V) is a ValueError at run time.
// Gradients: d base = dout, d rows = gather(dout, indices).
// (sparse_rows is the same sum into zeros, held sparsely: ops/sparse_rows.h.)

#include "ops/expr.h"

namespace flowgrad::ops {

Expr scatter_add(Expr base, Expr indices, Expr rows, const Loc& loc = Loc::current());

}  // namespace flowgrad::ops
