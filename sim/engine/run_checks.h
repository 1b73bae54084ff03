// RunChecks<P>: how a simulator run judges itself. It holds the check suite, which checks the
// scenario selected (`checks:`), and what the run has seen so far (which `sometimes` properties
// held); the Simulation calls it after every event, on every watched step, and once at the end,
// and it writes verdicts and failures into the RunOutcome.
//
// Invariants: after a safety violation nothing more is checked (the first violation stands);
// `always` and `transition` properties are violated at a point and stop the run; `sometimes`,
// `eventually`, history checks and expectations are judged at the end. RunChecks draws no
// randomness and reads no clock: a run's verdicts are a function of its events.
//
// Incremental checking: the Simulation names each node an event may change (note_changed: a
// handler run, a crash, a restart). A property with a Monitor (property.h) is told those nodes
// after every event and its `check` runs only when the monitor says its verdict may have
// changed (dirty_); other properties are evaluated after every event. `check` alone decides
// every verdict and text, so a run's outcome does not depend on monitors, only its speed.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/core/assert.h"
#include "sim/core/check_suite.h"
#include "sim/core/property.h"
#include "sim/engine/run_outcome.h"
#include "sim/engine/stats.h"
#include "sim/scenario/scenario.h"

namespace faultline {

// What the workload had left when the run ended: nothing, or a description of what is pending.
struct WorkloadLeft {
  bool idle = true;
  std::string outstanding;  // empty when idle
};

template <class P>
class RunChecks {
 public:
  using Node = typename P::Node;

  // What the checks say after one event.
  struct AfterEvent {
    std::optional<std::string> violation;  // an `always` property failed: the run stops
    bool converged = false;                // every `eventually` property holds and work is done
  };

  RunChecks(const CheckSuite<P>& suite, const scenario::Scenario& scenario)
      : suite_(suite), scenario_(scenario) {
    const std::size_t count = suite_.properties.size();
    sometimes_met_.assign(count, false);
    selected_.assign(count, true);
    dirty_.assign(count, true);
    holds_.assign(count, false);
    monitors_.resize(count);
    for (std::size_t i = 0; i < count; ++i) {
      const Property<P>& property = suite_.properties[i];
      selected_[i] = selected(property.name);
      if (selected_[i] && property.kind == PropertyKind::transition) watch_steps_ = true;
      if (selected_[i] && property.kind != PropertyKind::transition && property.monitor) {
        monitors_[i] = property.monitor();
        has_monitors_ = true;
      }
    }
    FL_ASSERT(selected_.size() == count, "one selection flag per property");
  }

  // The current event may change node `id` (its Node or its disk): the Simulation says so
  // before a handler runs on it, and when it crashes or restarts.
  void note_changed(NodeId id) {
    if (!has_monitors_) return;  // nothing to tell: every property is evaluated anyway
    if (id.value >= is_changed_.size()) is_changed_.resize(id.value + 1, false);
    if (is_changed_[id.value]) return;
    is_changed_[id.value] = true;
    changed_.push_back(id);
  }

  // Whether a selected transition property exists: only then are steps captured.
  bool watches_steps() const { return watch_steps_; }

  bool has_eventually() const {
    for (std::size_t i = 0; i < suite_.properties.size(); ++i)
      if (selected_[i] && suite_.properties[i].kind == PropertyKind::eventually) return true;
    return false;
  }

  // Whether some selected transition property constrains a step from `before`.
  bool step_constrained(const Node* before) const {
    for (std::size_t i = 0; i < suite_.properties.size(); ++i)
      if (selected_[i] && suite_.properties[i].kind == PropertyKind::transition &&
          constrains_step_from(suite_.properties[i], before))
        return true;
    return false;
  }

  // The state properties after an event. `converging`: the liveness phase, not yet finished;
  // `workload_idle` is asked only when everything else says the run has converged.
  template <class Idle>
  AfterEvent after_event(const ClusterView<P>& view, bool converging, Idle&& workload_idle,
                         RunOutcome& outcome) {
    AfterEvent result;
    if (suite_.properties.empty() || outcome.status == RunStatus::safety_violation) return result;
    if (has_monitors_) update_monitors(view);
    bool all_eventually = converging;
    bool any_eventually = false;
    for (std::size_t i = 0; i < suite_.properties.size(); ++i) {
      if (!selected_[i]) continue;
      const Property<P>& property = suite_.properties[i];
      switch (property.kind) {
        case PropertyKind::always:
          if (!take_dirty(i)) break;
          if (auto reason = property.check(view)) {
            result.violation = violation(property, *reason, view.now, outcome);
            return result;
          }
          break;
        case PropertyKind::sometimes:
          if (!sometimes_met_[i] && take_dirty(i) && !property.check(view))
            sometimes_met_[i] = true;
          break;
        case PropertyKind::eventually:
          any_eventually = true;
          if (!all_eventually) break;
          if (take_dirty(i)) holds_[i] = !property.check(view);
          if (!holds_[i]) all_eventually = false;
          break;
        case PropertyKind::transition: break;  // checked on each step (after_step)
      }
    }
    if (converging && any_eventually && all_eventually && workload_idle()) {
      outcome.convergence = view.now - outcome.safety_end;
      result.converged = true;
    }
    return result;
  }

  // Transition properties on one step of one node. Returns the violation, if any.
  std::optional<std::string> after_step(const NodeStep<P>& step, RunOutcome& outcome) {
    if (outcome.status == RunStatus::safety_violation) return std::nullopt;
    for (std::size_t i = 0; i < suite_.properties.size(); ++i) {
      const Property<P>& property = suite_.properties[i];
      if (!selected_[i] || property.kind != PropertyKind::transition ||
          !constrains_step_from(property, step.before))
        continue;
      if (auto reason = property.check_step(step))
        return violation(property, *reason, step.now, outcome);
    }
    return std::nullopt;
  }

  // The end of the run: every check's verdict (one that could not be judged because the run
  // stopped early is listed as not evaluated), the history checks, metrics, expectations.
  void at_end(const ClusterView<P>& view, const RunRecord<P>& record, const WorkloadLeft& left,
              RunOutcome& outcome) {
    const Stop stop = stop_of(outcome);
    for (std::size_t i = 0; i < suite_.properties.size(); ++i) {
      if (!selected_[i] || has_verdict(outcome, suite_.properties[i].name)) continue;
      outcome.verdicts.push_back(final_verdict(i, view, left, stop, outcome));
    }
    for (const auto& check : suite_.history_checks) {
      if (!selected(check.name)) continue;
      outcome.verdicts.push_back(stop == Stop::budget ? not_evaluated(check.name, "history", stop)
                                                      : history_verdict(check, record, outcome));
    }
    if (suite_.metrics) outcome.metrics = suite_.metrics(record);
    if (outcome.convergence) outcome.metrics["convergence"].push_back(*outcome.convergence);
    check_expectations(outcome, stop);
  }

 private:
  // Tells every live monitor which nodes changed (all of them at the first event) and marks
  // the properties whose verdict may have changed; then forgets the changed nodes.
  void update_monitors(const ClusterView<P>& view) {
    if (!started_) {
      started_ = true;
      changed_.clear();
      for (std::uint32_t n = 0; n < view.nodes.size(); ++n) changed_.push_back(NodeId{n});
    }
    for (std::size_t i = 0; i < monitors_.size(); ++i) {
      if (!monitors_[i] || sometimes_met_[i]) continue;
      if (monitors_[i]->update(view, changed_)) dirty_[i] = true;
    }
    for (NodeId id : changed_)
      if (id.value < is_changed_.size()) is_changed_[id.value] = false;
    changed_.clear();
  }

  // Whether property i must be evaluated now (and it will be: no longer dirty). Without a
  // monitor, always.
  bool take_dirty(std::size_t i) {
    if (!monitors_[i]) return true;
    const bool dirty = dirty_[i];
    dirty_[i] = false;
    return dirty;
  }

  bool selected(std::string_view name) const {
    if (scenario_.checks.empty()) return true;
    return std::find(scenario_.checks.begin(), scenario_.checks.end(), name) !=
           scenario_.checks.end();
  }

  std::string violation(const Property<P>& property, const std::string& reason, Time now,
                        RunOutcome& outcome) {
    FL_ASSERT(is_safety(property.kind),
              "only always and transition properties are violated at a point");
    const std::string text = property.name + " violated at " + format_time(now) + ": " + reason;
    outcome.verdicts.push_back(CheckVerdict{property.name, std::string(to_string(property.kind)),
                                            false, reason + " (at " + format_time(now) + ")"});
    record_failure(outcome, RunStatus::safety_violation, text);
    FL_ASSERT(outcome.status == RunStatus::safety_violation, "a violation stops the run");
    return text;
  }

  // How the run ended, as far as the end-of-run verdicts care.
  enum class Stop { none, safety, budget };
  static Stop stop_of(const RunOutcome& outcome) {
    if (outcome.status == RunStatus::safety_violation) return Stop::safety;
    if (outcome.status == RunStatus::budget_exceeded) return Stop::budget;
    return Stop::none;
  }
  static bool has_verdict(const RunOutcome& outcome, const std::string& name) {
    return std::any_of(outcome.verdicts.begin(), outcome.verdicts.end(),
                       [&](const CheckVerdict& v) { return v.name == name; });
  }
  static CheckVerdict not_evaluated(const std::string& name, std::string_view kind, Stop stop) {
    FL_ASSERT(stop != Stop::none, "only a run that stopped early leaves checks unevaluated");
    return CheckVerdict{name, std::string(kind), false,
                        stop == Stop::safety ? "not evaluated: the run stopped at a violation"
                                             : "not evaluated: the run stopped at a budget",
                        false};
  }

  // Property i's verdict at the end (its violation, if any, was recorded already).
  CheckVerdict final_verdict(std::size_t i, const ClusterView<P>& view, const WorkloadLeft& left,
                             Stop stop, RunOutcome& outcome) {
    const Property<P>& property = suite_.properties[i];
    const std::string_view kind = to_string(property.kind);
    CheckVerdict verdict{property.name, std::string(kind), true, ""};
    switch (property.kind) {
      case PropertyKind::always:
      case PropertyKind::transition:
        if (stop != Stop::none) verdict.detail = "held until the run stopped";
        break;
      case PropertyKind::sometimes:
        if (sometimes_met_[i]) break;
        if (stop != Stop::none) return not_evaluated(property.name, kind, stop);
        verdict.passed = false;
        verdict.detail = "never held: the run may be vacuous";
        record_failure(outcome, RunStatus::liveness_violation,
                       property.name + " never held (sometimes property)");
        break;
      case PropertyKind::eventually:
        if (stop != Stop::none) return not_evaluated(property.name, kind, stop);
        if (!outcome.convergence) judge_unconverged(property, view, left, verdict, outcome);
        break;
    }
    return verdict;
  }

  // An `eventually` property in a run that never converged: say why.
  void judge_unconverged(const Property<P>& property, const ClusterView<P>& view,
                         const WorkloadLeft& left, CheckVerdict& verdict, RunOutcome& outcome) {
    const std::string within = format_duration(scenario_.run.converge_within);
    const auto reason = property.check(view);
    verdict.passed = false;
    if (reason) {
      verdict.detail = *reason + " (still at " + format_time(view.now) + ", " + within +
                       " after faults stopped)";
      record_failure(
          outcome, RunStatus::liveness_violation,
          property.name + " did not hold within converge_within=" + within + ": " + *reason);
    } else if (!left.idle) {
      verdict.detail = "held, but the workload still had requests outstanding: " + left.outstanding;
      record_failure(outcome, RunStatus::liveness_violation,
                     "client requests did not all complete within converge_within=" + within +
                         ": " + left.outstanding);
    } else {
      verdict.detail = "held, but not together with the other eventually properties";
      record_failure(outcome, RunStatus::liveness_violation,
                     "eventually properties never held together");
    }
  }

  CheckVerdict history_verdict(const HistoryCheck<P>& check, const RunRecord<P>& record,
                               RunOutcome& outcome) const {
    CheckVerdict verdict{check.name, "history", true, ""};
    if (auto failure = check.check(record)) {
      verdict.passed = false;
      verdict.detail = (failure->inconclusive ? "inconclusive: " : "") + failure->reason;
      const bool safety = !check.liveness && !failure->inconclusive;
      record_failure(outcome, safety ? RunStatus::safety_violation : RunStatus::liveness_violation,
                     check.name + ": " + verdict.detail);
    }
    return verdict;
  }

  void check_expectations(RunOutcome& outcome, Stop stop) const {
    for (const auto& expectation : scenario_.expectations) {
      if (stop != Stop::none) {
        outcome.verdicts.push_back(not_evaluated(expectation_name(expectation), "expect", stop));
        continue;
      }
      CheckVerdict verdict = expectation_verdict(expectation, outcome.metrics);
      if (!verdict.passed)
        record_failure(outcome, RunStatus::liveness_violation,
                       verdict.name + ": " + verdict.detail + " is false");
      outcome.verdicts.push_back(std::move(verdict));
    }
  }

  static std::string expectation_name(const scenario::Expectation& expectation) {
    return "expect " + expectation.metric + "." + expectation.statistic;
  }

  static CheckVerdict expectation_verdict(const scenario::Expectation& expectation,
                                          const Metrics& metrics) {
    CheckVerdict verdict{expectation_name(expectation), "expect", true, ""};
    const auto it = metrics.find(expectation.metric);
    const Summary summary = summarize(it == metrics.end() ? std::vector<Duration>{} : it->second);
    const auto value = statistic(summary, expectation.statistic);
    const bool is_count = expectation.statistic == "count";
    const auto show = [&](std::int64_t v) {
      return is_count ? std::to_string(v) : format_duration(Duration{v});
    };
    if (!value) {
      verdict.passed = false;
      verdict.detail = "no samples of " + expectation.metric;
      return verdict;
    }
    using C = scenario::Expectation::Comparison;
    const std::int64_t b = expectation.bound;
    switch (expectation.comparison) {
      case C::less: verdict.passed = *value < b; break;
      case C::less_equal: verdict.passed = *value <= b; break;
      case C::greater: verdict.passed = *value > b; break;
      case C::greater_equal: verdict.passed = *value >= b; break;
    }
    verdict.detail = show(*value) + " " + std::string(scenario::to_string(expectation.comparison)) +
                     " " + show(b);
    return verdict;
  }

  const CheckSuite<P>& suite_;
  const scenario::Scenario& scenario_;
  // Flags as bytes, not std::vector<bool>: they are read for every property after every event,
  // and the bit proxies were 3% of a Raft simulation.
  std::vector<std::uint8_t> sometimes_met_;
  std::vector<std::uint8_t> selected_;
  bool watch_steps_ = false;
  // Incremental checking: one monitor per selected state property that offers one (else null);
  // dirty_[i]: property i's verdict may have changed since it was last evaluated; holds_[i]: an
  // eventually property's verdict when it was last evaluated.
  std::vector<std::unique_ptr<Monitor<P>>> monitors_;
  std::vector<std::uint8_t> dirty_;
  std::vector<std::uint8_t> holds_;
  std::vector<NodeId> changed_;  // the nodes the current event may change
  std::vector<std::uint8_t> is_changed_;
  bool started_ = false;  // the first evaluation is of every node
  bool has_monitors_ = false;
};

}  // namespace faultline
