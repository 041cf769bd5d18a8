#pragma once
// One thread budget for the process, applied to both runtimes: oneTBB (the
// executor's arena) and OpenMP (oneDNN's primitives). See
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

// Sets OpenMP's team size for oneDNN calls made from the calling thread.
void set_openmp_threads_for_this_thread(int n);

// Sets the calling thread's OpenMP team size until destroyed. oneDNN fixes
// some primitives' thread count when they are created (gemm-based matmul,
// layer norm), so the runtime creates each primitive under the team size it
// will run with.
class OpenMpThreadsScope {
 public:
  explicit OpenMpThreadsScope(int n);
  ~OpenMpThreadsScope();
  OpenMpThreadsScope(const OpenMpThreadsScope&) = delete;
  OpenMpThreadsScope& operator=(const OpenMpThreadsScope&) = delete;

 private:
  int previous_;
};

}  // namespace flowgrad::runtime
