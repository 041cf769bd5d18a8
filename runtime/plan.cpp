#include "runtime/plan.h"

#include <algorithm>
#include <cstring>
#include <queue>

#include "graph/algorithms.h"
#include "ops/dnnl_util.h"
#include "ops/op_def.h"
#include "ops/sources.h"

namespace flowgrad::runtime {
namespace {

// A node whose kernel does at least this much work is "big": it gets a full
// share of the thread budget; smaller ones run on one thread.
constexpr double kBigCost = 1 << 17;

std::vector<graph::TensorType> input_types(const graph::Graph& g, const graph::Node& n) {
  std::vector<graph::TensorType> t;
  for (graph::ValueId v : n.inputs) t.push_back(g.value(v).type);
  return t;
}

// Threads per step: big steps that can run at the same time (same ASAP level)
// split the budget; see docs/architecture.md ("Threads").
void assign_threads(std::vector<Step>& steps, int budget) {
  std::vector<int> level(steps.size(), 0);
  int max_level = 0;
  for (size_t i = 0; i < steps.size(); ++i) {
    for (uint32_t p : steps[i].preds) level[i] = std::max(level[i], level[p] + 1);
    max_level = std::max(max_level, level[i]);
  }
  std::vector<int> big_width(max_level + 1, 0);
  for (size_t i = 0; i < steps.size(); ++i) {
    steps[i].big = steps[i].kernel->cost() >= kBigCost;
    if (steps[i].big) ++big_width[level[i]];
  }
  for (size_t i = 0; i < steps.size(); ++i) {
    steps[i].threads = steps[i].big ? std::max(1, budget / std::min(budget, big_width[level[i]])) : 1;
  }
}

// An op that updates input i in place must run after every other step that
// reads that value (e.g. a weight update after the forward and backward
// matmuls that read the weight).
void order_inplace_updates(const graph::Graph& g, std::vector<Step>& steps, const std::vector<int>& step_of) {
  for (Step& s : steps) {
    const graph::Node& n = g.node(s.node);
    for (auto [o, i] : ops::get_op(n.op).inplace) {
      for (const graph::Use& u : g.uses(n.inputs[i])) {
        int reader = step_of[u.node];
        if (u.node == n.id || reader < 0) continue;
        FLOWGRAD_CHECK(reader < static_cast<int>(&s - steps.data()),
                       "in-place update '" + n.name + "' scheduled before a reader of its input");
        if (std::find(s.preds.begin(), s.preds.end(), reader) == s.preds.end()) s.preds.push_back(reader);
      }
    }
  }
}

// The needed nodes in an order that respects data dependencies and, for ops
// that update an input in place, runs every other reader of that input first.
// Ties go to the lower node id (insertion order), so the order is
// deterministic. (Kahn's algorithm: the in-place edges are not in the IR, so
// the Boost view's topological sort cannot see them.)
std::vector<graph::NodeId> schedule(const graph::Graph& g, const std::vector<bool>& needed) {
  std::vector<std::vector<graph::NodeId>> succ(g.id_bound());
  std::vector<int> indegree(g.id_bound(), 0);
  size_t count = 0;
  auto edge = [&](graph::NodeId from, graph::NodeId to) {
    succ[from].push_back(to);
    ++indegree[to];
  };
  for (graph::NodeId id : g.node_ids()) {
    if (!needed[id]) continue;
    ++count;
    const graph::Node& n = g.node(id);
    for (graph::ValueId v : n.inputs) edge(g.value(v).producer, id);
    for (auto [o, i] : ops::get_op(n.op).inplace) {
      for (const graph::Use& u : g.uses(n.inputs[i])) {
        if (u.node != id && needed[u.node]) edge(u.node, id);
      }
    }
  }
  std::priority_queue<graph::NodeId, std::vector<graph::NodeId>, std::greater<>> ready;
  for (graph::NodeId id : g.node_ids()) {
    if (needed[id] && indegree[id] == 0) ready.push(id);
  }
  std::vector<graph::NodeId> order;
  while (!ready.empty()) {
    graph::NodeId id = ready.top();
    ready.pop();
    order.push_back(id);
    for (graph::NodeId s : succ[id]) {
      if (--indegree[s] == 0) ready.push(s);
    }
  }
  if (order.size() != count) {
    throw Error("cannot schedule the graph: a cycle, or a node that reads a value after updating it in place");
  }
  return order;
}

}  // namespace

graph::Graph specialize(const graph::Graph& src, const std::vector<FeedSpec>& feeds) {
  graph::Graph g = src;
  bool changed = false;
  for (const FeedSpec& f : feeds) {
    if (g.value(f.value).type != f.type) {
      g.set_value_type(f.value, f.type);
      changed = true;
    }
  }
  if (!changed) return g;
  for (graph::NodeId id : graph::topological_order(g)) {
    const graph::Node& n = g.node(id);
    if (ops::get_op(n.op).source != ops::Source::none) continue;
    auto out = ops::infer_node(n, input_types(g, n));
    for (size_t i = 0; i < out.size(); ++i) g.set_value_type(n.outputs[i], out[i]);
  }
  return g;
}

std::unique_ptr<Plan> compile(const graph::Graph& src, const std::vector<FeedSpec>& feeds,
                              const std::vector<graph::ValueId>& fetches, Workspace& workspace,
                              const CompileOptions& options) {
  auto plan = std::unique_ptr<Plan>(new Plan());
  plan->graph_ = specialize(src, feeds);
  plan->threads_ = options.threads > 0 ? options.threads : num_threads();
  const graph::Graph& g = plan->graph_;

  // Nodes the fetches need.
  std::vector<bool> needed(g.id_bound(), false);
  for (graph::ValueId v : fetches) {
    auto anc = graph::ancestors(g, g.value(v).producer);
    for (size_t i = 0; i < anc.size(); ++i) needed[i] = needed[i] || anc[i];
  }

  // Where each value lives: a feed, a variable, a constant, or a plan buffer.
  std::vector<graph::Tensor> bound(g.value_bound());  // shares storage with its home
  std::vector<int> feed_of(g.value_bound(), -1);
  std::vector<int> step_of(g.id_bound(), -1);
  for (size_t i = 0; i < feeds.size(); ++i) {
    feed_of[feeds[i].value] = static_cast<int>(i);
    plan->feed_types_.push_back(feeds[i].type);
  }
  plan->feed_uses_.resize(feeds.size());

  for (graph::NodeId id : schedule(g, needed)) {
    const graph::Node& n = g.node(id);
    const ops::OpDef& def = ops::get_op(n.op);
    graph::ValueId out0 = n.outputs.empty() ? graph::kNone : n.outputs[0];
    switch (def.source) {
      case ops::Source::input:
        if (feed_of[out0] < 0) {
          throw ValueError("input '" + n.name + "' (" + g.value(out0).type.str() +
                           ") is needed by the fetches but was not fed");
        }
        continue;
      case ops::Source::variable:
        bound[out0] = workspace.bind(n, g.value(out0).type);
        continue;
      case ops::Source::constant:
        bound[out0] = n.attrs_as<ops::ConstantAttrs>().value;
        continue;
      case ops::Source::none: break;
    }
    FLOWGRAD_CHECK(def.lower != nullptr, "op '" + n.op + "' has no kernel");
    auto in_types = input_types(g, n);
    std::vector<graph::TensorType> out_types;
    for (graph::ValueId v : n.outputs) out_types.push_back(g.value(v).type);
    Step s;
    s.node = id;
    s.name = n.name;
    s.kernel = def.lower(ops::LowerContext{n, in_types, out_types, ops::cpu_engine()});
    uint32_t step_index = static_cast<uint32_t>(plan->steps_.size());
    for (size_t slot = 0; slot < n.inputs.size(); ++slot) {
      graph::ValueId v = n.inputs[slot];
      if (feed_of[v] >= 0) plan->feed_uses_[feed_of[v]].push_back({step_index, static_cast<uint32_t>(slot)});
      s.inputs.push_back(bound[v].raw());
      int p = step_of[g.value(v).producer];
      if (p >= 0 && std::find(s.preds.begin(), s.preds.end(), p) == s.preds.end()) s.preds.push_back(p);
    }
    std::vector<int> alias(n.outputs.size(), -1);
    for (auto [o, i] : def.inplace) alias[o] = i;
    for (size_t o = 0; o < n.outputs.size(); ++o) {
      graph::ValueId v = n.outputs[o];
      if (alias[o] >= 0) {  // updated in place
        graph::ValueId src = n.inputs[alias[o]];
        bound[v] = bound[src];
        feed_of[v] = feed_of[src];
        if (feed_of[v] >= 0) plan->feed_uses_[feed_of[v]].push_back({step_index, static_cast<uint32_t>(o), true});
      } else {
        plan->buffers_.emplace_back(g.value(v).type);
        bound[v] = plan->buffers_.back();
      }
      s.outputs.push_back(bound[v].raw());
    }
    step_of[id] = static_cast<int>(step_index);
    plan->steps_.push_back(std::move(s));
  }
  order_inplace_updates(g, plan->steps_, step_of);
  assign_threads(plan->steps_, plan->threads_);

  for (graph::ValueId v : fetches) {
    Plan::Fetch f;
    f.feed = feed_of[v];
    if (f.feed < 0) f.tensor = bound[v];
    plan->fetches_.push_back(std::move(f));
  }
  plan->executor_ = std::make_unique<Executor>(plan->steps_, plan->threads_);
  return plan;
}

size_t Plan::buffer_bytes() const {
  size_t b = 0;
  for (const auto& t : buffers_) b += t.nbytes();
  return b;
}

std::vector<graph::Tensor> Plan::run(std::span<const graph::Tensor> feeds, ExecMode mode, uint64_t step) {
  FLOWGRAD_CHECK(feeds.size() == feed_types_.size(), "feed count differs from the plan's");
  for (size_t i = 0; i < feeds.size(); ++i) {
    FLOWGRAD_CHECK(feeds[i].type() == feed_types_[i], "feed type differs from the plan's");
    for (const FeedUse& u : feed_uses_[i]) {
      if (u.output) steps_[u.step].outputs[u.slot] = feeds[i].raw();
      else steps_[u.step].inputs[u.slot] = feeds[i].raw();
    }
  }
  executor_->run(mode, step);
  std::vector<graph::Tensor> out;
  out.reserve(fetches_.size());
  for (const Fetch& f : fetches_) out.push_back(f.feed >= 0 ? feeds[f.feed] : f.tensor);
  return out;
}

}  // namespace flowgrad::runtime
