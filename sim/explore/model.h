// Model<P>: the parameters that define the model checker's transition system (everything except
// search bounds): the protocol config and node count, the inputs of the environment, the fault
// budgets, the network's semantics, and the opt-in symmetry and client history.
//
// A Model is plain data, built by a protocol's binding (checkers/<protocol>/binding.h) or
// rebuilt from a counterexample file; the Stepper (stepper.h) checks its consistency.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "sim/core/check_suite.h"
#include "sim/core/ids.h"

namespace faultline::explore {

template <class P>
struct Model {
  typename P::Config config;
  std::uint32_t node_count = 0;
  // Inputs every node receives right after on_start, at the first start and after each restart
  // (the environment's standing observations, e.g. 2PC's health reports).
  std::vector<std::vector<typename P::Input>> boot_inputs;
  // Inputs delivered exactly once each, at any point, as actions (the workload's requests).
  std::vector<std::pair<NodeId, typename P::Input>> model_inputs;
  std::uint32_t crashes_max = 0;
  // Timer firings per path; 0: unbounded. Time is abstract, so an armed timer may always fire:
  // for protocols whose timers never stop (Raft's heartbeats and elections) this is the budget
  // that makes deep schedules reachable (e.g. `--timers-max 4`: four elections, no heartbeats).
  std::uint32_t timers_max = 0;
  std::uint32_t drops_max = 0;       // 0: the network never drops
  std::uint32_t duplicates_max = 0;  // 0: the network never duplicates
  std::uint32_t copies_max = 1;      // identical messages in flight at once (>= 1)
  // false: a delivery consumes the message (the multiset network). true: every message ever sent
  // stays deliverable any number of times (TLA+'s "msgs" set): duplication and reordering without
  // bound, loss as never delivering; a much smaller space for exhaustive runs.
  bool sent_set = false;

  // Symmetry reduction (opt-in; `faultline check --symmetry`; symmetry.h). The nodes in `nodes`
  // are interchangeable: renaming them by any permutation maps a reachable state to a reachable
  // state and changes no property's verdict (2PC's participants, with the same boot inputs and
  // no model inputs). The explorer then keeps one state per orbit, deduplicating by the least
  // fingerprint over all renamings of a state (TLC's symmetry sets, Stateright's symmetry). The
  // states it keeps are real, unrenamed states, so counterexamples replay as they are.
  // `rename(node, ids)` is `node` with each node id i replaced by ids[i]; messages, timers and
  // durables must not name nodes (the explorer renames the senders and receivers of messages).
  struct Symmetry {
    std::vector<std::uint32_t> nodes;
    std::function<typename P::Node(const typename P::Node&, std::span<const NodeId>)> rename;
  };
  std::optional<Symmetry> symmetry;

  // The client history (opt-in; client_history.h). A model input is a client call: its first
  // arrival at any node is the invocation, and a later input equal to it is the same call
  // offered to another node (a client retrying elsewhere), not a new one. `records` picks the
  // outputs that are replies to clients; `client_of` names the client of an input (none: the
  // input is not a client call, such as a scenario's campaign, and is not in the history). `checks`
  // run on the history of every state whose history is new, with the event order as time;
  // only checks that hold of every prefix of a correct history belong here (linearizable does;
  // a liveness check does not).
  struct ClientHistory {
    std::function<bool(const typename P::Output&)> records;
    std::function<std::optional<ClientId>(const typename P::Input&)> client_of;
    std::vector<HistoryCheck<P>> checks;
  };
  std::optional<ClientHistory> client_history;
};

}  // namespace faultline::explore
