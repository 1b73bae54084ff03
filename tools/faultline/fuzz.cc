#include "tools/faultline/fuzz.h"

#include <fmt/core.h>

#include <map>

#include "sim/core/text.h"
#include "sim/scenario/parse.h"
#include "tools/faultline/commands.h"
#include "tools/faultline/report.h"
#include "tools/faultline/seed_runner.h"

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

// " --bug X --no-swarm": the overrides as the command line gives them.
std::string override_flags(const ProfileOverrides& overrides) {
  std::string flags;
  if (overrides.bug) {
    flags += " --bug ";
    flags += quote_if_needed(*overrides.bug);
  }
  if (overrides.no_swarm) flags += " --no-swarm";
  return flags;
}

std::string emit_command(const LoadedProfile& loaded, std::uint64_t seed) {
  std::string command = program_name();
  command += " fuzz ";
  command += quote_if_needed(loaded.path);
  command += " --emit ";
  command += std::to_string(seed);
  command += override_flags(loaded.overrides);
  return command;
}

// The check a failure names: the longest failing verdict's name the failure line starts with
// (a history check's line is "name: ..."), else the first failing verdict, else the budget.
std::string failing_check(const RunOutcome& outcome) {
  if (outcome.budget_stop) return outcome.budget_stop->budget + " budget";
  std::string best;
  std::string first;
  for (const CheckVerdict& v : outcome.verdicts) {
    if (v.passed || !v.evaluated) continue;
    if (first.empty()) first = v.name;
    if (outcome.failure.starts_with(v.name) && v.name.size() > best.size()) best = v.name;
  }
  return best.empty() ? first : best;
}

bool is_word(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

bool is_number_char(char c) { return is_digit(c) || c == '.' || c == ','; }

// One word of a failure line: hexadecimal -> H (or 0xH), a number with a unit -> D, and every
// other run of digits -> N ("n3" -> "nN", "c2s71" -> "cNsN").
std::string normalise_word(std::string_view word) {
  const auto all_hex = [](std::string_view w) {
    return !w.empty() && std::ranges::all_of(w, is_hex);
  };
  if (word.size() > 2 && (word.starts_with("0x") || word.starts_with("0X")) &&
      all_hex(word.substr(2)))
    return "0xH";
  if (word.size() >= 8 && all_hex(word) && std::ranges::any_of(word, is_digit)) return "H";
  if (is_digit(word.front())) {
    const std::size_t number = word.find_first_not_of("0123456789.,");
    const std::string_view unit = number == std::string_view::npos ? "" : word.substr(number);
    for (const std::string_view u : {"ns", "us", "ms", "s", "m", "h"})
      if (unit == u) return "D";
  }
  std::string out;
  for (std::size_t i = 0; i < word.size();) {
    if (!is_digit(word[i])) {
      out += word[i++];
      continue;
    }
    out += 'N';
    while (i < word.size() && is_number_char(word[i])) ++i;
  }
  return out;
}

// Where the brace group opening at `open` closes (balanced), or npos.
std::size_t closing_brace(std::string_view text, std::size_t open) {
  int depth = 0;
  for (std::size_t i = open; i < text.size(); ++i) {
    depth += text[i] == '{' ? 1 : text[i] == '}' ? -1 : 0;
    if (depth == 0) return i;
  }
  return std::string_view::npos;
}

std::string status_label(RunStatus status) {
  switch (status) {
    case RunStatus::passed: return "passed";
    case RunStatus::safety_violation: return "safety";
    case RunStatus::liveness_violation: return "liveness";
    case RunStatus::budget_exceeded: return "stopped";
  }
  return "?";
}

}  // namespace

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
  FuzzOutcome record = fuzz_outcome(run_seed(*bound, seed, options.budget, options.wire));
  if (record.status != RunStatus::passed)
    record.repro = fuzz_repro_command(loaded, seed, record.fingerprint, options.wire);
  return record;
}

std::string failure_signature(std::string_view failure) {
  constexpr std::size_t kSignatureBytes = 200;
  failure = failure.substr(0, failure.find('\n'));  // a history check may explain on more lines
  std::string out;
  std::string last_word;
  std::size_t last_word_end = 0;
  bool collapsed = false;
  std::size_t i = 0;
  while (i < failure.size() && out.size() < kSignatureBytes) {
    if (failure[i] == '{') {  // a value's description (Entry{...}, a map): its contents vary
      const std::size_t close = closing_brace(failure, i);
      out += close == std::string_view::npos ? "{" : "{...}";
      i = close == std::string_view::npos ? i + 1 : close + 1;
      continue;
    }
    if (!is_word(failure[i])) {
      out += failure[i++];
      continue;
    }
    // A word: letters, digits and '_', with '.' or ',' between digits ("1.5s", "2,000").
    std::size_t end = i;
    while (end < failure.size() &&
           (is_word(failure[end]) ||
            ((failure[end] == '.' || failure[end] == ',') && is_digit(failure[end - 1]) &&
             end + 1 < failure.size() && is_digit(failure[end + 1]))))
      ++end;
    const std::string word = normalise_word(failure.substr(i, end - i));
    i = end;
    // A list of like words ("n0, n1, n3") is one "nN, ...", whatever its length.
    if (word == last_word && out.size() == last_word_end + 2 && out.ends_with(", ")) {
      out.resize(last_word_end);
      if (!collapsed) out += ", ...";
      collapsed = true;
    } else {
      out += word;
      collapsed = false;
    }
    last_word = word;
    last_word_end = out.size();
  }
  if (out.size() > kSignatureBytes) {
    std::size_t cut = kSignatureBytes;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;  // UTF-8
    out.resize(cut);
  }
  return out;
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
  if (records.size() == info.seed_count)
    return range(info.seed_start, info.seed_count) + " (" + format_count(records.size()) +
           (records.size() == 1 ? " run)" : " runs)");
  std::string line = format_count(records.size()) + " of the " + format_count(info.seed_count) +
                     " seeds " + range(info.seed_start, info.seed_count);
  const bool prefix = !records.empty() && records.front().seed == info.seed_start &&
                      records.back().seed == info.seed_start + records.size() - 1;
  if (records.empty()) return line + " ran";
  return line + (prefix ? " ran (" + range(info.seed_start, records.size()) +
                              "; stopped starting seeds when --time ran out)"
                        : " ran");
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
  std::string result = format_count(passed) + " passed, " +
                       format_count(records.size() - passed - stopped) + " failed";
  if (stopped > 0) result += ", " + format_count(stopped) + " stopped at a budget";
  text += "result       " + result + "\n";
  text += "events       " + format_count(events) + " processed in total\n";
  text += "signatures   " +
          (ordered.empty() ? std::string("none") : format_count(ordered.size()) + " distinct") +
          "\n";
  for (std::size_t i = 0; i < ordered.size(); ++i) {
    const FuzzOutcome& first = *ordered[i]->first;
    text += fmt::format("  [{}] {} {}, {}: {}\n", i + 1, format_count(ordered[i]->count),
                        ordered[i]->count == 1 ? "seed" : "seeds", status_label(first.status),
                        first.signature);
    const std::string_view line =
        std::string_view(first.failure).substr(0, first.failure.find('\n'));
    text += fmt::format("      first seed {}: {}\n", first.seed, line);
    text += "      repro: " + first.repro + "\n";
  }
  return text;
}

}  // namespace faultline::cli
