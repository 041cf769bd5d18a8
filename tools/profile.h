#pragma once
// `flowgrad inspect --profile graph.pb --weights W --feed F [--steps N]
// [--peak G | --peak-file peak.json]`: compiles a graph file as replay runs
// it, runs it N times and reports where the time goes, from the executor's
// trace events (runtime/trace.h — the same record `--trace` writes):
//
//   - the top ops by time per step (op, nodes, ms, % of the step) and the top nodes;
//   - every matmul node (matmul, matmul_bias_act): batch, M, N, K, transposes,
//     FLOPs, ms per call, achieved GFLOP/s and % of the machine's matmul peak
//     (tools/peak.h), scaled to the node's share of the thread budget.
//
// The first run compiles and warms up; it is not timed.

#include <string>

namespace flowgrad::tools {

struct ProfileArgs {
  std::string graph, weights, feed;
  std::string trace;      // also write the timed runs as a Chrome trace
  std::string peak_file;  // `flowgrad peak --out` JSON
  double peak = 0;        // GFLOP/s; 0: from peak_file, else measured now
  int steps = 10;         // runs, the first one untimed
  int top = 15;           // rows of the op and node tables
  bool serial = false;    // one node at a time, in schedule order
};

int profile(const ProfileArgs& args);

}  // namespace flowgrad::tools
