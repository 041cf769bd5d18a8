#include "ops/parallel.h"

#include <omp.h>

#include <exception>

namespace flowgrad::ops {

void set_openmp_team(int n) {
  if (omp_get_max_threads() != n) omp_set_num_threads(n);
}

OpenMpTeam::OpenMpTeam(int n) : previous_(omp_get_max_threads()) { set_openmp_team(n); }

OpenMpTeam::~OpenMpTeam() { set_openmp_team(previous_); }

namespace detail {

void run_blocks(int64_t blocks, int threads, void (*body)(void* ctx, int64_t b), void* ctx) {
  std::exception_ptr error;
  // Dynamic: when a team thread is preempted (a busy machine, or the batch
  // maker sharing the core), the others take its blocks instead of waiting.
#pragma omp parallel for num_threads(static_cast<int>(std::min<int64_t>(threads, blocks))) schedule(dynamic, 1)
  for (int64_t b = 0; b < blocks; ++b) {
    try {
      body(ctx, b);
    } catch (...) {
#pragma omp critical(flowgrad_run_blocks_error)
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace detail
}  // namespace flowgrad::ops
