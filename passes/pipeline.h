#pragma once
// The optimization pipeline: the passes, in order, in one function
// (pipeline.cpp, `pipeline`), run by optimize():
//
//   passes::optimize(g, passes::PipelineOptions::from_env());
//
// Values the caller will fetch must be graph outputs: passes replace values
// by equal ones (cse, algebraic, fusion) and dce keeps only what reaches the
// outputs. runtime::compile with a transform (frontend::with_passes) marks
// the fetches as outputs for exactly this reason.
//
// Bisecting a wrong result:
//   FLOWGRAD_DISABLE_PASSES=cse,fuse_matmul_bias_act   switch passes off by name
//   FLOWGRAD_PRINT_AFTER=algebraic                      print the graph after that pass (stderr)
// and `verify` runs ops::verify after every pass, naming the pass that broke
// the graph (on by default in debug builds; tests turn it on).

#include <string>
#include <string_view>
#include <vector>

#include "graph/graph.h"

namespace flowgrad::passes {

#ifdef NDEBUG
inline constexpr bool kDebugBuild = false;
#else
inline constexpr bool kDebugBuild = true;
#endif

struct PipelineOptions {
  std::vector<std::string> disabled;  // pass names to skip
  std::string print_after;            // a pass name: print the graph after it
  bool verify = kDebugBuild;          // ops::verify after every pass

  // Reads FLOWGRAD_DISABLE_PASSES (comma-separated) and FLOWGRAD_PRINT_AFTER.
  static PipelineOptions from_env();
};

// Runs the pipeline; true if any pass changed the graph. Throws ValueError
// for an unknown pass name in the options (listing the known ones), and
// flowgrad::Error naming the pass if verification fails after it.
bool optimize(graph::Graph& g, const PipelineOptions& options = {});

// The names of the pipeline's passes, in pipeline order, each once.
std::vector<std::string_view> pass_names();

// The graph as text, one node per line in topological order:
//   %7 = matmul(%1, %4) {transpose_a=false, transpose_b=true} : f32[256, 32]   # mlp/fc1/matmul
std::string format_graph(const graph::Graph& g);

}  // namespace flowgrad::passes
