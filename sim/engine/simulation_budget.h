// Simulation<P>'s budgets (sim/core/budget.h): the checks between events that end a runaway run
// with RunStatus::budget_exceeded, and the attribution that names what drove it. Included at the
// end of simulation.h; not a header of its own.
//
// Attribution reads what is pending (the events the run has scheduled and not handled, sampled
// up to attribution_sample_max) and what was handled, grouped by source: a message type, a
// timer type, a fault of the scenario (by its path and line), the nemesis, the workload. The
// dominant sources, with their shares, go into the message, so "pending events passed 2,000,000"
// comes with "99% flap toggles of faults[0] (line 14, period 1ns)".
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "sim/core/text.h"

namespace faultline {

namespace budget_text {

// The type of a described value: "AppendEntries{term=3, ...}" -> "AppendEntries".
inline std::string type_of(const std::string& described) {
  const auto end = described.find_first_of("{( ");
  return described.substr(0, std::min<std::size_t>(end, 40));
}

// The top sources of a tally, largest first: "99% flap toggles of faults[0], 1% timer Tick".
inline std::string shares(const std::map<std::string, std::uint64_t>& tally) {
  std::uint64_t total = 0;
  std::vector<std::pair<std::uint64_t, std::string>> ranked;
  for (const auto& [source, n] : tally) {
    total += n;
    ranked.emplace_back(n, source);
  }
  if (total == 0) return "nothing";
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::string text;
  for (std::size_t i = 0; i < ranked.size() && i < 3; ++i) {
    if (i > 0) text += ", ";
    text += std::to_string(ranked[i].first * 100 / total) + "% " + ranked[i].second;
  }
  return text;
}

}  // namespace budget_text

template <Protocol P>
bool Simulation<P>::budget_exceeded() {
  if (outcome_.status == RunStatus::budget_exceeded) return true;
  std::optional<BudgetStop> stop = deterministic_budget_stop();
  if (!stop && options_.limits != nullptr && outcome_.events % DriverLimits::poll_events == 0) {
    stop = options_.limits->exceeded();
    if (stop)
      stop->detail += " at " + format_time(now_) + " virtual, after " +
                      format_count(outcome_.events) + " events (" + handled_load() +
                      "); pending: " + pending_load();
  }
  if (!stop) return false;
  outcome_.budget_stop = stop;
  record_failure(outcome_, RunStatus::budget_exceeded, stop->text());
  return true;
}

template <Protocol P>
std::optional<BudgetStop> Simulation<P>::deterministic_budget_stop() const {
  const RunBudget& budget = options_.budget;
  if (queue_.overflowed() || queue_.size() > budget.pending_events_max)
    return BudgetStop{"pending events", "passed " + format_count(budget.pending_events_max) +
                                            " at " + format_time(now_) + ": " + pending_load()};
  if (outcome_.events >= budget.events_max)
    return BudgetStop{"events", "handled " + format_count(budget.events_max) + " by " +
                                    format_time(now_) + ": " + handled_load() +
                                    "; pending: " + pending_load()};
  if (!queue_.empty() && queue_.next_time() <= stop_at_ &&
      queue_.next_time() - Time{} > budget.virtual_time_max)
    return BudgetStop{"virtual time",
                      "the run would pass " + format_duration(budget.virtual_time_max) +
                          " of virtual time (run.until " + format_duration(scenario_.run.until) +
                          ", converge_within " + format_duration(scenario_.run.converge_within) +
                          "); pending: " + pending_load()};
  return std::nullopt;
}

// Where a pending or handled event comes from, in the scenario's or the protocol's words.
template <Protocol P>
std::string Simulation<P>::event_source(const Payload& payload) const {
  return std::visit(
      [&](const auto& event) -> std::string {
        using E = std::decay_t<decltype(event)>;
        if constexpr (std::is_same_v<E, Deliver>)
          return "messages " + budget_text::type_of(describe(event.message));
        else if constexpr (std::is_same_v<E, TimerFire>) {
          const Timer* timer = timers_.timer_of(event.node, event.armed);
          return timer ? "timer " + budget_text::type_of(describe(*timer)) : "stale timers";
        } else if constexpr (std::is_same_v<E, InputArrival>)
          return "client inputs";
        else if constexpr (std::is_same_v<E, FaultFire>)
          return fault_source("fault", event.index);
        else if constexpr (std::is_same_v<E, FlapToggle>)
          return fault_source("flap toggles of", event.fault_index);
        else if constexpr (std::is_same_v<E, NemesisTick>)
          return "nemesis ticks (interval " + format_duration(scenario_.nemesis->interval.min) +
                 " to " + format_duration(scenario_.nemesis->interval.max) + ")";
        else if constexpr (std::is_same_v<E, WorkloadWake>)
          return "workload timers (think times, request timeouts)";
        else
          return "the liveness phase's start";
      },
      payload);
}

template <Protocol P>
std::string Simulation<P>::fault_source(std::string_view what, std::size_t index) const {
  const scenario::Fault& fault = scenario_.faults[index];
  std::string text = std::string(what) + " " + fault.path + " (line " + std::to_string(fault.line);
  if (const auto* flap = std::get_if<scenario::Flap>(&fault.action))
    text += ", period " + format_duration(flap->period);
  return text + ")";
}

template <Protocol P>
std::string Simulation<P>::pending_load() const {
  std::map<std::string, std::uint64_t> tally;
  std::size_t sampled = 0;
  queue_.for_each_pending([&](Time, const Payload& payload) {
    if (sampled++ < attribution_sample_max) ++tally[event_source(payload)];
  });
  return format_count(queue_.size()) + " events, " + budget_text::shares(tally);
}

template <Protocol P>
std::string Simulation<P>::handled_load() const {
  static constexpr const char* kinds[] = {
      "message deliveries", "timers",        "client inputs",  "faults",
      "flap toggles",       "nemesis ticks", "liveness start", "workload timers"};
  static_assert(std::size(kinds) == std::variant_size_v<Payload>);
  std::map<std::string, std::uint64_t> tally;
  for (std::size_t i = 0; i < handled_by_kind_.size(); ++i)
    if (handled_by_kind_[i] > 0) tally[kinds[i]] = handled_by_kind_[i];
  return budget_text::shares(tally);
}

}  // namespace faultline
