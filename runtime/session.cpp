#include "runtime/session.h"

#include "ops/op_def.h"

namespace flowgrad::runtime {
namespace {

std::string at(const std::source_location& loc) {
  return " (at " + std::string(loc.file_name()) + ":" + std::to_string(loc.line()) + ")";
}

std::string known_inputs(const graph::Graph& g) {
  std::string s;
  for (graph::NodeId id : g.node_ids()) {
    const graph::Node& n = g.node(id);
    if (ops::get_op(n.op).source != ops::Source::input) continue;
    s += (s.empty() ? "" : ", ") + n.name + " " + g.value(n.outputs[0]).type.str();
  }
  return s.empty() ? "none" : s;
}

}  // namespace

Session::Session(const graph::Graph& g, SessionOptions options)
    : graph_(g), options_(options), owned_(std::make_unique<Workspace>()), workspace_(owned_.get()) {}

Session::Session(const graph::Graph& g, Workspace& workspace, SessionOptions options)
    : graph_(g), options_(options), workspace_(&workspace) {}

std::vector<graph::Tensor> Session::run(const Feeds& feeds, const std::vector<graph::ValueId>& fetches,
                                        const std::source_location& loc) {
  std::vector<FeedSpec> specs;
  std::vector<graph::Tensor> values;
  std::string key;
  for (const auto& [name, tensor] : feeds) {
    const graph::Node* n = graph_.find(name);
    if (!n || ops::get_op(n->op).source != ops::Source::input) {
      throw ValueError("unknown feed '" + name + "' " + tensor.type().str() + "; the graph's inputs are: " +
                       known_inputs(graph_) + at(loc));
    }
    const graph::TensorType& declared = graph_.value(n->outputs[0]).type;
    if (tensor.dtype() != declared.dtype || tensor.type().rank() != declared.rank()) {
      throw ValueError("feed '" + name + "': expected " + declared.str() + ", got " + tensor.type().str() + at(loc));
    }
    specs.push_back({n->outputs[0], tensor.type()});
    values.push_back(tensor);
    key += name + ":" + tensor.type().str() + ";";
  }
  key += "->";
  for (graph::ValueId v : fetches) {
    if (!graph_.has_value(v)) throw ValueError("fetch of unknown value " + std::to_string(v) + at(loc));
    key += std::to_string(v) + ",";
  }
  auto it = plans_.find(key);
  if (it == plans_.end()) {
    if (options_.before_compile) options_.before_compile(graph_, feeds, fetches, *workspace_);
    try {
      auto plan = compile(graph_, specs, fetches, *workspace_,
                          {.threads = options_.threads, .plan_memory = options_.plan_memory,
                           .transform = options_.transform});
      it = plans_.emplace(key, std::move(plan)).first;
    } catch (const ShapeError& e) {
      throw ShapeError(std::string(e.what()) + "; while compiling for the run" + at(loc));
    } catch (const ValueError& e) {
      throw ValueError(std::string(e.what()) + at(loc));
    }
  }
  last_ = it->second.get();
  return last_->run(values, options_.mode, step_++, options_.check_numerics);
}

}  // namespace flowgrad::runtime
