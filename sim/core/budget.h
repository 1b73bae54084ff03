// Budgets: the limits that end a run which would otherwise not end, or not end soon enough to be
// useful (a 1 ns flap period, a million clients, a 1,000-hour convergence window). A budget that
// runs out ends the run with its own outcome, never a pass and never an abort: the message names
// the budget, the value it passed, and what drove it.
//
// The engine and the explorer count what they can count deterministically (events, pending
// events, virtual time, states). Wall time and memory are measured by the driver, outside the
// deterministic core (which reads no clock), through DriverLimits: the core only asks, every
// so many events, whether one has run out. Hitting a wall-time or memory budget is therefore
// the one outcome that may differ between two runs of a seed; its message says so.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sim/core/time.h"

namespace faultline {

// Why a run stopped at a budget: the budget's name ("events", "pending events", "virtual time",
// "wall time", "memory") and a one-line description of the value and its cause.
struct BudgetStop {
  std::string budget;
  std::string detail;
  std::string text() const { return budget + " budget: " + detail; }
  // Whether the same seed stops here again: events, pending events and virtual time are counted
  // by the simulation; wall time and memory depend on the machine.
  bool reproducible() const { return budget != "wall time" && budget != "memory"; }
};

// What only the driver can measure. exceeded() is called from the simulation's thread every
// DriverLimits::poll_events events; it must be cheap and must not touch the simulation.
class DriverLimits {
 public:
  static constexpr std::uint64_t poll_events = 4096;
  virtual std::optional<BudgetStop> exceeded() const = 0;

 protected:
  ~DriverLimits() = default;
};

// The simulator's deterministic budgets (the CLI's --max-events, --max-pending,
// --max-virtual-time; documented with their defaults in tools/faultline/README.md).
struct RunBudget {
  std::uint64_t events_max = 10'000'000;         // handled events
  std::uint64_t pending_events_max = 2'000'000;  // events scheduled and not yet handled
  Duration virtual_time_max = Duration::from_seconds(7 * 24 * 3600);  // a week of virtual time
};

}  // namespace faultline
