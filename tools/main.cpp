// The `flowgrad` command line. Subcommands are listed only once they work.

#include <cstdio>

#include "graph/error.h"
#include "runtime/comm.h"
#include "runtime/threads.h"
#include "tools/commands.h"

int main(int argc, char** argv) {
  using namespace flowgrad;
  CLI::App app{"flowgrad: train neural networks as static graphs on multi-core CPUs"};
  app.require_subcommand(1);
  app.footer(tools::passes_help());
  int threads = 0;
  app.add_option("--threads", threads, "Thread budget for oneTBB and OpenMP (default: all cores)");
  std::vector<std::pair<CLI::App*, tools::Command>> commands;
  for (auto add : {tools::add_ops_command, tools::add_dot_command, tools::add_inspect_command, tools::add_export_command,
                   tools::add_replay_command, tools::add_gen_data_command, tools::add_train_command, tools::add_eval_command,
                   tools::add_neighbors_command, tools::add_analogy_command, tools::add_peak_command}) {
    tools::Command run = add(app);
    commands.emplace_back(app.get_subcommands({}).back(), std::move(run));
  }
  CLI11_PARSE(app, argc, argv);
  // Under mpirun: MPI starts here; only rank 0 prints (errors still reach stderr).
  runtime::Communicator& comm = runtime::world();
  if (comm.rank() != 0 && !std::freopen("/dev/null", "w", stdout)) return 1;
  try {
    if (threads > 0) runtime::set_num_threads(threads);
    for (auto& [cmd, run] : commands) {
      if (cmd->parsed()) return run();
    }
  } catch (const std::exception& e) {
    if (comm.size() > 1) comm.abort(std::string("flowgrad: ") + e.what(), 1);  // never leave the others waiting
    std::fprintf(stderr, "flowgrad: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
