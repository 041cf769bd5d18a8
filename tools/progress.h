#pragma once
// Training progress: a one-line bar on a terminal (steps, loss, throughput,
// ETA), plain log lines when stdout is not a terminal, and the same numbers
// appended to a CSV file.

#include <chrono>
#include <cstdio>
#include <string>

namespace flowgrad::tools {

class Progress {
 public:
  // `csv_path` empty: no CSV. Columns: step,loss,examples_per_s,lr,elapsed_s
  Progress(std::string label, int64_t total_steps, std::string csv_path = {});
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void update(int64_t step, double loss, int64_t examples, double lr);
  void finish(const std::string& summary);

 private:
  std::string label_;
  int64_t total_;
  bool tty_;
  std::FILE* csv_ = nullptr;
  std::chrono::steady_clock::time_point start_;
  int64_t examples_ = 0;
  double smoothed_loss_ = 0;
  int64_t last_line_step_ = 0;
};

}  // namespace flowgrad::tools
