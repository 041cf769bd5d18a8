#pragma once
// Executes a plan's steps: serially in schedule order, or on a oneTBB flow
// graph (one continue_node per step, edges from data dependencies) inside an
// arena of the thread budget. Each step holds `threads` ThreadTokens while it
// runs and sets its OpenMP team to that size, so concurrently running oneDNN
// primitives and kernel loops never use more cores than the budget.

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <tbb/flow_graph.h>
#include <tbb/task_arena.h>

#include "graph/graph.h"
#include "ops/kernel.h"
#include "runtime/threads.h"
#include "runtime/trace.h"

namespace flowgrad::runtime {

struct Step {
  graph::NodeId node = graph::kNone;
  std::string name;
  std::shared_ptr<const StepLabel> label;  // what a trace event of this step says (runtime/trace.h)
  std::unique_ptr<ops::Kernel> kernel;
  std::vector<const std::byte*> inputs;
  std::vector<std::byte*> outputs;
  std::vector<uint32_t> preds;  // steps that must finish first
  int threads = 1;              // share of the budget when run in parallel
  bool big = false;             // gets the whole budget when run serially
};

enum class ExecMode { parallel, serial };

class Executor {
 public:
  Executor(std::span<Step> steps, int threads);
  ~Executor();
  // `step` is passed to every kernel (random ops key their streams by it).
  void run(ExecMode mode, uint64_t step);
  // Serially, in schedule order, calling before(i) and after(i) around step
  // i (the numerics check reads the step's buffers there).
  void run_observed(uint64_t step, const std::function<void(size_t)>& before,
                    const std::function<void(size_t)>& after);

 private:
  void run_step(Step& s, int threads);

  std::span<Step> steps_;
  uint64_t step_ = 0;
  int threads_;
  ThreadTokens tokens_;
  tbb::task_arena arena_;
  tbb::flow::graph flow_;
  tbb::flow::broadcast_node<tbb::flow::continue_msg> start_;
  std::vector<std::unique_ptr<tbb::flow::continue_node<tbb::flow::continue_msg>>> nodes_;
};

}  // namespace flowgrad::runtime
