#include "runtime/reference.h"

#include "graph/algorithms.h"
#include "ops/op_def.h"

namespace flowgrad::runtime {

std::vector<graph::Tensor> run_reference(const graph::Graph& src, const Feeds& feeds,
                                         const std::vector<graph::ValueId>& fetches, Workspace& workspace) {
  std::vector<FeedSpec> specs;
  std::vector<graph::Tensor> values(src.value_bound());
  for (const auto& [name, t] : feeds) {
    const graph::Node* n = src.find(name);
    if (!n) throw ValueError("unknown feed '" + name + "'");
    specs.push_back({n->outputs[0], t.type()});
    values[n->outputs[0]] = t;
  }
  graph::Graph g = specialize(src, specs);
  std::vector<bool> needed(g.id_bound(), false);
  for (graph::ValueId v : fetches) {
    auto anc = graph::ancestors(g, g.value(v).producer);
    for (size_t i = 0; i < anc.size(); ++i) needed[i] = needed[i] || anc[i];
  }
  for (graph::NodeId id : graph::topological_order(g)) {
    if (!needed[id]) continue;
    const graph::Node& n = g.node(id);
    const ops::OpDef& def = ops::get_op(n.op);
    if (def.source == ops::Source::input) continue;
    if (def.source == ops::Source::variable) {
      values[n.outputs[0]] = workspace.bind(n, g.value(n.outputs[0]).type);
      continue;
    }
    std::vector<graph::Tensor> in, out;
    for (graph::ValueId v : n.inputs) {
      if (!values[v].defined()) throw ValueError("input of '" + n.name + "' was not fed");
      in.push_back(values[v]);
    }
    for (graph::ValueId v : n.outputs) out.emplace_back(g.value(v).type);
    def.reference(n, in, out);
    for (size_t i = 0; i < out.size(); ++i) values[n.outputs[i]] = out[i];
  }
  std::vector<graph::Tensor> result;
  for (graph::ValueId v : fetches) result.push_back(values[v]);
  return result;
}

}  // namespace flowgrad::runtime
