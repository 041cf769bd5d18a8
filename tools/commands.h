#pragma once
// The `flowgrad` subcommands. Each registers its options on the CLI11 app and
// returns the function that runs it.

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

namespace flowgrad::tools {

using Command = std::function<int()>;

Command add_ops_command(CLI::App& app);
Command add_dot_command(CLI::App& app);
Command add_inspect_command(CLI::App& app);
Command add_replay_command(CLI::App& app);
Command add_export_command(CLI::App& app);
Command add_gen_data_command(CLI::App& app);
Command add_train_command(CLI::App& app);
Command add_eval_command(CLI::App& app);
Command add_neighbors_command(CLI::App& app);
Command add_analogy_command(CLI::App& app);
Command add_peak_command(CLI::App& app);  // tools/peak.h

// The pass pipeline and its environment switches, for --help.
std::string passes_help();

}  // namespace flowgrad::tools
