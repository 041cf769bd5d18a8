// The `flowgrad` command line. Subcommands are listed here only once they work.

#include <cstdio>

#include <CLI/CLI.hpp>

#include "ops/op_def.h"
#include "runtime/threads.h"

using namespace flowgrad;

namespace {

int list_ops() {
  std::printf("%-16s %-12s %-8s %s\n", "op", "fusion", "inputs", "gradient");
  for (const ops::OpDef* d : ops::all_ops()) {
    const char* grad = d->not_differentiable ? "not differentiable" : d->grad ? "rule" : "missing";
    std::printf("%-16s %-12s %-8s %s\n", d->name.c_str(), ops::fusion_class_name(d->fusion),
                d->num_inputs == ops::kVariadic ? "n" : std::to_string(d->num_inputs).c_str(), grad);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"flowgrad: train neural networks as static graphs on multi-core CPUs"};
  app.require_subcommand(1);
  int threads = 0;
  app.add_option("--threads", threads, "Thread budget for oneTBB and OpenMP (default: all cores)");
  auto* ops_cmd = app.add_subcommand("ops", "List the registered ops with their fusion class and gradient");
  CLI11_PARSE(app, argc, argv);
  try {
    if (threads > 0) runtime::set_num_threads(threads);
    if (ops_cmd->parsed()) return list_ops();
  } catch (const Error& e) {
    std::fprintf(stderr, "flowgrad: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
