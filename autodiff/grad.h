#pragma once
// Reverse-mode automatic differentiation as a graph-to-graph transform.
//
//   auto [dw, db] = autodiff::grad(loss, {w, b});   // appends gradient nodes
//
// Walks the graph from `loss` in reverse topological order, calls each op's
// gradient rule (which lives with the op, in ops/), sums the gradients of
// values used more than once (in a fixed order), skips nodes that do not lie
// between `wrt` and `loss`, stops at stop_gradient and other
// not_differentiable ops, and returns one gradient per requested value
// (zeros where no path reaches it). Gradient nodes are ordinary nodes, named
// "<node path>/grad/<op>", so they run, optimize and serialize like any other;
// differentiating them again gives higher derivatives.

#include <optional>
#include <vector>

#include "ops/expr.h"

namespace flowgrad::autodiff {

// Options of grad().
struct GradOptions {
  // d(loss) to start from; default ones (loss must then have one element).
  std::optional<ops::Expr> seed;
};

// Appends the gradient nodes of d(loss)/d(wrt[i]) to loss's graph and returns
// one gradient per wrt value, each with that value's type.
std::vector<ops::Expr> grad(ops::Expr loss, const std::vector<ops::Expr>& wrt, GradOptions options = {},
                            const ops::Loc& loc = ops::Loc::current());

}  // namespace flowgrad::autodiff
