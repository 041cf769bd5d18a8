#include "passes/fuse_matmul_bias_act.h"

#include <algorithm>

#include "ops/matmul.h"
#include "ops/matmul_bias_act.h"
#include "ops/unary.h"
#include "passes/rewrite.h"

namespace flowgrad::passes {
namespace {

using graph::ValueId;

struct Fusion {
  graph::NodeId matmul;
  ValueId bias = graph::kNone;  // kNone: no bias
  std::string activation = "none";
  ValueId out;                  // the value the fused node replaces
};

// matmul_bias_act's name for the activation `n` computes, or "" if none.
std::string activation_of(const graph::Node& n) {
  if (n.op == "relu" || n.op == "tanh") return n.op;
  if (n.op == "gelu") return n.attrs_as<ops::GeluAttrs>().approximate == "tanh" ? "gelu_tanh" : "gelu";
  return "";
}

// A bias for a matmul output of type `y`: [N] or [1, ..., 1, N].
bool is_bias(const graph::TensorType& b, const graph::TensorType& y) {
  return b.dtype == graph::DType::f32 && b.rank() >= 1 && b.rank() <= y.rank() && b.shape.back() == y.shape.back() &&
         std::all_of(b.shape.begin(), b.shape.end() - 1, [](int64_t d) { return d == 1; });
}

// add(matmul(a, b), bias) or add(bias, matmul(a, b)), the matmul's output
// used only here.
std::optional<Fusion> match_bias(const graph::Graph& g, const graph::Node& add) {
  if (add.op != "add") return std::nullopt;
  for (int mm_slot : {0, 1}) {
    const graph::Node* mm = producer_of(g, add.inputs[mm_slot], "matmul", Uses::one);
    ValueId bias = add.inputs[1 - mm_slot];
    if (mm && g.value(mm->output()).type == g.value(add.output()).type &&
        is_bias(g.value(bias).type, g.value(add.output()).type)) {
      return Fusion{mm->id, bias, "none", add.output()};
    }
  }
  return std::nullopt;
}

std::optional<Fusion> match_matmul_bias_act(const graph::Graph& g, const graph::Node& act) {
  std::string name = activation_of(act);
  const graph::Node* add = name.empty() ? nullptr : producer_of(g, act.inputs[0], "add", Uses::one);
  std::optional<Fusion> f = add ? match_bias(g, *add) : std::nullopt;
  if (!f || updated_in_place(g, act.output())) return std::nullopt;
  f->activation = name;
  f->out = act.output();
  return f;
}

std::optional<Fusion> match_matmul_bias(const graph::Graph& g, const graph::Node& add) {
  std::optional<Fusion> f = match_bias(g, add);
  if (!f || updated_in_place(g, add.output())) return std::nullopt;
  return f;
}

std::optional<Fusion> match_matmul_act(const graph::Graph& g, const graph::Node& act) {
  std::string name = activation_of(act);
  const graph::Node* mm = name.empty() ? nullptr : producer_of(g, act.inputs[0], "matmul", Uses::one);
  if (!mm || updated_in_place(g, act.output())) return std::nullopt;
  return Fusion{mm->id, graph::kNone, name, act.output()};
}

void fuse(graph::Graph& g, const Fusion& f) {
  const graph::Node mm = g.node(f.matmul);  // a copy: the rewrite removes it
  const auto& ma = mm.attrs_as<ops::MatmulAttrs>();
  ops::MatmulBiasActAttrs attrs{.transpose_a = ma.transpose_a, .transpose_b = ma.transpose_b, .activation = f.activation};
  std::vector<ValueId> inputs = mm.inputs;
  if (f.bias != graph::kNone) inputs.push_back(f.bias);
  graph::NodeId fused = add_node_like(g, mm, "matmul_bias_act", attrs, inputs, "_fused");
  replace_value(g, f.out, g.node(fused).output());
}

std::vector<RewriteRule> rules() {
  return {
      //   a, b ── matmul ──┐
      //          bias ─────┴─ add ── act ── y    ->    a, b, bias ── matmul_bias_act(act) ── y
      make_rule<Fusion>("matmul_bias_act", 3, match_matmul_bias_act, fuse),
      //   a, b ── matmul ──┐
      //          bias ─────┴─ add ── y           ->    a, b, bias ── matmul_bias_act(none) ── y
      make_rule<Fusion>("matmul_bias", 2, match_matmul_bias, fuse),
      //   a, b ── matmul ── act ── y             ->    a, b ── matmul_bias_act(act) ── y
      make_rule<Fusion>("matmul_act", 1, match_matmul_act, fuse),
  };
}

}  // namespace

bool FuseMatmulBiasAct::run(graph::Graph& g) { return apply_rules(g, rules()); }

}  // namespace flowgrad::passes
