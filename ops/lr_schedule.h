#pragma once
// lr_schedule: the learning rate at step t (1-based), computed in the graph.
//
//   warm-up (t <= warmup_steps):  lr · t / warmup_steps
//   then, with p = (t - warmup_steps) / (total_steps - warmup_steps) clamped to [0, 1]:
//     constant: lr
//     linear:   lr · (1 - p)                  (BERT's schedule)
//     cosine:   lr · ½ (1 + cos(π p))
//
//   t: f32[] -> f32[]

#include "ops/expr.h"

namespace flowgrad::ops {

struct LrScheduleAttrs {
  std::string kind = "constant";  // constant | linear | cosine
  double lr = 1e-3;
  int64_t warmup_steps = 0;
  int64_t total_steps = 0;  // linear and cosine: when the rate reaches 0
  template <class V> void visit(V& v) {
    v("kind", kind);
    v("lr", lr);
    v("warmup_steps", warmup_steps);
    v("total_steps", total_steps);
  }
};

Expr lr_schedule(Expr step, LrScheduleAttrs attrs, const Loc& loc = Loc::current());
// The formula above, for kernels and tests.
double scheduled_lr(const LrScheduleAttrs& a, double t);

}  // namespace flowgrad::ops
