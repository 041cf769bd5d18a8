#pragma once
// constant_fold: evaluates, at compile time, nodes whose inputs are all known.
//
// A node is folded when every input is a `constant` (or a `fill`, which is
// materialized for the purpose), and it is not a source, not random
// (OpDef::random) and not in-place. Its reference kernel (OpDef::reference,
// the test oracle) computes the outputs, which become `constant` nodes named
// "<node>/folded". Topological order folds chains in one sweep: shapes and
// transposes of constants, casts of literal tables, products of scalars.
//
// Limits: outputs (and materialized fills) of more than kMaxElements elements
// stay computed at run time — a graph should not grow by megabytes for a
// `broadcast_to` — and a reference kernel that rejects its inputs leaves the
// node for the runtime to report.

#include <cstdint>

#include "passes/pass.h"

namespace flowgrad::passes {

struct ConstantFold {
  static constexpr std::string_view name = "constant_fold";
  static constexpr int64_t kMaxElements = int64_t{1} << 16;
  bool run(graph::Graph& g);
};

}  // namespace flowgrad::passes
