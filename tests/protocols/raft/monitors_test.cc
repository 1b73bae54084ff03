// Raft's monitors (checkers/raft/suite.cc, sim/core/monitor.h) decide only when the simulator
// re-evaluates a property, never what it says. Two ways to show it, on the bundled scenarios with
// and without their bug switches, a 16-node cluster, and generated fault schedules:
// - every monitor is wrapped in one that evaluates the property's check after every event and
//   counts a lapse whenever the monitor said "unchanged" while the verdict changed (never);
// - a run with monitors ends exactly as a run without any: fingerprint, events, status,
//   failure text and every verdict.
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "checkers/raft/suite.h"
#include "protocols/raft/protocol.h"
#include "sim/engine/load_scenario.h"
#include "sim/scenario/parse.h"
#include "tests/support/scenario_gen.h"

using namespace faultline;
using faultline::raft::Raft;

namespace {

struct MonitorStats {
  std::uint64_t updates = 0;   // monitor calls after the first of each run
  std::uint64_t rechecks = 0;  // of those, the ones that asked for a check
  std::uint64_t lapses = 0;    // "unchanged" while the verdict changed: a soundness bug
};

// Evaluates the property's check at every update next to the monitor it wraps.
class VerifyingMonitor final : public Monitor<Raft> {
 public:
  using Check = std::function<std::optional<std::string>(const ClusterView<Raft>&)>;
  VerifyingMonitor(std::unique_ptr<Monitor<Raft>> inner, Check check, MonitorStats& stats)
      : inner_(std::move(inner)), check_(std::move(check)), stats_(stats) {}

  bool update(const ClusterView<Raft>& view, std::span<const NodeId> changed) override {
    const bool recheck = inner_->update(view, changed);
    const bool holds = !check_(view).has_value();
    if (held_) {
      ++stats_.updates;
      if (recheck) ++stats_.rechecks;
      if (!recheck && holds != *held_) ++stats_.lapses;
    }
    held_ = holds;
    return recheck;
  }

 private:
  std::unique_ptr<Monitor<Raft>> inner_;
  Check check_;
  MonitorStats& stats_;
  std::optional<bool> held_;  // the verdict at the previous update
};

CheckSuite<Raft> verifying(CheckSuite<Raft> suite, MonitorStats& stats) {
  for (Property<Raft>& property : suite.properties) {
    if (!property.monitor) continue;
    property.monitor = [make = property.monitor, check = property.check, &stats] {
      return std::unique_ptr<Monitor<Raft>>(new VerifyingMonitor(make(), check, stats));
    };
  }
  return suite;
}

CheckSuite<Raft> without_monitors(CheckSuite<Raft> suite) {
  for (Property<Raft>& property : suite.properties) property.monitor = {};
  return suite;
}

// A bundled scenario, with `bug` set and, if nonzero, another node count.
LoadedScenario<Raft> load(const std::string& name, const std::string& bug,
                          std::uint32_t nodes = 0) {
  const std::string path = std::string(FAULTLINE_SOURCE_DIR) + "/scenarios/raft/" + name + ".yaml";
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  auto parsed = scenario::parse_scenario(text.str(), path, Raft::role_names());
  if (!parsed) FAIL(parsed.error().to_string());
  REQUIRE(scenario::apply_override(parsed->config, "bug=" + bug).has_value());
  if (nodes != 0) {
    parsed->node_names.clear();
    for (std::uint32_t i = 0; i < nodes; ++i) parsed->node_names.push_back("n" + std::to_string(i));
  }
  auto loaded = bind_scenario<Raft>(std::move(*parsed), raft::check_suite(raft::Config{}));
  if (!loaded) FAIL(loaded.error().to_string());
  return std::move(*loaded);
}

std::string verdicts(const RunOutcome& outcome) {
  std::string text;
  for (const CheckVerdict& v : outcome.verdicts)
    text += v.name + (v.passed ? " ok " : " FAIL ") + v.detail + "\n";
  return text;
}

// Runs one seed with verifying monitors and without monitors; both must end alike.
RunOutcome run_both(const LoadedScenario<Raft>& loaded, std::uint64_t seed, MonitorStats& stats) {
  RunOptions options;
  options.seed = seed;
  const auto plain = without_monitors(raft::check_suite(loaded.config));
  const auto watched = verifying(raft::check_suite(loaded.config), stats);
  const RunOutcome a = run_simulation(loaded, plain, options);
  const RunOutcome b = run_simulation(loaded, watched, options);
  CHECK(a.fingerprint == b.fingerprint);
  CHECK(a.events == b.events);
  CHECK(a.status == b.status);
  CHECK(a.failure == b.failure);
  CHECK(verdicts(a) == verdicts(b));
  return b;
}

}  // namespace

TEST_CASE("Raft's monitors never miss a changed verdict and change no outcome") {
  struct Row {
    std::string scenario, bug;
    std::uint64_t seeds;
    std::uint32_t nodes = 0;
  };
  // Each bug switch on its scenario (tests/protocols/raft/bug_switches.txt), every other
  // bundled scenario correct, and the nemesis on 16 nodes with and without a bug.
  const std::vector<Row> rows = {
      {"five_node_nemesis", "vote_without_log_check", 3},
      {"figure8_commit_previous_term", "commit_previous_term_by_count", 1},
      {"split_brain_old_leader", "read_without_quorum", 3},
      {"crash_restart_storm", "forget_vote_on_restart", 12},
      {"deposed_leader_stale_append", "accept_stale_append_entries", 3},
      {"five_node_nemesis", "none", 2, 16},
      {"five_node_nemesis", "vote_without_log_check", 2, 16},
      {"crash_restart_storm", "none", 1},
      {"everyone_crashes", "none", 1},
      {"flapping_partition", "none", 1},
      {"follower_crash_restart", "none", 1},
      {"leader_isolated_check_quorum", "none", 1},
      {"lossy_network", "none", 1},
      {"majority_partition", "none", 1},
      {"membership_changes", "none", 1},
      {"minority_partition", "none", 1},
      {"pre_vote_stops_disruption", "none", 1},
      {"snapshot_install", "none", 1},
      {"three_node_leader_crash", "none", 1},
      {"three_regions_wan", "none", 1},
  };
  MonitorStats stats;
  int violations = 0;
  for (const Row& row : rows) {
    const auto loaded = load(row.scenario, row.bug, row.nodes);
    for (std::uint64_t seed = 1; seed <= row.seeds; ++seed) {
      INFO(row.scenario << " bug=" << row.bug << " nodes=" << row.nodes << " seed " << seed);
      if (run_both(loaded, seed, stats).status == RunStatus::safety_violation) ++violations;
    }
  }
  CHECK(stats.lapses == 0);
  CHECK(violations >= 6);  // the bug switches were caught, so monitors said yes when it mattered
  // Most events change no verdict-relevant key: the monitors skip most evaluations.
  CHECK(stats.rechecks * 2 < stats.updates);
}

TEST_CASE("Raft's monitors agree with whole-view checks on generated fault schedules") {
  rc::prop("no lapse, same outcome", [] {
    auto s = *faultline::testing::gen_scenario(3, 7, Duration::from_seconds(3));
    s.protocol = "raft";
    LoadedScenario<Raft> loaded;
    loaded.scenario = std::move(s);
    loaded.workload.clients = 3;
    loaded.workload.duration = Duration::from_seconds(3);
    // Any bug switch (or none): each breaks a different check, which the monitors must not miss.
    loaded.config.bug = static_cast<raft::Bug>(
        *rc::gen::inRange<int>(0, static_cast<int>(raft::Bug::accept_stale_append_entries) + 1));
    MonitorStats stats;
    RunOptions options;
    options.seed = *rc::gen::arbitrary<std::uint64_t>();
    const RunOutcome a =
        run_simulation(loaded, without_monitors(raft::check_suite(loaded.config)), options);
    const RunOutcome b =
        run_simulation(loaded, verifying(raft::check_suite(loaded.config), stats), options);
    RC_ASSERT(stats.lapses == 0u);
    RC_ASSERT(a.fingerprint == b.fingerprint);
    RC_ASSERT(a.status == b.status);
    RC_ASSERT(a.failure == b.failure);
    RC_ASSERT(verdicts(a) == verdicts(b));
  });
}
