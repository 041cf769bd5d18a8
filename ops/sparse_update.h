#pragma once
// Optimizer updates from a sparse row gradient (ops/sparse_rows.h), in place:
// only the rows named by `indices` are read and written, so a V x D gradient
// is never formed.
//
//   g_r = Σ_{p : indices[p] == r} rows[p, ...]   for each distinct index r
//   (duplicates are summed first, in position order: deterministic for any
//   thread count; sparse_sgd_update without weight decay instead subtracts
//   lr · rows[p] one position at a time, in position order: the same update
//   up to rounding, also deterministic)
//
//   sparse_sgd_update:   param[r] -= lr · (g_r + weight_decay · param[r])
//   sparse_adam_update:  lazy Adam (torch.optim.SparseAdam), for touched rows r only:
//     Adam:   g = g_r + weight_decay · param[r]
//     AdamW:  param[r] ·= 1 - lr · weight_decay   (decoupled), g = g_r
//     m[r] = β1 m[r] + (1 - β1) g
//     v[r] = β2 v[r] + (1 - β2) g²
//     param[r] -= lr · (m[r] / (1 - β1^t)) / (sqrt(v[r] / (1 - β2^t)) + eps)
//
// Lazy semantics: rows absent from `indices` keep their param, m and v. Dense
// Adam would still decay their moments and move them by the old momentum;
// weight decay is likewise applied to touched rows only (dense SGD/Adam decay
// every row). The bias corrections use the global step t, like SparseAdam's
// per-parameter step, which advances every step. On the rows a step touches
// for the first time, the update equals the dense one (adam_update); eps is
// added to sqrt(v̂) as in adam_update (SparseAdam adds it before the bias
// correction of v, a negligible difference).
// Momentum SGD has no sparse form: sparse_sgd_update rejects momentum > 0.
//
//   param, m, v: f32 [V, D...]; indices: i32|i64 [N]; rows: f32 [N, D...]; lr, t: f32[]
//   outputs param' (SGD) or {param', m', v'} (Adam), aliasing param, m, v.
// An index outside [0, V) is a ValueError at run time, raised before any row
// is written.

#include "ops/adam_update.h"
#include "ops/sgd_update.h"

namespace flowgrad::ops {

Expr sparse_sgd_update(Expr param, Expr indices, Expr rows, Expr lr, SgdAttrs attrs = {},
                       const Loc& loc = Loc::current());
// Returns {param', m', v'}.
std::vector<Expr> sparse_adam_update(Expr param, Expr indices, Expr rows, Expr m, Expr v, Expr lr, Expr step,
                                     AdamAttrs attrs, const Loc& loc = Loc::current());

}  // namespace flowgrad::ops
