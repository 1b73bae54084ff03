// Floors and maxima of scenario values (scenarios/README.md, "Floors and maxima"), and the bounds
// of the network's one-way latency that periods and timeouts are compared with.
//
// A value past one of these cannot make sense for a simulated run (a flap every nanosecond, a
// liveness phase a thousand times the run): at best the run crawls, at worst it never ends. The
// parser rejects such values with their key path and line; a value that is legal but shorter
// than the network can deliver a message in is a warning. Floors that belong to one protocol
// (its timeouts, its client counts) live with that protocol: its config's validate() and its
// binding's lint().
// Invariant: no bundled scenario is near any of these (scenarios/**/*.yaml lint clean).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sim/core/time.h"
#include "sim/scenario/scenario.h"

namespace faultline::scenario::limits {

inline constexpr std::uint32_t kMaxNodes = 1u << 22;  // cluster.nodes (4,194,304)
// A flap period and the shortest nemesis interval: below a millisecond a fault outpaces any
// message the network can carry.
inline constexpr Duration kMinPeriod = Duration::from_milliseconds(1);
inline constexpr std::uint64_t kMaxFlapToggles = 10'000;     // flap `for` / `period`
inline constexpr std::uint64_t kMaxNemesisFaults = 100'000;  // (stop - start) / shortest interval
// run.until and run.converge_within: a simulated day is far past any scenario's story.
inline constexpr Duration kMaxPhase = Duration::from_seconds(24 * 3600);
// run.converge_within at most this many times run.until: a liveness phase orders of magnitude
// longer than the story it follows is a unit slip (1000h for 10s).
inline constexpr std::int64_t kMaxConvergeRatio = 100;

}  // namespace faultline::scenario::limits

namespace faultline::scenario {

// The shortest one-way latency any message can have: over the network-wide model, the link
// overrides and every `network` fault (exponential latency can be arbitrarily short: 0).
Duration shortest_latency(const Scenario& scenario);
// The longest one-way latency any message can have, or nullopt when it is unbounded
// (exponential), over the same models.
std::optional<Duration> longest_latency(const Scenario& scenario);
// Some message may be lost, duplicated or reordered: a drop, duplicate or reorder probability
// above 0 anywhere, or a queue capacity given anywhere (a full queue drops).
bool network_misbehaves(const Scenario& scenario);
// The scenario may stop a node or cut it off from others: a crash, pause, isolate, partition,
// one_way or flap fault, or a nemesis that draws crash, pause, partition or isolate.
bool may_stop_or_cut(const Scenario& scenario);
// The scenario has a fault other than an operator `input`, or a nemesis.
bool has_network_or_node_fault(const Scenario& scenario);

// An error about `key` of a protocol section (cluster.config, workload) from a binding's lint:
// at the key's path and line when the file gives it, else at the section's, naming the key.
Error key_error(const ConfigTree& section, std::string_view key, std::string what);

}  // namespace faultline::scenario
