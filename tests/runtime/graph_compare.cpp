#include "runtime/graph_compare.h"

#include "testing.h"

namespace flowgrad::testing {

void check_same_graph(const graph::Graph& a, const graph::Graph& b) {
  REQUIRE(a.num_nodes() == b.num_nodes());
  for (graph::NodeId id : a.node_ids()) {
    const graph::Node& n = a.node(id);
    const graph::Node* m = b.find(n.name);
    REQUIRE_MESSAGE(m != nullptr, n.name);
    INFO(n.name);
    CHECK(m->op == n.op);
    CHECK(graph::attrs_equal(*m->attrs, *n.attrs));
    CHECK(m->loc.str() == n.loc.str());
    REQUIRE(m->inputs.size() == n.inputs.size());
    for (size_t i = 0; i < n.inputs.size(); ++i) CHECK(b.producer(m->inputs[i]).name == a.producer(n.inputs[i]).name);
    REQUIRE(m->outputs.size() == n.outputs.size());
    for (size_t i = 0; i < n.outputs.size(); ++i) CHECK(b.value(m->outputs[i]).type == a.value(n.outputs[i]).type);
  }
  REQUIRE(a.outputs().size() == b.outputs().size());
  for (size_t i = 0; i < a.outputs().size(); ++i) CHECK(b.producer(b.outputs()[i]).name == a.producer(a.outputs()[i]).name);
}

}  // namespace flowgrad::testing
