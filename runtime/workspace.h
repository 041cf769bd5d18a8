#pragma once
// Workspace: the storage of variables (parameters) and, later, optimizer
// state, by name. It outlives Session::run calls and plans; plans bind
// variable nodes to these tensors directly (no copies).

#include <map>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "graph/tensor.h"

namespace flowgrad::runtime {

// Variables by name (see the file comment).
class Workspace {
 public:
  bool contains(const std::string& name) const { return vars_.contains(name); }  // has a variable `name`
  // Throws ValueError naming the variable if absent.
  const graph::Tensor& get(const std::string& name) const;
  graph::Tensor& get(const std::string& name);  // the same, writable
  // Replaces the contents of an existing variable (same type) or adds one.
  void set(const std::string& name, const graph::Tensor& value);
  std::vector<std::string> names() const;  // sorted
  // Drops the variables whose name contains `part` (e.g. "optimizer/" to
  // start fine-tuning with fresh optimizer state); returns how many.
  size_t erase_containing(const std::string& part);

  // Storage for a variable node: created and initialized by the op's init
  // rule on first use; checked against the node's type afterwards.
  graph::Tensor& bind(const graph::Node& variable_node, const graph::TensorType& type);
  // bind() for every variable node of `g`.
  void bind_variables(const graph::Graph& g);
  // Adds `name` bound to `storage` itself, not a copy: workspaces that share
  // a tensor see each other's updates (tools/train.h, train_loop_hogwild).
  // ValueError if `name` is already present.
  void share(const std::string& name, const graph::Tensor& storage);

 private:
  std::map<std::string, graph::Tensor> vars_;
};

}  // namespace flowgrad::runtime
