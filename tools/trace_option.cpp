#include "tools/trace_option.h"

#include <cstdio>
#include <filesystem>

#include "graph/error.h"
#include "runtime/trace.h"

namespace flowgrad::tools {

void add_trace_option(CLI::App* cmd, std::string& path) {
  cmd->add_option("--trace", path,
                  "Write a Chrome trace of every executed node (chrome://tracing, ui.perfetto.dev) to this JSON file");
}

TraceFile::TraceFile(const std::string& path) : active_(!path.empty()) {
  if (!active_) return;
  std::filesystem::path folder = std::filesystem::path(path).parent_path();
  if (!folder.empty() && !std::filesystem::is_directory(folder)) {
    throw ValueError("--trace '" + path + "': the folder '" + folder.string() + "' does not exist");
  }
  runtime::start_trace(path);
}

void TraceFile::finish() {
  if (!active_) return;
  active_ = false;
  size_t events = runtime::trace_event_count();
  std::string file = runtime::stop_trace();
  std::printf("wrote trace %s (%zu events)\n", file.c_str(), events);
}

TraceFile::~TraceFile() {
  if (!active_) return;
  try {
    size_t events = runtime::trace_event_count();
    std::string file = runtime::stop_trace();
    std::fprintf(stderr, "flowgrad: wrote the trace so far to %s (%zu events)\n", file.c_str(), events);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "flowgrad: error: %s\n", e.what());
  }
}

}  // namespace flowgrad::tools
