#include "ops/parallel.h"

#include <exception>

namespace flowgrad::ops::detail {

void run_blocks(int64_t blocks, int threads, void (*body)(void* ctx, int64_t b), void* ctx) {
  std::exception_ptr error;
#pragma omp parallel for num_threads(static_cast<int>(std::min<int64_t>(threads, blocks))) schedule(static)
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
