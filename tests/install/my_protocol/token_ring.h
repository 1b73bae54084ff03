// The tag type of token_ring, an example protocol of your own built out of tree against an
// installed faultline (protocols/README.md, "Test your own protocol"): the value types it
// names, its config and its (empty) workload. The node is in node.h.
//
// Token ring mutual exclusion: one token circles n0 -> n1 -> ... -> n0; whoever holds it may
// enter its critical section, and passes it on after `hold`. Each pass numbers the token's
// round, and a node takes a token only if its round is newer than the last one it saw, so a
// network that duplicates messages never makes a second holder. Bug switch accept_duplicates
// skips that test (the check `mutual_exclusion` catches it).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sim/core/protocol.h"
#include "sim/core/result.h"
#include "sim/core/time.h"

namespace my {

// The one message: the token, numbered by its pass (the first holder has round 1).
struct Token {
  static constexpr std::string_view type_name = "Token";
  std::uint64_t round = 0;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("round", self.round);
  }
  friend bool operator==(const Token&, const Token&) = default;
};
using Message = std::variant<Token>;

// The one timer: the holder's time is up, pass the token on.
struct Pass {
  static constexpr std::string_view type_name = "Pass";
  template <class Self, class Visit>
  static void fields(Self&, Visit&&) {}
  friend bool operator==(const Pass&, const Pass&) = default;
};

// What survives a crash: the newest round a node took, so a restarted node still refuses an
// old duplicate.
struct Seen {
  static constexpr std::string_view type_name = "Seen";
  std::uint64_t round = 0;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("round", self.round);
  }
  friend bool operator==(const Seen&, const Seen&) = default;
};

// The one input, `{ask: {}}`: the node answers whether it holds the token.
struct Ask {
  static constexpr std::string_view type_name = "Ask";
  static constexpr std::string_view config_name = "ask";
  template <class Self, class Visit>
  static void fields(Self&, Visit&&) {}
  friend bool operator==(const Ask&, const Ask&) = default;
};
using Input = std::variant<Ask>;

struct Answer {
  static constexpr std::string_view type_name = "Answer";
  bool holding = false;
  std::uint64_t round = 0;  // the newest round the node took
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("holding", self.holding);
    visit("round", self.round);
  }
  friend bool operator==(const Answer&, const Answer&) = default;
};

// Known-wrong variants (an ADL to_string makes an enum a config key), for proving the check
// catches them.
enum class Bug : std::uint8_t { none, accept_duplicates };
inline std::string_view to_string(Bug bug) {
  switch (bug) {
    case Bug::none: return "none";
    case Bug::accept_duplicates: return "accept_duplicates";  // take a token seen before
  }
  return "";
}

// The scenario's cluster.config (and `--set key=value`).
struct Config {
  static constexpr std::string_view type_name = "Config";
  faultline::Duration hold = faultline::Duration::from_milliseconds(10);
  std::uint64_t rounds_max = 0;  // the token stops after this round (0: never), for `check`
  Bug bug = Bug::none;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("hold", self.hold);
    visit("rounds_max", self.rounds_max);
    visit("bug", self.bug);
  }
  faultline::Result<void> validate(std::uint32_t node_count) const {
    if (node_count < 2) return faultline::fail("nodes", 0, "a ring needs two nodes or more");
    if (hold.nanoseconds <= 0) return faultline::fail("hold", 0, "must be positive");
    return {};
  }
};

// No workload: `workload:` takes no keys, and inputs come only from a scenario's faults.
struct WorkloadConfig {
  static constexpr std::string_view type_name = "WorkloadConfig";
  template <class Self, class Visit>
  static void fields(Self&, Visit&&) {}
  faultline::Result<void> validate(std::uint32_t) const { return {}; }
};

struct TokenRing;
class Node;  // node.h

class Workload : public faultline::WorkloadDefaults<TokenRing> {
 public:
  Workload(const WorkloadConfig&, const Config&, std::uint32_t, faultline::Rng) {}
  void start(faultline::WorkloadSink<TokenRing>&) {}
  void on_output(faultline::Time, faultline::NodeId, const Answer&,
                 faultline::WorkloadSink<TokenRing>&) {}
};

// The tag: what faultline knows the protocol by (`protocol: token_ring` in a scenario).
struct TokenRing {
  static constexpr std::string_view name = "token_ring";
  using Config = my::Config;
  using Node = my::Node;
  using Message = my::Message;
  using Timer = Pass;
  using Durable = Seen;
  using Input = my::Input;
  using Output = Answer;
  using WorkloadConfig = my::WorkloadConfig;
  using Workload = my::Workload;
  static std::vector<std::string> role_names() { return {"node"}; }
};

}  // namespace my
