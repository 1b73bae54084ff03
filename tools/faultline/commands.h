// The `faultline` command line: each subcommand registers itself on the CLI11 app.
//
// Exit codes (documented in the README): 0 all checks passed; 1 usage or scenario error;
// 2 a safety property was violated; 3 a liveness or timing expectation was missed; 4 a budget
// ran out (events, pending events, virtual time, wall time, memory) before the run could be
// judged. With many runs the most severe outcome decides: 2, then 3, then 4.
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "sim/core/result.h"

namespace faultline::cli {

enum ExitCode : int {
  exit_ok = 0,
  exit_usage = 1,
  exit_safety = 2,
  exit_liveness = 3,
  exit_budget = 4
};

void add_run_commands(CLI::App& app);           // run, replay, lint (cmd_run.cc)
void add_bench_command(CLI::App& app);          // bench (cmd_bench.cc)
void add_lin_command(CLI::App& app);            // lin (cmd_lin.cc)
void add_cluster_commands(CLI::App& app);       // node, cluster up|down, client (cmd_cluster.cc)
void add_check_command(CLI::App& app);          // check (cmd_check.cc)
void add_shrink_command(CLI::App& app);         // shrink (cmd_shrink.cc)
void add_check_history_command(CLI::App& app);  // check-history (cmd_check_history.cc)
void add_fuzz_command(CLI::App& app);           // fuzz (cmd_fuzz.cc)
void add_fuzz_merge_command(CLI::App* fuzz);    // fuzz merge (cmd_fuzz_merge.cc)
void add_grade_command(CLI::App& app);          // grade (cmd_grade.cc)
// `faultline bench report` (report_bench.cc).
int run_report_benchmark(const std::string& source_dir, const std::vector<std::string>& settings,
                         std::ostream& out);

// The project's version ("0.1.0") and the commit it was built from ("6fb68c7246e9", with
// "-dirty" for uncommitted changes; "unknown" outside git), for `faultline --version`
// (generated at build time by build_id.cmake).
std::string_view version();
std::string_view build_id();
// "faultline 0.1.0 (build 6fb68c7246e9, GCC 12.2.0)": what --version prints and reports name.
std::string version_text();

// Set by a subcommand's callback; main returns it.
int& exit_code();

// The name this command was run as (argv[0] without its folder: "faultline", or a command of
// its own built with cli::main<B>()), for the repro lines a failure ends with.
std::string& program_name();

// The whole command line as typed, program_name() first, each argument quoted for a POSIX shell
// when it needs it (the header of a recorded history names the command that recorded it).
std::string& command_line();

// `text` as one shell word: itself, or in single quotes when it holds a space or a quote.
std::string quote_if_needed(const std::string& text);

// Writes `text` as the whole of file `path` (created or truncated). An error names the path and
// says whether it could not be opened or the write failed (a full disk).
Result<void> write_text_file(const std::string& path, std::string_view text);

}  // namespace faultline::cli
