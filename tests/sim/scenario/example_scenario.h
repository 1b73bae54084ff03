// The complete example scenario: every key of the README's scenario reference at least once. Tests
// check values and line numbers against it, so edit both together.
#pragma once

#include <string_view>

namespace faultline::test {

inline constexpr std::string_view kFullExample = R"yaml(name: canary_rollout
description: "Coordinator crashes mid-commit"
protocol: two_phase_commit
cluster:
  nodes: [a, b, c, d]
  config: { prepare_timeout: 200ms, stages: [1, 2] }
network:
  latency: { uniform: [1ms, 10ms] }
  drop: 1/100
  duplicate: 0.5%
  reorder: 0.01
  queue_capacity: 512
  links:
    - { from: [a], to: [b, c], symmetric: true, latency: { fixed: 80ms }, drop: 1/10 }
    - { from: d, to: all, latency: { pareto: { scale: 2ms, shape: 5/4, cap: 1s } }, duplicate: 1, reorder: 0, queue_capacity: 8 }
    - { from: a, to: b, latency: { exponential: 3ms } }
workload: { transactions: 20, keys: 4 }
faults:
  - { at: 2s, crash: coordinator }
  - { at: 3s, restart: b }
  - { at: 3s, pause: [b, c] }
  - { at: 4s, resume: b }
  - { at: 2s, isolate: c }
  - { at: 2s, partition: [[a], [rest]] }
  - { at: 0, one_way: { from: [a], to: [b] } }
  - { at: 6s, heal: all }
  - { at: 1s, network: { drop: 1/10, latency: { fixed: 50ms } } }
  - { at: 1s, clog: { from: [a], to: [b], for: 500ms } }
  - { at: 1.5s, flap: { groups: [[a], [rest]], period: 300ms, for: 3s } }
  - { at: 1s, input: { node: any, begin: { tx: 7 } } }
nemesis:
  kinds: [crash, restart, partition, isolate, heal, pause, resume, clog]
  interval: [500ms, 2s]
  start: 1s
  stop: 8s
  crashed_max: 1
run: { until: 10s, converge_within: 5s, restart_crashed: false, seed: 42 }
checks: [atomicity, agreement]
expect:
  decision_latency: { p99: "< 600ms", max: "<= 2s" }
  commits: { count: ">= 3", min: "> 0", p50: "< 1m", p90: "<= 1.5s" }
)yaml";

}  // namespace faultline::test
