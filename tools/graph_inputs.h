#pragma once
// What `flowgrad replay` and `flowgrad inspect --profile` feed a graph file
// with: variables and inputs from safetensors files, by node name.

#include <string>

#include "runtime/session.h"

namespace flowgrad::tools {

// Loads the tensors of `path` into `ws` as the graph's variables; a tensor
// that is no variable of `g`, or has another type, is a ValueError naming it.
void load_weights(const graph::Graph& g, const std::string& path, runtime::Workspace& ws);

// The tensors of `path` as feeds (names = input node names); "" gives none.
runtime::Feeds read_feeds(const std::string& path);

// What running a graph file fetches: its marked outputs, or else every value
// that no node reads.
std::vector<graph::ValueId> fetch_targets(const graph::Graph& g);

}  // namespace flowgrad::tools
