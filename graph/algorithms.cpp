#include "graph/algorithms.h"

#include <boost/graph/depth_first_search.hpp>
#include <boost/graph/topological_sort.hpp>
#include <unordered_set>

#include "graph/boost_view.h"

namespace flowgrad::graph {
namespace {

// Records the first back edge (a cycle) instead of throwing boost::not_a_dag.
struct CycleFinder : boost::default_dfs_visitor {
  NodeId* on_cycle;
  void back_edge(const bgl::Edge& e, const Graph&) const {
    if (*on_cycle == kNone) *on_cycle = e.consumer;
  }
};

NodeId find_cycle(const Graph& g) {
  NodeId on_cycle = kNone;
  std::vector<boost::default_color_type> color(g.id_bound());
  boost::depth_first_search(g, boost::visitor(CycleFinder{{}, &on_cycle}).color_map(
                                   boost::make_iterator_property_map(color.begin(), get(boost::vertex_index, g))));
  return on_cycle;
}

}  // namespace

bool has_cycle(const Graph& g) { return find_cycle(g) != kNone; }

std::vector<NodeId> topological_order(const Graph& g) {
  if (NodeId n = find_cycle(g); n != kNone) {
    throw Error("graph has a cycle through node '" + g.node(n).name + "' (" + g.node(n).op + ")");
  }
  std::vector<NodeId> order;
  order.reserve(g.num_nodes());
  std::vector<boost::default_color_type> color(g.id_bound());
  boost::topological_sort(g, std::back_inserter(order),
                          boost::color_map(boost::make_iterator_property_map(color.begin(), get(boost::vertex_index, g))));
  return order;
}

std::vector<bool> ancestors(const Graph& g, NodeId to) {
  std::vector<bool> seen(g.id_bound(), false);
  std::vector<NodeId> stack{to};
  seen[to] = true;
  while (!stack.empty()) {
    NodeId n = stack.back();
    stack.pop_back();
    for (ValueId v : g.node(n).inputs) {
      NodeId p = g.value(v).producer;
      if (!seen[p]) {
        seen[p] = true;
        stack.push_back(p);
      }
    }
  }
  return seen;
}

void verify_structure(const Graph& g) {
  std::unordered_set<std::string> names;
  for (NodeId id : g.node_ids()) {
    const Node& n = g.node(id);
    auto where = [&] { return "node '" + n.name + "' (" + n.op + ")"; };
    if (!names.insert(n.name).second) throw Error(where() + ": duplicate node name");
    for (ValueId v : n.inputs) {
      if (!g.has_value(v) || !g.has_node(g.value(v).producer)) {
        throw Error(where() + ": input value " + std::to_string(v) + " is not produced by any node");
      }
    }
    for (size_t i = 0; i < n.outputs.size(); ++i) {
      const Value& v = g.value(n.outputs[i]);
      if (v.producer != id || v.index != i) throw Error(where() + ": output " + std::to_string(i) + " is inconsistent");
    }
  }
  for (ValueId v : g.outputs()) {
    if (!g.has_value(v)) throw Error("graph output value " + std::to_string(v) + " does not exist");
  }
  if (NodeId n = find_cycle(g); n != kNone) {
    throw Error("graph has a cycle through node '" + g.node(n).name + "' (" + g.node(n).op + ")");
  }
}

}  // namespace flowgrad::graph
