// The registry of protocols (entry.h) and the one way every command loads a scenario file.
#include "sim/scenario/parse.h"
#include "tools/faultline/builtin.h"
#include "tools/faultline/commands.h"
#include "tools/faultline/entry.h"
#include "tools/faultline/fuzz.h"

namespace faultline::cli {

namespace {

std::vector<ProtocolEntry>& registry() {
  static std::vector<ProtocolEntry> entries = builtin_protocols();
  return entries;
}

Error prefixed(const std::string& path, Error e) {
  if (e.where.rfind(path, 0) != 0) e.where = e.where.empty() ? path : path + ": " + e.where;
  return e;
}

// `workload.key=value` edits the scenario's workload, any other key its cluster.config.
Result<void> apply_overrides(scenario::Scenario& parsed,
                             const std::vector<std::string>& overrides) {
  for (const auto& assignment : overrides) {
    constexpr std::string_view workload_prefix = "workload.";
    const bool workload = assignment.starts_with(workload_prefix);
    auto status = scenario::apply_override(
        workload ? parsed.workload : parsed.config,
        std::string_view(assignment).substr(workload ? workload_prefix.size() : 0));
    if (!status) return fail("--set " + assignment, 0, status.error().to_string());
  }
  return {};
}

}  // namespace

const std::vector<ProtocolEntry>& protocols() { return registry(); }

void add_protocol(ProtocolEntry entry) {
  for (const ProtocolEntry& known : registry())
    FL_ASSERT(known.name != entry.name, "two protocols with one name");
  registry().push_back(std::move(entry));
}

Result<const ProtocolEntry*> find_protocol(const std::string& name, const std::string& where) {
  std::string known;
  for (const ProtocolEntry& entry : protocols()) {
    if (entry.name == name) return &entry;
    known += (known.empty() ? "" : ", ") + entry.name;
  }
  return fail(where, 0, "unknown protocol '" + name + "' (expected one of: " + known + ")");
}

Result<const ProtocolEntry*> recorded_protocol(const std::string& path,
                                               const real::HistoryLines& lines,
                                               const std::string& protocol_option, bool for_lin) {
  if (!protocol_option.empty()) {
    if (auto ok = real::check_header_protocol(path, lines, protocol_option); !ok)
      return std::unexpected(ok.error());
    return find_protocol(protocol_option, "--protocol");
  }
  if (lines.header)
    return find_protocol(lines.header->protocol,
                         path + " (line " + std::to_string(lines.header_line) + "): protocol");
  // Before headers existed only Raft recorded histories, so a headerless file is Raft's.
  if (for_lin) return find_protocol("raft", path + ": headerless history");
  return fail(path, 0,
              "no header line names the protocol (a file recorded before headers); give "
              "--protocol");
}

Result<BoundScenario> load_scenario_file(const std::string& path,
                                         const std::vector<std::string>& overrides) {
  auto text = scenario::read_scenario_file(path);  // a directory or /dev/zero is an error
  if (!text) return std::unexpected(text.error());
  if (is_swarm_profile_path(path))
    return fail(path, 0,
                "is a swarm profile, not a scenario: fuzz it with `" + program_name() + " fuzz " +
                    path + "`, or print the scenario seed N draws with `" + program_name() +
                    " fuzz " + path + " --emit N`");
  return load_scenario_text(*text, path, overrides);
}

Result<BoundScenario> load_scenario_text(std::string_view text, const std::string& path,
                                         const std::vector<std::string>& overrides) {
  std::vector<std::string> names;
  for (const ProtocolEntry& entry : protocols()) names.push_back(entry.name);
  auto protocol = scenario::peek_protocol(text, path, names);
  if (!protocol) return std::unexpected(prefixed(path, protocol.error()));
  auto entry = find_protocol(*protocol, path + ": protocol");
  if (!entry) return std::unexpected(entry.error());
  auto parsed = scenario::parse_scenario(text, path, (*entry)->role_names);
  if (!parsed) return std::unexpected(prefixed(path, parsed.error()));
  if (auto ok = apply_overrides(*parsed, overrides); !ok) return std::unexpected(ok.error());
  auto bound = (*entry)->bind(std::move(*parsed));
  if (!bound) return std::unexpected(prefixed(path, bound.error()));
  bound->path = path;
  return bound;
}

}  // namespace faultline::cli
