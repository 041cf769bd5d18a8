#include "passes/constant_fold.h"

#include "graph/algorithms.h"
#include "ops/op_def.h"
#include "ops/sources.h"
#include "passes/rewrite.h"

namespace flowgrad::passes {
namespace {

using graph::Tensor;

// The value of `v` if it is known before any run.
std::optional<Tensor> known_value(const graph::Graph& g, graph::ValueId v) {
  if (const Tensor* t = constant_of(g, v)) return *t;
  const graph::Node* fill = producer_of(g, v, "fill");
  if (!fill || g.value(v).type.numel() > ConstantFold::kMaxElements) return std::nullopt;
  std::vector<Tensor> out{Tensor(g.value(v).type)};
  ops::get_op("fill").reference(*fill, {}, out);
  return out[0];
}

bool foldable(const graph::Graph& g, const graph::Node& n) {
  const ops::OpDef& def = ops::get_op(n.op);
  if (n.inputs.empty() || def.source != ops::Source::none || def.random || !def.inplace.empty()) return false;
  bool used = false;  // a dead node is DCE's business
  for (graph::ValueId v : n.outputs) {
    if (g.value(v).type.numel() > ConstantFold::kMaxElements) return false;
    used = used || !g.uses(v).empty() || is_output(g, v);
  }
  return used;
}

// The outputs of `n` by its reference kernel, or nullopt if an input is not
// known or the kernel rejects the inputs.
std::optional<std::vector<Tensor>> evaluate(const graph::Graph& g, const graph::Node& n) {
  std::vector<Tensor> in, out;
  for (graph::ValueId v : n.inputs) {
    std::optional<Tensor> t = known_value(g, v);
    if (!t) return std::nullopt;
    in.push_back(*t);
  }
  for (graph::ValueId v : n.outputs) {
    if (updated_in_place(g, v)) return std::nullopt;
    out.emplace_back(g.value(v).type);
  }
  try {
    ops::get_op(n.op).reference(n, in, out);
  } catch (const Error&) {
    return std::nullopt;
  }
  return out;
}

}  // namespace

bool ConstantFold::run(graph::Graph& g) {
  bool changed = false;
  for (graph::NodeId id : graph::topological_order(g)) {
    if (!g.has_node(id) || !foldable(g, g.node(id))) continue;
    std::optional<std::vector<Tensor>> out = evaluate(g, g.node(id));
    if (!out) continue;
    const graph::Node like = g.node(id);  // a copy: the rewrite removes the node
    for (size_t i = 0; i < out->size(); ++i) {
      graph::NodeId c = add_node_like(g, like, "constant", ops::ConstantAttrs{(*out)[i]}, {}, "/folded");
      replace_value(g, like.outputs[i], g.node(c).output());
    }
    changed = true;
  }
  return changed;
}

}  // namespace flowgrad::passes
