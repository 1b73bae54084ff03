// The budget options every command that runs something shares (--max-events, --max-pending,
// --max-virtual-time, --max-wall-time, --max-memory), and the driver's measure of wall time and
// memory (the deterministic core reads no clock; sim/core/budget.h).
//
// Defaults are chosen so that no bundled scenario comes near them (the largest handles about 0.5%
// of the event budget) and a runaway stops within seconds to a minute: see
// tools/faultline/README.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "sim/core/budget.h"
#include "sim/core/result.h"

namespace faultline::cli {

struct BudgetArgs {
  std::uint64_t events_max = RunBudget{}.events_max;
  std::uint64_t pending_events_max = RunBudget{}.pending_events_max;
  std::string virtual_time_max = "168h";
  std::string wall_time_max = "10m";  // per run (per seed with --seeds)
  std::string memory_max = "4GiB";    // resident memory of the whole process
};

// Adds the five options to `command`; `deterministic_only` leaves out the events, pending and
// virtual-time ones (for commands that have budgets of their own, such as check's --states-max).
void add_budget_options(CLI::App* command, BudgetArgs& args, bool deterministic_too = true);

// The deterministic budgets, validated (each at least 1; pending at most the queue's limit).
Result<RunBudget> run_budget(const BudgetArgs& args);

// "4GiB", "512MiB", "100MB", "123456" (bytes) -> bytes.
Result<std::uint64_t> parse_bytes(std::string_view text);

// The process's resident set size in bytes (Linux /proc/self/statm), or 0 when unknown.
std::uint64_t resident_bytes();

// Wall time since construction and the process's resident memory, against their budgets.
class WallAndMemoryLimits final : public DriverLimits {
 public:
  WallAndMemoryLimits(std::chrono::nanoseconds wall_max, std::uint64_t memory_bytes_max);
  static Result<WallAndMemoryLimits> from(const BudgetArgs& args);
  std::optional<BudgetStop> exceeded() const override;

 private:
  std::chrono::steady_clock::time_point start_;
  std::chrono::nanoseconds wall_max_;
  std::uint64_t memory_bytes_max_;
};

}  // namespace faultline::cli
