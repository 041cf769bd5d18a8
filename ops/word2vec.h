#pragma once
// Ops for Word2vec with negative sampling.
//
// batched_dot: one center vector against K context/negative vectors per row.
//
//   y[b, k] = Σ_d a[b, d] · v[b, k, d]
//   a: f32[B, D], v: f32[B, K, D] -> y: f32[B, K]
//
// Its gradient is one explicit op (one pass over v, no reshapes or tiny
// matmuls), batched_dot_backward:
//
//   da[b, d] = Σ_k dy[b, k] · v[b, k, d]        dv[b, k, d] = dy[b, k] · a[b, d]
//   dy: f32[B, K], a: f32[B, D], v: f32[B, K, D] -> da: f32[B, D], dv: f32[B, K, D]
//
// which is bilinear and differentiable again through itself and batched_dot.
//
// gathered_dot: batched_dot against rows of a table, without the gathered
// copy (skip-gram's logits: a center vector against its 1 + K output rows).
//
//   y[b, k] = Σ_d a[b, d] · table[idx[b, k], d]
//   a: f32[B, D], table: f32[V, D], idx: i32|i64 [B, K] -> y: f32[B, K]
//
// = batched_dot(a, gather(table, idx)). An index outside [0, V) is a
// ValueError at run time. Its gradient is gathered_dot_backward, one pass
// over the table rows:
//
//   da[b, d] = Σ_k dy[b, k] · table[idx[b, k], d]      dv[b, k, d] = dy[b, k] · a[b, d]
//   dy: f32[B, K], a: f32[B, D], table: f32[V, D], idx [B, K] -> da: f32[B, D], dv: f32[B, K, D]
//
// and d table = sparse_rows(idx, dv) (ops/sparse_rows.h), so a sparse
// optimizer updates only the touched rows. Bilinear, differentiable again.
//
// negative_sample: draws B·K word ids from a unigram^0.75 sampling table
// (word2vec.c's table: word w fills a share of the slots proportional to
// count(w)^0.75). The text pipeline builds the table; this op only samples it.
//
//   y[i] = table[floor(u_i · T)]     u_i = uniform01(random_key(seed, stream), step · B·K + i)
//   table: i64[T] -> y: i64[batch, count]
//
// Counter-based (ops/random.h): the draws depend on (seed, stream, step) only,
// never on the thread count; `step` is the session's run counter, `stream` the
// hash of the node path (set by the builder). A draw may equal the positive
// word; filtering it is the training loop's choice. Not differentiable. The
// reference kernel uses step 0 (a fresh session's first run).

#include "ops/expr.h"

namespace flowgrad::ops {

struct NegativeSampleAttrs {
  int64_t count = 5;   // K negatives per row
  int64_t batch = 1;   // B rows
  int64_t seed = 0;
  int64_t stream = 0;  // set by the builder: hash of the node path
  template <class V> void visit(V& v) {
    v("count", count);
    v("batch", batch);
    v("seed", seed);
    v("stream", stream);
  }
};

Expr batched_dot(Expr a, Expr v, const Loc& loc = Loc::current());

struct BatchedDotGrads {
  Expr da, dv;
};
BatchedDotGrads batched_dot_backward(Expr dy, Expr a, Expr v, const Loc& loc = Loc::current());

Expr gathered_dot(Expr a, Expr table, Expr idx, const Loc& loc = Loc::current());
BatchedDotGrads gathered_dot_backward(Expr dy, Expr a, Expr table, Expr idx, const Loc& loc = Loc::current());

// Sets attrs.stream from the node path (scope + "negative_sample", made unique).
Expr negative_sample(Expr table, NegativeSampleAttrs attrs, const Loc& loc = Loc::current());

}  // namespace flowgrad::ops
