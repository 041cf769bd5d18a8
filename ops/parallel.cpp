#include "ops/parallel.h"

#include <exception>

namespace flowgrad::ops::detail {

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

}  // namespace flowgrad::ops::detail
