#pragma once
// Differential checking of the pass pipeline: which pass broke my numbers?
//
// check_passes runs a graph unoptimized and after each prefix of the pipeline
// (constant_fold; constant_fold + algebraic; ...) on the same feeds and on
// copies of the same variables, and returns the first pass after which a
// result differs (beyond rtol), with the first value — in schedule order,
// among the values both graphs compute — that differs. With
// FLOWGRAD_CHECK_PASSES=1, frontend::with_passes() runs it before each new
// plan's first step and throws flowgrad::Error with that report.
//
// Slow on purpose (one compile and run per pass): a bisecting tool, not a
// training mode.

#include <functional>
#include <optional>
#include <string>

#include "passes/pipeline.h"
#include "runtime/session.h"

namespace flowgrad::frontend {

struct PassMismatch {
  std::string pass;    // the first pass whose output differs
  std::string value;   // the first differing value: "<node name> output <i>"
  std::string detail;  // "element 3 of f32[4, 2]: 0.25 vs 0.5"
  std::string str() const;
};

using Optimizer = std::function<bool(graph::Graph&, const passes::PipelineOptions&)>;

// `optimize` is the pipeline to check (tests inject a broken one).
std::optional<PassMismatch> check_passes(const graph::Graph& g, const runtime::Feeds& feeds,
                                         const std::vector<graph::ValueId>& fetches,
                                         const runtime::Workspace& workspace, const passes::PipelineOptions& options,
                                         double rtol = 1e-4, const Optimizer& optimize = passes::optimize);

}  // namespace flowgrad::frontend
