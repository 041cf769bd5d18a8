#pragma once
/// @file
/// A model summary, like torchinfo's or Keras' `summary()`: one row per node
/// with its name, op, output type and parameter count, then totals.
///
///     std::cout << frontend::summary(b.graph());
///
///     node                                op                 output            params
///     ---------------------------------------------------------------------------------
///     mlp/layer1/weight                   variable           f32[32, 2]            64
///     mlp/layer1/matmul                   matmul             f32[256, 32]
///     ...
///     =================================================================================
///     12 nodes shown, 57 gradient and optimizer nodes hidden
///     parameters: 162 (648 B) in 4 tensors; optimizer state: 325 (1.27 KiB)
///
/// Parameters are the `variable` nodes outside the optimizer's scope (their
/// output's element count); optimizer state (moments, step counters: the
/// variables in an "optimizer" scope) is counted apart. By default the rows are
/// the forward graph: nodes added by autodiff (under ".../grad") and by the
/// optimizer (in its "optimizer" scope) are counted but not listed.

#include <cstdint>
#include <string>
#include <vector>

#include "graph/graph.h"

namespace flowgrad::frontend {

/// What the summary lists.
struct SummaryOptions {
  bool training_nodes = false;  ///< also list gradient and optimizer nodes
  /// 0: one row per node. N > 0: one row per scope of N levels, like a
  /// layer in Keras ("classifier/proj" for depth 2), with the parameters of
  /// its nodes summed, the output of its last node and the ops it computes.
  int depth = 0;
};

/// One node of the summary.
struct SummaryRow {
  std::string name;        ///< the node's scope path (with depth: the scope)
  std::string op;          ///< its op (with depth: the ops of the scope's computed nodes)
  std::string output;      ///< type of output 0 (and "+N" when it has more outputs)
  int64_t params = 0;      ///< elements of a parameter variable, else 0
};

/// Rows and totals; str() renders the table.
struct GraphSummary {
  std::vector<SummaryRow> rows;  ///< listed nodes, in insertion order
  size_t shown_nodes = 0;        ///< nodes listed (grouped into fewer rows with depth)
  size_t hidden_nodes = 0;       ///< gradient and optimizer nodes not listed
  int64_t params = 0;            ///< total parameter elements
  int64_t param_bytes = 0;       ///< their storage
  int64_t param_tensors = 0;     ///< number of parameter variables
  int64_t state = 0;             ///< optimizer state elements
  int64_t state_bytes = 0;       ///< their storage
  std::string str() const;  ///< the table and totals as text
};

/// True for nodes the optimizer added (an "optimizer" scope level in the
/// path, where its state variables live too).
bool is_optimizer_node(const graph::Node& n);
/// True for nodes autodiff added (a "grad" scope level in the path).
bool is_gradient_node(const graph::Node& n);

/// The summary of `g`, nodes in insertion order. Every op must be registered.
GraphSummary summarize(const graph::Graph& g, const SummaryOptions& options = {});
/// summarize(g, options).str()
std::string summary(const graph::Graph& g, const SummaryOptions& options = {});

}  // namespace flowgrad::frontend
