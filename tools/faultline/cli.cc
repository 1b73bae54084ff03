// The command line: each subcommand registers itself on the CLI11 app (commands.h).
#include <filesystem>

#include <CLI/CLI.hpp>

#include "tools/faultline/cli.h"
#include "tools/faultline/commands.h"

namespace faultline::cli {

int& exit_code() {
  static int code = exit_ok;
  return code;
}

std::string& program_name() {
  static std::string name = "faultline";
  return name;
}

int run_main(int argc, char** argv) {
  if (argc > 0 && argv[0] != nullptr && argv[0][0] != '\0')
    program_name() = std::filesystem::path(argv[0]).filename().string();
  CLI::App app{"faultline: a deterministic simulator and model checker for distributed protocols"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every subcommand");
  add_run_commands(app);
  add_bench_command(app);
  add_lin_command(app);
  add_cluster_commands(app);
  add_check_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : exit_usage;
  }
  return exit_code();
}

}  // namespace faultline::cli
