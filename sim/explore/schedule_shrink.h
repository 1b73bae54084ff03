// Schedule shrinking, as DEMi does (Scott et al., "Minimizing Faulty Executions of Distributed
// Systems", NSDI 2016): a failing simulator run is recorded as a schedule of the model checker's
// steps (ScheduleRecorder: deliveries, timer firings, inputs, crashes, restarts), then reduced by
// delta debugging over those steps. Each candidate schedule runs under the explorer's Stepper,
// the same transition system `faultline check` searches, skipping any step the candidate has
// left disabled (a message no longer sent, a timer no longer armed: DEMi's "ignore absent
// deliveries"), and is kept when the same property fails.
//
// Time is abstract in the stepper, so every schedule it runs is a behaviour of the model, and
// the steps the result keeps are all enabled where they occur: the result is a counterexample
// `faultline check --replay` reproduces, comparable step for step with the explorer's own
// shortest counterexample for the same bug.
//
// Invariants: pure functions of their arguments (no clocks, no randomness); a result's steps are
// a subsequence of the recorded ones; its last step violates `property`, no earlier one does.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "sim/engine/step_observer.h"
#include "sim/explore/counterexample.h"
#include "sim/explore/keys.h"
#include "sim/explore/replay.h"

namespace faultline::explore {

// Which alternative of a variant a message or timer is (its type), 0 for a non-variant: what a
// recorded delivery falls back to when the exact message is no longer in flight.
template <class T>
std::uint64_t shape_of(const T& value) {
  if constexpr (requires { value.index(); })
    return static_cast<std::uint64_t>(value.index()) + 1;
  else
    return 0;
}

// A simulator run as explorer steps, and the inputs it handled (the model's inputs, each once).
template <class P>
struct RecordedSchedule {
  std::vector<CounterexampleStep> steps;  // kind, node, from, index, key (no text, no state)
  std::vector<std::uint64_t> shapes;      // per step: shape_of(message or timer), else 0
  std::vector<std::pair<NodeId, typename P::Input>> inputs;
  std::uint32_t crashes = 0;
};

template <class P>
class ScheduleRecorder final : public StepObserver<P> {
 public:
  void delivered(NodeId from, NodeId to, const typename P::Message& message) override {
    add("deliver", to.value, from.value, 0, key_of(message), shape_of(message));
  }
  void timer_fired(NodeId node, const typename P::Timer& timer) override {
    add("timer", node.value, 0, 0, key_of(timer), shape_of(timer));
  }
  void input_handled(NodeId node, const typename P::Input& input) override {
    const auto index = static_cast<std::uint32_t>(schedule_.inputs.size());
    schedule_.inputs.emplace_back(node, input);
    add("input", node.value, 0, index, key_of(input));
  }
  void crashed(NodeId node) override {
    ++schedule_.crashes;
    add("crash", node.value, 0, 0, 0);
  }
  void restarted(NodeId node) override { add("restart", node.value, 0, 0, 0); }

  RecordedSchedule<P> take() { return std::move(schedule_); }

 private:
  void add(const char* kind, std::uint32_t node, std::uint32_t from, std::uint32_t index,
           std::uint64_t key, std::uint64_t shape = 0) {
    schedule_.steps.push_back(CounterexampleStep{kind, node, from, index, key, {}, 0});
    schedule_.shapes.push_back(shape);
  }
  RecordedSchedule<P> schedule_;
};

// One run of a candidate schedule: the steps that were enabled and ran, and the first property
// that failed (none: the candidate violates nothing).
struct ScheduleRun {
  std::vector<std::size_t> executed;      // indices into the recorded steps
  std::vector<Action> actions;            // the actions they ran as
  std::vector<CounterexampleStep> taken;  // the same, as steps matching exactly what ran
  std::vector<std::uint64_t> taken_shapes;
  std::optional<std::string> property;
  std::string detail;
};

namespace detail {

// When each message in flight was first seen, in steps of a candidate run: the fallback below
// prefers the newest, as the recorded run delivered the message its own past had just made
// (the latest vote request, not one from twenty elections back).
struct SendOrder {
  std::map<std::tuple<std::uint32_t, std::uint32_t, std::uint64_t>, std::uint64_t> first_seen;
  std::uint64_t step = 0;

  template <class P>
  void note(const World<P>& world) {
    ++step;
    for (const auto& m : world.messages)
      first_seen.try_emplace(std::tuple{m->from.value, m->to.value, m->key}, step);
  }
  template <class P>
  std::uint64_t of(const InFlight<P>& m) const {
    const auto it = first_seen.find(std::tuple{m.from.value, m.to.value, m.key});
    FL_ASSERT(it != first_seen.end(), "every message in flight was noted");
    return it->second;
  }
};

// The recorded step if it is enabled as recorded; else, for a delivery, the newest message of
// the same type between the same nodes, or for a timer the node's first timer of the same type
// (DEMi matches messages by type rather than content: once a client request is removed, every
// later append carries shifted indices, and the shifted append still does what the recorded one
// did); else none. In the recorded run itself every step is enabled as recorded, so the fallback
// only ever serves a candidate.
template <class P>
std::optional<Action> enabled_or_alike(const Model<P>& model, const World<P>& world,
                                       const SendOrder& order, const CounterexampleStep& step,
                                       ActionKind kind, std::uint64_t shape) {
  if (auto action = enabled_step(model, world, step, kind)) return action;
  if (shape == 0) return std::nullopt;
  std::optional<Action> newest;
  std::uint64_t newest_seen = 0;
  if (kind == ActionKind::deliver) {
    for (std::uint32_t m = 0; m < world.messages.size(); ++m) {
      const auto& msg = *world.messages[m];
      if (msg.from.value != step.from || msg.to.value != step.node ||
          shape_of(msg.message) != shape)
        continue;
      if (const std::uint64_t seen = order.of(msg); !newest || seen > newest_seen) {
        newest = Action{kind, step.node, m};
        newest_seen = seen;
      }
    }
    return newest;
  }
  if (kind == ActionKind::timer && timer_may_fire(model, world, step.node)) {
    const auto& timers = world.slots[step.node]->timers;
    for (std::uint32_t t = 0; t < timers.size(); ++t)
      if (shape_of(timers[t].timer) == shape) return Action{kind, step.node, t};
  }
  return std::nullopt;
}

// `action` of `world` as a recorded step that names exactly it (the message's or timer's own
// key), and its shape.
template <class P>
std::pair<CounterexampleStep, std::uint64_t> step_as_taken(const Model<P>& model,
                                                           const World<P>& world,
                                                           const Action& action) {
  CounterexampleStep step{std::string(to_string(action.kind)), action.node, 0, 0, 0, {}, 0};
  std::uint64_t shape = 0;
  switch (action.kind) {
    case ActionKind::deliver:
    case ActionKind::drop:
    case ActionKind::duplicate: {
      const auto& msg = *world.messages[action.index];
      step.from = msg.from.value;
      step.key = msg.key;
      shape = shape_of(msg.message);
      break;
    }
    case ActionKind::timer: {
      const auto& timer = world.slots[action.node]->timers[action.index];
      step.key = timer.key;
      shape = shape_of(timer.timer);
      break;
    }
    case ActionKind::input:
      step.index = action.index;
      step.key = key_of(model.model_inputs[action.index].second);
      break;
    case ActionKind::crash:
    case ActionKind::restart: break;
  }
  return {step, shape};
}

}  // namespace detail

// Runs the recorded steps `chosen` (indices, in order) from the model's initial state, skipping
// the disabled ones, and stops at the first violation.
template <class P>
ScheduleRun run_schedule(const Model<P>& model, const std::vector<Property<P>>& properties,
                         const RecordedSchedule<P>& recorded, std::span<const ActionKind> kinds,
                         std::span<const std::size_t> chosen) {
  const std::vector<CounterexampleStep>& steps = recorded.steps;
  FL_ASSERT(steps.size() == kinds.size(), "a kind per step");
  FL_ASSERT(steps.size() == recorded.shapes.size(), "a shape per step");
  Stepper<P> stepper(model);
  World<P> world = stepper.initial();
  detail::SendOrder order;
  order.note(world);
  ScheduleRun run;
  if (auto name = detail::first_violation(model, world, properties, run.detail)) {
    run.property = name;
    return run;
  }
  for (const std::size_t i : chosen) {
    FL_ASSERT(i < steps.size(), "a chosen step is a recorded one");
    if (steps[i].node >= world.slots.size()) continue;
    const std::optional<Action> action =
        detail::enabled_or_alike(model, world, order, steps[i], kinds[i], recorded.shapes[i]);
    if (!action) continue;
    auto [taken, shape] = detail::step_as_taken(model, world, *action);
    run.taken.push_back(std::move(taken));
    run.taken_shapes.push_back(shape);
    const NodeSlot<P>* before = world.slots[action->node];
    stepper.step(world, *action);
    order.note(world);
    run.executed.push_back(i);
    run.actions.push_back(*action);
    auto name = detail::first_transition_violation(
        action->node, *before, *world.slots[action->node], properties, run.detail);
    if (!name) name = detail::first_violation(model, world, properties, run.detail);
    if (name) {
      run.property = name;
      return run;
    }
  }
  return run;
}

struct ScheduleShrinkResult {
  std::string property;  // the property the recorded schedule violates first, and still does
  std::string detail;
  std::vector<Action> actions;   // the shrunk schedule, every step enabled
  std::size_t recorded = 0;      // steps the simulator run took
  std::size_t to_violation = 0;  // of them, enabled up to the first violation
  std::uint64_t runs = 0;        // candidate schedules run
  bool runs_exhausted = false;   // stopped at runs_max: smaller may exist
};

namespace detail {

inline std::vector<ActionKind> kinds_of(std::span<const CounterexampleStep> steps) {
  std::vector<ActionKind> kinds;
  for (const CounterexampleStep& s : steps) {
    const auto kind = action_kind(s.kind);
    FL_ASSERT(kind.has_value(), "a recorded step has a known kind");
    kinds.push_back(*kind);
  }
  return kinds;
}

inline std::vector<std::size_t> every_index(std::size_t count) {
  std::vector<std::size_t> all(count);
  for (std::size_t i = 0; i < count; ++i) all[i] = i;
  return all;
}

// One delta-debugging pass over `recorded` from `best` (a run of it that violates
// result.property): complements of 2, 4, ... chunks of the steps that ran, down to single
// steps, until no one step can go or result.runs reaches runs_max.
template <class P>
ScheduleRun ddmin_pass(const Model<P>& model, const std::vector<Property<P>>& properties,
                       const RecordedSchedule<P>& recorded, ScheduleRun best,
                       ScheduleShrinkResult& result, std::uint64_t runs_max) {
  const std::vector<ActionKind> kinds = kinds_of(recorded.steps);
  std::size_t chunks = 2;
  while (best.executed.size() >= 2) {
    const std::vector<std::size_t> current = best.executed;
    const std::size_t size = current.size();
    const std::size_t chunk = (size + chunks - 1) / chunks;
    bool reduced = false;
    for (std::size_t start = 0; start < size && !reduced; start += chunk) {
      if (result.runs >= runs_max) {
        result.runs_exhausted = true;
        return best;
      }
      std::vector<std::size_t> candidate(current.begin(), current.begin() + start);
      candidate.insert(candidate.end(), current.begin() + std::min(size, start + chunk),
                       current.end());
      ScheduleRun run = run_schedule(model, properties, recorded, kinds, candidate);
      ++result.runs;
      if (run.property != result.property) continue;
      best = std::move(run);
      chunks = std::max<std::size_t>(chunks - 1, 2);
      reduced = true;
    }
    if (!reduced) {
      if (chunks >= size) break;  // every single step is needed
      chunks = std::min(chunks * 2, size);
    }
  }
  return best;
}

}  // namespace detail

// Delta debugging over the steps, in passes: after each pass the steps that ran are recorded
// again as exactly what ran (a delivery that fell back to a message of the same type now names
// that message), and the next pass starts from them, until a pass removes nothing. The result is
// 1-minimal (no single step can be removed without losing the violation) unless `runs_max` ran
// out first. None when the recorded schedule violates none of `properties` under the stepper (a
// failure only the simulator checks).
template <class P>
std::optional<ScheduleShrinkResult> shrink_schedule(const Model<P>& model,
                                                    const std::vector<Property<P>>& properties,
                                                    const RecordedSchedule<P>& recorded,
                                                    std::uint64_t runs_max) {
  const std::vector<ActionKind> kinds = detail::kinds_of(recorded.steps);
  ScheduleRun best =
      run_schedule(model, properties, recorded, kinds, detail::every_index(recorded.steps.size()));
  if (!best.property) return std::nullopt;
  ScheduleShrinkResult result;
  result.property = *best.property;
  result.recorded = recorded.steps.size();
  result.to_violation = best.executed.size();
  result.runs = 1;
  RecordedSchedule<P> current = recorded;
  std::size_t before = best.executed.size() + 1;
  while (best.executed.size() < before && !result.runs_exhausted) {
    before = best.executed.size();
    best = detail::ddmin_pass(model, properties, current, std::move(best), result, runs_max);
    RecordedSchedule<P> again{best.taken, best.taken_shapes, recorded.inputs, recorded.crashes};
    ScheduleRun rerun = run_schedule(model, properties, again, detail::kinds_of(again.steps),
                                     detail::every_index(again.steps.size()));
    ++result.runs;
    FL_ASSERT(rerun.property == result.property, "a schedule as taken runs as it ran");
    FL_ASSERT(rerun.actions == best.actions, "a schedule as taken takes the same actions");
    current = std::move(again);
    best = std::move(rerun);
  }
  result.detail = best.detail;
  result.actions = std::move(best.actions);
  FL_ASSERT(!result.actions.empty() || result.to_violation == 0, "a violation needs its steps");
  return result;
}

}  // namespace faultline::explore
