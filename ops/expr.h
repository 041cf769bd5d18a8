#pragma once
// Expr and Emitter: the builder API that op builder functions, gradient
// rules and the frontend DSL all use to add nodes to a graph.
//
//   ops::Emitter em(g);
//   auto s = em.scope("mlp");
//   Expr y = relu(matmul(x, w) + b);   // nodes "mlp/matmul", "mlp/add", "mlp/relu"
//
// emit() runs the op's shape inference first, so a mistake throws a ShapeError
// naming the node path, op, input types and the user's file:line.

#include <memory>
#include <source_location>
#include <string>
#include <utility>
#include <vector>

#include "graph/graph.h"
#include "ops/op_def.h"

namespace flowgrad::ops {

using Loc = std::source_location;  // a DSL call site (builder functions default it to the caller's)
// Adds nodes to a graph it does not own (frontend::Builder owns one); see the file comment.
class Emitter {
 public:
  explicit Emitter(graph::Graph& g) : graph_(&g) {}  // adds to `g`, which must outlive the emitter
  Emitter(const Emitter&) = delete;
  Emitter& operator=(const Emitter&) = delete;
  virtual ~Emitter() = default;

  graph::Graph& graph() const { return *graph_; }  // the graph nodes are added to
  // Pops its scope when it goes out of scope (see scope()).
  class [[nodiscard]] ScopeGuard {
   public:
    explicit ScopeGuard(Emitter* em) : em_(em) {}  // pops one of em's scopes when destroyed
    ScopeGuard(ScopeGuard&& o) noexcept : em_(std::exchange(o.em_, nullptr)) {}  // moves the duty to pop
    ~ScopeGuard() {
      if (em_) em_->scopes_.pop_back();
    }

   private:
    Emitter* em_;
  };
  // Names the nodes emitted while the guard lives: "outer/inner/op".
  ScopeGuard scope(std::string name);
  std::string path(std::string_view leaf) const;  // "<scopes>/<leaf>"

  // Adds a node: infers output types (throwing ShapeError on a mistake),
  // names it `scope/name` (default: `scope/op`), records the call site.
  std::vector<Expr> emit(std::string_view op, std::shared_ptr<const graph::AttrsBase> attrs,
                         const std::vector<Expr>& inputs, const Loc& loc, std::string_view name = {});
  // emit() with typed attrs A, returning the first output.
  template <class A>
  Expr emit1(std::string_view op, A attrs, const std::vector<Expr>& inputs, const Loc& loc,
             std::string_view name = {}) {
    return emit(op, std::make_shared<graph::Attrs<A>>(std::move(attrs)), inputs, loc, name)[0];
  }

  Expr wrap(graph::ValueId v) { return Expr(this, v); }  // an Expr for an existing value of the graph

 private:
  graph::Graph* graph_;
  std::vector<std::string> scopes_;
};

// Context handed to an op's gradient rule. The rule emits ordinary nodes with
// the same builder API (scoped under ".../grad/...").
struct GradContext {
  Emitter& em;  // emits the gradient nodes
  const graph::Node& node;  // the node being differentiated
  std::vector<Expr> inputs;  // its inputs
  std::vector<Expr> outputs;  // its outputs
  std::vector<std::optional<Expr>> output_grads;  // nullopt: no gradient reaches that output
  Loc loc;  // the call site of autodiff::grad

  template <class T> const T& attrs() const { return node.attrs_as<T>(); }  // the node's attrs as the op's own struct T
  Expr in(size_t i) const { return inputs[i]; }  // input i
  Expr out(size_t i = 0) const { return outputs[i]; }  // output i
  Expr dout(size_t i = 0) const;  // output gradient, zeros if none reached it
};

}  // namespace flowgrad::ops
