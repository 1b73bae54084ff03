// Scenario: a YAML fault scenario (DESIGN.md 7) as plain value types.
//
// The parser (parse.h) validates everything that does not need the protocol: YAML syntax, known
// keys, types, units, ranges. What only the protocol knows (its config, workload and operator
// inputs, its role names) is kept as ConfigTree with paths and lines, and the protocol binding
// decodes it at load time, so `faultline lint` reports those errors just as precisely.
//
// Node selectors are kept as text and resolved when a fault fires, because roles move:
// "coordinator" or "leader" means whoever holds that role at that moment.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "sim/core/config_tree.h"
#include "sim/core/ratio.h"
#include "sim/core/time.h"

namespace faultline::scenario {

// A node name ("n1", "a"), a role ("coordinator"), "all", "rest" (every node not named elsewhere
// in the same fault) or "any" (one up node drawn from the seed).
struct NodeSelector {
  std::string text;
  std::string path;
  int line = 0;
};
using NodeSelectors = std::vector<NodeSelector>;

struct LatencyModel {
  enum class Shape { fixed, uniform, exponential, pareto, bimodal };
  Shape shape = Shape::uniform;
  // fixed: the value; uniform: min; exponential: mean; pareto: scale; bimodal: fast
  Duration low = Duration::from_milliseconds(1);
  // uniform: max; pareto: cap; bimodal: slow; fixed, exponential: == low
  Duration high = Duration::from_milliseconds(10);
  Ratio pareto_shape{3, 2};           // pareto: tail index alpha (smaller = heavier)
  Ratio slow_chance = Ratio::zero();  // bimodal: the chance a message takes `high`
  friend bool operator==(const LatencyModel&, const LatencyModel&) = default;
};

// Settings that can be given for the whole network, per link, or changed by a fault.
struct LinkSettings {
  std::optional<LatencyModel> latency;
  std::optional<Ratio> drop;
  std::optional<Ratio> duplicate;
  std::optional<Ratio> reorder;  // chance a message may overtake earlier ones on its link
  std::optional<std::uint32_t>
      queue_capacity;  // messages in flight per directed link; more are dropped
};

struct LinkOverride {
  NodeSelectors from;
  NodeSelectors to;
  bool symmetric = false;  // also applies to: -> from
  LinkSettings settings;
};

struct NetworkSpec {
  LatencyModel latency;  // default uniform [1ms, 10ms]
  Ratio drop = Ratio::zero();
  Ratio duplicate = Ratio::zero();
  Ratio reorder = Ratio::zero();
  std::uint32_t queue_capacity = 1024;
  std::vector<LinkOverride> links;
};

struct Crash {
  NodeSelectors targets;
};
struct Restart {
  NodeSelectors targets;
};
struct Pause {
  NodeSelectors targets;
};
struct Resume {
  NodeSelectors targets;
};
struct Isolate {
  NodeSelectors targets;
};
struct Partition {
  std::vector<NodeSelectors> groups;
};  // symmetric: no traffic between groups
struct OneWayPartition {
  NodeSelectors from;
  NodeSelectors to;
};               // messages from -> to are lost
struct Heal {};  // removes every partition, clog and one-way cut
struct NetworkChange {
  LinkSettings settings;
};  // from now on, for every link
struct Clog {
  NodeSelectors from;
  NodeSelectors to;
  Duration duration;
};  // held, then released together
struct Flap {
  std::vector<NodeSelectors> groups;
  Duration period;
  Duration duration;
};  // partition/heal alternating
struct OperatorInput {
  NodeSelector target;
  ConfigTree input;
};  // a protocol Input (decoded by the binding)

using FaultAction = std::variant<Crash, Restart, Pause, Resume, Isolate, Partition, OneWayPartition,
                                 Heal, NetworkChange, Clog, Flap, OperatorInput>;

struct Fault {
  Time at;  // when it fires; with at_max, the earliest time it may fire
  FaultAction action;
  std::string path;  // "faults[2]"
  int line = 0;
  // `at: [min, max]`: the run draws the time uniformly from [at, *at_max], integer nanoseconds,
  // from the seed's "faults" stream (once per such fault, at the start of the run, in this
  // vector's order), so one seed always fires it at the same moment.
  std::optional<Time> at_max{};
};

// Random faults drawn from the seed during the safety phase.
struct Nemesis {
  enum class Kind { crash, restart, partition, isolate, heal, pause, resume, clog };
  std::vector<Kind> kinds;
  DurationRange interval{Duration::from_milliseconds(500), Duration::from_seconds(2)};
  Time start;                     // default 0
  std::optional<Time> stop;       // default: the end of the safety phase
  std::uint32_t crashed_max = 1;  // never more than this many nodes down at once
};

struct RunSpec {
  Duration until = Duration::from_seconds(10);           // end of the safety phase
  Duration converge_within = Duration::from_seconds(5);  // liveness phase length bound
  bool restart_crashed = true;  // the liveness phase restarts crashed nodes and resumes paused ones
  std::uint64_t seed = 1;       // used when the command line gives none
};

// `expect: { decision_latency: { p99: "< 600ms" } }`
struct Expectation {
  enum class Comparison { less, less_equal, greater, greater_equal };
  std::string metric;     // "decision_latency"
  std::string statistic;  // "min", "p50", "p90", "p99", "max", "count"
  Comparison comparison = Comparison::less;
  std::int64_t bound = 0;  // nanoseconds for durations, a plain number for "count"
  std::string path;        // "expect.failover.max"
  int line = 0;
  int metric_line = 0;  // the line of the metric's key ("failover:")
};

// Things lint reports without rejecting the file (a flap period shorter than the network's
// latency): key path, line and what, like an error.
using Warnings = std::vector<Error>;

struct Scenario {
  std::string source_path;
  std::string name;
  std::string description;
  std::string protocol;
  std::vector<std::string> node_names;  // index = NodeId; `nodes: 3` gives n0, n1, n2
  ConfigTree config;                    // cluster.config, decoded by the protocol binding
  // cluster.clocks: each node's clock rate against true time (index = NodeId; empty: every
  // clock exact). A node whose clock runs at rate r has a timer of local duration d fire after
  // d / r of virtual time (rounded down): 101/100 runs 1% fast and times out early.
  std::vector<Ratio> clock_rates;
  // cluster.clocks offsets (index = NodeId; empty when clock_rates is): what a node's clock
  // reads at virtual time 0. A node reading its clock at virtual time t reads offset + t x rate
  // (clock skew), the reading a handler gets from Outbox::clock().
  std::vector<Duration> clock_offsets;
  NetworkSpec network;
  ConfigTree workload;        // decoded by the protocol binding
  std::vector<Fault> faults;  // sorted by `at` (stable: file order breaks ties)
  std::optional<Nemesis> nemesis;
  RunSpec run;
  std::vector<std::string> checks;  // empty: every check the protocol has
  std::vector<int> check_lines;     // check_lines[i]: the line of checks[i] (shorter: unknown)
  std::vector<Expectation> expectations;
  Warnings warnings;  // from the parser and the protocol binding; `faultline lint` prints them
};

std::string_view to_string(LatencyModel::Shape shape);
std::string_view to_string(Nemesis::Kind kind);
std::string_view to_string(Expectation::Comparison comparison);

}  // namespace faultline::scenario
