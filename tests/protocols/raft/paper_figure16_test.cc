// The Raft paper's Figure 16 experiment (scenarios/raft/paper_figure16, README "Raft: reproducing
// the paper's Figure 16") in few seeds: the shape of the results, not their exact values. Every
// line stays safe; no election beats half the minimum timeout (the paper's lower bound); without
// randomness split votes do not resolve, while a little randomness resolves them; more
// randomness shortens the tail; shorter timeouts elect faster. Virtual time only: the full
// experiment's wall time is measured by run.sh, never asserted here.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

#include "sim/engine/stats.h"
#include "tools/faultline/entry.h"

using namespace faultline;
using namespace faultline::literals;

namespace {

constexpr std::uint64_t kSeeds = 40;

struct Line {
  Duration timeout_min;
  std::uint64_t trials = 0;
  std::vector<Duration> elections;  // one per trial that elected within the bound
  Summary summary;
  double elected_fraction() const {
    return static_cast<double>(elections.size()) / static_cast<double>(trials);
  }
};

Line run_line(const std::string& file, Duration timeout_min) {
  const std::string path =
      std::string(FAULTLINE_SOURCE_DIR) + "/scenarios/raft/paper_figure16/" + file + ".yaml";
  auto bound = cli::load_scenario_file(path);
  if (!bound) FAIL(bound.error().to_string());
  Line line;
  line.timeout_min = timeout_min;
  for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
    RunOptions options;
    options.seed = seed;
    const RunOutcome outcome = bound->run(options);
    INFO(file << " seed " << seed << ": " << outcome.failure);
    CHECK(outcome.status ==
          RunStatus::passed);  // safety and history checks only: liveness is measured
    ++line.trials;
    if (const auto it = outcome.metrics.find("election"); it != outcome.metrics.end()) {
      CHECK(it->second.size() <= 1);  // one crashed leader per trial
      line.elections.insert(line.elections.end(), it->second.begin(), it->second.end());
    }
  }
  line.summary = summarize(line.elections);
  return line;
}

const std::map<std::string, Line>& lines() {
  static const std::map<std::string, Line> all = [] {
    std::map<std::string, Line> m;
    m["150-150"] = run_line("timeout_150_150ms", 150_ms);
    m["150-155"] = run_line("timeout_150_155ms", 150_ms);
    m["150-200"] = run_line("timeout_150_200ms", 150_ms);
    m["150-300"] = run_line("timeout_150_300ms", 150_ms);
    m["12-24"] = run_line("timeout_012_024ms", 12_ms);
    m["25-50"] = run_line("timeout_025_050ms", 25_ms);
    m["50-100"] = run_line("timeout_050_100ms", 50_ms);
    m["100-200"] = run_line("timeout_100_200ms", 100_ms);
    return m;
  }();
  return all;
}

}  // namespace

TEST_CASE("Figure 16: no leader is elected sooner than half the minimum election timeout") {
  // Every survivor heard a heartbeat at most one heartbeat interval (half the minimum timeout)
  // before the crash, so none times out earlier than that after it (the paper's lower bound).
  for (const auto& [name, line] : lines()) {
    INFO(name);
    if (line.elections.empty()) continue;
    CHECK(line.summary.min >= line.timeout_min / 2);
  }
}

TEST_CASE("Figure 16: without randomness split votes persist, 5ms of randomness resolves them") {
  const auto& all = lines();
  // Four followers synchronized by the last heartbeat all time out within one network delay of
  // each other, every round (timers are exact here), so each votes for itself.
  CHECK(all.at("150-150").elected_fraction() < 0.1);
  CHECK(all.at("150-155").elected_fraction() == 1.0);
  CHECK(all.at("150-200").elected_fraction() == 1.0);
  CHECK(all.at("150-300").elected_fraction() == 1.0);
}

TEST_CASE("Figure 16: more randomness shortens the tail") {
  const auto& all = lines();
  CHECK(all.at("150-155").summary.p90 > all.at("150-200").summary.p90 * 2);
  CHECK(all.at("150-155").summary.max > all.at("150-300").summary.max);
  CHECK(all.at("150-155").summary.p50 > all.at("150-300").summary.p50);
}

TEST_CASE("Figure 16: shorter election timeouts elect a new leader sooner") {
  const auto& all = lines();
  for (const char* name : {"12-24", "25-50", "50-100", "100-200"}) {
    INFO(name);
    CHECK(all.at(name).elected_fraction() >= 0.9);  // 12-24: a few trials find no leader to crash
  }
  CHECK(all.at("25-50").summary.p50 < all.at("50-100").summary.p50);
  CHECK(all.at("50-100").summary.p50 < all.at("100-200").summary.p50);
  CHECK(all.at("100-200").summary.p50 < all.at("150-300").summary.p50);
  CHECK(all.at("12-24").summary.p50 < all.at("150-300").summary.p50);
}
