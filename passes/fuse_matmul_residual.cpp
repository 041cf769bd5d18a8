#include "passes/fuse_matmul_residual.h"

#include "ops/matmul.h"
#include "ops/matmul_bias_act.h"
#include "passes/rewrite.h"

namespace flowgrad::passes {
namespace {

using graph::ValueId;

struct Residual {
  graph::NodeId matmul;  // a matmul, or a matmul_bias_act without a residual
  ValueId residual;
  ValueId out;           // the add's output
};

// The producer of `v` if it is a matmul, or a matmul_bias_act that has no
// residual yet, and `v` is used only here.
const graph::Node* fusable_matmul(const graph::Graph& g, ValueId v) {
  if (const graph::Node* mm = producer_of(g, v, "matmul", Uses::one)) return mm;
  const graph::Node* mba = producer_of(g, v, "matmul_bias_act", Uses::one);
  if (mba && !mba->attrs_as<ops::MatmulBiasActAttrs>().residual) return mba;
  return nullptr;
}

// add(mm, r) or add(r, mm) with r of the output's type.
std::optional<Residual> match_residual(const graph::Graph& g, const graph::Node& add) {
  if (add.op != "add" || updated_in_place(g, add.output())) return std::nullopt;
  const graph::TensorType& y = g.value(add.output()).type;
  if (y.dtype != graph::DType::f32) return std::nullopt;
  for (int mm_slot : {1, 0}) {
    const graph::Node* mm = fusable_matmul(g, add.inputs[mm_slot]);
    ValueId r = add.inputs[1 - mm_slot];
    if (mm && g.value(mm->output()).type == y && g.value(r).type == y) return Residual{mm->id, r, add.output()};
  }
  return std::nullopt;
}

void fuse(graph::Graph& g, const Residual& f) {
  const graph::Node mm = g.node(f.matmul);  // a copy: the rewrite removes it
  ops::MatmulBiasActAttrs attrs;
  if (mm.op == "matmul") {
    const auto& ma = mm.attrs_as<ops::MatmulAttrs>();
    attrs = {.transpose_a = ma.transpose_a, .transpose_b = ma.transpose_b};
  } else {
    attrs = mm.attrs_as<ops::MatmulBiasActAttrs>();
  }
  attrs.residual = true;
  std::vector<ValueId> inputs = mm.inputs;
  inputs.push_back(f.residual);
  graph::NodeId fused = add_node_like(g, mm, "matmul_bias_act", attrs, inputs, "_residual");
  replace_value(g, f.out, g.node(fused).output());
}

std::vector<RewriteRule> rules() {
  return {
      //   a, b ── matmul[_bias_act] ──┐
      //                          r ───┴─ add ── y    ->    a, b, [bias], r ── matmul_bias_act(residual) ── y
      make_rule<Residual>("matmul_residual", 1, match_residual, fuse),
  };
}

}  // namespace

bool FuseMatmulResidual::run(graph::Graph& g) { return apply_rules(g, rules()); }

}  // namespace flowgrad::passes
