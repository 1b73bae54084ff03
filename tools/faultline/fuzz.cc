#include "tools/faultline/fuzz.h"

#include <fmt/core.h>

#include <cctype>
#include <map>
#include <set>

#include "sim/core/text.h"
#include "sim/scenario/parse.h"
#include "tools/faultline/commands.h"
#include "tools/faultline/fuzz_results.h"
#include "tools/faultline/report.h"
#include "tools/faultline/seed_runner.h"
#include "tools/faultline/shrink.h"

namespace faultline::cli {

namespace {

Error prefixed(const std::string& path, Error e) {
  if (e.where.rfind(path, 0) != 0) e.where = e.where.empty() ? path : path + ": " + e.where;
  return e;
}

// A drawn tree parsed and bound as a scenario: errors carry the profile's paths and lines.
Result<BoundScenario> bind_tree(const LoadedProfile& loaded, const ConfigTree& tree) {
  auto parsed = scenario::parse_scenario_tree(tree, loaded.path, loaded.entry->role_names);
  if (!parsed) return std::unexpected(parsed.error());
  auto bound = loaded.entry->bind(std::move(*parsed));
  if (!bound) return std::unexpected(prefixed(loaded.path, bound.error()));
  return bound;
}

std::string emit_command(const LoadedProfile& loaded, std::uint64_t seed) {
  return fuzz_emit_command(loaded.path, override_flags(loaded.overrides), seed);
}

std::string status_label(const FuzzOutcome& record) {
  if (record.check == "lost") return "lost";  // fuzz merge: a seed whose shard was killed
  switch (record.status) {
    case RunStatus::passed: return "passed";
    case RunStatus::safety_violation: return "safety";
    case RunStatus::liveness_violation: return "liveness";
    case RunStatus::budget_exceeded: return "stopped";
  }
  return "?";
}

}  // namespace

std::string override_flags(const ProfileOverrides& overrides) {
  std::string flags;
  if (overrides.bug) {
    flags += " --bug ";
    flags += quote_if_needed(*overrides.bug);
  }
  if (overrides.no_swarm) flags += " --no-swarm";
  return flags;
}

std::string fuzz_emit_command(const std::string& profile_path, const std::string& overrides,
                              std::uint64_t seed) {
  std::string command = program_name();
  command += " fuzz ";
  command += quote_if_needed(profile_path);
  command += " --emit ";
  command += std::to_string(seed);
  command += overrides;
  return command;
}

bool is_swarm_profile_path(std::string_view path) {
  const std::string_view name = path.substr(path.find_last_of('/') + 1);
  return name == "swarm.yaml" || name.ends_with(".swarm.yaml");
}

Result<LoadedProfile> load_profile_file(const std::string& path,
                                        const ProfileOverrides& overrides) {
  auto text = scenario::read_scenario_file(path);
  if (!text) return std::unexpected(text.error());
  std::vector<std::string> names;
  for (const ProtocolEntry& entry : protocols()) names.push_back(entry.name);
  auto protocol = scenario::peek_protocol(*text, path, names);
  if (!protocol) return std::unexpected(prefixed(path, protocol.error()));
  auto entry = find_protocol(*protocol, path + ": protocol");
  if (!entry) return std::unexpected(entry.error());
  auto profile = scenario::parse_swarm_profile(*text, path, (*entry)->role_names);
  if (!profile && load_scenario_text(*text, path)) {  // a scenario, not a profile: say which
    std::string why = profile.error().to_string();
    if (why.starts_with(path + ": ")) why.erase(0, path.size() + 2);
    return fail(path, 0,
                "is a scenario, not a swarm profile: run its seeds with `" + program_name() +
                    " run " + path + " --seeds N` (as a profile: " + why + ")");
  }
  if (!profile) return std::unexpected(prefixed(path, profile.error()));
  LoadedProfile loaded{path, std::move(*profile), *entry, overrides};
  if (overrides.bug) {
    loaded.profile.bug = *overrides.bug;
    loaded.profile.bug_node.kind = ConfigTree::Kind::scalar;
    loaded.profile.bug_node.scalar = *overrides.bug;
    loaded.profile.bug_node.path = "--bug";
    loaded.profile.bug_node.line = 0;
  }
  if (overrides.no_swarm) loaded.profile.swarm = false;
  auto probed = scenario::probe_swarm_profile(loaded.profile, [&](const ConfigTree& tree) {
    auto bound = bind_tree(loaded, tree);
    return bound ? Result<void>{} : std::unexpected(bound.error());
  });
  if (!probed) return std::unexpected(prefixed(path, probed.error()));
  return loaded;
}

Result<std::string> draw_scenario_text(const LoadedProfile& loaded, std::uint64_t seed) {
  auto drawn = scenario::draw_scenario(loaded.profile, seed);
  if (!drawn) return std::unexpected(prefixed(loaded.path, drawn.error()));
  const std::vector<std::string> header = {
      "Seed " + std::to_string(seed) + " of the swarm profile " + loaded.profile.name +
          ", drawn by",
      "  " + emit_command(loaded, seed),
      "`faultline run` on this file reproduces that seed's fuzz run."};
  return scenario_yaml(*drawn, header);
}

Result<BoundScenario> bind_scenario_text(const LoadedProfile& loaded, std::uint64_t seed,
                                         const std::string& text) {
  // As load_scenario_text, without finding the protocol again: that parses the text once more,
  // and the parses are most of a seed's cost beyond its run.
  const std::string origin = loaded.path + " (seed " + std::to_string(seed) + ")";
  auto parsed = scenario::parse_scenario(text, origin, loaded.entry->role_names);
  auto bound = parsed ? loaded.entry->bind(std::move(*parsed))
                      : Result<BoundScenario>(std::unexpected(parsed.error()));
  if (bound) {
    bound->path = origin;
    return bound;
  }
  // Say where in the profile the rejected value came from, when the drawn tree shows it.
  Error error = prefixed(origin, bound.error());
  if (auto drawn = scenario::draw_scenario(loaded.profile, seed); drawn)
    if (auto from_tree = bind_tree(loaded, drawn->tree); !from_tree) error = from_tree.error();
  error.what += " (drawn for seed " + std::to_string(seed) + "; `" + emit_command(loaded, seed) +
                "` prints the scenario)";
  return std::unexpected(error);
}

std::string fuzz_repro_command(const LoadedProfile& loaded, std::uint64_t seed,
                               std::uint64_t fingerprint, bool wire) {
  const std::string file = "seed_" + std::to_string(seed) + ".yaml";
  std::string command = emit_command(loaded, seed);
  command += " > " + file + " && " + program_name() + " replay " + file;
  command += " --seed " + std::to_string(seed);
  command += fmt::format(" --fingerprint {:016x}", fingerprint);
  if (wire) command += " --wire";
  return command;
}

FuzzOutcome fuzz_outcome(const RunOutcome& outcome) {
  FuzzOutcome record;
  record.seed = outcome.seed;
  record.status = outcome.status;
  record.fingerprint = outcome.fingerprint;
  record.events = outcome.events;
  if (outcome.status == RunStatus::passed) return record;
  record.failure = outcome.failure;
  record.signature = failure_signature(outcome.failure);
  record.check = failing_check(outcome);
  return record;
}

Result<FuzzOutcome> run_fuzz_seed(const LoadedProfile& loaded, std::uint64_t seed,
                                  const FuzzRunOptions& options) {
  auto text = draw_scenario_text(loaded, seed);
  if (!text) return std::unexpected(text.error());
  auto bound = bind_scenario_text(loaded, seed, *text);
  if (!bound) return std::unexpected(bound.error());
  const RunOutcome outcome = run_seed(*bound, seed, options.budget, options.wire);
  if (options.observe) options.observe(outcome);
  FuzzOutcome record = fuzz_outcome(outcome);
  if (options.check_determinism)
    if (auto difference =
            determinism_difference(outcome, run_seed(*bound, seed, options.budget, options.wire))) {
      record.status = RunStatus::safety_violation;
      record.check = "determinism";
      record.failure = "determinism: not reproduced, " + *difference;
      record.signature = "determinism: not reproduced";  // the figures are all that varies
    }
  if (record.status != RunStatus::passed)
    record.repro = fuzz_repro_command(loaded, seed, record.fingerprint, options.wire);
  return record;
}

std::vector<std::size_t> records_to_shrink(std::span<const FuzzOutcome> records) {
  std::vector<std::size_t> chosen;
  std::set<std::string_view> seen;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const FuzzOutcome& record = records[i];
    if (record.status == RunStatus::passed || !seen.insert(record.signature).second) continue;
    if (record.status == RunStatus::budget_exceeded || record.check == "determinism") continue;
    chosen.push_back(i);
  }
  return chosen;
}

namespace {

// "raft_swarm" and seed 7 -> "DIR/raft_swarm.seed7.capsule.yaml" (the name's other characters
// become '_', so a profile name is always a safe file name).
std::string capsule_path(const std::string& dir, const std::string& name, std::uint64_t seed) {
  std::string stem;
  for (const char c : name)
    stem += (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_') ? c : '_';
  std::string path = dir;
  if (!path.empty() && !path.ends_with('/')) path += '/';
  path += stem + ".seed" + std::to_string(seed) + ".capsule.yaml";
  return path;
}

std::string shrunk_sizes(const ShrinkResult& r) {
  return fmt::format(
      "events {} -> {}, faults {} -> {}, nodes {} -> {}, client calls {} -> {}, {} runs",
      format_count(r.before.events), format_count(r.after.events), r.before.faults, r.after.faults,
      r.before.nodes, r.after.nodes, format_count(r.before.client_calls),
      format_count(r.after.client_calls), r.runs);
}

}  // namespace

Result<std::chrono::milliseconds> shrink_fuzz_record(const LoadedProfile& loaded,
                                                     FuzzOutcome& record,
                                                     const FuzzShrinkOptions& options) {
  auto text = draw_scenario_text(loaded, record.seed);
  if (!text) return std::unexpected(text.error());
  ShrinkOptions shrink_options;
  shrink_options.runs_max = options.runs_max;
  shrink_options.budget = options.budget;
  const std::string origin = loaded.path + " (seed " + std::to_string(record.seed) + ")";
  auto result = shrink(*loaded.entry, *text, origin, {}, record.seed, shrink_options);
  if (!result) return std::unexpected(result.error());
  const std::string path = capsule_path(options.capsule_dir, loaded.profile.name, record.seed);
  const std::string made_by = emit_command(loaded, record.seed) + " (shrunk by fuzz)";
  const std::string file_text = capsule_file_text(*result, origin, made_by, path);
  if (auto written = write_text_file(path, file_text); !written)
    return std::unexpected(written.error());
  record.capsule = path;
  record.shrunk = shrunk_sizes(*result);
  record.capsule_repro = fmt::format("{} replay {} --seed {} --fingerprint {:016x}", program_name(),
                                     path, result->seed, result->fingerprint);
  return result->wall_time;
}

RunStatus worst_status(std::span<const FuzzOutcome> records) {
  RunStatus worst = RunStatus::passed;
  for (const FuzzOutcome& record : records) worst = worse_of(worst, record.status);
  return worst;
}

namespace {

struct SignatureGroup {
  const FuzzOutcome* first = nullptr;
  std::uint64_t count = 0;
};

// "1..200 (200 runs)", or for a part of the seeds asked for, the seeds that ran.
std::string seeds_line(const FuzzSummaryInfo& info, std::span<const FuzzOutcome> records) {
  const auto range = [](std::uint64_t first, std::uint64_t count) {
    return std::to_string(first) + ".." + std::to_string(first + count - 1);
  };
  if (info.shard.count > 1) {
    const ShardSeeds seeds(info.seed_start, info.seed_count, info.shard);
    std::string line =
        range(info.seed_start, info.seed_count) +
        fmt::format(", shard {}/{} (the seeds s with s mod {} = {}): ", info.shard.index,
                    info.shard.count, info.shard.count, info.shard.index);
    if (records.size() == seeds.size())
      return line + format_count(records.size()) + (records.size() == 1 ? " run" : " runs");
    return line + format_count(records.size()) + " of its " + format_count(seeds.size()) +
           " seeds ran";
  }
  if (records.size() == info.seed_count)
    return range(info.seed_start, info.seed_count) + " (" + format_count(records.size()) +
           (records.size() == 1 ? " run)" : " runs)");
  std::string line = format_count(records.size()) + " of the " + format_count(info.seed_count) +
                     " seeds " + range(info.seed_start, info.seed_count);
  const bool prefix = !records.empty() && records.front().seed == info.seed_start &&
                      records.back().seed == info.seed_start + records.size() - 1;
  if (records.empty() || !prefix) return line + " ran";
  const bool failed = worst_status(records) != RunStatus::passed;
  return line + " ran (" + range(info.seed_start, records.size()) +
         (info.stop_on_failure && failed ? "; stopped starting seeds at the first failure)"
                                         : "; stopped starting seeds when --time ran out)");
}

// One signature's lines in the summary: its count and signature, the first seed's failure, its
// repro command, and its capsule when it was shrunk.
std::string signature_block(std::size_t number, const SignatureGroup& group) {
  const FuzzOutcome& first = *group.first;
  std::string text =
      fmt::format("  [{}] {} {}, {}: {}\n", number, format_count(group.count),
                  group.count == 1 ? "seed" : "seeds", status_label(first), first.signature);
  const std::string_view line = std::string_view(first.failure).substr(0, first.failure.find('\n'));
  text += fmt::format("      first seed {}: {}\n", first.seed, line);
  text += "      repro: " + first.repro + "\n";
  if (first.capsule.empty()) return text;
  text += "      capsule: " + first.capsule + " (" + first.shrunk + ")\n";
  text += "      capsule repro: " + first.capsule_repro + "\n";
  return text;
}

}  // namespace

std::string fuzz_summary(const FuzzSummaryInfo& info, std::span<const FuzzOutcome> records) {
  std::uint64_t passed = 0;
  std::uint64_t stopped = 0;
  std::uint64_t events = 0;
  std::map<std::string, SignatureGroup> groups;
  for (const FuzzOutcome& record : records) {
    events += record.events;
    passed += record.status == RunStatus::passed ? 1 : 0;
    stopped += record.status == RunStatus::budget_exceeded ? 1 : 0;
    if (record.status == RunStatus::passed) continue;
    SignatureGroup& group = groups[record.signature];
    if (group.first == nullptr) group.first = &record;
    ++group.count;
  }
  std::vector<const SignatureGroup*> ordered;
  for (const auto& entry : groups) ordered.push_back(&entry.second);
  std::ranges::sort(ordered, {}, [](const SignatureGroup* g) { return g->first->seed; });

  std::string text = fmt::format("profile      {} ({}) from {}; swarm {}; bug {}\n",
                                 info.profile_name, info.protocol, info.profile_path,
                                 info.swarm ? "on" : "off", info.bug.empty() ? "none" : info.bug);
  text += "seeds        " + seeds_line(info, records) + "\n";
  if (info.determinism_checked) text += "determinism  every seed ran twice and compared\n";
  std::string result = format_count(passed) + " passed, " +
                       format_count(records.size() - passed - stopped) + " failed";
  if (stopped > 0) result += ", " + format_count(stopped) + " stopped at a budget";
  text += "result       " + result + "\n";
  text += "events       " + format_count(events) + " processed in total\n";
  text += "signatures   " +
          (ordered.empty() ? std::string("none") : format_count(ordered.size()) + " distinct") +
          "\n";
  for (std::size_t i = 0; i < ordered.size(); ++i) text += signature_block(i + 1, *ordered[i]);
  return text;
}

}  // namespace faultline::cli

namespace faultline::cli {

std::vector<JunitCase> fuzz_junit_cases(const FuzzSummaryInfo& info,
                                        std::span<const FuzzOutcome> records) {
  std::vector<JunitCase> cases;
  std::set<std::string_view> seen;
  const std::string classname = "faultline.fuzz." + info.protocol;
  for (const FuzzOutcome& record : records) {
    if (record.status == RunStatus::passed || !seen.insert(record.signature).second) continue;
    JunitCase c;
    c.name = info.profile_name + ": " + record.signature;
    c.classname = classname;
    c.result = record.status == RunStatus::budget_exceeded ? JunitCase::Result::error
                                                           : JunitCase::Result::failure;
    c.message = record.failure.substr(0, record.failure.find('\n'));
    c.text = "first seed " + std::to_string(record.seed) + "\nrepro: " + record.repro + "\n";
    if (!record.capsule.empty())
      c.text += "capsule: " + record.capsule + "\ncapsule repro: " + record.capsule_repro + "\n";
    cases.push_back(std::move(c));
  }
  if (cases.empty()) {
    JunitCase c;
    c.name = info.profile_name + (records.empty()
                                      ? " (no seeds ran)"
                                      : " (seeds " + std::to_string(records.front().seed) + ".." +
                                            std::to_string(records.back().seed) + ")");
    c.classname = classname;
    cases.push_back(std::move(c));
  }
  return cases;
}

}  // namespace faultline::cli
