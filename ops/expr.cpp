#include "ops/expr.h"

#include "ops/fill.h"

namespace flowgrad::ops {

Emitter& Expr::emitter() const {
  FLOWGRAD_CHECK(em_ != nullptr, "use of an empty Expr");
  return *em_;
}

TensorType Expr::type() const { return emitter().graph().value(id_).type; }

int64_t Expr::dim(int64_t axis) const {
  int64_t r = rank();
  if (axis < 0) axis += r;
  FLOWGRAD_CHECK(axis >= 0 && axis < r, "axis out of range");
  return shape()[axis];
}

const graph::Node& Expr::producer() const { return emitter().graph().producer(id_); }

Emitter::ScopeGuard Emitter::scope(std::string name) {
  scopes_.push_back(std::move(name));
  return ScopeGuard(this);
}

std::string Emitter::path(std::string_view leaf) const {
  std::string p;
  for (const auto& s : scopes_) p += s + "/";
  return p + std::string(leaf);
}

std::vector<Expr> Emitter::emit(std::string_view op, std::shared_ptr<const graph::AttrsBase> attrs,
                                const std::vector<Expr>& inputs, const Loc& loc, std::string_view name) {
  const OpDef& def = get_op(op);
  std::vector<graph::ValueId> in_ids;
  std::vector<TensorType> in_types;
  for (const Expr& e : inputs) {
    FLOWGRAD_CHECK(&e.emitter().graph() == graph_, "an input of '" + std::string(op) + "' belongs to another graph");
    in_ids.push_back(e.id());
    in_types.push_back(e.type());
  }
  std::string node_name = graph_->unique_name(path(name.empty() ? op : name));
  SourceLoc where = SourceLoc::from(loc);
  if (def.num_inputs != kVariadic && static_cast<int>(inputs.size()) != def.num_inputs) {
    throw ValueError(node_name + " (" + std::string(op) + "): expected " + std::to_string(def.num_inputs) +
                     " inputs, got " + std::to_string(inputs.size()) + " (at " + where.str() + ")");
  }
  if (!attrs) attrs = def.make_attrs();
  if (attrs->type() != def.make_attrs()->type()) {
    throw ValueError(node_name + " (" + std::string(op) + "): attrs of the wrong type (at " + where.str() + ")");
  }
  InferContext ctx{def.name, node_name, *attrs, in_types, where};
  std::vector<TensorType> out_types = def.infer(ctx);
  FLOWGRAD_CHECK(def.num_outputs == kVariadic || static_cast<int>(out_types.size()) == def.num_outputs,
                 "op '" + def.name + "' inferred a wrong output count");
  graph::NodeId id = graph_->add_node(def.name, node_name, std::move(attrs), std::move(in_ids), out_types, where);
  std::vector<Expr> outs;
  for (graph::ValueId v : graph_->node(id).outputs) outs.emplace_back(this, v);
  return outs;
}

}  // namespace flowgrad::ops

namespace flowgrad::ops {

Expr GradContext::dout(size_t i) const {
  if (output_grads[i]) return *output_grads[i];
  return zeros_like(outputs[i], loc);
}

}  // namespace flowgrad::ops
