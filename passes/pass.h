#pragma once
// A pass: a plain struct with a name and `run(Graph&) -> changed` (XLA's
// HloPassInterface without the module):
//
//   struct Dce {
//     static constexpr std::string_view name = "dce";
//     bool run(graph::Graph& g);   // true if it changed the graph
//   };
//
// A pass rewrites the graph in place and leaves it valid (ops::verify holds
// after it; the pipeline checks that after every pass when asked to). It must
// keep the number and order of g.outputs() — callers find their values there
// after the pass — and it must never redirect a value that an in-place op
// updates (OpDef::inplace): that would move the update to other storage.
// The pipeline (passes/pipeline.h) lists the passes in order.

#include <concepts>
#include <string_view>

#include "graph/graph.h"

namespace flowgrad::passes {

template <class P>
concept Pass = requires(P p, graph::Graph& g) {
  { P::name } -> std::convertible_to<std::string_view>;
  { p.run(g) } -> std::same_as<bool>;
};

}  // namespace flowgrad::passes
