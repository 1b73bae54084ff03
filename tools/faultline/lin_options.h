// The linearizability search's budgets as `faultline lin` and `faultline check-history` take
// them (--budget-states, --budget-memory-mb, --timeout-ms), and the one way they become the
// checker's options and an `unknown` verdict's reason. A budget can only turn a verdict into
// `unknown` (checker.h), never change it.
#pragma once

#include <cstdint>
#include <string>

#include "checkers/linearizability/checker.h"

namespace CLI {
class App;
}

namespace faultline::cli {

struct LinBudgetArgs {
  std::uint64_t states = lin::CheckOptions{}.max_states;
  std::uint64_t memory_mb = lin::CheckOptions{}.max_memory_bytes >> 20;
  // A runaway search ends within seconds; the shared Jepsen histories take milliseconds.
  std::uint64_t timeout_ms = 10'000;  // 0: no deadline
};

// Adds --budget-states, --budget-memory-mb and --timeout-ms to `command`.
void add_lin_budget_options(CLI::App* command, LinBudgetArgs& budgets);

// The checker's options, the deadline counted from now.
lin::CheckOptions lin_check_options(const LinBudgetArgs& budgets);

// Why a check ended `unknown`, naming the option that sets the budget that ran out.
std::string lin_budget_reason(const LinBudgetArgs& budgets, const lin::Report& report);

}  // namespace faultline::cli
