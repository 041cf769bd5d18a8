#pragma once
// The DSL entry point. A Builder owns the graph it builds and names every
// node by its scope path:
//
//   frontend::Builder b;
//   auto x = b.input("x", {DType::f32, {32, 784}});
//   {
//     auto s = b.scope("mlp");
//     auto h = relu(nn::linear(b, x, {.out_features = 128}));   // "mlp/linear/matmul", ...
//   }
//
// Ops are free functions on Expr (ops/*.h, re-exported here); mistakes throw a
// flowgrad::Error naming the node path, the op, the input types and the line
// of the user's code.

#include "ops/binary.h"
#include "ops/expr.h"
#include "ops/matmul.h"
#include "ops/sources.h"
#include "ops/unary.h"

namespace flowgrad::frontend {

using graph::DType;
using graph::Shape;
using graph::Tensor;
using graph::TensorType;
using ops::Expr;
using ops::Loc;

// Builds one graph with the DSL (see the file comment); an ops::Emitter that
// owns its graph.
class Builder : public ops::Emitter {
 public:
  Builder() : ops::Emitter(graph_) {}

  // An input "<scope>/<name>" of the given type, fed by name at run time
  // (runtime::Session::run); a batch of another size recompiles.
  Expr input(std::string_view name, TensorType type, const Loc& loc = Loc::current()) {
    return ops::input(*this, name, std::move(type), loc);
  }
  // A constant holding `value` (stored in the graph file).
  Expr constant(Tensor value, const Loc& loc = Loc::current()) { return ops::constant(*this, std::move(value), loc); }
  // A trainable parameter named by the current scope: "<scope>/<name>".
  Expr variable(std::string_view name, ops::VariableAttrs attrs, const Loc& loc = Loc::current()) {
    return ops::variable(*this, name, std::move(attrs), loc);
  }
  // Marks values as graph outputs (kept by dead-code elimination).
  void output(Expr e) { graph_.add_output(e.id()); }

  const graph::Graph& graph() const { return graph_; }  // the graph built so far
  graph::Graph& graph() { return graph_; }              // the same, writable

 private:
  graph::Graph graph_;
};

}  // namespace flowgrad::frontend
