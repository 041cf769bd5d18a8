#pragma once
// compile(graph, feeds, fetches) -> Plan: the graph specialized to the fed
// types (and optionally transformed, e.g. by the pass pipeline), the schedule
// (the nodes the fetches need, in topological order), one kernel per node
// (oneDNN primitives are created here and nowhere else), and one arena that
// holds every computed value at offsets from the memory planner
// (runtime/memory_plan.h). A Plan runs any number of times without creating
// primitives or allocating memory.

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "graph/tensor.h"
#include "runtime/executor.h"
#include "runtime/memory_plan.h"
#include "runtime/workspace.h"

namespace flowgrad::runtime {

struct FeedSpec {
  graph::ValueId value;      // the output of an `input` node
  graph::TensorType type;    // what will be fed (may differ from the declared shape)
};

// A rewrite of the specialized graph before scheduling. The runtime does not
// know the passes (they sit beside it, on graph and ops): the frontend plugs
// passes::optimize in here (frontend::with_passes). The fetched values are
// graph outputs while it runs, and are read back from g.outputs() after it,
// so a transform may replace them by equal values but must keep the outputs'
// number and order.
using GraphTransform = std::function<void(graph::Graph&)>;

struct CompileOptions {
  int threads = 0;           // 0: the process budget (runtime::num_threads())
  bool plan_memory = true;   // false: every computed value its own block (no reuse, no in-place)
  GraphTransform transform;  // empty: run the graph as built
};

class Plan {
 public:
  const graph::Graph& graph() const { return graph_; }
  std::span<const Step> steps() const { return steps_; }
  int threads() const { return threads_; }
  // Bytes of the arena holding every computed value (the planned peak).
  size_t buffer_bytes() const { return memory_.planned_peak; }
  // What the plan's memory holds, by kind (runtime/memory_plan.h).
  const MemoryReport& memory() const { return memory_; }

  // Feeds in FeedSpec order; types must match the specs. Returned tensors
  // share the plan's buffers: the next run overwrites them (clone() to keep).
  // With check_numerics, runs serially and throws NumericsError at the first
  // step whose output holds a NaN or an Inf (runtime/numerics.h).
  std::vector<graph::Tensor> run(std::span<const graph::Tensor> feeds, ExecMode mode = ExecMode::parallel,
                                 uint64_t step = 0, bool check_numerics = false);

 private:
  friend std::unique_ptr<Plan> compile(const graph::Graph&, const std::vector<FeedSpec>&,
                                       const std::vector<graph::ValueId>&, Workspace&, const CompileOptions&);
  struct FeedUse {
    uint32_t step;
    uint32_t slot;
    bool output = false;  // an in-place output that updates the fed tensor
  };
  void run_checked(uint64_t step);
  struct Fetch {
    int feed = -1;         // a fed value, returned as fed
    graph::Tensor tensor;  // otherwise: a buffer, a variable or a constant
  };

  graph::Graph graph_;
  int threads_ = 1;
  std::vector<Step> steps_;
  std::shared_ptr<graph::Tensor> arena_;  // every computed value, at planned offsets
  MemoryReport memory_;
  std::vector<graph::TensorType> feed_types_;
  std::vector<std::vector<FeedUse>> feed_uses_;
  std::vector<Fetch> fetches_;
  std::unique_ptr<Executor> executor_;
};

std::unique_ptr<Plan> compile(const graph::Graph& g, const std::vector<FeedSpec>& feeds,
                              const std::vector<graph::ValueId>& fetches, Workspace& workspace,
                              const CompileOptions& options = {});

// A copy of `g` with the given input values re-typed and every node's output
// types re-inferred (a ShapeError names the first node that cannot take them).
graph::Graph specialize(const graph::Graph& g, const std::vector<FeedSpec>& feeds);

}  // namespace flowgrad::runtime
