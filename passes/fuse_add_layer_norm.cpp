#include "passes/fuse_add_layer_norm.h"

#include "graph/algorithms.h"
#include "ops/add_layer_norm.h"
#include "passes/rewrite.h"

namespace flowgrad::passes {
namespace {

using graph::ValueId;

struct AddNorm {
  graph::NodeId add, norm;
};

// Whether value `v` is computed from node `n`'s outputs.
bool depends_on(const graph::Graph& g, ValueId v, graph::NodeId n) {
  return graph::ancestors(g, g.value(v).producer)[n];
}

std::optional<AddNorm> match_add_layer_norm(const graph::Graph& g, const graph::Node& norm) {
  if (norm.op != "layer_norm") return std::nullopt;
  const graph::Node* add = producer_of(g, norm.inputs[0], "add");
  if (!add || updated_in_place(g, add->output())) return std::nullopt;
  const graph::TensorType& s = g.value(add->output()).type;
  if (g.value(add->inputs[0]).type != s || g.value(add->inputs[1]).type != s) return std::nullopt;
  for (ValueId v : norm.outputs) {
    if (updated_in_place(g, v)) return std::nullopt;
  }
  if (depends_on(g, norm.inputs[1], add->id) || depends_on(g, norm.inputs[2], add->id)) return std::nullopt;
  return AddNorm{add->id, norm.id};
}

void fuse(graph::Graph& g, const AddNorm& f) {
  const graph::Node norm = g.node(f.norm);  // copies: the rewrite removes them
  const graph::Node add = g.node(f.add);
  std::vector<ValueId> inputs{add.inputs[0], add.inputs[1], norm.inputs[1], norm.inputs[2]};
  graph::NodeId fused = add_node_like(g, norm, "add_layer_norm", norm.attrs, inputs, "_add");
  const std::vector<ValueId> outs = g.node(fused).outputs;
  for (size_t i = 0; i < 3; ++i) g.replace_all_uses(norm.outputs[i], outs[i]);
  replace_value(g, add.output(), outs[3]);  // erases the add; then the layer norm, now dead
  erase_dead(g, f.norm);
}

std::vector<RewriteRule> rules() {
  return {
      //   a, b ── add ── s ── layer_norm ── y, mean, var    ->    a, b, γ, β ── add_layer_norm ── y, mean, var, s
      make_rule<AddNorm>("add_layer_norm", 1, match_add_layer_norm, fuse),
  };
}

}  // namespace

bool FuseAddLayerNorm::run(graph::Graph& g) { return apply_rules(g, rules()); }

}  // namespace flowgrad::passes
