// faultline: run fault scenarios, replay seeds, lint scenarios, check histories, benchmark.
#include <CLI/CLI.hpp>

#include "tools/faultline/commands.h"

namespace faultline::cli {
int& exit_code() {
  static int code = exit_ok;
  return code;
}
}  // namespace faultline::cli

int main(int argc, char** argv) {
  CLI::App app{"faultline: a deterministic simulator and model checker for distributed protocols"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every subcommand");
  faultline::cli::add_run_commands(app);
  faultline::cli::add_bench_command(app);
  faultline::cli::add_lin_command(app);
  faultline::cli::add_cluster_commands(app);
  faultline::cli::add_check_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : faultline::cli::exit_usage;
  }
  return faultline::cli::exit_code();
}
