#pragma once
// algebraic: exact algebraic simplifications, as rewrite rules.
//
//   x * 1, 1 * x, x / 1            -> x
//   x - (+0), x + (-0), (-0) + x   -> x       (IEEE: x + (+0) is not x for x = -0)
//   reshape(reshape(x))            -> reshape(x)
//   reshape(x) to x's own shape    -> x
//   transpose(transpose(x, p), q)  -> transpose(x, p∘q), or x if p∘q is the identity
//   transpose(x, identity)         -> x
//
// Only identities that hold bit for bit in floating point (NaN, infinities
// and signed zeros included). The constant side must be a `constant` or a
// `fill` holding one value, and the result must have x's type (a constant
// that broadcasts x to a bigger shape is not an identity). For integer
// dtypes, +0 and -0 are the same zero. Values updated in place are never
// replaced.

#include "passes/pass.h"

namespace flowgrad::passes {

struct Algebraic {
  static constexpr std::string_view name = "algebraic";
  bool run(graph::Graph& g);
};

}  // namespace flowgrad::passes
