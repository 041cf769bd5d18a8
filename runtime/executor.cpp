#include "runtime/executor.h"

#include "ops/dnnl_util.h"
#include "ops/parallel.h"

namespace flowgrad::runtime {
namespace {

dnnl::stream& this_thread_stream() {
  thread_local dnnl::stream stream(ops::cpu_engine());
  return stream;
}

}  // namespace

Executor::Executor(std::span<Step> steps, int threads)
    : steps_(steps), threads_(threads), tokens_(threads), arena_(threads), start_(flow_) {
  // A flow graph submits its tasks to the arena it attached to when made: the
  // constructing thread's, not arena_. Then the thread waiting in run()'s
  // arena_.execute never ran a step. reset() attaches the graph to the arena
  // it is called in.
  arena_.execute([&] { flow_.reset(); });
  using tbb::flow::continue_msg;
  using tbb::flow::continue_node;
  nodes_.reserve(steps.size());
  for (size_t i = 0; i < steps.size(); ++i) {
    nodes_.push_back(std::make_unique<continue_node<continue_msg>>(flow_, [this, i](const continue_msg&) {
      Step& s = steps_[i];
      tokens_.acquire(s.threads);
      struct Release {
        ThreadTokens& t;
        int k;
        ~Release() { t.release(k); }
      } release{tokens_, s.threads};
      run_step(s, s.threads);
    }));
  }
  for (size_t i = 0; i < steps.size(); ++i) {
    if (steps[i].preds.empty()) tbb::flow::make_edge(start_, *nodes_[i]);
    for (uint32_t p : steps[i].preds) tbb::flow::make_edge(*nodes_[p], *nodes_[i]);
  }
}

Executor::~Executor() { flow_.wait_for_all(); }

void Executor::run_step(Step& s, int threads) {
  ops::set_openmp_team(std::max(threads, 1));
  ops::KernelArgs args{s.inputs, s.outputs, threads, &this_thread_stream(), step_};
  if (!tracing()) {
    s.kernel->run(args);
    return;
  }
  auto start = std::chrono::steady_clock::now();
  s.kernel->run(args);
  trace_step(s.label, step_, threads, start, std::chrono::steady_clock::now());
}

void Executor::run_observed(uint64_t step, const std::function<void(size_t)>& before,
                            const std::function<void(size_t)>& after) {
  step_ = step;
  for (size_t i = 0; i < steps_.size(); ++i) {
    before(i);
    run_step(steps_[i], steps_[i].threads);
    after(i);
  }
}

void Executor::run(ExecMode mode, uint64_t step) {
  step_ = step;
  if (mode == ExecMode::serial) {
    for (Step& s : steps_) run_step(s, s.threads);  // the team each kernel was built for
    return;
  }
  arena_.execute([&] {
    try {
      start_.try_put(tbb::flow::continue_msg());
      flow_.wait_for_all();
    } catch (...) {
      // A kernel reported bad data (e.g. a label out of range): the graph was
      // cancelled; make it runnable again, then let the caller see the error.
      flow_.reset();
      throw;
    }
  });
}

}  // namespace flowgrad::runtime
