#pragma once
// Timing helpers for bench/: medians of several runs with min and max, as the
// machine is small and noisy.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <vector>

namespace flowgrad::bench {

struct Stats {
  double median_ms = 0, min_ms = 0, max_ms = 0;
  std::vector<double> samples;  // each run, in ms
};

inline Stats summarize(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms.front(), ms.back(), ms};
}

inline Stats time_runs(int warmup, int runs, const std::function<void()>& body) {
  for (int i = 0; i < warmup; ++i) body();
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    body();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  return summarize(std::move(ms));
}

inline void print_row(const char* name, const Stats& s) {
  std::printf("%-48s median %9.3f ms   min %9.3f   max %9.3f\n", name, s.median_ms, s.min_ms, s.max_ms);
}

}  // namespace flowgrad::bench
