#pragma once
// Deterministic TBB loops for kernels oneDNN lacks. Work is cut into blocks
// whose boundaries depend only on the problem size (never on the thread
// count), so a reduction combines the same partial sums in the same order
// with 1 thread or 16.

#include <algorithm>
#include <cstdint>
#include <vector>

#include <tbb/parallel_for.h>

// GCC on x86-64: one copy of a hot loop per instruction-set level, chosen
// when the library loads (ifunc). Left out of sanitizer builds (a precaution:
// ifunc resolvers run before ASan's start-up) and of other compilers.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define FLOWGRAD_X86_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define FLOWGRAD_X86_CLONES
#endif

namespace flowgrad::ops {

inline constexpr int64_t kBlock = 16384;  // elements per block

// Asks for the cache lines of row[0, n) (a table row about to be read or written).
inline void prefetch_row(const float* row, int64_t n) {
  for (int64_t j = 0; j < n; j += 16) __builtin_prefetch(row + j);
}

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
