#pragma once
// Structural equality of two graphs for the graph-file tests: the same nodes
// by name, with the same op, attrs, DSL location, inputs (by producer name)
// and output types.

#include "graph/graph.h"

namespace flowgrad::testing {

void check_same_graph(const graph::Graph& a, const graph::Graph& b);

}  // namespace flowgrad::testing
