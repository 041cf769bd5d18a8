// flowgrad replay: run or train a serialized graph, without any model code.

#include <cstdio>
#include <filesystem>

#include "frontend/optimize.h"
#include "runtime/graph_io.h"
#include "runtime/safetensors.h"
#include "runtime/session.h"
#include "tools/commands.h"
#include "tools/datagen.h"
#include "tools/graph_inputs.h"
#include "tools/trace_option.h"

namespace flowgrad::tools {
namespace {

struct ReplayArgs {
  std::string graph, weights, feed, out, trace;
  int steps = 1;
};

int replay(const ReplayArgs& a) {
  graph::Graph g = runtime::load_graph(a.graph);
  if (g.outputs().empty()) throw ValueError("'" + a.graph + "' marks no outputs to fetch");
  runtime::Workspace ws;
  if (!a.weights.empty()) load_weights(g, a.weights, ws);
  runtime::Feeds feeds = read_feeds(a.feed);
  runtime::Session sess(g, ws, frontend::with_passes());
  TraceFile trace(a.trace);
  for (int step = 1; step <= a.steps; ++step) {
    auto out = sess.run(feeds, g.outputs());
    std::printf("step %d:", step);
    for (size_t i = 0; i < out.size(); ++i) {
      const std::string& name = g.producer(g.outputs()[i]).name;
      if (out[i].numel() == 1) std::printf("  %s=%.6g", name.c_str(), out[i].at(0));
      else std::printf("  %s=%s", name.c_str(), out[i].type().str().c_str());
    }
    std::printf("\n");
  }
  trace.finish();
  if (!a.out.empty()) {
    std::filesystem::create_directories(a.out);
    runtime::Safetensors w;
    for (const auto& name : ws.names()) w.tensors[name] = ws.get(name);
    runtime::write_safetensors(a.out + "/weights.safetensors", w);
    std::printf("wrote %s/weights.safetensors (%zu tensors)\n", a.out.c_str(), w.tensors.size());
  }
  return 0;
}

}  // namespace

Command add_replay_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("replay", "Run or train a graph file with weights and feeds from safetensors files");
  auto a = std::make_shared<ReplayArgs>();
  cmd->add_option("graph", a->graph, "Graph file (.pb)")->required();
  cmd->add_option("--weights", a->weights, "Variables to load (safetensors, names = variable node names)");
  cmd->add_option("--feed", a->feed, "Inputs to feed every step (safetensors, names = input node names)");
  cmd->add_option("--steps", a->steps, "Number of runs (a training graph trains one step per run)")->check(CLI::PositiveNumber);
  cmd->add_option("--out", a->out, "Folder to write the final variables to");
  add_trace_option(cmd, a->trace);
  return [a] { return replay(*a); };
}

}  // namespace flowgrad::tools

namespace flowgrad::tools {

Command add_gen_data_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("gen-data", "Generate the demo's corpus and labelled sentences (see tools/datagen.h)");
  auto o = std::make_shared<DataOptions>();
  cmd->add_option("--out", o->out_dir, "Output folder");
  cmd->add_option("--documents", o->corpus_documents, "Corpus documents");
  cmd->add_option("--seed", o->seed, "Random seed");
  return [o] {
    std::printf("%s\n", generate_data(*o).c_str());
    return 0;
  };
}

}  // namespace flowgrad::tools
