// The command line: each subcommand registers itself on the CLI11 app (commands.h).
#include <cstdio>
#include <filesystem>
#include <string>

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

std::string& command_line() {
  static std::string line = "faultline";
  return line;
}

std::string quote_if_needed(const std::string& text) {
  if (!text.empty() && text.find_first_of(" \t'\"$\\") == std::string::npos) return text;
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

Result<void> write_text_file(const std::string& path, std::string_view text) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return fail(path, 0, "cannot open for writing");
  const bool written = std::fwrite(text.data(), 1, text.size(), file) == text.size();
  if (std::fclose(file) != 0 || !written) return fail(path, 0, "write failed");
  return {};
}

// "faultline 0.1.0 (build 6fb68c7246e9, GCC 12.2.0)": what a bug report needs to name the
// binary.
std::string version_text() {
#if defined(__clang__)
  const std::string compiler = "clang " __clang_version__;
#elif defined(__GNUC__)
  const std::string compiler = "GCC " __VERSION__;
#else
  const std::string compiler = "an unknown compiler";
#endif
  std::string text = program_name();
  text += " ";
  text += version();
  text += " (build ";
  text += build_id();
  text += ", ";
  text += compiler;
  text += ")";
  return text;
}

int run_main(int argc, char** argv) {
  if (argc > 0 && argv[0] != nullptr && argv[0][0] != '\0')
    program_name() = std::filesystem::path(argv[0]).filename().string();
  command_line() = program_name();
  for (int i = 1; i < argc; ++i) {
    command_line() += ' ';
    command_line() += quote_if_needed(argv[i]);
  }
  CLI::App app{"faultline: a deterministic simulator and model checker for distributed protocols"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every subcommand");
  app.set_version_flag("--version", version_text(), "Print the version and build id, then exit");
  add_run_commands(app);
  add_bench_command(app);
  add_lin_command(app);
  add_cluster_commands(app);
  add_check_command(app);
  add_shrink_command(app);
  add_check_history_command(app);
  add_fuzz_command(app);
  add_grade_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : exit_usage;
  }
  return exit_code();
}

}  // namespace faultline::cli
