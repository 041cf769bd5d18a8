#include "passes/fuse_masked_softmax.h"

#include "ops/masked_softmax.h"
#include "ops/softmax.h"
#include "passes/rewrite.h"

namespace flowgrad::passes {
namespace {

using graph::ValueId;

struct Softmax {
  ValueId x, mask;
  double scale = 1.0;
  graph::NodeId softmax;
};

// softmax over the last axis of an f32 value.
bool last_axis_softmax(const graph::Graph& g, const graph::Node& n) {
  if (n.op != "softmax") return false;
  int64_t axis = n.attrs_as<ops::SoftmaxAttrs>().axis, rank = g.value(n.output()).type.rank();
  return (axis == -1 || axis == rank - 1) && g.value(n.output()).type.dtype == graph::DType::f32;
}

// x·c, c·x or x/c with a splat c, x of the product's type: (x, scale).
std::optional<std::pair<ValueId, double>> scaled(const graph::Graph& g, ValueId v) {
  const graph::Node& n = g.producer(v);
  if (!one_use(g, v) || (n.op != "mul" && n.op != "div")) return std::nullopt;
  for (int x_slot : {0, 1}) {
    if (n.op == "div" && x_slot == 1) break;
    ValueId x = n.inputs[x_slot];
    std::optional<double> c = splat_of(g, n.inputs[1 - x_slot]);
    if (!c || g.value(x).type != g.value(v).type) continue;
    if (n.op == "div") {
      if (*c == 0) return std::nullopt;
      return std::pair{x, 1.0 / *c};
    }
    return std::pair{x, *c};
  }
  return std::nullopt;
}

// softmax(add(x·c, mask)) or softmax(add(mask, x·c)); with `scale_required`
// false also softmax(add(x, mask)) with scale 1.
std::optional<Softmax> match(const graph::Graph& g, const graph::Node& sm, bool scale_required) {
  if (!last_axis_softmax(g, sm) || updated_in_place(g, sm.output())) return std::nullopt;
  const graph::Node* add = producer_of(g, sm.inputs[0], "add", Uses::one);
  if (!add) return std::nullopt;
  const graph::TensorType& z = g.value(add->output()).type;
  for (int x_slot : {0, 1}) {
    ValueId x = add->inputs[x_slot], mask = add->inputs[1 - x_slot];
    if (g.value(x).type != z || g.value(mask).type.dtype != graph::DType::f32) continue;
    if (!scale_required) return Softmax{x, mask, 1.0, sm.id};
    if (auto s = scaled(g, x)) return Softmax{s->first, mask, s->second, sm.id};
  }
  return std::nullopt;
}

void fuse(graph::Graph& g, const Softmax& f) {
  const graph::Node sm = g.node(f.softmax);  // a copy: the rewrite removes it
  graph::NodeId fused = add_node_like(g, sm, "masked_softmax", ops::MaskedSoftmaxAttrs{.scale = f.scale},
                                      {f.x, f.mask}, "_masked");
  replace_value(g, sm.output(), g.node(fused).output());
}

std::vector<RewriteRule> rules() {
  return {
      //   x ── mul|div(c) ──┐
      //            mask ────┴─ add ── softmax ── y    ->    x, mask ── masked_softmax(scale = c | 1/c) ── y
      make_rule<Softmax>("scale_mask_softmax", 2, [](const graph::Graph& g, const graph::Node& n) { return match(g, n, true); },
                         fuse),
      //   x, mask ── add ── softmax ── y              ->    x, mask ── masked_softmax(scale = 1) ── y
      make_rule<Softmax>("mask_softmax", 1, [](const graph::Graph& g, const graph::Node& n) { return match(g, n, false); },
                         fuse),
  };
}

}  // namespace

bool FuseMaskedSoftmax::run(graph::Graph& g) { return apply_rules(g, rules()); }

}  // namespace flowgrad::passes
