#include "runtime/workspace.h"

#include <cstring>

#include "ops/op_def.h"
#include "runtime/threads.h"

namespace flowgrad::runtime {

const graph::Tensor& Workspace::get(const std::string& name) const {
  auto it = vars_.find(name);
  if (it == vars_.end()) throw ValueError("workspace has no variable '" + name + "'");
  return it->second;
}

graph::Tensor& Workspace::get(const std::string& name) {
  return const_cast<graph::Tensor&>(static_cast<const Workspace*>(this)->get(name));
}

void Workspace::set(const std::string& name, const graph::Tensor& value) {
  auto it = vars_.find(name);
  if (it == vars_.end()) {
    vars_.emplace(name, value.clone());
    return;
  }
  if (it->second.type() != value.type()) {
    throw ValueError("variable '" + name + "': expected " + it->second.type().str() + ", got " + value.type().str());
  }
  if (value.nbytes()) std::memcpy(it->second.raw(), value.raw(), value.nbytes());  // storage stays bound
}

std::vector<std::string> Workspace::names() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : vars_) out.push_back(k);
  return out;
}

size_t Workspace::erase_containing(const std::string& part) {
  return std::erase_if(vars_, [&](const auto& kv) { return kv.first.find(part) != std::string::npos; });
}

graph::Tensor& Workspace::bind(const graph::Node& node, const graph::TensorType& type) {
  auto it = vars_.find(node.name);
  if (it != vars_.end()) {
    if (it->second.type() != type) {
      throw ValueError("variable '" + node.name + "': the workspace holds " + it->second.type().str() +
                       ", the graph expects " + type.str());
    }
    return it->second;
  }
  graph::Tensor t(type);
  const ops::OpDef& def = ops::get_op(node.op);
  FLOWGRAD_CHECK(def.initialize != nullptr, "variable op without an init rule");
  def.initialize(node, t, num_threads());
  return vars_.emplace(node.name, std::move(t)).first->second;
}

void Workspace::bind_variables(const graph::Graph& g) {
  for (graph::NodeId id : g.node_ids()) {
    const graph::Node& n = g.node(id);
    if (ops::get_op(n.op).source == ops::Source::variable) bind(n, g.value(n.outputs[0]).type);
  }
}

void Workspace::share(const std::string& name, const graph::Tensor& storage) {
  if (!vars_.emplace(name, storage).second) throw ValueError("workspace already has a variable '" + name + "'");
}

}  // namespace flowgrad::runtime
