#include "tools/progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "graph/error.h"

namespace flowgrad::tools {
namespace {

std::string clock_str(double seconds) {
  int s = static_cast<int>(std::lround(seconds));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%d:%02d", s / 60, s % 60);
  return buf;
}

// A resumed run's CSV: the rows of the steps before `done` stay, later ones
// (written after the checkpoint by the interrupted run) go.
void keep_rows_until(const std::string& path, int64_t done) {
  std::ifstream in(path);
  std::string kept, line;
  for (bool header = true; std::getline(in, line); header = false) {
    if (header || std::atoll(line.c_str()) <= done) kept += line + "\n";
  }
  in.close();
  std::ofstream out(path, std::ios::trunc);
  out << kept;
  if (!out) throw Error("cannot write '" + path + "'");
}

}  // namespace

Progress::Progress(std::string label, int64_t total_steps, std::string csv_path, int64_t done)
    : label_(std::move(label)), total_(total_steps), done_(done), tty_(::isatty(STDOUT_FILENO) != 0),
      start_(std::chrono::steady_clock::now()), last_line_step_(done) {
  if (!csv_path.empty()) {
    bool append = done > 0 && std::filesystem::exists(csv_path);
    if (append) keep_rows_until(csv_path, done);
    csv_ = std::fopen(csv_path.c_str(), append ? "a" : "w");
    if (!csv_) throw Error("cannot write '" + csv_path + "'");
    if (!append) std::fprintf(csv_, "step,loss,examples_per_s,lr,elapsed_s\n");
  }
}

Progress::~Progress() {
  if (csv_) std::fclose(csv_);
}

void Progress::update(int64_t step, double loss, int64_t examples, double lr) {
  examples_ += examples;
  smoothed_loss_ = first_update_ ? loss : 0.9 * smoothed_loss_ + 0.1 * loss;
  first_update_ = false;
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = elapsed > 0 ? static_cast<double>(examples_) / elapsed : 0;
  double eta = step > done_ ? elapsed * static_cast<double>(total_ - step) / static_cast<double>(step - done_) : 0;
  if (csv_) std::fprintf(csv_, "%lld,%.6g,%.1f,%.6g,%.3f\n", static_cast<long long>(step), loss, rate, lr, elapsed);
  if (tty_) {
    constexpr int kWidth = 28;
    int filled = total_ > 0 ? static_cast<int>(kWidth * step / total_) : 0;
    std::string bar(static_cast<size_t>(filled), '=');
    if (filled < kWidth) bar += '>' + std::string(static_cast<size_t>(kWidth - filled - 1), ' ');
    std::printf("\r%-8s [%s] %lld/%lld  loss %.4f  %.0f ex/s  ETA %s ", label_.c_str(), bar.c_str(),
                static_cast<long long>(step), static_cast<long long>(total_), smoothed_loss_, rate, clock_str(eta).c_str());
    std::fflush(stdout);
  } else if (step == done_ + 1 || step == total_ || step - last_line_step_ >= std::max<int64_t>(1, total_ / 10)) {
    std::printf("%s step %lld/%lld  loss %.4f  %.0f ex/s  elapsed %s\n", label_.c_str(), static_cast<long long>(step),
                static_cast<long long>(total_), smoothed_loss_, rate, clock_str(elapsed).c_str());
    last_line_step_ = step;
  }
}

void Progress::note(const std::string& line) {
  std::printf(tty_ ? "\n%s\n" : "%s\n", line.c_str());
}

void Progress::finish(const std::string& summary) {
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (tty_) std::printf("\n");
  std::printf("%s done in %s: %s\n", label_.c_str(), clock_str(elapsed).c_str(), summary.c_str());
  if (csv_) std::fflush(csv_);
}

}  // namespace flowgrad::tools
