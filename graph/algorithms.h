#pragma once
// Graph algorithms over the Boost.Graph view (graph/boost_view.h).

#include <vector>

#include "graph/graph.h"

namespace flowgrad::graph {

// Live nodes, every producer before its consumers; ties keep insertion order.
// Throws ShapeError-free flowgrad::Error naming a node on the cycle if the
// graph has one.
std::vector<NodeId> topological_order(const Graph& g);

bool has_cycle(const Graph& g);

// Nodes from which `to` can be reached (following inputs), `to` included.
std::vector<bool> ancestors(const Graph& g, NodeId to);

// Structural checks: every input defined by a live node, values and
// producers consistent, outputs live, names unique, no cycles. Throws
// flowgrad::Error naming the first offending node. (Type consistency with
// each op's inference is ops::verify.)
void verify_structure(const Graph& g);

}  // namespace flowgrad::graph
