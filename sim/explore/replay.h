// replay_counterexample(): runs a counterexample file step by step, driving the same nodes
// through apply() as the explorer and the simulator do, and checks every `transition` property
// on every step and then the model's client history checks and every `always` property on the
// state it reaches, so a file reproduces its violation (or says precisely where it diverges).
//
// Each step is matched against the current state by content, not position: a message action by
// its (sender, receiver, message fingerprint), a timer by (node, timer fingerprint), an input by
// its index and fingerprint. After each step the world fingerprint is compared with the file's.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sim/core/property.h"
#include "sim/explore/counterexample.h"
#include "sim/explore/world.h"

namespace faultline::explore {

struct ReplayReport {
  std::vector<std::string> lines;       // "  3. deliver n1 -> n0 Vote{...}" per step run
  std::optional<std::string> property;  // the first `always` property that failed, if any
  std::string detail;
  std::size_t violation_step = 0;         // 1-based; 0 = the initial state (or none)
  bool reproduced = false;                // the file's property failed, at its last step
  std::optional<std::string> divergence;  // why a step could not be replayed as recorded
};

namespace detail {
// The first `always` property the state of `view` breaks.
template <class P>
std::optional<std::string> first_state_violation(const ClusterView<P>& view,
                                                 const std::vector<Property<P>>& properties,
                                                 std::string& detail) {
  for (const Property<P>& property : properties) {
    if (property.kind != PropertyKind::always) continue;
    if (auto reason = property.check(view)) {
      detail = *reason;
      return property.name;
    }
  }
  return std::nullopt;
}

// The client history checks first, then the `always` properties, on the state `world` is in.
template <class P>
std::optional<std::string> first_violation(const Model<P>& model, const World<P>& world,
                                           const std::vector<Property<P>>& properties,
                                           std::string& detail) {
  ViewBuffer<P> buffer;
  const ClusterView<P> view = buffer.fill(world);
  if (auto failed = failed_history_check(model, world.history, view)) {
    detail = failed->second;
    return failed->first;
  }
  return first_state_violation(view, properties, detail);
}

// The first transition property the step of `node` from slot `before` to `after` breaks.
template <class P>
std::optional<std::string> first_transition_violation(std::uint32_t node, const NodeSlot<P>& before,
                                                      const NodeSlot<P>& after,
                                                      const std::vector<Property<P>>& properties,
                                                      std::string& detail) {
  if (&before == &after) return std::nullopt;  // the step left the node as it was
  const NodeStep<P> step = node_step<P>(NodeId{node}, before, after);
  for (const Property<P>& property : properties) {
    if (property.kind != PropertyKind::transition || !constrains_step_from(property, step.before))
      continue;
    if (auto reason = property.check_step(step)) {
      detail = *reason;
      return property.name;
    }
  }
  return std::nullopt;
}

inline std::optional<ActionKind> action_kind(std::string_view name) {
  for (ActionKind k :
       {ActionKind::deliver, ActionKind::drop, ActionKind::duplicate, ActionKind::timer,
        ActionKind::crash, ActionKind::restart, ActionKind::input})
    if (to_string(k) == name) return k;
  return std::nullopt;
}

// Whether `node` may fire a timer in `world`: it is up and the model's timer budget is not spent.
template <class P>
bool timer_may_fire(const Model<P>& model, const World<P>& world, std::uint32_t node) {
  return world.up(node) && (model.timers_max == 0 || world.timers < model.timers_max);
}

// The enabled action of `world` that file step `s` (of kind `kind`) names, matched by content:
// a message by (sender, receiver, fingerprint), a timer by its fingerprint, an input by its
// index and fingerprint; none when the step is not enabled in `world`.
template <class P>
std::optional<Action> enabled_step(const Model<P>& model, const World<P>& world,
                                   const CounterexampleStep& s, ActionKind kind) {
  switch (kind) {
    case ActionKind::deliver:
    case ActionKind::drop:
    case ActionKind::duplicate:
      for (std::uint32_t m = 0; m < world.messages.size(); ++m) {
        const auto& msg = *world.messages[m];
        if (msg.from.value == s.from && msg.to.value == s.node && msg.key == s.key)
          return Action{kind, s.node, m};
      }
      return std::nullopt;
    case ActionKind::timer:
      if (timer_may_fire(model, world, s.node))
        for (std::uint32_t t = 0; t < world.slots[s.node]->timers.size(); ++t)
          if (world.slots[s.node]->timers[t].key == s.key) return Action{kind, s.node, t};
      return std::nullopt;
    case ActionKind::input:
      if (s.index < world.inputs_done.size() && world.inputs_done[s.index] == 0 &&
          world.up(s.node) && fingerprint(model.model_inputs[s.index].second) == s.key)
        return Action{kind, s.node, s.index};
      return std::nullopt;
    case ActionKind::crash:
      if (world.up(s.node) && world.crashes < model.crashes_max) return Action{kind, s.node, 0};
      return std::nullopt;
    case ActionKind::restart:
      if (!world.up(s.node)) return Action{kind, s.node, 0};
      return std::nullopt;
  }
  return std::nullopt;
}
}  // namespace detail

// `bind` adds to the rebuilt model what the file does not carry because it is protocol code:
// the client history and its checks (Model::client_history).
template <class P>
Result<ReplayReport> replay_counterexample(const Counterexample& file,
                                           const std::vector<Property<P>>& properties,
                                           const std::function<void(Model<P>&)>& bind = {}) {
  auto model = model_from_counterexample<P>(file);
  if (!model) return std::unexpected(model.error());
  if (bind) bind(*model);
  Stepper<P> stepper(*model);
  World<P> world = stepper.initial();
  ReplayReport report;
  if (world_fingerprint(world) != file.initial_state)
    report.divergence = "the initial state differs from the file's (protocol or config changed?)";
  if (auto name = detail::first_violation(*model, world, properties, report.detail)) {
    report.property = name;
    report.reproduced = *name == file.property && file.steps.empty();
    return report;
  }
  for (std::size_t i = 0; i < file.steps.size(); ++i) {
    const CounterexampleStep& s = file.steps[i];
    const std::string where = "step " + std::to_string(i + 1);
    const auto kind = detail::action_kind(s.kind);
    if (!kind) return fail(where, 0, "unknown action kind '" + s.kind + "'");
    if (s.node >= world.slots.size())
      return fail(where, 0, "node n" + std::to_string(s.node) + " is outside the cluster");
    const std::optional<Action> action = detail::enabled_step(*model, world, s, *kind);
    if (!action) {
      report.divergence = where + " (" + s.text + ") is not enabled in the replayed state";
      return report;
    }
    if ((*kind == ActionKind::drop && world.drops >= model->drops_max) ||
        (*kind == ActionKind::duplicate && world.duplicates >= model->duplicates_max)) {
      report.divergence = where + " exceeds the file's fault budget";
      return report;
    }
    report.lines.push_back(std::to_string(i + 1) + ". " + stepper.describe_action(world, *action));
    const NodeSlot<P>* before = world.slots[action->node];
    stepper.step(world, *action);
    if (!report.divergence && world_fingerprint(world) != s.state_after)
      report.divergence = where + ": the state after it differs from the file's";
    auto name = detail::first_transition_violation(
        action->node, *before, *world.slots[action->node], properties, report.detail);
    if (!name) name = detail::first_violation(*model, world, properties, report.detail);
    if (name) {
      report.property = name;
      report.violation_step = i + 1;
      report.reproduced = *name == file.property && i + 1 == file.steps.size();
      return report;
    }
  }
  return report;
}

}  // namespace faultline::explore
