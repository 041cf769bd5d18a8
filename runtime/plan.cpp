#include "runtime/plan.h"

#include "runtime/numerics.h"

#include <algorithm>
#include <cstring>
#include <queue>

#include "graph/algorithms.h"
#include "ops/dnnl_util.h"
#include "ops/parallel.h"
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

// Threads per step: a big step whose kernel scales with its team gets the
// whole budget; big steps that do not scale (LSTMs) split it with the other
// such steps that can run at the same time (same ASAP level); see
// docs/architecture.md ("Threads").
void assign_threads(std::vector<Step>& steps, int budget) {
  std::vector<int> level(steps.size(), 0);
  int max_level = 0;
  for (size_t i = 0; i < steps.size(); ++i) {
    for (uint32_t p : steps[i].preds) level[i] = std::max(level[i], level[p] + 1);
    max_level = std::max(max_level, level[i]);
  }
  std::vector<int> sharing_width(max_level + 1, 0);
  auto shares = [&](const Step& s) { return s.big && !s.kernel->scales_with_team(); };
  for (size_t i = 0; i < steps.size(); ++i) {
    steps[i].big = steps[i].kernel->cost() >= kBigCost;
    if (shares(steps[i])) ++sharing_width[level[i]];
  }
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& s = steps[i];
    steps[i].threads = !s.big ? 1 : shares(s) ? std::max(1, budget / std::min(budget, sharing_width[level[i]])) : budget;
    if (const int most = s.kernel->max_threads(); most > 0) steps[i].threads = std::min(steps[i].threads, most);
    // Cost 0: a step that waits (a collective on the network) holds no thread
    // token, so it runs beside big steps instead of waiting for a free core.
    if (steps[i].kernel->cost() == 0) steps[i].threads = 0;
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
// Ties go to ops marked `schedule_early` (collectives), then to the lower node
// id (insertion order), so the order is deterministic. (Kahn's algorithm: the in-place edges are not in the IR, so
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
  using Key = std::pair<bool, graph::NodeId>;  // (not early, id): smallest first
  auto key = [&](graph::NodeId id) { return Key{!ops::get_op(g.node(id).op).schedule_early, id}; };
  std::priority_queue<Key, std::vector<Key>, std::greater<>> ready;
  for (graph::NodeId id : g.node_ids()) {
    if (needed[id] && indegree[id] == 0) ready.push(key(id));
  }
  std::vector<graph::NodeId> order;
  while (!ready.empty()) {
    graph::NodeId id = ready.top().second;
    ready.pop();
    order.push_back(id);
    for (graph::NodeId s : succ[id]) {
      if (--indegree[s] == 0) ready.push(key(s));
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

namespace {

// The fetched values after `transform`. They are graph outputs while it runs,
// so passes keep them (or replace them by equal values) and say where they went.
std::vector<graph::ValueId> apply_transform(graph::Graph& g, const std::vector<graph::ValueId>& fetches,
                                            const GraphTransform& transform) {
  if (!transform) return fetches;
  size_t base = g.outputs().size();
  for (graph::ValueId v : fetches) g.add_output(v);
  transform(g);
  FLOWGRAD_CHECK(g.outputs().size() == base + fetches.size(), "a graph transform changed the number of outputs");
  return {g.outputs().begin() + static_cast<std::ptrdiff_t>(base), g.outputs().end()};
}

std::vector<bool> needed_by(const graph::Graph& g, const std::vector<graph::ValueId>& fetches) {
  std::vector<bool> needed(g.id_bound(), false);
  for (graph::ValueId v : fetches) {
    auto anc = graph::ancestors(g, g.value(v).producer);
    for (size_t i = 0; i < anc.size(); ++i) needed[i] = needed[i] || anc[i];
  }
  return needed;
}

// Where each value lives, while compile() builds the steps.
struct Bindings {
  explicit Bindings(const graph::Graph& g)
      : bound(g.value_bound()), feed_of(g.value_bound(), -1), storage(g.value_bound(), graph::kNone) {}
  std::vector<graph::Tensor> bound;     // a source's storage; after planning, every value's
  std::vector<int> feed_of;             // the feed a value is (or updates in place), or -1
  std::vector<graph::ValueId> storage;  // the value whose buffer it uses (itself, or what it updates in place)
  ScheduleValues io;                    // per step: the values it reads and writes
};

// Binds a source node's output to a feed, a variable or a constant; false if
// `n` is computed.
bool bind_source(const graph::Graph& g, const graph::Node& n, Workspace& workspace, Bindings& b) {
  const ops::Source source = ops::get_op(n.op).source;
  if (source == ops::Source::none) return false;
  graph::ValueId out = n.outputs[0];
  b.storage[out] = out;
  if (source == ops::Source::input && b.feed_of[out] < 0) {
    throw ValueError("input '" + n.name + "' (" + g.value(out).type.str() + ") is needed by the fetches but was not fed");
  }
  if (source == ops::Source::variable) b.bound[out] = workspace.bind(n, g.value(out).type);
  if (source == ops::Source::constant) b.bound[out] = n.attrs_as<ops::ConstantAttrs>().value;
  return true;
}

// The compiled runtime runs f32 and integer kernels only: f64 exists for
// gradient checks on the reference interpreter. Names the first f64 node.
void reject_f64(const graph::Graph& g, const std::vector<graph::NodeId>& order) {
  for (graph::NodeId id : order) {
    const graph::Node& n = g.node(id);
    for (graph::ValueId v : n.outputs) {
      if (g.value(v).type.dtype != graph::DType::f64) continue;
      throw ValueError("node '" + n.name + "' (" + n.op + ") produces " + g.value(v).type.str() +
                       ": f64 runs on the reference interpreter (runtime::run_reference) only; the compiled runtime "
                       "runs f32 and integer graphs");
    }
  }
}

Step lower_step(const graph::Graph& g, const graph::Node& n, const std::vector<int>& step_of) {
  const ops::OpDef& def = ops::get_op(n.op);
  FLOWGRAD_CHECK(def.lower != nullptr, "op '" + n.op + "' has no kernel");
  auto in_types = input_types(g, n);
  std::vector<graph::TensorType> out_types;
  for (graph::ValueId v : n.outputs) out_types.push_back(g.value(v).type);
  Step s;
  s.node = n.id;
  s.name = n.name;
  auto label = std::make_shared<StepLabel>(StepLabel{.node = n.id, .name = n.name, .op = n.op});
  for (const auto& t : in_types) label->inputs.push_back(t.str());
  for (const auto& t : out_types) label->outputs.push_back(t.str());
  s.label = std::move(label);
  s.kernel = def.lower(ops::LowerContext{n, in_types, out_types, ops::cpu_engine()});
  for (graph::ValueId v : n.inputs) {
    int p = step_of[g.value(v).producer];
    if (p >= 0 && std::find(s.preds.begin(), s.preds.end(), p) == s.preds.end()) s.preds.push_back(p);
  }
  return s;
}

// Steps that share the budget with concurrent ones run with a smaller
// OpenMP team: build their kernels again under that team size (oneDNN fixes
// some primitives' thread count at creation). Serial mode gives big steps the
// whole budget, so a step keeps its full-team kernel unless it is shared.
void relower_shared_steps(const graph::Graph& g, std::vector<Step>& steps, int budget) {
  for (Step& s : steps) {
    if (!s.big || s.threads == budget) continue;
    ops::OpenMpTeam team(s.threads);
    const graph::Node& n = g.node(s.node);
    std::vector<graph::TensorType> out_types;
    for (graph::ValueId v : n.outputs) out_types.push_back(g.value(v).type);
    s.kernel = ops::get_op(n.op).lower(ops::LowerContext{n, input_types(g, n), out_types, ops::cpu_engine()});
  }
}

// One arena for every planned value; in-place outputs share what they update.
std::shared_ptr<graph::Tensor> bind_arena(const graph::Graph& g, const MemoryPlan& mem, Bindings& b) {
  int64_t bytes = static_cast<int64_t>(std::max<size_t>(mem.arena_bytes, 1));
  auto arena = std::make_shared<graph::Tensor>(graph::TensorType{graph::DType::boolean, {bytes}});
  for (size_t i = 0; i < mem.values.size(); ++i) {
    graph::ValueId v = mem.values[i];
    b.bound[v] = graph::Tensor(g.value(v).type, arena->raw() + mem.offsets[i], arena);
  }
  for (const auto& outs : b.io.outputs) {
    for (graph::ValueId v : outs) {
      if (b.storage[v] != v) b.bound[v] = b.bound[b.storage[v]];
    }
  }
  return arena;
}

// Fills the steps' buffer pointers (feeds stay null: Plan::run sets them).
void connect(std::vector<Step>& steps, const Bindings& b) {
  for (size_t i = 0; i < steps.size(); ++i) {
    for (graph::ValueId v : b.io.inputs[i]) steps[i].inputs.push_back(b.bound[v].raw());
    for (graph::ValueId v : b.io.outputs[i]) steps[i].outputs.push_back(b.bound[v].raw());
  }
}

}  // namespace

std::unique_ptr<Plan> compile(const graph::Graph& src, const std::vector<FeedSpec>& feeds,
                              const std::vector<graph::ValueId>& requested, Workspace& workspace,
                              const CompileOptions& options) {
  auto plan = std::unique_ptr<Plan>(new Plan());
  plan->graph_ = specialize(src, feeds);
  const std::vector<graph::ValueId> fetches = apply_transform(plan->graph_, requested, options.transform);
  plan->threads_ = options.threads > 0 ? options.threads : num_threads();
  const graph::Graph& g = plan->graph_;

  Bindings b(g);
  for (size_t i = 0; i < feeds.size(); ++i) {
    b.feed_of[feeds[i].value] = static_cast<int>(i);
    plan->feed_types_.push_back(feeds[i].type);
  }
  plan->feed_uses_.resize(feeds.size());
  std::vector<int> step_of(g.id_bound(), -1);
  ops::OpenMpTeam team(plan->threads_);  // primitives are created for the team they run with
  const std::vector<graph::NodeId> order = schedule(g, needed_by(g, fetches));
  reject_f64(g, order);
  for (graph::NodeId id : order) {
    const graph::Node& n = g.node(id);
    if (bind_source(g, n, workspace, b)) continue;
    uint32_t index = static_cast<uint32_t>(plan->steps_.size());
    plan->steps_.push_back(lower_step(g, n, step_of));
    for (size_t slot = 0; slot < n.inputs.size(); ++slot) {
      int f = b.feed_of[n.inputs[slot]];
      if (f >= 0) plan->feed_uses_[f].push_back({index, static_cast<uint32_t>(slot)});
    }
    std::vector<int> alias(n.outputs.size(), -1);
    for (auto [o, i] : ops::get_op(n.op).inplace) alias[o] = i;
    for (size_t o = 0; o < n.outputs.size(); ++o) {
      graph::ValueId v = n.outputs[o];
      if (alias[o] < 0) {
        b.storage[v] = v;
        continue;
      }
      graph::ValueId updated = n.inputs[alias[o]];  // updated in place: its storage, its feed
      b.storage[v] = b.storage[updated];
      b.feed_of[v] = b.feed_of[updated];
      if (b.feed_of[v] >= 0) plan->feed_uses_[b.feed_of[v]].push_back({index, static_cast<uint32_t>(o), true});
    }
    b.io.inputs.push_back(n.inputs);
    b.io.outputs.push_back(n.outputs);
    step_of[id] = static_cast<int>(index);
  }
  order_inplace_updates(g, plan->steps_, step_of);

  std::vector<graph::ValueId> live_to_end = fetches;
  live_to_end.insert(live_to_end.end(), g.outputs().begin(), g.outputs().end());
  MemoryPlan mem = plan_memory(g, plan->steps_, b.io, b.storage, live_to_end, options.plan_memory);
  plan->arena_ = bind_arena(g, mem, b);
  plan->memory_ = mem.report;
  connect(plan->steps_, b);
  assign_threads(plan->steps_, plan->threads_);
  relower_shared_steps(g, plan->steps_, plan->threads_);

  for (graph::ValueId v : fetches) {
    Plan::Fetch f;
    f.feed = b.feed_of[v];
    if (f.feed < 0) f.tensor = b.bound[v];
    plan->fetches_.push_back(std::move(f));
  }
  plan->executor_ = std::make_unique<Executor>(plan->steps_, plan->threads_);
  return plan;
}

std::vector<graph::Tensor> Plan::run(std::span<const graph::Tensor> feeds, ExecMode mode, uint64_t step,
                                     bool check_numerics) {
  FLOWGRAD_CHECK(feeds.size() == feed_types_.size(), "feed count differs from the plan's");
  for (size_t i = 0; i < feeds.size(); ++i) {
    FLOWGRAD_CHECK(feeds[i].type() == feed_types_[i], "feed type differs from the plan's");
    for (const FeedUse& u : feed_uses_[i]) {
      if (u.output) steps_[u.step].outputs[u.slot] = feeds[i].raw();
      else steps_[u.step].inputs[u.slot] = feeds[i].raw();
    }
  }
  if (check_numerics) run_checked(step);
  else executor_->run(mode, step);
  std::vector<graph::Tensor> out;
  out.reserve(fetches_.size());
  for (const Fetch& f : fetches_) out.push_back(f.feed >= 0 ? feeds[f.feed] : f.tensor);
  return out;
}

// Input ranges are taken before the step runs: an in-place kernel may
// overwrite its input with the bad output.
void Plan::run_checked(uint64_t step) {
  std::vector<ValueRange> input_ranges;
  auto before = [&](size_t i) {
    const graph::Node& n = graph_.node(steps_[i].node);
    input_ranges.clear();
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      input_ranges.push_back(value_range(graph_.value(n.inputs[k]).type, steps_[i].inputs[k]));
    }
  };
  auto after = [&](size_t i) {
    const graph::Node& n = graph_.node(steps_[i].node);
    size_t shown = n.outputs.size() - static_cast<size_t>(ops::get_op(n.op).hidden_outputs);  // hidden: kernel state
    for (size_t o = 0; o < shown; ++o) {
      const graph::TensorType& t = graph_.value(n.outputs[o]).type;
      ValueRange r = value_range(t, steps_[i].outputs[o]);
      if (r.ok()) continue;
      std::string msg = "numerics check: node '" + n.name + "' (" + n.op + ") produced " + std::to_string(r.nan) +
                        " NaN, " + std::to_string(r.inf) + " Inf in output " + std::to_string(o) + " " + t.str() +
                        " (run " + std::to_string(step) + "); inputs:";
      for (size_t k = 0; k < input_ranges.size(); ++k) {
        msg += (k ? ", #" : " #") + std::to_string(k) + " " + graph_.value(n.inputs[k]).type.str() + " " +
               input_ranges[k].str();
      }
      msg += "; created at " + (n.loc.known() ? n.loc.str() : std::string("an unknown place (no DSL location)"));
      throw NumericsError(msg);
    }
  };
  executor_->run_observed(step, before, after);
}

}  // namespace flowgrad::runtime
