#pragma once
// One thread budget for the process, applied to both runtimes: oneTBB (the
// executor's arena) and OpenMP (oneDNN's primitives; a thread's team size:
// ops::OpenMpTeam in ops/parallel.h). See
// docs/architecture.md ("Threads") for the policy and the measurements.

#include <condition_variable>
#include <mutex>

namespace flowgrad::runtime {

// Sets the budget (>= 1). Default: the number of cores.
void set_num_threads(int n);
int num_threads();

// A counting semaphore of cores. A node that will use k threads (its OpenMP
// team, which runs its oneDNN primitives and its ops/parallel.h loops) holds
// k tokens while it runs, so the sum over concurrently running nodes never
// exceeds the budget.
class ThreadTokens {
 public:
  explicit ThreadTokens(int n) : free_(n) {}
  void acquire(int k);
  void release(int k);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int free_;
};

}  // namespace flowgrad::runtime
