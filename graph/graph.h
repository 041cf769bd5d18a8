#pragma once
// The graph IR: a Graph owns Nodes (in insertion order) and the Values they
// produce. A Node has an op name, typed attrs, input Values and output Values;
// a Value has a static TensorType. Ids are stable for the life of the graph
// (a removed node leaves a hole), and names are hierarchical scope paths
// ("bert/encoder/layer_3/attention/self/query"), unique within a graph.
//
// A Graph does not execute, optimize or serialize itself: runtime/, passes/
// and graph/serialize do that.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "graph/attrs.h"
#include "graph/error.h"
#include "graph/tensor_type.h"

namespace flowgrad::graph {

using NodeId = uint32_t;
using ValueId = uint32_t;
inline constexpr uint32_t kNone = UINT32_MAX;

struct Value {
  ValueId id = kNone;
  TensorType type;
  NodeId producer = kNone;
  uint32_t index = 0;  // which output of the producer
};

struct Node {
  NodeId id = kNone;
  std::string op;
  std::string name;
  std::shared_ptr<const AttrsBase> attrs;
  std::vector<ValueId> inputs;
  std::vector<ValueId> outputs;
  SourceLoc loc;

  template <class T> const T& attrs_as() const {
    const auto* a = dynamic_cast<const Attrs<T>*>(attrs.get());
    FLOWGRAD_CHECK(a != nullptr, "node '" + name + "' (" + op + ") has attrs of another type");
    return a->value;
  }
  ValueId output(size_t i = 0) const { return outputs.at(i); }
};

// One use of a value: input `slot` of node `node`.
struct Use {
  NodeId node;
  uint32_t slot;
};

class Graph {
 public:
  Graph() = default;
  Graph(const Graph&) = default;  // attrs are immutable and shared
  Graph& operator=(const Graph&) = default;

  // Appends a node and its output values. No checking: ops::emit infers the
  // output types and reports user errors before calling this.
  NodeId add_node(std::string op, std::string name, std::shared_ptr<const AttrsBase> attrs,
                  std::vector<ValueId> inputs, const std::vector<TensorType>& output_types,
                  SourceLoc loc = {});

  const Node& node(NodeId id) const;
  const Value& value(ValueId id) const;
  bool has_node(NodeId id) const { return id < nodes_.size() && nodes_[id] != nullptr; }
  bool has_value(ValueId id) const { return id < values_.size() && values_[id].id != kNone; }
  const Node& producer(ValueId v) const { return node(value(v).producer); }

  // Live node ids in insertion order.
  std::vector<NodeId> node_ids() const;
  size_t num_nodes() const { return live_; }
  // One past the largest id ever given (for id-indexed arrays).
  NodeId id_bound() const { return static_cast<NodeId>(nodes_.size()); }
  ValueId value_bound() const { return static_cast<ValueId>(values_.size()); }

  std::vector<Use> uses(ValueId v) const;
  // Points every use of `from` (and graph outputs) at `to`.
  void replace_all_uses(ValueId from, ValueId to);
  void set_input(NodeId n, size_t slot, ValueId v);
  // Re-typing, for specializing a graph to new input shapes.
  void set_value_type(ValueId v, TensorType t) { values_.at(v).type = std::move(t); }
  // Removes a node whose outputs have no uses.
  void remove_node(NodeId id);

  const Node* find(std::string_view name) const;
  // `base` if unused, else `base_1`, `base_2`, ...
  std::string unique_name(const std::string& base);

  // Values the graph exposes (kept alive by dead-code elimination).
  const std::vector<ValueId>& outputs() const { return outputs_; }
  void add_output(ValueId v) { outputs_.push_back(v); }

 private:
  std::vector<std::shared_ptr<Node>> nodes_;  // shared so that copying a graph is cheap
  std::vector<Value> values_;
  std::vector<ValueId> outputs_;
  std::unordered_map<std::string, NodeId> by_name_;
  std::unordered_map<std::string, int> name_counters_;
  size_t live_ = 0;

  Node& mutable_node(NodeId id);
};

}  // namespace flowgrad::graph
