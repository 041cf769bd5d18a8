#include "graph/dot.h"

#include <map>
#include <memory>
#include <sstream>

namespace flowgrad::graph {
namespace {

// A scope tree: each level holds the nodes that live directly in it.
struct Scope {
  std::map<std::string, std::unique_ptr<Scope>> children;
  std::vector<NodeId> nodes;
};

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

void place(Scope& root, const Node& n, int max_depth) {
  Scope* s = &root;
  size_t start = 0;
  for (int depth = 0; depth < max_depth; ++depth) {
    size_t slash = n.name.find('/', start);
    if (slash == std::string::npos) break;
    auto& child = s->children[n.name.substr(start, slash - start)];
    if (!child) child = std::make_unique<Scope>();
    s = child.get();
    start = slash + 1;
  }
  s->nodes.push_back(n.id);
}

void emit(std::ostringstream& os, const Graph& g, const Scope& s, int& cluster, int indent) {
  std::string pad(static_cast<size_t>(indent) * 2, ' ');
  for (NodeId id : s.nodes) {
    const Node& n = g.node(id);
    std::string leaf = n.name.substr(n.name.rfind('/') == std::string::npos ? 0 : n.name.rfind('/') + 1);
    std::string types;
    for (ValueId v : n.outputs) types += (types.empty() ? "" : ", ") + g.value(v).type.str();
    bool source = n.inputs.empty();
    os << pad << "n" << id << " [label=\"" << escape(n.op) << "\\n" << escape(leaf) << "\\n" << escape(types) << "\""
       << (source ? ", shape=ellipse, style=filled, fillcolor=\"#e8f0fe\"" : "") << "];\n";
  }
  for (const auto& [name, child] : s.children) {
    os << pad << "subgraph cluster_" << cluster++ << " {\n" << pad << "  label=\"" << escape(name) << "\";\n";
    emit(os, g, *child, cluster, indent + 1);
    os << pad << "}\n";
  }
}

}  // namespace

std::string to_dot(const Graph& g, const DotOptions& options) {
  Scope root;
  for (NodeId id : g.node_ids()) place(root, g.node(id), options.max_depth);
  std::ostringstream os;
  os << "digraph flowgrad {\n  rankdir=TB;\n  node [shape=box, fontname=\"Helvetica\", fontsize=10];\n";
  int cluster = 0;
  emit(os, g, root, cluster, 1);
  for (NodeId id : g.node_ids()) {
    for (ValueId v : g.node(id).inputs) os << "  n" << g.value(v).producer << " -> n" << id << ";\n";
  }
  os << "}\n";
  return os.str();
}

}  // namespace flowgrad::graph
