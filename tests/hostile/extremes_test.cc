// Generated scenarios with extreme but lint-accepted values end within their budgets.
//
// Each generated scenario puts its values at the floors and maxima of scenarios/README.md
// ("Floors and maxima"): 1 ms flap periods and nemesis intervals, Raft timers at 1 ms, a thousand
// clients, 2PC predicts every 100 us, runs of up to 24 h with a liveness phase up to 100 times
// longer, clusters of up to 1,024 nodes. Whatever lint accepts must end: the run returns (no
// abort, no unbounded growth), its counts stay within the budgets, and a run that stops at one
// names it. Every budget is the default except the event budget, cut from 10,000,000 to 50,000
// so that a hundred generated runs fit in CI; the stop is the same code either way (the hostile
// case run-runaway-at-default-budgets runs at the defaults).
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "tools/faultline/budget_options.h"
#include "tools/faultline/entry.h"

namespace faultline::cli {
namespace {

// The network and fault lines every protocol shares, at the floors (the nemesis draws its
// 100,000 faults at most, so it stops at 100 s).
std::string network_and_faults(std::uint32_t nodes) {
  std::string text = *rc::gen::element<std::string>(
      "network: { latency: { fixed: 1ms } }\n", "network: { latency: { exponential: 1ms } }\n",
      "network: { latency: { uniform: [1ms, 2ms] }, drop: 1/2, duplicate: 1/2, reorder: 1 }\n");
  if (nodes >= 2 && *rc::gen::arbitrary<bool>())
    text += "faults:\n  - { at: 0s, flap: { groups: [[n0], [rest]], period: 1ms, for: 10s } }\n";
  if (nodes >= 2 && *rc::gen::arbitrary<bool>())
    text +=
        "nemesis: { kinds: [crash, restart, pause, resume, partition, isolate, heal], "
        "interval: [1ms, 1ms], stop: 100s, crashed_max: 1 }\n";
  return text;
}

std::string run_section() {
  const std::string until = *rc::gen::element<std::string>("100s", "24h");
  // At most 100 times until (lint's ratio); as long as the run itself is within it.
  const std::string converge = *rc::gen::element<std::string>("0s", "1s", until);
  return "run: { until: " + until + ", converge_within: " + converge + " }\n";
}

std::string raft_scenario() {
  const auto nodes = *rc::gen::element<std::uint32_t>(1, 2, 3, 5, 64, 1024);
  std::string text = fmt::format(
      "name: extreme\nprotocol: raft\ncluster:\n  nodes: {}\n  config: {{ heartbeat_interval: "
      "1ms, election_timeout: [4ms, 5ms] }}\n",
      nodes);
  text += network_and_faults(nodes);
  text += fmt::format(
      "workload: {{ clients: {}, request_timeout: 1ms, retry_backoff: 1ms, keys: 1000 }}\n",
      *rc::gen::element<std::uint32_t>(0, 1, 1000));
  return text + run_section();
}

std::string two_phase_commit_scenario() {
  const auto nodes = *rc::gen::element<std::uint32_t>(1, 2, 3, 64);
  std::string text = fmt::format(
      "name: extreme\nprotocol: two_phase_commit\ncluster:\n  nodes: {}\n  config: "
      "{{ prepare_timeout: 1ms, decision_retry: 1ms, heartbeat_interval: 1ms, "
      "query_interval: 1ms, stage_interval: 1s }}\n",
      nodes);
  // Two values stay off their floors for now: at a 1 ms stage_interval the 2PC checks, which
  // rescan every durable log after every event, handle about 1,000 events/s; and a 99 s run of
  // predicts every 100 us schedules its 990,000 predicts up front (474 MB, 3 s before the first
  // event). Both are open work on the 2PC driver.
  text += network_and_faults(nodes);
  text +=
      fmt::format("workload: {{ predict_interval: 100us, duration: 10s, health_interval: {}us }}\n",
                  std::max<std::uint32_t>(1000, nodes * 100));
  return text + run_section();
}

std::string ping_scenario() {
  const auto nodes = *rc::gen::element<std::uint32_t>(1, 2, 10, 1024);
  std::string text = fmt::format(
      "name: extreme\nprotocol: ping\ncluster: {{ nodes: {}, config: {{ tokens_per_node: {} }} "
      "}}\n",
      nodes, 100'000 / nodes);
  text += network_and_faults(nodes);
  return text + run_section();
}

}  // namespace

TEST_CASE("extreme lint-accepted scenarios end within their budgets", "[hostile]") {
  const auto path = std::filesystem::temp_directory_path() / "faultline_extremes_test.yaml";
  rc::prop("every run ends within the budgets, and a stop names its budget", [&] {
    const int protocol = *rc::gen::inRange(0, 3);
    const std::string text = protocol == 0   ? raft_scenario()
                             : protocol == 1 ? two_phase_commit_scenario()
                                             : ping_scenario();
    std::ofstream(path) << text;
    auto bound = load_scenario_file(path.string());
    if (!bound) RC_FAIL("lint refused a scenario at its floors: " + bound.error().to_string());
    const auto limits = WallAndMemoryLimits::from(BudgetArgs{}).value();
    RunOptions options;
    options.seed = *rc::gen::arbitrary<std::uint64_t>();
    options.budget.events_max = 50'000;
    options.limits = &limits;
    const RunOutcome outcome = bound->run(options);
    RC_ASSERT(outcome.events <= options.budget.events_max);
    RC_ASSERT(outcome.end.nanoseconds <= options.budget.virtual_time_max.nanoseconds);
    RC_ASSERT((outcome.status == RunStatus::budget_exceeded) == outcome.budget_stop.has_value());
    if (outcome.budget_stop) RC_ASSERT(!outcome.budget_stop->budget.empty());
    RC_TAG(to_string(outcome.status));
  });
  std::filesystem::remove(path);
}

}  // namespace faultline::cli
