#include "tools/faultline/budget_options.h"

#include <unistd.h>

#include <cstdio>

#include "sim/core/time.h"

namespace faultline::cli {

void add_budget_options(CLI::App* command, BudgetArgs& args, bool deterministic_too) {
  if (deterministic_too) {
    command->add_option("--max-events", args.events_max,
                        "Budget: events one run may handle (default 10,000,000)");
    command->add_option("--max-pending", args.pending_events_max,
                        "Budget: events scheduled and not yet handled (default 2,000,000)");
    command->add_option("--max-virtual-time", args.virtual_time_max,
                        "Budget: virtual time one run may reach (default 168h)");
  }
  command->add_option("--max-wall-time", args.wall_time_max,
                      "Budget: wall time of one run (default 10m; 0: none)");
  command->add_option("--max-memory", args.memory_max,
                      "Budget: resident memory of the process (default 4GiB; 0: none)");
}

Result<RunBudget> run_budget(const BudgetArgs& args) {
  RunBudget budget;
  if (args.events_max == 0) return fail("--max-events", 0, "must be at least 1");
  if (args.pending_events_max == 0) return fail("--max-pending", 0, "must be at least 1");
  if (args.pending_events_max >= (std::uint64_t{1} << 24))
    return fail("--max-pending", 0, "must be below 16,777,216 (the event queue's limit)");
  auto virtual_time = parse_duration(args.virtual_time_max);
  if (!virtual_time) return fail("--max-virtual-time", 0, virtual_time.error().what);
  if (virtual_time->nanoseconds <= 0) return fail("--max-virtual-time", 0, "must be positive");
  budget.events_max = args.events_max;
  budget.pending_events_max = args.pending_events_max;
  budget.virtual_time_max = *virtual_time;
  return budget;
}

Result<std::uint64_t> parse_bytes(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 12)
    return fail("expected a size such as 4GiB, 512MiB or 100MB, got '" + std::string(text) + "'");
  const std::uint64_t number = std::stoull(std::string(text.substr(0, digits)));
  const std::string_view unit = text.substr(digits);
  std::uint64_t scale = 0;
  if (unit.empty() || unit == "B") scale = 1;
  if (unit == "KiB") scale = std::uint64_t{1} << 10;
  if (unit == "MiB") scale = std::uint64_t{1} << 20;
  if (unit == "GiB") scale = std::uint64_t{1} << 30;
  if (unit == "KB") scale = 1'000;
  if (unit == "MB") scale = 1'000'000;
  if (unit == "GB") scale = 1'000'000'000;
  if (scale == 0)
    return fail("unknown size unit '" + std::string(unit) + "' (B, KiB, MiB, GiB, KB, MB, GB)");
  if (number > (std::uint64_t{1} << 50) / scale)
    return fail("size too large: " + std::string(text));
  return number * scale;
}

std::uint64_t resident_bytes() {
  std::FILE* statm = std::fopen("/proc/self/statm", "r");
  if (statm == nullptr) return 0;
  unsigned long long size_pages = 0;
  unsigned long long resident_pages = 0;
  const int read = std::fscanf(statm, "%llu %llu", &size_pages, &resident_pages);
  std::fclose(statm);
  if (read != 2) return 0;
  return resident_pages * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

WallAndMemoryLimits::WallAndMemoryLimits(std::chrono::nanoseconds wall_max,
                                         std::uint64_t memory_bytes_max)
    : start_(std::chrono::steady_clock::now()),
      wall_max_(wall_max),
      memory_bytes_max_(memory_bytes_max) {}

Result<WallAndMemoryLimits> WallAndMemoryLimits::from(const BudgetArgs& args) {
  auto wall = parse_duration(args.wall_time_max);
  if (!wall) return fail("--max-wall-time", 0, wall.error().what);
  if (wall->nanoseconds < 0) return fail("--max-wall-time", 0, "must not be negative");
  auto memory = parse_bytes(args.memory_max);
  if (!memory) return fail("--max-memory", 0, memory.error().what);
  return WallAndMemoryLimits(std::chrono::nanoseconds(wall->nanoseconds), *memory);
}

std::optional<BudgetStop> WallAndMemoryLimits::exceeded() const {
  const auto elapsed = std::chrono::steady_clock::now() - start_;
  if (wall_max_.count() > 0 && elapsed > wall_max_)
    return BudgetStop{"wall time", "passed " + format_duration(Duration{wall_max_.count()}) +
                                       " (not reproducible: it depends on the machine)"};
  if (memory_bytes_max_ > 0) {
    const std::uint64_t resident = resident_bytes();
    if (resident > memory_bytes_max_)
      return BudgetStop{"memory", "resident memory " +
                                      std::to_string((resident + (1 << 20) - 1) >> 20) +
                                      " MiB passed " + std::to_string(memory_bytes_max_ >> 20) +
                                      " MiB (not reproducible: it depends on the machine)"};
  }
  return std::nullopt;
}

}  // namespace faultline::cli
