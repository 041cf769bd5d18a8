#include "tools/graph_inputs.h"

#include "ops/op_def.h"
#include "runtime/safetensors.h"

namespace flowgrad::tools {

void load_weights(const graph::Graph& g, const std::string& path, runtime::Workspace& ws) {
  runtime::Safetensors w = runtime::read_safetensors(path);
  for (const auto& [name, t] : w.tensors) {
    const graph::Node* n = g.find(name);
    if (!n || ops::get_op(n->op).source != ops::Source::variable) {
      throw ValueError("'" + path + "': tensor '" + name + "' is not a variable of the graph");
    }
    const graph::TensorType& want = g.value(n->outputs[0]).type;
    if (t.type() != want) {
      throw ValueError("'" + path + "': tensor '" + name + "' is " + t.type().str() + ", the graph expects " + want.str());
    }
    ws.set(name, t);
  }
}

runtime::Feeds read_feeds(const std::string& path) {
  runtime::Feeds feeds;
  if (path.empty()) return feeds;
  for (auto& [name, t] : runtime::read_safetensors(path).tensors) feeds.emplace_back(name, t);
  return feeds;
}

std::vector<graph::ValueId> fetch_targets(const graph::Graph& g) {
  if (!g.outputs().empty()) return g.outputs();
  std::vector<graph::ValueId> sinks;  // values nobody reads
  for (graph::NodeId id : g.node_ids()) {
    for (graph::ValueId v : g.node(id).outputs) {
      if (g.uses(v).empty()) sinks.push_back(v);
    }
  }
  return sinks;
}

}  // namespace flowgrad::tools
