#include "passes/cse.h"

#include <algorithm>
#include <unordered_map>

#include "graph/algorithms.h"
#include "ops/op_def.h"

namespace flowgrad::passes {
namespace {

// Values some consumer updates in place. Merging never creates such a use,
// so this is computed once.
std::vector<bool> updated_in_place(const graph::Graph& g) {
  std::vector<bool> out(g.value_bound(), false);
  for (graph::NodeId id : g.node_ids()) {
    const graph::Node& n = g.node(id);
    for (auto [o, i] : ops::get_op(n.op).inplace) out[n.inputs[i]] = true;
  }
  return out;
}

bool mergeable(const graph::Node& n, const std::vector<bool>& updated) {
  const ops::OpDef& def = ops::get_op(n.op);
  if (def.source != ops::Source::none || !def.inplace.empty() || def.random) return false;
  return std::none_of(n.outputs.begin(), n.outputs.end(), [&](graph::ValueId v) { return updated[v]; });
}

size_t key(const graph::Node& n) {
  size_t h = std::hash<std::string>()(n.op) ^ (graph::attrs_hash(*n.attrs) * 0x9e3779b97f4a7c15ULL);
  for (graph::ValueId v : n.inputs) h = h * 1000003 ^ v;
  return h;
}

bool same(const graph::Node& a, const graph::Node& b) {
  return a.op == b.op && a.inputs == b.inputs && graph::attrs_equal(*a.attrs, *b.attrs);
}

}  // namespace

bool Cse::run(graph::Graph& g) {
  const std::vector<bool> updated = updated_in_place(g);
  std::unordered_multimap<size_t, graph::NodeId> seen;
  bool changed = false;
  for (graph::NodeId id : graph::topological_order(g)) {
    const graph::Node& n = g.node(id);
    if (!mergeable(n, updated)) continue;
    size_t h = key(n);
    auto [lo, hi] = seen.equal_range(h);
    auto twin = std::find_if(lo, hi, [&](const auto& e) { return same(g.node(e.second), n); });
    if (twin == hi) {
      seen.emplace(h, id);
      continue;
    }
    std::vector<graph::ValueId> from = n.outputs, to = g.node(twin->second).outputs;
    for (size_t i = 0; i < from.size(); ++i) g.replace_all_uses(from[i], to[i]);
    g.remove_node(id);
    changed = true;
  }
  return changed;
}

}  // namespace flowgrad::passes
