#pragma once
// Small ops that order and count training steps.
//
//   increment(counter)  counter += 1 in place (a step count variable); returns
//                       the new value. [] -> []
//   group(xs...)        waits for all of xs; returns a scalar 0. Fetching it
//                       runs them (a training step's update ops).

#include "ops/expr.h"

namespace flowgrad::ops {

Expr increment(Expr counter, const Loc& loc = Loc::current());
Expr group(const std::vector<Expr>& xs, const Loc& loc = Loc::current(), std::string_view name = "group");

}  // namespace flowgrad::ops
