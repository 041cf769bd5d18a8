#pragma once
// A slow interpreter that runs a graph with every op's plain reference
// kernel: the oracle that tests and the pass checker compare against. It
// also runs f64 graphs, which the compiled runtime rejects (gradient checks).

#include "runtime/session.h"

namespace flowgrad::runtime {

std::vector<graph::Tensor> run_reference(const graph::Graph& g, const Feeds& feeds,
                                         const std::vector<graph::ValueId>& fetches, Workspace& workspace);

}  // namespace flowgrad::runtime
