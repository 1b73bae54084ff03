#include "tools/faultline/registry.h"

#include <fstream>
#include <memory>
#include <sstream>

#include "checkers/raft/suite.h"
#include "checkers/two_phase_commit/suite.h"
#include "protocols/ping/ping.h"
#include "protocols/raft/protocol.h"
#include "protocols/two_phase_commit/protocol.h"
#include "sim/engine/binding.h"
#include "sim/scenario/parse.h"

namespace faultline::cli {

namespace {

template <class P>
ProtocolEntry make_entry(std::function<CheckSuite<P>(const typename P::Config&)> make_suite) {
  ProtocolEntry entry;
  entry.name = std::string(P::name);
  entry.role_names = P::role_names();
  entry.bind = [make_suite](scenario::Scenario parsed) -> Result<BoundScenario> {
    // Check names come from a suite built with default config; the real suite is built from
    // the decoded config below (bug switches may change what a suite checks).
    const auto names_suite = make_suite(typename P::Config{});
    auto loaded = bind_scenario<P>(std::move(parsed), names_suite);
    if (!loaded) return std::unexpected(loaded.error());
    auto shared = std::make_shared<LoadedScenario<P>>(std::move(*loaded));
    auto suite = std::make_shared<CheckSuite<P>>(make_suite(shared->config));
    BoundScenario bound;
    bound.protocol = std::string(P::name);
    bound.scenario = shared->scenario;
    for (const auto& p : suite->properties) bound.check_names.push_back(p.name);
    for (const auto& h : suite->history_checks) bound.check_names.push_back(h.name);
    bound.run = [shared, suite](const RunOptions& options) {
      return run_simulation(*shared, *suite, options);
    };
    return bound;
  };
  return entry;
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(path, 0, "cannot open the file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return fail(path, 0, "cannot read the file");
  return text.str();
}

Error prefixed(const std::string& path, Error e) {
  if (e.where.rfind(path, 0) != 0) e.where = e.where.empty() ? path : path + ": " + e.where;
  return e;
}

}  // namespace

const std::vector<ProtocolEntry>& protocols() {
  static const std::vector<ProtocolEntry> entries = [] {
    std::vector<ProtocolEntry> list;
    list.push_back(make_entry<two_phase_commit::TwoPhaseCommit>(
        [](const two_phase_commit::Config& c) { return two_phase_commit::check_suite(c); }));
    list.push_back(
        make_entry<raft::Raft>([](const raft::Config& c) { return raft::check_suite(c); }));
    list.push_back(
        make_entry<ping::Ping>([](const ping::Config&) { return CheckSuite<ping::Ping>{}; }));
    return list;
  }();
  return entries;
}

Result<BoundScenario> load_scenario_file(const std::string& path,
                                         const std::vector<std::string>& overrides) {
  auto text = read_file(path);
  if (!text) return std::unexpected(text.error());
  auto protocol = scenario::peek_protocol(*text, path);
  if (!protocol) return std::unexpected(prefixed(path, protocol.error()));
  const ProtocolEntry* entry = nullptr;
  std::string known;
  for (const auto& e : protocols()) {
    if (e.name == *protocol) entry = &e;
    known += (known.empty() ? "" : ", ") + e.name;
  }
  if (entry == nullptr)
    return fail(path + ": protocol", 0,
                "unknown protocol '" + *protocol + "' (expected one of: " + known + ")");
  auto parsed = scenario::parse_scenario(*text, path, entry->role_names);
  if (!parsed) return std::unexpected(prefixed(path, parsed.error()));
  for (const auto& assignment : overrides) {
    const bool workload = assignment.rfind("workload.", 0) == 0;
    auto status = scenario::apply_override(
        workload ? parsed->workload : parsed->config,
        workload ? std::string_view(assignment).substr(9) : std::string_view(assignment));
    if (!status) return fail("--set " + assignment, 0, status.error().to_string());
  }
  auto bound = entry->bind(std::move(*parsed));
  if (!bound) return std::unexpected(prefixed(path, bound.error()));
  bound->path = path;
  return bound;
}

}  // namespace faultline::cli
