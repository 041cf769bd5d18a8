#pragma once
// The `--trace out.json` option of `flowgrad train`, `replay` and `inspect
// --profile`: a Chrome trace of every executed node (runtime/trace.h).

#include <string>

#include <CLI/CLI.hpp>

namespace flowgrad::tools {

// Adds --trace to `cmd`, storing the path in `path`.
void add_trace_option(CLI::App* cmd, std::string& path);

// Records from construction when `path` is not empty (a ValueError at once if
// its folder does not exist). finish() writes the file and prints "wrote
// trace <file> (<n> events)"; if a command fails before, the destructor
// writes what was recorded (the trace shows how far it got).
class TraceFile {
 public:
  explicit TraceFile(const std::string& path);
  ~TraceFile();
  void finish();
  TraceFile(const TraceFile&) = delete;
  TraceFile& operator=(const TraceFile&) = delete;

 private:
  bool active_ = false;
};

}  // namespace flowgrad::tools
