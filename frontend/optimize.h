#pragma once
// Sessions that run the pass pipeline. The runtime does not know the passes
// (both sit on graph + ops, side by side), so the frontend, which knows
// both, plugs passes::optimize into the session as its graph transform:
//
//   runtime::Session sess(b.graph(), frontend::with_passes());
//   runtime::Session sess(b.graph(), frontend::with_passes({.threads = 2}, {.disabled = {"cse"}}));
//
// Every plan the session compiles then optimizes the graph specialized to its
// feeds, with the fetched values as graph outputs (runtime/plan.h). The
// default pipeline options come from the environment
// (FLOWGRAD_DISABLE_PASSES, FLOWGRAD_PRINT_AFTER; passes/pipeline.h), and
// FLOWGRAD_CHECK_PASSES=1 checks every new plan pass by pass before its first
// step (frontend/check_passes.h), throwing flowgrad::Error at the first pass
// that changes a result.

#include "passes/pipeline.h"
#include "runtime/session.h"

namespace flowgrad::frontend {

// `options` with the pass pipeline as the graph transform (see above).
runtime::SessionOptions with_passes(runtime::SessionOptions options = {},
                                    passes::PipelineOptions pipeline = passes::PipelineOptions::from_env());

}  // namespace flowgrad::frontend
