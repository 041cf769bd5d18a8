// The executor runs its flow graph's steps inside its own arena (a oneTBB
// graph otherwise runs them in the arena it was made in, where the thread
// waiting in run() cannot help).
#include "runtime/executor.h"

#include <doctest/doctest.h>

#include <atomic>

#include <tbb/task_arena.h>

namespace flowgrad::runtime {
namespace {

// Records the concurrency of the arena the step runs in.
class ArenaProbe final : public ops::Kernel {
 public:
  explicit ArenaProbe(std::atomic<int>& seen) : seen_(seen) {}
  void run(const ops::KernelArgs&) override { seen_ = tbb::this_task_arena::max_concurrency(); }
  double cost() const override { return 1; }

 private:
  std::atomic<int>& seen_;
};

TEST_CASE("the executor's flow graph runs its steps in the executor's arena") {
  constexpr int kThreads = 7;  // not a machine's core count, so the default arena differs
  std::atomic<int> first{0}, second{0};
  std::vector<Step> steps(2);
  steps[0].kernel = std::make_unique<ArenaProbe>(first);
  steps[1].kernel = std::make_unique<ArenaProbe>(second);
  steps[1].preds = {0};
  Executor executor(steps, kThreads);
  executor.run(ExecMode::parallel, 0);
  CHECK(first == kThreads);
  CHECK(second == kThreads);
}

}  // namespace
}  // namespace flowgrad::runtime
