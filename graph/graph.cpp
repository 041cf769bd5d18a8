#include "graph/graph.h"

#include <algorithm>

namespace flowgrad::graph {

NodeId Graph::add_node(std::string op, std::string name, std::shared_ptr<const AttrsBase> attrs,
                       std::vector<ValueId> inputs, const std::vector<TensorType>& output_types,
                       SourceLoc loc) {
  for (ValueId v : inputs) FLOWGRAD_CHECK(has_value(v), "input value does not exist");
  FLOWGRAD_CHECK(!by_name_.contains(name), "duplicate node name '" + name + "'");
  auto n = std::make_shared<Node>();
  n->id = static_cast<NodeId>(nodes_.size());
  n->op = std::move(op);
  n->name = std::move(name);
  n->attrs = attrs ? std::move(attrs) : std::make_shared<Attrs<NoAttrs>>();
  n->inputs = std::move(inputs);
  n->loc = std::move(loc);
  for (size_t i = 0; i < output_types.size(); ++i) {
    ValueId vid = static_cast<ValueId>(values_.size());
    values_.push_back({vid, output_types[i], n->id, static_cast<uint32_t>(i)});
    n->outputs.push_back(vid);
  }
  by_name_.emplace(n->name, n->id);
  nodes_.push_back(std::move(n));
  ++live_;
  return nodes_.back()->id;
}

const Node& Graph::node(NodeId id) const {
  FLOWGRAD_CHECK(has_node(id), "no node with id " + std::to_string(id));
  return *nodes_[id];
}

Node& Graph::mutable_node(NodeId id) {
  FLOWGRAD_CHECK(has_node(id), "no node with id " + std::to_string(id));
  // Copy-on-write: graphs copied from this one share the node.
  if (nodes_[id].use_count() > 1) nodes_[id] = std::make_shared<Node>(*nodes_[id]);
  return *nodes_[id];
}

const Value& Graph::value(ValueId id) const {
  FLOWGRAD_CHECK(has_value(id), "no value with id " + std::to_string(id));
  return values_[id];
}

std::vector<NodeId> Graph::node_ids() const {
  std::vector<NodeId> ids;
  ids.reserve(live_);
  for (const auto& n : nodes_) {
    if (n) ids.push_back(n->id);
  }
  return ids;
}

std::vector<Use> Graph::uses(ValueId v) const {
  std::vector<Use> out;
  for (const auto& n : nodes_) {
    if (!n) continue;
    for (size_t s = 0; s < n->inputs.size(); ++s) {
      if (n->inputs[s] == v) out.push_back({n->id, static_cast<uint32_t>(s)});
    }
  }
  return out;
}

void Graph::replace_all_uses(ValueId from, ValueId to) {
  FLOWGRAD_CHECK(value(from).type == value(to).type, "replacement changes the type");
  for (const Use& u : uses(from)) mutable_node(u.node).inputs[u.slot] = to;
  std::replace(outputs_.begin(), outputs_.end(), from, to);
}

void Graph::set_input(NodeId n, size_t slot, ValueId v) {
  FLOWGRAD_CHECK(has_value(v), "input value does not exist");
  mutable_node(n).inputs.at(slot) = v;
}

void Graph::remove_node(NodeId id) {
  const Node& n = node(id);
  for (ValueId v : n.outputs) {
    FLOWGRAD_CHECK(uses(v).empty(), "removing node '" + n.name + "' whose output is still used");
    FLOWGRAD_CHECK(std::find(outputs_.begin(), outputs_.end(), v) == outputs_.end(),
                   "removing node '" + n.name + "' whose output is a graph output");
    values_[v].id = kNone;
  }
  by_name_.erase(n.name);
  nodes_[id].reset();
  --live_;
}

const Node* Graph::find(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? nullptr : nodes_[it->second].get();
}

std::string Graph::unique_name(const std::string& base) {
  if (!by_name_.contains(base)) return base;
  int& k = name_counters_[base];
  std::string candidate;
  do {
    candidate = base + "_" + std::to_string(++k);
  } while (by_name_.contains(candidate));
  return candidate;
}

}  // namespace flowgrad::graph
