#include "passes/rewrite.h"

#include <algorithm>
#include <cmath>

#include "graph/algorithms.h"
#include "ops/fill.h"
#include "ops/op_def.h"
#include "ops/sources.h"

namespace flowgrad::passes {
namespace {

constexpr int kMaxRounds = 100;

}  // namespace

bool apply_rules(graph::Graph& g, std::vector<RewriteRule> rules) {
  std::stable_sort(rules.begin(), rules.end(), [](const auto& a, const auto& b) { return a.benefit > b.benefit; });
  for (int round = 0;; ++round) {
    FLOWGRAD_CHECK(round < kMaxRounds, "rewrite rules do not reach a fixpoint");
    bool fired = false;
    for (const RewriteRule& rule : rules) {
      for (graph::NodeId id : graph::topological_order(g)) {
        if (g.has_node(id) && rule.apply(g, id)) fired = true;
      }
    }
    if (!fired) return round > 0;
  }
}

bool is_output(const graph::Graph& g, graph::ValueId v) {
  return std::find(g.outputs().begin(), g.outputs().end(), v) != g.outputs().end();
}

bool one_use(const graph::Graph& g, graph::ValueId v) { return g.uses(v).size() == 1 && !is_output(g, v); }

const graph::Node* producer_of(const graph::Graph& g, graph::ValueId v, std::string_view op, Uses uses) {
  const graph::Node& n = g.producer(v);
  if (n.op != op) return nullptr;
  if (uses == Uses::one && !one_use(g, v)) return nullptr;
  return &n;
}

bool updated_in_place(const graph::Graph& g, graph::ValueId v) {
  for (const graph::Use& u : g.uses(v)) {
    for (auto [out, in] : ops::get_op(g.node(u.node).op).inplace) {
      if (static_cast<uint32_t>(in) == u.slot) return true;
    }
  }
  return false;
}

const graph::Tensor* constant_of(const graph::Graph& g, graph::ValueId v) {
  const graph::Node& n = g.producer(v);
  if (ops::get_op(n.op).source != ops::Source::constant) return nullptr;
  return &n.attrs_as<ops::ConstantAttrs>().value;
}

std::optional<double> splat_of(const graph::Graph& g, graph::ValueId v) {
  if (const graph::Node* fill = producer_of(g, v, "fill")) {
    // The kernel stores static_cast<T>(value): compare what it stores.
    graph::Tensor one({fill->attrs_as<ops::FillAttrs>().dtype, {}});
    std::vector<graph::Tensor> out{one};
    ops::get_op("fill").reference(*fill, {}, out);
    return one.at(0);
  }
  const graph::Tensor* t = constant_of(g, v);
  if (!t || t->numel() == 0) return std::nullopt;
  double first = t->at(0);
  for (int64_t i = 1; i < t->numel(); ++i) {
    double x = t->at(i);
    if (x != first || std::signbit(x) != std::signbit(first)) return std::nullopt;
  }
  return first;
}

graph::NodeId add_node_like(graph::Graph& g, const graph::Node& like, std::string_view op,
                            std::shared_ptr<const graph::AttrsBase> attrs, std::vector<graph::ValueId> inputs,
                            std::string_view suffix) {
  const ops::OpDef& def = ops::get_op(op);
  std::string name = g.unique_name(like.name + std::string(suffix));
  SourceLoc loc = like.loc;
  std::vector<graph::TensorType> in_types;
  for (graph::ValueId v : inputs) in_types.push_back(g.value(v).type);
  ops::InferContext ctx{def.name, name, *attrs, in_types, loc};
  std::vector<graph::TensorType> out_types = def.infer(ctx);
  return g.add_node(def.name, std::move(name), std::move(attrs), std::move(inputs), out_types, std::move(loc));
}

void replace_value(graph::Graph& g, graph::ValueId from, graph::ValueId to) {
  FLOWGRAD_CHECK(!updated_in_place(g, from), "a rewrite redirected a value that is updated in place");
  graph::NodeId producer = g.value(from).producer;
  g.replace_all_uses(from, to);
  erase_dead(g, producer);
}

void erase_dead(graph::Graph& g, graph::NodeId id) {
  std::vector<graph::NodeId> stack{id};
  while (!stack.empty()) {
    graph::NodeId n = stack.back();
    stack.pop_back();
    if (!g.has_node(n)) continue;
    const graph::Node& node = g.node(n);
    const ops::OpDef& def = ops::get_op(node.op);
    if (def.source == ops::Source::input || !def.inplace.empty()) continue;
    bool dead = std::all_of(node.outputs.begin(), node.outputs.end(),
                            [&](graph::ValueId v) { return g.uses(v).empty() && !is_output(g, v); });
    if (!dead) continue;
    std::vector<graph::NodeId> producers;
    for (graph::ValueId v : node.inputs) producers.push_back(g.value(v).producer);
    g.remove_node(n);
    stack.insert(stack.end(), producers.begin(), producers.end());
  }
}

}  // namespace flowgrad::passes
