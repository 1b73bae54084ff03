// Reading shards' results files back and merging them (fuzz_results.h).
#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <tuple>

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "sim/core/text.h"
#include "tools/faultline/commands.h"
#include "tools/faultline/fuzz_results.h"

namespace faultline::cli {

namespace {

using Json = nlohmann::json;

// A JSON object read at one line of one file: typed fields with a default when missing or
// mistyped, the first such field kept as an error naming the file, the line and the key.
class Fields {
 public:
  Fields(const Json& j, const std::string& path, int line) : j_(j), path_(path), line_(line) {}

  std::string text(const char* key, bool required = true) {
    const auto it = j_.find(key);
    if (it != j_.end() && it->is_string()) return it->get<std::string>();
    if (required || it != j_.end()) note(key, "a string");
    return {};
  }
  std::uint64_t number(const char* key) {
    const auto it = j_.find(key);
    if (it != j_.end() && it->is_number_unsigned()) return it->get<std::uint64_t>();
    note(key, "a whole number >= 0");
    return 0;
  }
  bool flag(const char* key) {
    const auto it = j_.find(key);
    if (it != j_.end() && it->is_boolean()) return it->get<bool>();
    note(key, "true or false");
    return false;
  }
  // The first field error, or `what` when there was none.
  Error error(std::string what) const { return first_ ? *first_ : Error{path_, line_, what}; }
  bool ok() const { return !first_; }

 private:
  void note(const char* key, const char* kind) {
    if (!first_) first_ = Error{path_, line_, fmt::format("`{}` must be {}", key, kind)};
  }
  const Json& j_;
  const std::string& path_;
  int line_;
  std::optional<Error> first_;
};

std::optional<RunStatus> status_named(std::string_view name) {
  for (const RunStatus status : {RunStatus::passed, RunStatus::safety_violation,
                                 RunStatus::liveness_violation, RunStatus::budget_exceeded})
    if (to_string(status) == name) return status;
  return std::nullopt;
}

std::optional<std::uint64_t> hex_u64(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

Result<ResultsHeader> read_header(Fields& f) {
  const std::string format = f.text("format");
  const std::uint64_t version = f.number("version");
  if (!f.ok() || format != kResultsFormat || version != kResultsVersion)
    return std::unexpected(
        f.error(fmt::format("not a fuzz results header of version {} (format '{}', version {})",
                            kResultsVersion, format, version)));
  ResultsHeader h;
  FuzzSummaryInfo& info = h.info;
  h.faultline_version = f.text("faultline");
  h.commit = f.text("commit");
  h.binary = f.text("binary");
  info.profile_path = f.text("profile");
  h.profile_hash = f.text("profile_hash");
  info.profile_name = f.text("profile_name");
  info.protocol = f.text("protocol");
  info.bug = f.text("bug");
  info.swarm = f.flag("swarm");
  h.overrides = f.text("overrides");
  h.options = f.text("options");
  info.seed_start = f.number("seed_start");
  info.seed_count = f.number("seed_count");
  info.determinism_checked = f.flag("check_determinism");
  info.stop_on_failure = f.flag("stop_on_failure");
  const std::uint64_t index = f.number("shard");
  const std::uint64_t count = f.number("shards");
  if (!f.ok()) return std::unexpected(f.error(""));
  auto shard = parse_shard(fmt::format("{}/{}", index, count), "shard");
  if (!shard) return std::unexpected(f.error(shard.error().what));
  info.shard = *shard;
  return h;
}

Result<FuzzOutcome> read_result(Fields& f, std::uint64_t seed) {
  FuzzOutcome r;
  r.seed = seed;
  const std::string status_text = f.text("status");
  const std::string fingerprint = f.text("fingerprint");
  r.events = f.number("events");
  const auto status = status_named(status_text);
  const auto value = hex_u64(fingerprint);
  if (!f.ok()) return std::unexpected(f.error(""));
  if (!status) return std::unexpected(f.error("unknown status '" + status_text + "'"));
  if (!value)
    return std::unexpected(f.error("`fingerprint` must be hex digits, not '" + fingerprint + "'"));
  r.status = *status;
  r.fingerprint = *value;
  const bool failed = r.status != RunStatus::passed;
  r.check = f.text("check", failed);
  r.signature = f.text("signature", failed);
  r.failure = f.text("failure", failed);
  r.repro = f.text("repro", failed);
  if (!f.ok()) return std::unexpected(f.error(""));
  return r;
}

Result<void> read_seed_line(Fields& f, const std::string& type, ShardResults& shard) {
  const std::uint64_t seed = f.number("seed");
  if (!f.ok()) return std::unexpected(f.error(""));
  const FuzzSummaryInfo& info = shard.header.info;
  if (!ShardSeeds(info.seed_start, info.seed_count, info.shard).contains(seed))
    return std::unexpected(f.error(fmt::format("seed {} is not one of shard {}/{}'s seeds", seed,
                                               info.shard.index, info.shard.count)));
  if (type == "started") {
    shard.started.insert(seed);
    return {};
  }
  const auto it = shard.results.find(seed);
  if (type == "capsule") {
    if (it == shard.results.end())
      return std::unexpected(f.error(fmt::format("a capsule for seed {} before its result", seed)));
    it->second.capsule = f.text("capsule");
    it->second.shrunk = f.text("shrunk");
    it->second.capsule_repro = f.text("capsule_repro");
    return f.ok() ? Result<void>{} : std::unexpected(f.error(""));
  }
  if (it != shard.results.end())
    return std::unexpected(f.error(fmt::format("a second result for seed {}", seed)));
  auto record = read_result(f, seed);
  if (!record) return std::unexpected(record.error());
  shard.results.emplace(seed, std::move(*record));
  return {};
}

// One line after the header, applied to `shard`.
Result<void> read_line(Fields& f, const std::string& type, ShardResults& shard) {
  if (type == "header") return std::unexpected(f.error("a second header (two files joined?)"));
  if (type == "end") {
    shard.end_reason = f.text("reason");
    return f.ok() ? Result<void>{} : std::unexpected(f.error(""));
  }
  if (type != "started" && type != "result" && type != "capsule")
    return std::unexpected(f.error("unknown line type '" + type + "'"));
  return read_seed_line(f, type, shard);
}

}  // namespace

Result<ShardResults> read_results_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return fail(path, 0, "is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(path, 0, "cannot open the file for reading");
  ShardResults shard;
  shard.path = path;
  bool have_header = false;
  // A line is read into a bounded buffer: garbage without newlines cannot fill memory.
  std::vector<char> buffer(kResultsLineBytesMax + 2);
  for (int line = 1; in.peek() != std::ifstream::traits_type::eof(); ++line) {
    in.getline(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    if ((in.fail() && !in.eof()) ||
        static_cast<std::size_t>(in.gcount()) > kResultsLineBytesMax + 1)
      return fail(path, line, fmt::format("a line of more than {} bytes", kResultsLineBytesMax));
    const bool last = in.eof();  // no newline after it
    std::string_view content(buffer.data(), static_cast<std::size_t>(in.gcount()) - (last ? 0 : 1));
    if (line == 1) content = skip_utf8_bom(content);
    in.clear(in.rdstate() & std::ios::eofbit);
    if (content.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const Json j = Json::parse(content, nullptr, false);
    if (j.is_discarded() && last && have_header) {
      shard.last_line_cut = true;  // the shard was killed while writing it
      break;
    }
    if (j.is_discarded() || !j.is_object())
      return fail(path, line, last ? "not JSON: the line is cut short" : "not a JSON object");
    Fields fields(j, path, line);
    const std::string type = fields.text("type");
    if (!fields.ok()) return std::unexpected(fields.error(""));
    if (!have_header && type != "header")
      return fail(path, line, "expected the header first, not a '" + type + "' line");
    if (!have_header) {
      auto header = read_header(fields);
      if (!header) return std::unexpected(header.error());
      shard.header = std::move(*header);
      have_header = true;
      continue;
    }
    if (auto read = read_line(fields, type, shard); !read) return std::unexpected(read.error());
  }
  if (in.bad()) return fail(path, 0, "could not read the file");
  if (!have_header) return fail(path, 0, "empty: no header line (not a fuzz results file)");
  return shard;
}

}  // namespace faultline::cli

namespace faultline::cli {

namespace {

bool is_results_file_name(const std::string& name) {
  return name.starts_with("shard-") && name.ends_with(".ndjson") &&
         name.find("-of-") != std::string::npos;
}

// The first header field where `b` differs from `a`, as "`name` is B in FILE_B but A in FILE_A".
std::optional<std::string> header_difference(const ShardResults& a, const ShardResults& b) {
  const ResultsHeader& x = a.header;
  const ResultsHeader& y = b.header;
  const auto text = [](bool v) { return std::string(v ? "true" : "false"); };
  const std::vector<std::tuple<const char*, std::string, std::string>> fields = {
      {"faultline", x.faultline_version, y.faultline_version},
      {"commit", x.commit, y.commit},
      {"binary", x.binary, y.binary},
      {"profile", x.info.profile_path, y.info.profile_path},
      {"profile_hash", x.profile_hash, y.profile_hash},
      {"profile_name", x.info.profile_name, y.info.profile_name},
      {"protocol", x.info.protocol, y.info.protocol},
      {"bug", x.info.bug, y.info.bug},
      {"swarm", text(x.info.swarm), text(y.info.swarm)},
      {"overrides", x.overrides, y.overrides},
      {"options", x.options, y.options},
      {"seed_start", std::to_string(x.info.seed_start), std::to_string(y.info.seed_start)},
      {"seed_count", std::to_string(x.info.seed_count), std::to_string(y.info.seed_count)},
      {"check_determinism", text(x.info.determinism_checked), text(y.info.determinism_checked)},
      {"stop_on_failure", text(x.info.stop_on_failure), text(y.info.stop_on_failure)},
      {"shards", std::to_string(x.info.shard.count), std::to_string(y.info.shard.count)}};
  for (const auto& [name, first, second] : fields)
    if (first != second)
      return fmt::format("`{}` is '{}' in {} but '{}' in {}", name, second, b.path, first, a.path);
  return std::nullopt;
}

FuzzOutcome lost_record(const ShardResults& shard, std::uint64_t seed) {
  const ResultsHeader& header = shard.header;
  FuzzOutcome record;
  record.seed = seed;
  record.status = RunStatus::safety_violation;
  record.check = "lost";
  record.signature = "started, never finished (the shard was killed or crashed)";
  record.failure = fmt::format(
      "seed {} started in {} and has no result: the shard was killed or crashed while "
      "running it",
      seed, shard.path);
  const std::string file = "seed_" + std::to_string(seed) + ".yaml";
  record.repro = fuzz_emit_command(header.info.profile_path, header.overrides, seed) + " > " +
                 file + " && " + program_name() + " run " + file + " --seed " +
                 std::to_string(seed);
  return record;
}

// "20 seeds never started (3, 6, 9, ...)" for the seeds of `shard` with no line at all.
std::optional<std::string> never_started(const ShardResults& shard) {
  const FuzzSummaryInfo& info = shard.header.info;
  const ShardSeeds seeds(info.seed_start, info.seed_count, info.shard);
  std::set<std::uint64_t> seen = shard.started;
  for (const auto& entry : shard.results) seen.insert(entry.first);
  if (seen.size() >= seeds.size()) return std::nullopt;
  std::vector<std::string> first;
  for (std::uint64_t i = 0; i < seeds.size() && first.size() < 3; ++i)
    if (!seen.contains(seeds.seed(i))) first.push_back(std::to_string(seeds.seed(i)));
  const std::uint64_t count = seeds.size() - seen.size();
  return fmt::format("{} {} never started ({}{})", format_count(count),
                     count == 1 ? "seed" : "seeds", fmt::join(first, ", "),
                     count > first.size() ? ", ..." : "");
}

}  // namespace

Result<std::vector<std::string>> results_files(const std::vector<std::string>& arguments) {
  std::set<std::string> files;
  for (const std::string& argument : arguments) {
    std::error_code ec;
    if (!std::filesystem::is_directory(argument, ec)) {
      if (!std::filesystem::exists(argument, ec))
        return fail(argument, 0, "no such file or directory");
      files.insert(argument);
      continue;
    }
    std::size_t found = 0;
    for (auto it = std::filesystem::recursive_directory_iterator(argument, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
      if (it->is_regular_file(ec) && is_results_file_name(it->path().filename().string())) {
        files.insert(it->path().string());
        ++found;
      }
    if (ec) return fail(argument, 0, "cannot list the directory: " + ec.message());
    if (found == 0) return fail(argument, 0, "holds no shard-K-of-M.ndjson results file");
  }
  return std::vector<std::string>(files.begin(), files.end());
}

Result<MergedRun> merge_shards(std::vector<ShardResults> shards) {
  if (shards.empty()) return fail("no results files to merge");
  std::map<std::uint64_t, const ShardResults*> by_index;
  for (const ShardResults& shard : shards) {
    if (auto difference = header_difference(shards.front(), shard))
      return fail(*difference +
                  ": shards merge only when one binary ran one profile with the "
                  "same options and seeds");
    const Shard s = shard.header.info.shard;
    const auto [it, inserted] = by_index.emplace(s.index, &shard);
    if (!inserted)
      return fail(fmt::format("shard {}/{} appears twice: {} and {}", s.index, s.count,
                              it->second->path, shard.path));
  }
  MergedRun merged;
  merged.info = shards.front().header.info;
  merged.info.shard = Shard{};
  const std::uint64_t count = shards.front().header.info.shard.count;
  merged.shards = count;
  for (std::uint64_t index = 0; index < count; ++index) {
    const auto it = by_index.find(index);
    if (it == by_index.end()) {
      const ShardSeeds seeds(merged.info.seed_start, merged.info.seed_count, Shard{index, count});
      if (seeds.size() > 0)
        merged.missing.push_back(fmt::format("shard {}/{}: no results file ({} seeds never ran)",
                                             index, count, format_count(seeds.size())));
      continue;
    }
    const ShardResults& shard = *it->second;
    for (const auto& [seed, record] : shard.results) merged.records.push_back(record);
    for (const std::uint64_t seed : shard.started)
      if (!shard.results.contains(seed)) {
        merged.lost.push_back(seed);
        merged.records.push_back(lost_record(shard, seed));
      }
    const bool finished = shard.end_reason && *shard.end_reason != "done";
    if (auto unstarted = never_started(shard); unstarted && !finished)
      merged.missing.push_back(fmt::format(
          "shard {}/{}: {}; {} {}", index, count, *unstarted, shard.path,
          shard.end_reason ? "says it was done" : "has no end line (was the shard killed?)"));
  }
  std::ranges::sort(merged.records, {}, &FuzzOutcome::seed);
  std::ranges::sort(merged.lost);
  return merged;
}

}  // namespace faultline::cli
