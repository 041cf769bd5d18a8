#pragma once
// The machine's matmul peak, as `flowgrad inspect --profile` compares each
// matmul node with: the GFLOP/s of one oneDNN f32 matmul primitive on a
// large square GEMM (C[n, n] = A[n, n] · B[n, n], 2n³ flops) at a given
// OpenMP team size. `flowgrad peak` measures it and writes it as JSON
// (bench/run.sh: build-bench/results/peak.json):
//
// Beside it, the memory bandwidth a memory-bound op sees at that team size:
// GB/s of a oneDNN f32 add c = a + b over 128 MiB operands (3 x 128 MiB moved).
//
//   {"what": "oneDNN f32 matmul, square GEMM", "results": [
//     {"threads": 1, "size": 2048, "reps": 12, "best_gflops": 91.2, "median_gflops": 89.9, "add_gbps": 23.1}, ...]}

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tools/commands.h"

namespace flowgrad::tools {

struct PeakResult {
  int threads = 1;
  int64_t size = 0;  // n of the n x n x n GEMM
  int reps = 0;      // timed runs (after two untimed ones)
  double best_gflops = 0, median_gflops = 0;
  double add_gbps = 0;  // memory bandwidth: best GB/s of the f32 add (0: not measured)
};

// Runs the GEMM for about `seconds` (at least 3 timed runs).
PeakResult measure_matmul_peak(int threads, int64_t size, double seconds);

// GB/s of the f32 add above, best of about `seconds` of runs.
double measure_memory_bandwidth(int threads, double seconds);

// The JSON above.
std::string peak_json(std::span<const PeakResult> results);
// The results a peak file holds; a ValueError names the file and what is
// wrong if it cannot be read or holds none.
std::vector<PeakResult> read_peak_file(const std::string& path);

Command add_peak_command(CLI::App& app);

}  // namespace flowgrad::tools
