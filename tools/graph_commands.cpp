// flowgrad ops | dot | inspect: look at the registry and at graph files
// (inspect --profile: tools/profile.h).

#include <cstdio>
#include <iostream>
#include <map>

#include "frontend/optimize.h"
#include "frontend/summary.h"
#include "graph/dot.h"
#include "ops/op_def.h"
#include "runtime/graph_io.h"
#include "runtime/plan.h"
#include "tools/commands.h"
#include "tools/graph_inputs.h"
#include "tools/profile.h"
#include "tools/trace_option.h"

namespace flowgrad::tools {
namespace {

struct Inputs {
  std::vector<runtime::FeedSpec> specs;
  std::vector<std::string> names;
};

Inputs inputs_of(const graph::Graph& g) {
  Inputs in;
  for (graph::NodeId id : g.node_ids()) {
    const graph::Node& n = g.node(id);
    if (ops::get_op(n.op).source != ops::Source::input) continue;
    const graph::TensorType& t = g.value(n.outputs.at(0)).type;
    in.specs.push_back({n.outputs[0], t});
    in.names.push_back(n.name + " " + t.str());
  }
  return in;
}

int inspect(const std::string& path, bool table, bool all_nodes, int depth) {
  graph::Graph g = runtime::load_graph(path);
  frontend::GraphSummary s = frontend::summarize(g, {.training_nodes = all_nodes, .depth = depth});
  if (table) {
    std::printf("%s", s.str().c_str());
    return 0;
  }
  Inputs in = inputs_of(g);
  std::printf("%s: %zu nodes\n", path.c_str(), g.num_nodes());
  for (const auto& name : in.names) std::printf("  input      %s\n", name.c_str());
  std::printf("parameters: %lld (%.2f MiB), optimizer state %.2f MiB\n", static_cast<long long>(s.params),
              static_cast<double>(s.param_bytes) / (1 << 20), static_cast<double>(s.state_bytes) / (1 << 20));
  runtime::Workspace ws;
  // Compiled as replay runs it: through the pass pipeline.
  auto plan = runtime::compile(g, in.specs, fetch_targets(g), ws, {.transform = frontend::with_passes().transform});
  double flops = 0;
  for (const auto& step : plan->steps()) flops += step.kernel->cost();
  std::printf("per step: %zu kernels, ~%.3g flops (kernel cost estimate), %.2f MiB of activation/temporary buffers\n",
              plan->steps().size(), flops, static_cast<double>(plan->buffer_bytes()) / (1 << 20));
  std::printf("%s", runtime::format_memory_report(plan->memory()).c_str());
  std::printf("ops:\n");
  std::map<std::string, int> histogram;
  for (graph::NodeId id : g.node_ids()) ++histogram[g.node(id).op];
  std::vector<std::pair<int, std::string>> by_count;
  for (const auto& [op, n] : histogram) by_count.emplace_back(-n, op);
  std::sort(by_count.begin(), by_count.end());
  for (const auto& [n, op] : by_count) std::printf("  %-36s %d\n", op.c_str(), -n);
  return 0;
}

}  // namespace

std::string passes_help() {
  std::string names;
  for (auto n : passes::pass_names()) names += (names.empty() ? "" : ", ") + std::string(n);
  return "Graphs run through the pass pipeline: " + names +
         ".\nFLOWGRAD_DISABLE_PASSES=a,b switches passes off; FLOWGRAD_PRINT_AFTER=pass prints the graph after one.";
}

Command add_ops_command(CLI::App& app) {
  app.add_subcommand("ops", "List the registered ops with their fusion class and gradient");
  return [] {
    std::printf("%-40s %-12s %-7s %s\n", "op", "fusion", "inputs", "gradient");
    for (const ops::OpDef* d : ops::all_ops()) {
      const char* grad = d->not_differentiable ? "not differentiable" : d->grad ? "rule" : "missing";
      std::string inputs = d->num_inputs == ops::kVariadic ? "n" : std::to_string(d->num_inputs);
      std::printf("%-40s %-12s %-7s %s\n", d->name.c_str(), ops::fusion_class_name(d->fusion), inputs.c_str(), grad);
    }
    return 0;
  };
}

Command add_dot_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("dot", "Print a graph file as Graphviz dot (scopes as clusters)");
  auto path = std::make_shared<std::string>();
  auto depth = std::make_shared<int>(8);
  cmd->add_option("graph", *path, "Graph file (.pb)")->required();
  cmd->add_option("--depth", *depth, "Scope levels drawn as clusters");
  return [path, depth] {
    std::cout << graph::to_dot(runtime::load_graph(*path), {.max_depth = *depth});
    return 0;
  };
}

Command add_inspect_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("inspect", "Summarize a graph file: ops, parameters, cost and buffers per step; "
                                            "or, with --profile, run it and show where the time goes");
  auto path = std::make_shared<std::string>();
  auto table = std::make_shared<bool>(false);
  auto all_nodes = std::make_shared<bool>(false);
  cmd->add_option("graph", *path, "Graph file (.pb)")->required();
  cmd->add_flag("--summary", *table, "Print a table of the nodes (name, op, output, parameters) and the totals");
  auto depth = std::make_shared<int>(0);
  cmd->add_flag("--all", *all_nodes, "With --summary: also list the gradient and optimizer nodes");
  cmd->add_option("--depth", *depth, "With --summary: one row per scope of this many levels (0: per node)");
  auto profiling = std::make_shared<bool>(false);
  auto p = std::make_shared<ProfileArgs>();
  auto* flag = cmd->add_flag("--profile", *profiling,
                             "Run the graph --steps times (the first untimed) and print the top ops and nodes by time "
                             "and every matmul's GFLOP/s against the machine's matmul peak");
  flag->excludes("--summary");
  cmd->add_option("--weights", p->weights, "With --profile: variables (safetensors)")->needs(flag);
  cmd->add_option("--feed", p->feed, "With --profile: inputs (safetensors)")->needs(flag);
  cmd->add_option("--steps", p->steps, "With --profile: runs, the first one untimed (default 10)")->needs(flag);
  cmd->add_option("--peak", p->peak, "With --profile: the matmul peak in GFLOP/s")->needs(flag);
  cmd->add_option("--peak-file", p->peak_file, "With --profile: the peak from `flowgrad peak --out` (bench/run.sh)")
      ->needs(flag)
      ->excludes("--peak");
  cmd->add_option("--top", p->top, "With --profile: rows of the op and node tables")->needs(flag)->check(CLI::PositiveNumber);
  cmd->add_flag("--serial", p->serial, "With --profile: run one node at a time, in schedule order")->needs(flag);
  add_trace_option(cmd, p->trace);
  return [path, table, all_nodes, depth, profiling, p] {
    if (*profiling) {
      p->graph = *path;
      return profile(*p);
    }
    if (!p->trace.empty()) throw ValueError("inspect: --trace goes with --profile (only --profile runs the graph)");
    return inspect(*path, *table, *all_nodes, *depth);
  };
}

}  // namespace flowgrad::tools
