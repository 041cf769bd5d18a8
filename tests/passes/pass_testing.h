#pragma once
// Helpers for pass tests: run a graph's outputs through a Session, count
// nodes by op, and check a pass the way STYLE.md asks — it changed the graph,
// the graph still verifies, and the outputs match the unoptimized ones.

#include <string_view>

#include "graph/graph.h"
#include "ops/op_def.h"
#include "passes/pass.h"
#include "runtime/session.h"
#include "testing.h"

namespace flowgrad::testing {

inline int count_op(const graph::Graph& g, std::string_view op) {
  int n = 0;
  for (graph::NodeId id : g.node_ids()) n += g.node(id).op == op;
  return n;
}

// The graph's outputs, computed by the runtime (cloned: they outlive the session).
inline std::vector<Tensor> run_outputs(const graph::Graph& g, const runtime::Feeds& feeds, runtime::Workspace& ws) {
  runtime::Session sess(g, ws);
  std::vector<Tensor> out;
  for (const Tensor& t : sess.run(feeds, g.outputs())) out.push_back(t.clone());
  return out;
}

// Runs pass P on a copy of `g`: checks that it changed the graph, that the
// graph verifies, and that every output matches the original at rel 1e-5.
template <passes::Pass P>
graph::Graph check_pass(const graph::Graph& g, const runtime::Feeds& feeds = {}) {
  // Two workspaces: variables initialize from (seed, name), so both start
  // equal, and a training step's updates in one do not leak into the other.
  runtime::Workspace ws, ws_opt;
  std::vector<Tensor> before = run_outputs(g, feeds, ws);
  graph::Graph opt = g;
  CHECK(P{}.run(opt));
  ops::verify(opt);
  std::vector<Tensor> after = run_outputs(opt, feeds, ws_opt);
  REQUIRE(after.size() == before.size());
  for (size_t i = 0; i < after.size(); ++i) CHECK_CLOSE(after[i], before[i], 1e-5);
  return opt;
}

}  // namespace flowgrad::testing
