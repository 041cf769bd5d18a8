#pragma once
// Row lookups.
//
// gather (embedding): rows of a table.
//   gather(table, indices)[n..., :] = table[indices[n...], :]
//   table: [V, D...] (any dtype), indices: i32|i64 [N...] -> [N..., D...]
//   d table = sparse_rows(reshape(indices, [N]), reshape(dout, [N, D...]); V)
//   (ops/sparse_rows.h: a sparse gradient, never a dense V x D tensor unless
//   some op consumes it); indices get no gradient.
//
// gather_positions: per-sequence positions (the masked-LM head).
//   gather_positions(x, positions)[b, p, ...] = x[b, positions[b, p], ...]
//   x: [B, T, H...] (any dtype), positions: i32|i64 [B, P] -> [B, P, H...]
//   d x = reshape(sparse_rows(b·T + positions[b, p], dout as [B·P, H...]; B·T), [B, T, H...])
//
// An index outside [0, V) (or a position outside [0, T)) is a ValueError at
// run time naming the node, the index, its flat position and the bound.
// Kernel: a parallel loop (ops/parallel.h) copying rows (memcpy), blocks of about 16K elements.

#include "ops/expr.h"

namespace flowgrad::ops {

Expr gather(Expr table, Expr indices, const Loc& loc = Loc::current());
// Alias of gather (one op, "gather", in the registry).
Expr embedding(Expr table, Expr ids, const Loc& loc = Loc::current());
Expr gather_positions(Expr x, Expr positions, const Loc& loc = Loc::current());

}  // namespace flowgrad::ops
