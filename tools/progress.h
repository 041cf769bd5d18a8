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
  // `csv_path` empty: no CSV. Columns: step,loss,examples_per_s,lr,elapsed_s.
  // After a resume at step `done` > 0 the CSV keeps its rows up to `done` and
  // continues.
  Progress(std::string label, int64_t total_steps, std::string csv_path = {}, int64_t done = 0);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void update(int64_t step, double loss, int64_t examples, double lr);
  // A line between updates (e.g. "checkpoint <path>").
  void note(const std::string& line);
  void finish(const std::string& summary);

 private:
  std::string label_;
  int64_t total_;
  int64_t done_;  // steps done before this process started
  bool tty_;
  std::FILE* csv_ = nullptr;
  std::chrono::steady_clock::time_point start_;
  int64_t examples_ = 0;
  double smoothed_loss_ = 0;
  bool first_update_ = true;
  int64_t last_line_step_ = 0;
};

}  // namespace flowgrad::tools
