#pragma once
// cse: common-subexpression elimination.
//
// Two nodes with the same op, equal attrs (graph::attrs_equal) and the same
// input values compute the same outputs: the later one is removed and its
// uses point at the earlier one. Nodes are visited in topological order, so
// inputs are already merged when a node is looked at and chains collapse in
// one sweep.
//
// Never merged: sources (`OpDef::source`: two variables are two parameters,
// two inputs two feeds), in-place ops (two updates are two updates), random
// ops (`OpDef::random`: two dropout masks differ), and nodes whose output an
// in-place op updates (the update must keep its own storage).

#include "passes/pass.h"

namespace flowgrad::passes {

struct Cse {
  static constexpr std::string_view name = "cse";
  bool run(graph::Graph& g);
};

}  // namespace flowgrad::passes
