#pragma once
// compile(graph, feeds, fetches) -> Plan: the graph specialized to the fed
// types, the schedule (the nodes the fetches need, in topological order), one
// kernel per node (oneDNN primitives are created here and nowhere else), and
// buffers. A Plan runs any number of times without creating primitives or
// allocating buffers.

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "graph/tensor.h"
#include "runtime/executor.h"
#include "runtime/workspace.h"

namespace flowgrad::runtime {

struct FeedSpec {
  graph::ValueId value;      // the output of an `input` node
  graph::TensorType type;    // what will be fed (may differ from the declared shape)
};

struct CompileOptions {
  int threads = 0;  // 0: the process budget (runtime::num_threads())
};

class Plan {
 public:
  const graph::Graph& graph() const { return graph_; }
  std::span<const Step> steps() const { return steps_; }
  int threads() const { return threads_; }
  // Bytes of the buffers this plan allocated (activations and temporaries).
  size_t buffer_bytes() const;

  // Feeds in FeedSpec order; types must match the specs. Returned tensors
  // share the plan's buffers: the next run overwrites them (clone() to keep).
  std::vector<graph::Tensor> run(std::span<const graph::Tensor> feeds, ExecMode mode = ExecMode::parallel,
                                 uint64_t step = 0);

 private:
  friend std::unique_ptr<Plan> compile(const graph::Graph&, const std::vector<FeedSpec>&,
                                       const std::vector<graph::ValueId>&, Workspace&, const CompileOptions&);
  struct FeedUse {
    uint32_t step;
    uint32_t slot;
    bool output = false;  // an in-place output that updates the fed tensor
  };
  struct Fetch {
    int feed = -1;         // a fed value, returned as fed
    graph::Tensor tensor;  // otherwise: a buffer, a variable or a constant
  };

  graph::Graph graph_;
  int threads_ = 1;
  std::vector<Step> steps_;
  std::vector<graph::Tensor> buffers_;
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
