// Fuzzing spread over machines: which seeds a shard runs (`--shard K/M` or the environment), the
// results file each shard writes (`--results DIR`), and merging shards back into one run
// (`faultline fuzz merge DIR...`).
//
// A results file, DIR/shard-K-of-M.ndjson, is one JSON object a line, `type` first:
//   header   format, version, faultline version, commit, binary (a hash of the executable's
//            bytes), profile (path as given), profile_hash (of its text), profile_name,
//            protocol, bug, swarm, overrides, seed_start, seed_count, shard, shards, options
//   started  {"type":"started","seed":7}                     before seed 7 runs
//   result   {"type":"result","seed":7,"status":"safety",...} after it: its FuzzOutcome
//   capsule  {"type":"capsule","seed":7,"capsule":...}       after a shrink
//   end      {"type":"end","reason":"done"|"time"|"stop_on_failure","seeds_run":34}
//
// Invariants: every line is flushed as it is written, so a killed shard leaves every line
// before the kill (its last line at worst cut short); a seed with a `started` line and no
// `result` is lost, and merging counts it as a failure (check "lost"), never a pass; merging
// refuses shards of different binaries, profiles or options, and a seed that appears twice;
// the merged records are in seed order, so fuzz_summary prints the same bytes as one run of the
// same seeds, whatever the number of shards.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/result.h"
#include "tools/faultline/fuzz.h"

namespace faultline::cli {

inline constexpr std::uint64_t shards_max = 1'000'000;
inline constexpr std::string_view kResultsFormat = "faultline-fuzz-results";
inline constexpr std::uint64_t kResultsVersion = 1;
inline constexpr std::size_t kResultsLineBytesMax = 1 << 20;  // a failure message is far shorter

// "K/M" with 0 <= K < M <= shards_max; an error names `where` (--shard, FAULTLINE_SHARD).
Result<Shard> parse_shard(std::string_view text, std::string_view where);

// The shard the environment asks for, first found of: FAULTLINE_SHARD=K/M; GoogleTest's
// GTEST_SHARD_INDEX with GTEST_TOTAL_SHARDS; a Kubernetes Indexed Job's JOB_COMPLETION_INDEX with
// FAULTLINE_TOTAL_SHARDS (a Job does not tell its pods how many completions it has). None set:
// no shard. An index without its total, or a bad number, is an error naming the variable.
using EnvironmentLookup = std::function<const char*(const char*)>;
Result<std::optional<Shard>> shard_from_environment(const EnvironmentLookup& lookup);

// The seeds of [start, start + count) that `shard` runs, in order: seed(i) for i < size().
class ShardSeeds {
 public:
  ShardSeeds(std::uint64_t start, std::uint64_t count, Shard shard);
  std::uint64_t size() const { return size_; }
  std::uint64_t seed(std::uint64_t i) const { return first_ + i * stride_; }
  bool contains(std::uint64_t seed) const;

 private:
  std::uint64_t start_;
  std::uint64_t count_;
  std::uint64_t first_ = 0;
  std::uint64_t stride_;
  std::uint64_t size_ = 0;
};

// What a shard's header says: everything that must be equal for shards to merge, and the
// shard's place.
struct ResultsHeader {
  std::string faultline_version;
  std::string commit;        // build_id(): the checkout's commit
  std::string binary;        // FNV-1a of the executable's bytes (hex), "unknown" when unreadable
  std::string profile_hash;  // FNV-1a of the profile file's text (hex)
  std::string overrides;     // " --bug X --no-swarm" as the command line gave them
  std::string options;       // the flags that change records: determinism, wire, budgets
  FuzzSummaryInfo info;      // profile path, name, protocol, bug, swarm, seeds, flags, shard
};

// The header's fields for this binary and profile.
std::string executable_hash();
std::string text_hash(std::string_view text);

// "DIR/shard-K-of-M.ndjson".
std::string results_file_path(const std::string& dir, Shard shard);

// Writes one shard's results file, a line at a time, from any number of threads. A write error
// (a full disk) is kept and returned by close(); the seeds still run.
class ResultsWriter {
 public:
  // Creates DIR (and its parents) and the file (truncated: a re-run replaces a shard's results)
  // and writes the header.
  static Result<std::unique_ptr<ResultsWriter>> open(const std::string& dir,
                                                     const ResultsHeader& header);
  ~ResultsWriter();
  ResultsWriter(const ResultsWriter&) = delete;
  ResultsWriter& operator=(const ResultsWriter&) = delete;

  void started(std::uint64_t seed);
  void result(const FuzzOutcome& record);
  void capsule(const FuzzOutcome& record);
  // reason: "done", "time" or "stop_on_failure"; then closes the file.
  Result<void> end(std::string_view reason, std::uint64_t seeds_run);
  const std::string& path() const { return path_; }

 private:
  ResultsWriter(std::string path, std::FILE* file) : path_(std::move(path)), file_(file) {}
  void line(const std::string& text);

  std::string path_;
  std::FILE* file_;
  std::mutex mutex_;
  std::optional<Error> error_;
};

// One results file read back.
struct ShardResults {
  std::string path;
  ResultsHeader header;
  std::map<std::uint64_t, FuzzOutcome> results;  // by seed, capsules applied
  std::set<std::uint64_t> started;               // every seed with a `started` line
  std::optional<std::string> end_reason;         // none: the shard never finished
  bool last_line_cut = false;                    // the file ends inside a line (killed mid-write)
};

// Reads and checks a results file: not JSON, a missing or second header, an unknown version, a
// seed outside the shard, a second result for one seed, a field of the wrong type are errors
// naming the file and line. A last line cut short (no newline, not JSON) is no error: the shard
// was killed while writing it.
Result<ShardResults> read_results_file(const std::string& path);

// The results files named: a file itself, or every shard-*.ndjson in a directory (searched
// recursively, as CI artifacts unpack into a folder each), sorted by path.
Result<std::vector<std::string>> results_files(const std::vector<std::string>& arguments);

struct MergedRun {
  FuzzSummaryInfo info;              // as a single run of all the shards' seeds
  std::uint64_t shards = 1;          // M
  std::vector<FuzzOutcome> records;  // in seed order, the lost seeds included
  std::vector<std::uint64_t> lost;   // seeds started and never finished
  // Seeds a shard was meant to run and never started (a killed shard, a missing file), as
  // "shard 2/3: 20 seeds never started (3, 6, ..., 60); FILE has no end line (killed?)".
  std::vector<std::string> missing;
};

// Merges shards: the headers must agree on everything but the shard index (else an error
// naming the field, the two files and their values), each shard index may appear once, and a
// seed at most once. Lost seeds become records of check "lost".
Result<MergedRun> merge_shards(std::vector<ShardResults> shards);

}  // namespace faultline::cli
