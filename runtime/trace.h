#pragma once
// A Chrome trace of the executor (chrome://tracing, ui.perfetto.dev): with
// FLOWGRAD_TRACE=<path> set, every step of every plan run is recorded as a
// complete event (node name, op, thread, start, duration) and the file
// <path>.<rank>.json is written at exit (rank: the worker under mpirun, else 0).
// Without the variable nothing is recorded (one branch per step).

#include <chrono>
#include <string>

namespace flowgrad::runtime {

bool tracing();
// Records one step that ran [start, end) on the calling thread.
void trace_step(const std::string& name, std::chrono::steady_clock::time_point start,
                std::chrono::steady_clock::time_point end);

}  // namespace flowgrad::runtime
