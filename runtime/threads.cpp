#include "runtime/threads.h"

#include <omp.h>

#include <memory>
#include <thread>

#include <tbb/global_control.h>
#include <tbb/info.h>

#include "graph/error.h"

namespace flowgrad::runtime {
namespace {

struct Budget {
  std::mutex mu;
  int threads = 0;
  std::unique_ptr<tbb::global_control> tbb_limit;
};

Budget& budget() {
  static Budget b;
  return b;
}

}  // namespace

void set_num_threads(int n) {
  if (n < 1) throw ValueError("thread count must be >= 1, got " + std::to_string(n));
  Budget& b = budget();
  std::lock_guard lock(b.mu);
  b.threads = n;
  b.tbb_limit = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism, n);
  omp_set_num_threads(n);
}

int num_threads() {
  Budget& b = budget();
  std::lock_guard lock(b.mu);
  if (b.threads == 0) b.threads = std::max(1, tbb::info::default_concurrency());
  return b.threads;
}

void ThreadTokens::acquire(int k) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return free_ >= k; });
  free_ -= k;
}

void ThreadTokens::release(int k) {
  {
    std::lock_guard lock(mu_);
    free_ += k;
  }
  cv_.notify_all();
}

}  // namespace flowgrad::runtime
