#pragma once
// allreduce: the mean of each input over the workers of a data-parallel job
// (runtime::world(), MPI under mpirun). One node reduces a bucket of
// gradients with one collective.
//
//   allreduce(x_1 .. x_n; after k)[i] = (Σ_workers x_{k+i}) / workers
//   x: f32 [...] each -> the same types, n - k outputs
//
// The first `after` inputs only order the node (their values are not read):
// every worker must issue its collectives in the same order, so each
// collective node takes the previous one's output as such an input, and the
// executor — which otherwise runs ready nodes in any order — keeps the chain.
// On one process the op is the identity (its reference kernel). Gradient:
// the mean is linear and self-adjoint, dx_i = allreduce(dout_i).
//
// allgather_rows: a sparse row gradient (ops/sparse_rows.h) exchanged as
// rows, never densified: every worker's indices and rows, in rank order, the
// rows divided by the number of workers (so that sparse_rows of the result is
// the mean of the workers' sparse gradients).
//
//   allgather_rows([order,] indices, rows; workers W, after k)
//   indices: i32|i64 [N], rows: f32 [N, D...] -> [W * N], [W * N, D...]
//
// Every worker must have the same N (static shapes). Not differentiable.

#include <vector>

#include "ops/expr.h"

namespace flowgrad::ops {

struct AllreduceAttrs {
  int64_t after = 0;  // leading inputs that only order the node
  template <class V> void visit(V& v) { v("after", after); }
};

struct AllgatherRowsAttrs {
  int64_t workers = 1;
  int64_t after = 0;
  template <class V> void visit(V& v) {
    v("workers", workers);
    v("after", after);
  }
};

// `after`: an optional value to run after (the previous collective's output).
std::vector<Expr> allreduce(const std::vector<Expr>& xs, std::optional<Expr> after = std::nullopt,
                            const Loc& loc = Loc::current());
// Returns {indices [W*N], rows [W*N, D...]}.
std::vector<Expr> allgather_rows(Expr indices, Expr rows, int64_t workers, std::optional<Expr> after = std::nullopt,
                                 const Loc& loc = Loc::current());

}  // namespace flowgrad::ops
