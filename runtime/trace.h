#pragma once
// A record of the executor's steps: while recording is on, every kernel run
// by every plan becomes one event (node, op, shapes, thread, start,
// duration). Two consumers read the same events: the Chrome trace writer
// (chrome://tracing, ui.perfetto.dev: complete events "ph": "X", ts/dur in
// microseconds, pid = rank, tid = the executor thread) and the profiler of
// `flowgrad inspect --profile`.
//
//   start_trace("out.json");   // `flowgrad train|replay --trace out.json`
//   ... run sessions ...
//   stop_trace();              // writes out.json (out.<rank>.json under mpirun)
//
// FLOWGRAD_TRACE=<path> starts the same recording when the library loads and
// writes <path>.<rank>.json at exit. When nothing records, the executor pays
// one relaxed atomic load per step.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "graph/graph.h"

namespace flowgrad::runtime {

// What an event says about the step that ran; made once per step when its
// plan is compiled (never per run), shared by that step's events.
struct StepLabel {
  graph::NodeId node = graph::kNone;
  std::string name;                          // the node's scope path
  std::string op;                            // its op
  std::vector<std::string> inputs, outputs;  // tensor types, "f32[32, 128]"
};

struct TraceEvent {
  std::shared_ptr<const StepLabel> label;
  uint64_t step = 0;      // the run counter the kernel got (Session::step())
  int thread = 0;         // executor thread: 0, 1, ... in order of first event
  double start_us = 0;    // since the recording started
  double duration_us = 0;
  int team = 1;           // threads the kernel ran with; 0: a step that waits (a collective)
};

namespace detail {
extern std::atomic<bool> trace_on;
}

// True while a recording is on.
inline bool tracing() { return detail::trace_on.load(std::memory_order_relaxed); }

// Starts a new recording (events recorded before are dropped). `path`: the
// Chrome trace file that flush_trace()/stop_trace() write; empty: keep the
// events in memory only (trace_events()). Under mpirun (more than one
// worker) each worker writes <path without .json>.<rank>.json.
void start_trace(const std::string& path = {});
// Writes everything recorded so far to the recording's file (no-op without
// one); returns the file written, or "". Throws Error if it cannot write.
std::string flush_trace();
// flush_trace(), then stops recording and drops the events.
std::string stop_trace();
// A copy of the events recorded so far, in the order they ended.
std::vector<TraceEvent> trace_events();
// How many events were recorded so far.
size_t trace_event_count();

// Records one step that ran [start, end) on the calling thread with a team of
// `team` threads (the executor calls it).
void trace_step(const std::shared_ptr<const StepLabel>& label, uint64_t step, int team,
                std::chrono::steady_clock::time_point start, std::chrono::steady_clock::time_point end);

// Writes `events` as a Chrome trace JSON object to `path`, `pid` = rank.
void write_chrome_trace(const std::string& path, std::span<const TraceEvent> events, int pid);

}  // namespace flowgrad::runtime
