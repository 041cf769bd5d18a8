#pragma once
// Session: runs a graph. Plans are compiled on first use and cached by
// (fed input names and types, fetched values); feeding another shape compiles
// another plan. Variables live in a Workspace that outlives runs.
//
//   runtime::Session sess(g);
//   auto out = sess.run({{"x", x}}, {y.id()});

#include <functional>
#include <map>
#include <memory>
#include <source_location>
#include <string>
#include <utility>
#include <vector>

#include "runtime/numerics.h"
#include "runtime/plan.h"

namespace flowgrad::runtime {

// Input tensors by input node name.
using Feeds = std::vector<std::pair<std::string, graph::Tensor>>;

// How a Session compiles and runs its plans.
struct SessionOptions {
  int threads = 0;                    // 0: the process budget
  ExecMode mode = ExecMode::parallel; // serial: schedule order on the calling thread
  bool plan_memory = true;            // see CompileOptions
  // Applied to every plan's graph before scheduling (CompileOptions::transform);
  // frontend::with_passes() sets it to the pass pipeline.
  GraphTransform transform;
  // Stop at the first node that produces a NaN or an Inf, with a NumericsError
  // naming it (runtime/numerics.h). Runs serially. Default: FLOWGRAD_CHECK_NUMERICS=1.
  bool check_numerics = check_numerics_from_env();
  // Called before a new plan is compiled, with that run's feeds and fetches
  // (the frontend's FLOWGRAD_CHECK_PASSES check hooks in here).
  std::function<void(const graph::Graph&, const Feeds&, const std::vector<graph::ValueId>&, const Workspace&)>
      before_compile;
};

// Runs a graph (see the file comment); owns a copy of the graph and its plans.
class Session {
 public:
  // With its own Workspace.
  explicit Session(const graph::Graph& g, SessionOptions options = {});
  // With the caller's Workspace (e.g. filled from a weights file), which must
  // outlive the session.
  Session(const graph::Graph& g, Workspace& workspace, SessionOptions options = {});

  // Feeds by input node name (its full scope path). Throws ValueError for an
  // unknown name or a missing/mistyped feed, naming the input, the types and
  // the caller's file:line.
  std::vector<graph::Tensor> run(const Feeds& feeds, const std::vector<graph::ValueId>& fetches,
                                 const std::source_location& loc = std::source_location::current());

  // The variables (parameters and optimizer state) the session's plans use.
  Workspace& workspace() { return *workspace_; }
  // Runs so far; random ops (dropout, masking, negative sampling) key their
  // streams by it. Restore it when resuming from a checkpoint.
  uint64_t step() const { return step_; }
  void set_step(uint64_t step) { step_ = step; }  // see step()
  const graph::Graph& graph() const { return graph_; }  // the graph as given
  size_t num_plans() const { return plans_.size(); }     // plans compiled so far
  // The plan the last run used.
  const Plan* last_plan() const { return last_; }

 private:
  graph::Graph graph_;
  SessionOptions options_;
  std::unique_ptr<Workspace> owned_;
  Workspace* workspace_;
  std::map<std::string, std::unique_ptr<Plan>> plans_;
  Plan* last_ = nullptr;
  uint64_t step_ = 0;
};

}  // namespace flowgrad::runtime
