#include "models/load_weights.h"

#include <set>

#include "models/bert.h"
#include "ops/op_def.h"
#include "runtime/safetensors.h"

namespace flowgrad::models {

namespace {

bool is_variable(const graph::Node& n) { return ops::get_op(n.op).source == ops::Source::variable; }

}  // namespace

LoadedWeights load_weights(const std::string& path, const graph::Graph& g, runtime::Workspace& ws, const WeightMapping& mapping) {
  runtime::Safetensors st = runtime::read_safetensors(path);
  LoadedWeights out;
  std::set<std::string> seen;
  for (const auto& [file_name, tensor] : st.tensors) {
    const graph::Node* node = g.find(mapping.to_variable(file_name));
    if (node == nullptr || !is_variable(*node)) {
      out.unused.push_back(file_name);
      continue;
    }
    const graph::TensorType& want = g.value(node->output()).type;
    if (tensor.type() != want) {
      throw FormatError(path + ": tensor '" + file_name + "' is " + tensor.type().str() +
                        ", the model built from its config expects " + want.str());
    }
    ws.set(node->name, tensor);
    seen.insert(node->name);
    ++out.loaded;
  }
  for (graph::NodeId id : g.node_ids()) {
    const graph::Node& n = g.node(id);
    if (is_variable(n) && n.name.starts_with(mapping.required_prefix) && !seen.contains(n.name)) {
      throw FormatError(path + ": missing tensor '" + mapping.to_file(n.name) + "' (" + g.value(n.output()).type.str() +
                        " expected)");
    }
  }
  return out;
}

std::string modern_hf_name(const std::string& name) {
  if (name.find("LayerNorm") == std::string::npos) return name;
  for (auto [old_suffix, new_suffix] : {std::pair{".gamma", ".weight"}, std::pair{".beta", ".bias"}}) {
    std::string_view o(old_suffix);
    if (name.ends_with(o)) return name.substr(0, name.size() - o.size()) + new_suffix;
  }
  return name;
}

LoadedWeights load_hf_bert_weights(const std::string& path, const graph::Graph& g, runtime::Workspace& ws) {
  return load_weights(path, g, ws,
                      {.to_variable = [](const std::string& n) { return variable_path(modern_hf_name(n)); },
                       .to_file = hf_name,
                       .required_prefix = "bert/"});
}

}  // namespace flowgrad::models
