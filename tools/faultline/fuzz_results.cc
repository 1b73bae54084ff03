#include "tools/faultline/fuzz_results.h"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "sim/core/rng.h"
#include "tools/faultline/commands.h"

namespace faultline::cli {

namespace {

// Plain decimal digits that fit in 64 bits.
std::optional<std::uint64_t> decimal(std::string_view text) {
  std::uint64_t value = 0;
  if (text.empty() || text.front() == '+') return std::nullopt;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

Result<Shard> shard_of(std::uint64_t index, std::uint64_t count, std::string_view where) {
  if (count == 0 || count > shards_max)
    return fail(std::string(where), 0,
                fmt::format("the number of shards must be 1 to {}, not {}",
                            format_count(shards_max), count));
  if (index >= count)
    return fail(std::string(where), 0,
                fmt::format("shard {} of {} does not exist: shards count from 0 to {}", index,
                            count, count - 1));
  return Shard{index, count};
}

// Two variables: an index and a total, both plain numbers.
Result<std::optional<Shard>> shard_from_pair(const EnvironmentLookup& lookup, const char* index,
                                             const char* total) {
  const char* index_text = lookup(index);
  if (index_text == nullptr) return std::optional<Shard>{};
  const char* total_text = lookup(total);
  if (total_text == nullptr)
    return fail(index, 0,
                fmt::format("{}={} is set but {} is not: set it to the number of shards", index,
                            index_text, total));
  const auto i = decimal(index_text);
  if (!i) return fail(index, 0, fmt::format("expected a shard index, not '{}'", index_text));
  const auto n = decimal(total_text);
  if (!n) return fail(total, 0, fmt::format("expected a number of shards, not '{}'", total_text));
  auto shard = shard_of(*i, *n, fmt::format("{}={} with {}={}", index, index_text, total, *n));
  if (!shard) return std::unexpected(shard.error());
  return std::optional<Shard>{*shard};
}

}  // namespace

Result<Shard> parse_shard(std::string_view text, std::string_view where) {
  const auto slash = text.find('/');
  const auto index =
      slash == std::string_view::npos ? std::nullopt : decimal(text.substr(0, slash));
  const auto count =
      slash == std::string_view::npos ? std::nullopt : decimal(text.substr(slash + 1));
  if (!index || !count)
    return fail(std::string(where), 0,
                fmt::format("expected K/M (shard K of M, K from 0), as 0/4, not '{}'", text));
  return shard_of(*index, *count, where);
}

Result<std::optional<Shard>> shard_from_environment(const EnvironmentLookup& lookup) {
  if (const char* text = lookup("FAULTLINE_SHARD"); text != nullptr) {
    auto shard = parse_shard(text, "FAULTLINE_SHARD");
    if (!shard) return std::unexpected(shard.error());
    return std::optional<Shard>{*shard};
  }
  auto gtest = shard_from_pair(lookup, "GTEST_SHARD_INDEX", "GTEST_TOTAL_SHARDS");
  if (!gtest || *gtest) return gtest;
  return shard_from_pair(lookup, "JOB_COMPLETION_INDEX", "FAULTLINE_TOTAL_SHARDS");
}

ShardSeeds::ShardSeeds(std::uint64_t start, std::uint64_t count, Shard shard)
    : start_(start), count_(count), stride_(shard.count) {
  if (count == 0) return;
  // The first seed s >= start with s mod M = K, without passing 2^64-1.
  const std::uint64_t offset = (shard.index + shard.count - start % shard.count) % shard.count;
  if (offset >= count) return;
  first_ = start + offset;
  size_ = (count - 1 - offset) / shard.count + 1;
}

bool ShardSeeds::contains(std::uint64_t seed) const {
  return size_ > 0 && seed >= first_ && seed - start_ < count_ && (seed - first_) % stride_ == 0;
}

std::string text_hash(std::string_view text) {
  return fmt::format("{:016x}", stable_name_hash(text));
}

std::string executable_hash() {
  std::ifstream file("/proc/self/exe", std::ios::binary);
  if (!file) return "unknown";
  const std::string bytes{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
  return text_hash(bytes);
}

std::string results_file_path(const std::string& dir, Shard shard) {
  std::string path = dir;
  if (!path.empty() && !path.ends_with('/')) path += '/';
  return path + fmt::format("shard-{}-of-{}.ndjson", shard.index, shard.count);
}

}  // namespace faultline::cli

namespace faultline::cli {

namespace {

nlohmann::ordered_json header_json(const ResultsHeader& header) {
  const FuzzSummaryInfo& info = header.info;
  nlohmann::ordered_json j;
  j["type"] = "header";
  j["format"] = kResultsFormat;
  j["version"] = kResultsVersion;
  j["faultline"] = header.faultline_version;
  j["commit"] = header.commit;
  j["binary"] = header.binary;
  j["profile"] = info.profile_path;
  j["profile_hash"] = header.profile_hash;
  j["profile_name"] = info.profile_name;
  j["protocol"] = info.protocol;
  j["bug"] = info.bug;
  j["swarm"] = info.swarm;
  j["overrides"] = header.overrides;
  j["options"] = header.options;
  j["seed_start"] = info.seed_start;
  j["seed_count"] = info.seed_count;
  j["check_determinism"] = info.determinism_checked;
  j["stop_on_failure"] = info.stop_on_failure;
  j["shard"] = info.shard.index;
  j["shards"] = info.shard.count;
  return j;
}

nlohmann::ordered_json result_json(const FuzzOutcome& record) {
  nlohmann::ordered_json j;
  j["type"] = "result";
  j["seed"] = record.seed;
  j["status"] = to_string(record.status);
  j["fingerprint"] = fmt::format("{:016x}", record.fingerprint);
  j["events"] = record.events;
  if (record.status == RunStatus::passed) return j;
  j["check"] = record.check;
  j["signature"] = record.signature;
  j["failure"] = record.failure;
  j["repro"] = record.repro;
  return j;
}

nlohmann::ordered_json capsule_json(const FuzzOutcome& record) {
  nlohmann::ordered_json j;
  j["type"] = "capsule";
  j["seed"] = record.seed;
  j["capsule"] = record.capsule;
  j["shrunk"] = record.shrunk;
  j["capsule_repro"] = record.capsule_repro;
  return j;
}

// One line of JSON; bytes that are not UTF-8 (in a failure message) become U+FFFD, not an
// exception.
std::string dump_line(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace

Result<std::unique_ptr<ResultsWriter>> ResultsWriter::open(const std::string& dir,
                                                           const ResultsHeader& header) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return fail("--results " + dir, 0, "cannot create the directory: " + error.message());
  const std::string path = results_file_path(dir, header.info.shard);
  std::FILE* file = std::fopen(path.c_str(), "w");
  if (file == nullptr) return fail(path, 0, "cannot open for writing");
  std::unique_ptr<ResultsWriter> writer(new ResultsWriter(path, file));
  writer->line(dump_line(header_json(header)));
  if (writer->error_) return std::unexpected(*writer->error_);
  return writer;
}

ResultsWriter::~ResultsWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

void ResultsWriter::line(const std::string& text) {
  const std::lock_guard lock(mutex_);
  if (file_ == nullptr) return;
  const bool written = std::fwrite(text.data(), 1, text.size(), file_) == text.size() &&
                       std::fputc('\n', file_) != EOF && std::fflush(file_) == 0;
  if (!written && !error_) error_ = Error{path_, 0, "write failed (is the disk full?)"};
}

void ResultsWriter::started(std::uint64_t seed) {
  nlohmann::ordered_json j;
  j["type"] = "started";
  j["seed"] = seed;
  line(dump_line(j));
}

void ResultsWriter::result(const FuzzOutcome& record) { line(dump_line(result_json(record))); }

void ResultsWriter::capsule(const FuzzOutcome& record) { line(dump_line(capsule_json(record))); }

Result<void> ResultsWriter::end(std::string_view reason, std::uint64_t seeds_run) {
  nlohmann::ordered_json j;
  j["type"] = "end";
  j["reason"] = reason;
  j["seeds_run"] = seeds_run;
  line(dump_line(j));
  const std::lock_guard lock(mutex_);
  if (std::fclose(file_) != 0 && !error_) error_ = Error{path_, 0, "close failed"};
  file_ = nullptr;
  if (error_) return std::unexpected(*error_);
  return {};
}

}  // namespace faultline::cli
