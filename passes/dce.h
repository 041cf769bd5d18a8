#pragma once
// dce: dead-code elimination.
//
// Keeps the ancestors of the graph outputs (g.outputs()) and removes every
// other node. A node with an in-place effect (an optimizer update) stays
// exactly when it reaches an output — a training step reaches the fetched
// `group` — so updates the caller asked for are never dropped. `input` nodes
// always stay: they are the graph's interface (feeds find them by name).
// A graph that marks no outputs is left alone: without outputs nothing says
// what is needed.

#include "passes/pass.h"

namespace flowgrad::passes {

struct Dce {
  static constexpr std::string_view name = "dce";
  bool run(graph::Graph& g);
};

}  // namespace flowgrad::passes
