// `faultline fuzz merge DIR...`: joins the results files of a sharded fuzz run (fuzz_results.h)
// and prints the summary a single run of the same seeds prints, byte for byte. Stderr names the
// shards read, the lost seeds (started, never finished) and the seeds that never started.
//
// Exit code: the worst record's, as `fuzz` (a lost seed is a failure, 2); 1 when the shards
// disagree, a file is malformed, or seeds the shards were meant to run are missing.
#include <cstdio>
#include <memory>

#include <fmt/core.h>
#include <fmt/ranges.h>

#include "tools/faultline/commands.h"
#include "tools/faultline/fuzz_results.h"
#include "tools/faultline/report.h"

namespace faultline::cli {

namespace {

struct MergeArgs {
  std::vector<std::string> paths;
  std::string junit;
};

bool merge_error(const std::string& message) {
  std::fprintf(stderr, "error: fuzz merge: %s\n", message.c_str());
  exit_code() = exit_usage;
  return false;
}

Result<std::vector<ShardResults>> read_all(const std::vector<std::string>& files) {
  std::vector<ShardResults> shards;
  for (const std::string& file : files) {
    auto shard = read_results_file(file);
    if (!shard) return std::unexpected(shard.error());
    if (shard->last_line_cut)
      std::fprintf(stderr, "fuzz merge: %s ends inside a line (the shard was killed writing it)\n",
                   file.c_str());
    shards.push_back(std::move(*shard));
  }
  return shards;
}

void report_gaps(const MergedRun& merged) {
  if (!merged.lost.empty())
    std::fprintf(stderr, "fuzz merge: %zu lost %s (started, never finished): %s\n",
                 merged.lost.size(), merged.lost.size() == 1 ? "seed" : "seeds",
                 fmt::format("{}", fmt::join(merged.lost, ", ")).c_str());
  for (const std::string& line : merged.missing)
    std::fprintf(stderr, "fuzz merge: %s\n", line.c_str());
}

void merge(const MergeArgs& args) {
  auto files = results_files(args.paths);
  if (!files) return (void)merge_error(files.error().to_string());
  auto shards = read_all(*files);
  if (!shards) return (void)merge_error(shards.error().to_string());
  const std::size_t shard_files = shards->size();
  auto merged = merge_shards(std::move(*shards));
  if (!merged) return (void)merge_error(merged.error().to_string());
  std::fprintf(stderr, "fuzz merge: %zu results %s of %llu %s\n", shard_files,
               shard_files == 1 ? "file" : "files", static_cast<unsigned long long>(merged->shards),
               merged->shards == 1 ? "shard" : "shards");
  report_gaps(*merged);
  const std::string summary = fuzz_summary(merged->info, merged->records);
  std::fwrite(summary.data(), 1, summary.size(), stdout);
  const RunStatus worst = worst_status(merged->records);
  exit_code() =
      worst == RunStatus::passed && !merged->missing.empty() ? exit_usage : exit_code_for(worst);
  if (!args.junit.empty() && !write_junit(args.junit, "faultline fuzz " + merged->info.profile_path,
                                          fuzz_junit_cases(merged->info, merged->records)))
    exit_code() = exit_usage;
}

}  // namespace

void add_fuzz_merge_command(CLI::App* fuzz) {
  auto args = std::make_shared<MergeArgs>();
  CLI::App* command = fuzz->add_subcommand(
      "merge", "Join the --results of a sharded fuzz run and print the summary of all its seeds");
  command
      ->add_option("RESULTS", args->paths,
                   "Results directories (searched for shard-K-of-M.ndjson) or files")
      ->required();
  command->add_option("--junit", args->junit,
                      "Also write JUnit XML here: a test case per failure signature");
  command->callback([args] { merge(*args); });
}

}  // namespace faultline::cli
