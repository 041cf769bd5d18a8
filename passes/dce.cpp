#include "passes/dce.h"

#include "graph/algorithms.h"
#include "ops/op_def.h"

namespace flowgrad::passes {

bool Dce::run(graph::Graph& g) {
  if (g.outputs().empty()) return false;
  std::vector<bool> live(g.id_bound(), false);
  std::vector<graph::NodeId> stack;
  for (graph::ValueId v : g.outputs()) stack.push_back(g.value(v).producer);
  while (!stack.empty()) {
    graph::NodeId n = stack.back();
    stack.pop_back();
    if (live[n]) continue;
    live[n] = true;
    for (graph::ValueId v : g.node(n).inputs) stack.push_back(g.value(v).producer);
  }
  // Consumers first: a dead node's consumers are dead too, and go before it.
  std::vector<graph::NodeId> order = graph::topological_order(g);
  bool changed = false;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    if (live[*it] || ops::get_op(g.node(*it).op).source == ops::Source::input) continue;
    g.remove_node(*it);
    changed = true;
  }
  return changed;
}

}  // namespace flowgrad::passes
