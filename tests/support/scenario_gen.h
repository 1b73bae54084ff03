// rapidcheck generators for scenarios: random networks and fault schedules over n nodes, used by
// the determinism property (same seed, same fingerprint) and the "any fault schedule keeps the
// safety properties" properties of each protocol.
#pragma once

#include <rapidcheck.h>

#include <string>
#include <vector>

#include "sim/scenario/scenario.h"

namespace faultline::testing {

inline scenario::NodeSelectors one_node(std::uint32_t id) {
  return {scenario::NodeSelector{"n" + std::to_string(id), "", 0}};
}

inline rc::Gen<scenario::LatencyModel> gen_latency() {
  using Shape = scenario::LatencyModel::Shape;
  return rc::gen::exec([] {
    scenario::LatencyModel m;
    m.shape = *rc::gen::element(Shape::fixed, Shape::uniform, Shape::exponential, Shape::pareto);
    const auto low_ms = *rc::gen::inRange<std::int64_t>(1, 20);
    m.low = Duration::from_milliseconds(low_ms);
    m.high = Duration::from_milliseconds(low_ms + *rc::gen::inRange<std::int64_t>(0, 200));
    m.pareto_shape = Ratio{static_cast<std::uint64_t>(*rc::gen::inRange(3, 8)), 2};
    return m;
  });
}

inline rc::Gen<Ratio> gen_probability(std::uint64_t max_per_thousand) {
  return rc::gen::map(rc::gen::inRange<std::uint64_t>(0, max_per_thousand + 1),
                      [](std::uint64_t p) {
                        return Ratio{p, 1000};
                      });
}

// One fault at a time in [0, until), over nodes n0..n{count-1}.
inline rc::Gen<scenario::Fault> gen_fault(std::uint32_t count, Duration until) {
  return rc::gen::exec([count, until] {
    scenario::Fault f;
    f.at = Time{*rc::gen::inRange<std::int64_t>(0, until.nanoseconds)};
    const auto node = [count] { return *rc::gen::inRange<std::uint32_t>(0, count); };
    switch (*rc::gen::inRange(0, 10)) {
      case 0: f.action = scenario::Crash{one_node(node())}; break;
      case 1: f.action = scenario::Restart{one_node(node())}; break;
      case 2: f.action = scenario::Pause{one_node(node())}; break;
      case 3: f.action = scenario::Resume{one_node(node())}; break;
      case 4: f.action = scenario::Isolate{one_node(node())}; break;
      case 5:
        f.action = scenario::Partition{{one_node(node()), {scenario::NodeSelector{"rest", "", 0}}}};
        break;
      case 6: f.action = scenario::Heal{}; break;
      case 7: f.action = scenario::OneWayPartition{one_node(node()), one_node(node())}; break;
      case 8:
        f.action = scenario::Clog{one_node(node()), one_node(node()),
                                  Duration::from_milliseconds(*rc::gen::inRange(1, 2000))};
        break;
      default: {
        scenario::LinkSettings settings;
        settings.drop = *gen_probability(200);
        settings.duplicate = *gen_probability(100);
        settings.latency = *gen_latency();
        f.action = scenario::NetworkChange{settings};
      }
    }
    f.path = "faults[generated]";
    return f;
  });
}

// A scenario skeleton with a random network and fault schedule; the caller sets protocol,
// checks and run lengths it needs.
inline rc::Gen<scenario::Scenario> gen_scenario(std::uint32_t count_min, std::uint32_t count_max,
                                                Duration until) {
  return rc::gen::exec([=] {
    scenario::Scenario s;
    s.name = "generated";
    const auto count = *rc::gen::inRange(count_min, count_max + 1);
    for (std::uint32_t i = 0; i < count; ++i) s.node_names.push_back("n" + std::to_string(i));
    s.network.latency = *gen_latency();
    s.network.drop = *gen_probability(100);
    s.network.duplicate = *gen_probability(50);
    s.network.reorder = *gen_probability(300);
    s.faults = *rc::gen::container<std::vector<scenario::Fault>>(*rc::gen::inRange(0, 12),
                                                                 gen_fault(count, until));
    std::stable_sort(s.faults.begin(), s.faults.end(),
                     [](const auto& a, const auto& b) { return a.at < b.at; });
    s.run.until = until;
    s.run.converge_within = Duration::from_seconds(5);
    return s;
  });
}

}  // namespace faultline::testing
