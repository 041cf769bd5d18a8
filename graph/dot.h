#pragma once
// Graphviz rendering of a graph: one box per node (op, name leaf, output
// types), nested clusters for the scope path ("bert/encoder/layer_0/..."),
// edges labelled by nothing (the types are on the producers).
//
//   flowgrad dot graph.pb > g.dot && dot -Tsvg g.dot > g.svg

#include <string>

#include "graph/graph.h"

namespace flowgrad::graph {

struct DotOptions {
  int max_depth = 8;  // scope levels drawn as clusters
};

std::string to_dot(const Graph& g, const DotOptions& options = {});

}  // namespace flowgrad::graph
