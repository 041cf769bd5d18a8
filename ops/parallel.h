#pragma once
// Deterministic TBB loops for kernels oneDNN lacks. Work is cut into blocks
// whose boundaries depend only on the problem size (never on the thread
// count), so a reduction combines the same partial sums in the same order
// with 1 thread or 16.

#include <algorithm>
#include <cstdint>
#include <vector>

#include <tbb/parallel_for.h>

namespace flowgrad::ops {

inline constexpr int64_t kBlock = 16384;  // elements per block

// body(begin, end) over [0, n) in fixed blocks; parallel when threads > 1.
template <class Body>
void parallel_blocks(int64_t n, int threads, int64_t block, Body&& body) {
  int64_t blocks = (n + block - 1) / block;
  if (threads <= 1 || blocks <= 1) {
    for (int64_t b = 0; b < blocks; ++b) body(b * block, std::min(n, (b + 1) * block));
    return;
  }
  tbb::parallel_for(
      tbb::blocked_range<int64_t>(0, blocks, 1),
      [&](const tbb::blocked_range<int64_t>& r) {
        for (int64_t b = r.begin(); b != r.end(); ++b) body(b * block, std::min(n, (b + 1) * block));
      },
      tbb::simple_partitioner());
}

template <class Body>
void parallel_blocks(int64_t n, int threads, Body&& body) {
  parallel_blocks(n, threads, kBlock, std::forward<Body>(body));
}

}  // namespace flowgrad::ops
