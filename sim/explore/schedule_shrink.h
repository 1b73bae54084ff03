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
#include <set>
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

// How a candidate matches a recorded step the candidate has left disabled: `exact` skips it;
// `oldest_alike` and `newest_alike` fall back to a message of the same type between the same
// nodes, the one in flight longest or the one sent last, or a timer of the same type
// (enabled_or_alike below).
enum class Matching { exact, oldest_alike, newest_alike };

namespace detail {

// When each message in flight was first seen, in steps of a candidate run: what the fallback
// below orders same-type messages by (the one in flight longest, or the one sent last, as the
// recorded run delivered the message its own past had just made: the latest vote request, not
// one from twenty elections back).
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

// The delivery of the message of type `shape` from step.from to step.node that has been in flight
// longest (oldest_alike) or was sent last (newest_alike), if any.
template <class P>
std::optional<Action> alike_message(const World<P>& world, const SendOrder& order,
                                    const CounterexampleStep& step, std::uint64_t shape,
                                    Matching matching) {
  FL_ASSERT(matching != Matching::exact, "an exact match has no fallback");
  std::optional<Action> chosen;
  std::uint64_t chosen_seen = 0;
  for (std::uint32_t m = 0; m < world.messages.size(); ++m) {
    const auto& msg = *world.messages[m];
    if (msg.from.value != step.from || msg.to.value != step.node || shape_of(msg.message) != shape)
      continue;
    const std::uint64_t seen = order.of(msg);
    const bool better =
        matching == Matching::newest_alike ? seen > chosen_seen : seen < chosen_seen;
    if (!chosen || better) {
      chosen = Action{ActionKind::deliver, step.node, m};
      chosen_seen = seen;
    }
  }
  return chosen;
}

// The recorded step if it is enabled as recorded; else (unless `matching` is exact), for a
// delivery, the oldest or newest message of the same type between the same nodes, or for a timer
// the node's first timer of the same type (DEMi matches messages by type rather than content:
// once a client request is removed, every later append carries shifted indices, and the shifted
// append still does what the recorded one did); else none. In the recorded run itself every step
// is enabled as recorded, so the fallback only ever serves a candidate.
template <class P>
std::optional<Action> enabled_or_alike(const Model<P>& model, const World<P>& world,
                                       const SendOrder& order, const CounterexampleStep& step,
                                       ActionKind kind, std::uint64_t shape, Matching matching) {
  if (auto action = enabled_step(model, world, step, kind)) return action;
  if (shape == 0 || matching == Matching::exact) return std::nullopt;
  if (kind == ActionKind::deliver) return alike_message(world, order, step, shape, matching);
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

// Keys of the client histories that passed the model's history checks, over all the candidates
// of one shrink (they share prefixes, so most of their histories were checked before).
struct PassedHistories {
  std::set<std::uint64_t> keys;
};

// The failure of the client history `newest` (check name and why), or none. A check reads the
// history alone (as the explorer assumes when it checks each distinct history once), so `view`
// may be any state's.
template <class P>
std::optional<std::pair<std::string, std::string>> history_failure(const Model<P>& model,
                                                                   const HistoryEvent<P>* newest,
                                                                   const ClusterView<P>& view,
                                                                   PassedHistories& passed) {
  if (newest == nullptr || passed.keys.contains(newest->key)) return std::nullopt;
  auto failed = failed_history_check(model, newest, view);
  if (!failed) passed.keys.insert(newest->key);
  return failed;
}

// Given that histories.back() fails, the first m (steps run) whose history histories[m] fails,
// with its failure, by bisection: a check that fails on a history fails on every extension of it
// (more events only add constraints: a linearization of the longer history would linearize the
// shorter), so one run costs O(log steps) checks rather than one check after every step, which
// for a run of thousands of steps made each candidate quadratic in its length.
template <class P>
std::pair<std::size_t, std::pair<std::string, std::string>> first_failing_history(
    const Model<P>& model, std::span<const HistoryEvent<P>* const> histories,
    const ClusterView<P>& view, PassedHistories& passed,
    std::pair<std::string, std::string> last_failure) {
  FL_ASSERT(!histories.empty(), "the initial state's history is the first");
  std::size_t passing = 0;  // histories[0] is the initial state's: before any step, no failure
  std::size_t failing = histories.size() - 1;
  while (failing - passing > 1) {
    const std::size_t middle = passing + (failing - passing) / 2;
    if (auto failed = history_failure(model, histories[middle], view, passed)) {
      failing = middle;
      last_failure = std::move(*failed);
    } else {
      passing = middle;
    }
  }
  return {failing, std::move(last_failure)};
}

inline void truncate_run(ScheduleRun& run, std::size_t steps) {
  FL_ASSERT(steps <= run.executed.size(), "a run is truncated, never extended");
  run.executed.resize(steps);
  run.actions.resize(steps);
  run.taken.resize(steps);
  run.taken_shapes.resize(steps);
}

// The chosen steps, skipping disabled ones, until a transition or `always` property fails (its
// name in run.property; `transition` says which kind). The client history after each step run
// goes to `histories` (after the initial state's), to be checked afterwards.
template <class P>
void run_steps(Stepper<P>& stepper, World<P>& world, const std::vector<Property<P>>& properties,
               const RecordedSchedule<P>& recorded, std::span<const ActionKind> kinds,
               std::span<const std::size_t> chosen, ScheduleRun& run, bool& transition,
               std::vector<const HistoryEvent<P>*>& histories, Matching matching) {
  const std::vector<CounterexampleStep>& steps = recorded.steps;
  SendOrder order;
  order.note(world);
  ViewBuffer<P> buffer;
  run.property = first_state_violation(buffer.fill(world), properties, run.detail);
  for (const std::size_t i : chosen) {
    if (run.property) return;
    FL_ASSERT(i < steps.size(), "a chosen step is a recorded one");
    if (steps[i].node >= world.slots.size()) continue;
    const std::optional<Action> action = enabled_or_alike(stepper.model(), world, order, steps[i],
                                                          kinds[i], recorded.shapes[i], matching);
    if (!action) continue;
    auto [taken, shape] = step_as_taken(stepper.model(), world, *action);
    run.taken.push_back(std::move(taken));
    run.taken_shapes.push_back(shape);
    const NodeSlot<P>* before = world.slots[action->node];
    stepper.step(world, *action);
    order.note(world);
    run.executed.push_back(i);
    run.actions.push_back(*action);
    histories.push_back(world.history);
    run.property = first_transition_violation(action->node, *before, *world.slots[action->node],
                                              properties, run.detail);
    transition = run.property.has_value();
    if (!transition)
      run.property = first_state_violation(buffer.fill(world), properties, run.detail);
  }
}

}  // namespace detail

// Runs the recorded steps `chosen` (indices, in order) from the model's initial state, skipping
// the disabled ones, and stops at the first violation: at each step a transition property is
// checked first, then the client history, then the `always` properties, as replay checks them.
template <class P>
ScheduleRun run_schedule(const Model<P>& model, const std::vector<Property<P>>& properties,
                         const RecordedSchedule<P>& recorded, std::span<const ActionKind> kinds,
                         std::span<const std::size_t> chosen,
                         detail::PassedHistories* passed = nullptr,
                         Matching matching = Matching::newest_alike) {
  FL_ASSERT(recorded.steps.size() == kinds.size(), "a kind per step");
  FL_ASSERT(recorded.steps.size() == recorded.shapes.size(), "a shape per step");
  detail::PassedHistories local;
  if (passed == nullptr) passed = &local;
  Stepper<P> stepper(model);
  World<P> world = stepper.initial();
  std::vector<const HistoryEvent<P>*> histories{world.history};
  ScheduleRun run;
  bool transition = false;
  detail::run_steps(stepper, world, properties, recorded, kinds, chosen, run, transition, histories,
                    matching);
  ViewBuffer<P> buffer;
  const ClusterView<P> view = buffer.fill(world);
  auto failed = detail::history_failure(model, histories.back(), view, *passed);
  if (!failed) return run;
  auto [first, failure] =
      detail::first_failing_history<P>(model, histories, view, *passed, std::move(*failed));
  if (first == run.executed.size() && transition) return run;  // the transition came first
  detail::truncate_run(run, first);
  run.property = std::move(failure.first);
  run.detail = std::move(failure.second);
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
// result.property): sweeps that try to remove each chunk of the steps that ran, with chunks of
// half the steps, then a quarter, ... down to single steps. A removal that keeps the violation is
// kept and the sweep goes on from the same place (ddmin restarts from the first chunk instead,
// which on a 968-step Raft run spent its 20,000 candidates at about 300 steps). Stops early when
// result.runs reaches runs_max.
template <class P>
ScheduleRun ddmin_pass(const Model<P>& model, const std::vector<Property<P>>& properties,
                       const RecordedSchedule<P>& recorded, ScheduleRun best,
                       ScheduleShrinkResult& result, std::uint64_t runs_max,
                       PassedHistories& passed, Matching matching) {
  const std::vector<ActionKind> kinds = kinds_of(recorded.steps);
  for (std::size_t chunk = std::max<std::size_t>(best.executed.size() / 2, 1);; chunk /= 2) {
    for (std::size_t start = 0; start < best.executed.size();) {
      if (result.runs >= runs_max) {
        result.runs_exhausted = true;
        return best;
      }
      const std::vector<std::size_t>& current = best.executed;
      std::vector<std::size_t> candidate(current.begin(), current.begin() + start);
      candidate.insert(candidate.end(), current.begin() + std::min(current.size(), start + chunk),
                       current.end());
      ScheduleRun run =
          run_schedule(model, properties, recorded, kinds, candidate, &passed, matching);
      ++result.runs;
      if (run.property == result.property)
        best = std::move(run);
      else
        start += chunk;
    }
    if (chunk == 1) return best;
  }
}

// ddmin passes from `best` (a run of `current` that violates result.property) until one removes
// nothing: after each pass the steps that ran are recorded again as exactly what ran (a delivery
// that fell back to a message of the same type now names that message) and become `current`.
template <class P>
ScheduleRun shrink_passes(const Model<P>& model, const std::vector<Property<P>>& properties,
                          RecordedSchedule<P>& current, ScheduleRun best,
                          ScheduleShrinkResult& result, std::uint64_t runs_max,
                          PassedHistories& passed, Matching matching) {
  std::size_t before = best.executed.size() + 1;
  while (best.executed.size() < before && !result.runs_exhausted) {
    before = best.executed.size();
    best =
        ddmin_pass(model, properties, current, std::move(best), result, runs_max, passed, matching);
    RecordedSchedule<P> again{best.taken, best.taken_shapes, current.inputs, current.crashes};
    ScheduleRun rerun = run_schedule(model, properties, again, kinds_of(again.steps),
                                     every_index(again.steps.size()), &passed, matching);
    ++result.runs;
    FL_ASSERT(rerun.property == result.property, "a schedule as taken runs as it ran");
    FL_ASSERT(rerun.actions == best.actions, "a schedule as taken takes the same actions");
    current = std::move(again);
    best = std::move(rerun);
  }
  return best;
}

}  // namespace detail

// Delta debugging over the steps, in passes (shrink_passes), in two rounds: a disabled delivery
// falls back first to the oldest message of its type, then, from that result, to the newest.
// Oldest first is the one that cuts a long run fast: on a 20,325-step Raft run (read_without_
// quorum, its capsule before client operations were explicit) newest-first candidates kept
// running thousands of steps on later messages without the failure and found nothing in 300 s;
// oldest-first took it to 16 steps in 3.6 s. Newest second
// reaches what only the latest message does (the latest vote request, not one from twenty
// elections back). Measured on seven swarm capsules: tools/faultline/README.md. The result is
// 1-minimal (no single step can be removed without losing the violation) unless `runs_max` ran
// out first. None when the recorded schedule violates none of `properties` under the stepper (a
// failure only the simulator checks).
template <class P>
std::optional<ScheduleShrinkResult> shrink_schedule(const Model<P>& model,
                                                    const std::vector<Property<P>>& properties,
                                                    const RecordedSchedule<P>& recorded,
                                                    std::uint64_t runs_max) {
  const std::vector<ActionKind> kinds = detail::kinds_of(recorded.steps);
  detail::PassedHistories passed;
  ScheduleRun best =
      run_schedule(model, properties, recorded, kinds, detail::every_index(recorded.steps.size()),
                   &passed, Matching::exact);
  if (!best.property) return std::nullopt;
  ScheduleShrinkResult result;
  result.property = *best.property;
  result.recorded = recorded.steps.size();
  result.to_violation = best.executed.size();
  result.runs = 1;
  RecordedSchedule<P> current = recorded;
  for (const Matching matching : {Matching::oldest_alike, Matching::newest_alike})
    best = detail::shrink_passes(model, properties, current, std::move(best), result, runs_max,
                                 passed, matching);
  result.detail = best.detail;
  result.actions = std::move(best.actions);
  FL_ASSERT(!result.actions.empty() || result.to_violation == 0, "a violation needs its steps");
  return result;
}

}  // namespace faultline::explore
