#pragma once
// Deterministic parallel loops for kernels oneDNN lacks. Work is cut into
// blocks whose boundaries depend only on the problem size (never on the thread
// count), so a reduction combines the same partial sums in the same order
// with 1 thread or 16.
//
// The blocks run on the calling thread's OpenMP team, as oneDNN's primitives
// do, not on TBB: the executor's other TBB workers are usually not free to
// help (one may be waiting for this step's cores), so a TBB loop inside a
// 2-thread step ran on one thread (docs/architecture.md, "Threads").

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

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

namespace detail {
// Runs body(ctx, b) for every block b in [0, blocks) on the calling thread's
// OpenMP team of min(threads, blocks) (ops/parallel.cpp: OpenMP stays inside
// the library), then rethrows the first exception a block threw.
void run_blocks(int64_t blocks, int threads, void (*body)(void* ctx, int64_t b), void* ctx);
}  // namespace detail

// Sets the calling thread's OpenMP team size: the threads its oneDNN
// primitives and parallel_blocks loops use (OpenMP's nthreads-var is per
// thread, so each executor worker owns its own team).
void set_openmp_team(int n);

// set_openmp_team(n) until destroyed. oneDNN fixes some primitives' thread
// count when they are created (gemm-based matmul, layer norm), so primitives
// are made under the team size they will run with.
class OpenMpTeam {
 public:
  explicit OpenMpTeam(int n);
  ~OpenMpTeam();
  OpenMpTeam(const OpenMpTeam&) = delete;
  OpenMpTeam& operator=(const OpenMpTeam&) = delete;

 private:
  int previous_;
};

// f(i) for every i in [0, n), on up to `threads` threads of the calling
// thread's OpenMP team (serially for 1); exceptions as in run_blocks.
template <class F>
void parallel_for_each(int64_t n, int threads, F&& f) {
  if (threads <= 1 || n <= 1) {
    for (int64_t i = 0; i < n; ++i) f(i);
    return;
  }
  detail::run_blocks(
      n, threads, [](void* ctx, int64_t i) { (*static_cast<std::remove_reference_t<F>*>(ctx))(i); }, &f);
}

// body(begin, end) over [0, n) in fixed blocks; on up to `threads` threads
// when threads > 1. An exception a block throws (a kernel that finds bad
// data) reaches the caller after every block has run.
template <class Body>
void parallel_blocks(int64_t n, int threads, int64_t block, Body&& body) {
  const int64_t blocks = (n + block - 1) / block;
  parallel_for_each(blocks, threads, [&](int64_t b) { body(b * block, std::min(n, (b + 1) * block)); });
}

template <class Body>
void parallel_blocks(int64_t n, int threads, Body&& body) {
  parallel_blocks(n, threads, kBlock, std::forward<Body>(body));
}

}  // namespace flowgrad::ops
