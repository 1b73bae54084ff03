// The client history of a world (opt-in, Model::client_history): HistoryLog records the
// client-visible events of a path (each model input when it first arrives, each reply output),
// as Stateright carries a history for its linearizability tester; history_of() turns the list
// into the History<P> the simulator's checkers read, and failed_history_check() runs the model's
// checks on it.
//
// Invariants: a history is part of the state (two paths that leave the nodes alike but told
// clients different things are different states); histories are interned, so equal histories
// are one pointer; event k (from 1) happens at time k ns, so real-time order is path order.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/core/assert.h"
#include "sim/core/check_suite.h"
#include "sim/core/history.h"
#include "sim/core/ids.h"
#include "sim/core/property.h"
#include "sim/explore/key_tables.h"
#include "sim/explore/keys.h"
#include "sim/explore/model.h"
#include "sim/explore/world_state.h"

namespace faultline::explore {

// The History<P> (sim/core/history.h) a world's history list stands for: event k (from 1)
// happens at time k ns, so real-time order is the order of the path.
template <class P>
History<P> history_of(const Model<P>& model, const HistoryEvent<P>* newest) {
  std::vector<const HistoryEvent<P>*> events;
  for (const HistoryEvent<P>* e = newest; e != nullptr; e = e->parent) events.push_back(e);
  std::reverse(events.begin(), events.end());
  History<P> history;
  for (const HistoryEvent<P>* e : events) {
    const Time at{static_cast<std::int64_t>(e->length)};
    if (e->input) {
      const typename P::Input& input = model.model_inputs[*e->input].second;
      const std::optional<ClientId> client = model.client_history->client_of(input);
      FL_ASSERT(client.has_value(), "only client calls are in the history");
      history.invocations.push_back(Invocation<P>{at, e->node, *client, input, true});
    } else {
      history.emissions.push_back(Emission<P>{at, e->node, *e->output});
    }
  }
  return history;
}

// The first of `checks` that fails on the history (name and why), or none. An inconclusive
// verdict is not a violation (as in the simulator).
template <class P>
std::optional<std::pair<std::string, std::string>> failed_history_check(
    const Model<P>& model, const HistoryEvent<P>* newest, const ClusterView<P>& view) {
  if (!model.client_history || newest == nullptr) return std::nullopt;
  const History<P> history = history_of(model, newest);
  const std::vector<FaultRecord> faults;
  std::vector<std::string> names;
  for (std::size_t i = 0; i < view.nodes.size(); ++i) names.push_back("n" + std::to_string(i));
  const Time end{static_cast<std::int64_t>(newest->length)};
  const RunRecord<P> record{history, view, faults, names, end, end};
  for (const HistoryCheck<P>& check : model.client_history->checks) {
    FL_ASSERT(!check.liveness, "a liveness check cannot judge a prefix of a run");
    if (auto failure = check.check(record); failure && !failure->inconclusive)
      return std::make_pair(check.name, failure->reason);
  }
  return std::nullopt;
}

// The client histories of a Stepper's worlds: appends an event to a world's list, interning the
// result (equal histories: one pointer). Events name nodes, so a model with a client history
// has no symmetry reduction (the Stepper refuses the combination).
template <class P>
class HistoryLog {
 public:
  explicit HistoryLog(const Model<P>& model) : model_(model) {}

  // Model input `index` arrived at `node`: an invocation, unless it is not a client call or an
  // equal input (the same call, offered to another node) is already in the history.
  void record_input(World<P>& world, NodeId node, std::uint32_t index) {
    if (!model_.client_history) return;
    const typename P::Input& input = model_.model_inputs[index].second;
    if (!model_.client_history->client_of(input)) return;  // not a client call
    for (const HistoryEvent<P>* e = world.history; e != nullptr; e = e->parent)
      if (e->input && equal(model_.model_inputs[*e->input].second, input)) return;
    HistoryEvent<P> event;
    event.node = node;
    event.input = index;
    append(world, event, mix64(key_of(input) ^ 0x696e766f6b65ULL));
  }

  void record_output(World<P>& world, NodeId node, const typename P::Output& output) {
    if (!model_.client_history || !model_.client_history->records(output)) return;
    HistoryEvent<P> event;
    event.node = node;
    event.output = output;
    append(world, event, mix64(key_of(output) ^ 0x7265706c79ULL));
  }

 private:
  // Equal values: by == where the type has it, else by fingerprint.
  template <class T>
  static bool equal(const T& a, const T& b) {
    if constexpr (std::equality_comparable<T>)
      return a == b;
    else
      return key_of(a) == key_of(b);
  }

  void append(World<P>& world, HistoryEvent<P>& event, std::uint64_t event_key) {
    event.parent = world.history;
    event.length = world.history == nullptr ? 1 : world.history->length + 1;
    const std::uint64_t parent_key = world.history == nullptr ? 0 : world.history->key;
    event.key = mix64(parent_key * kGolden + event_key + event.node.value);
    const auto same = [&](const HistoryEvent<P>& e) {
      return e.parent == event.parent && e.node == event.node && e.input == event.input &&
             e.output.has_value() == event.output.has_value() &&
             (!e.output || equal(*e.output, *event.output));
    };
    world.history = events_.intern(event.key, event, same);
  }

  const Model<P>& model_;
  InternTable<HistoryEvent<P>> events_;
};

}  // namespace faultline::explore
