#pragma once
// Boost.Graph view of the IR, without copying it: a Graph *is* a Boost
// VertexListGraph + IncidenceGraph. Vertices are live NodeIds; the out-edges of
// a node point at the producers of its inputs (consumer -> producer). With
// edges that way round, boost::topological_sort (which emits vertices in
// reverse topological order) emits producers before consumers — the execution
// order — directly.

#include <boost/graph/graph_traits.hpp>
#include <boost/graph/properties.hpp>
#include <boost/iterator/counting_iterator.hpp>
#include <boost/iterator/filter_iterator.hpp>
#include <boost/iterator/transform_iterator.hpp>
#include <boost/property_map/property_map.hpp>

#include "graph/graph.h"

namespace flowgrad::graph::bgl {

struct Edge {
  NodeId consumer = kNone;
  NodeId producer = kNone;
  uint32_t slot = 0;
  bool operator==(const Edge&) const = default;
};

struct IsLive {
  const Graph* g = nullptr;
  bool operator()(NodeId id) const { return g->has_node(id); }
};

struct SlotToEdge {
  const Graph* g = nullptr;
  NodeId consumer = kNone;
  Edge operator()(uint32_t slot) const {
    return {consumer, g->value(g->node(consumer).inputs[slot]).producer, slot};
  }
};

using VertexIterator = boost::filter_iterator<IsLive, boost::counting_iterator<NodeId>>;
using OutEdgeIterator = boost::transform_iterator<SlotToEdge, boost::counting_iterator<uint32_t>, Edge>;

struct TraversalCategory : boost::vertex_list_graph_tag, boost::incidence_graph_tag {};

}  // namespace flowgrad::graph::bgl

namespace boost {

template <>
struct graph_traits<flowgrad::graph::Graph> {
  using vertex_descriptor = flowgrad::graph::NodeId;
  using edge_descriptor = flowgrad::graph::bgl::Edge;
  using directed_category = directed_tag;
  using edge_parallel_category = allow_parallel_edge_tag;
  using traversal_category = flowgrad::graph::bgl::TraversalCategory;
  using vertex_iterator = flowgrad::graph::bgl::VertexIterator;
  using out_edge_iterator = flowgrad::graph::bgl::OutEdgeIterator;
  using vertices_size_type = std::size_t;
  using edges_size_type = std::size_t;
  using degree_size_type = std::size_t;
  static vertex_descriptor null_vertex() { return flowgrad::graph::kNone; }
};

template <>
struct property_map<flowgrad::graph::Graph, vertex_index_t> {
  using type = typed_identity_property_map<flowgrad::graph::NodeId>;
  using const_type = type;
};

}  // namespace boost

namespace flowgrad::graph {

// Boost.Graph free functions, found by ADL on Graph.
inline std::pair<bgl::VertexIterator, bgl::VertexIterator> vertices(const Graph& g) {
  bgl::IsLive live{&g};
  return {bgl::VertexIterator(live, boost::counting_iterator<NodeId>(0), boost::counting_iterator<NodeId>(g.id_bound())),
          bgl::VertexIterator(live, boost::counting_iterator<NodeId>(g.id_bound()),
                              boost::counting_iterator<NodeId>(g.id_bound()))};
}
// Sized for id-indexed property arrays (holes included).
inline std::size_t num_vertices(const Graph& g) { return g.id_bound(); }
inline std::pair<bgl::OutEdgeIterator, bgl::OutEdgeIterator> out_edges(NodeId v, const Graph& g) {
  bgl::SlotToEdge f{&g, v};
  auto n = static_cast<uint32_t>(g.node(v).inputs.size());
  return {bgl::OutEdgeIterator(boost::counting_iterator<uint32_t>(0), f),
          bgl::OutEdgeIterator(boost::counting_iterator<uint32_t>(n), f)};
}
inline std::size_t out_degree(NodeId v, const Graph& g) { return g.node(v).inputs.size(); }
inline NodeId source(const bgl::Edge& e, const Graph&) { return e.consumer; }
inline NodeId target(const bgl::Edge& e, const Graph&) { return e.producer; }
inline boost::typed_identity_property_map<NodeId> get(boost::vertex_index_t, const Graph&) { return {}; }

}  // namespace flowgrad::graph
