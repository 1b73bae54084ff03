// The protocol-independent options of `faultline check`, `faultline client` and `faultline
// check-history`, as the command line parsed them. Protocol-specific options are not here: they
// are keys set with `--set model.key=value` (check) or `--set workload.key=value` (client),
// decoded by the protocol's binding.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tools/faultline/budget_options.h"
#include "tools/faultline/lin_options.h"

namespace faultline::cli {

struct CheckArgs {
  std::string scenario_path;
  std::string protocol;
  std::uint32_t nodes = 0;
  std::vector<std::string> overrides;  // as given, `model.` keys included
  std::string strategy = "bfs";
  std::uint32_t depth_max = 0;
  std::uint64_t states_max = 0;
  std::uint32_t crashes_max = 0;
  std::uint32_t timers_max = 0;
  bool drops = false;
  std::uint32_t drops_max = 0;
  std::uint32_t duplicates_max = 0;
  std::uint32_t copies_max = 1;
  std::string network = "multiset";
  std::uint64_t seed = 1;
  bool symmetry = false;      // explore one state per renaming of interchangeable nodes
  bool exact = false;         // store whole states, not fingerprints (no collision possible)
  std::uint32_t workers = 1;  // threads building successors (bfs and guided)
  std::string out_path = "counterexample.json";
  std::string replay_path;
  BudgetArgs budgets;  // --max-wall-time and --max-memory (states and depth have their own)
};

struct ClientArgs {
  std::string path;
  std::vector<std::string> nodes;
  std::vector<std::string> inputs;
  std::string workload;               // YAML flow text over the cluster file's workload:
  std::vector<std::string> settings;  // --set workload.key=value, applied after --workload
  std::string history_path;
  bool status = false;
  bool verbose = false;
  double wait_s = 1.0;
  double connect_timeout_s = 10.0;
  double max_time_s = 0;  // closed loop: stop after this long (0: no bound)
  std::optional<std::uint64_t> seed;
};

}  // namespace faultline::cli

namespace faultline::cli {

struct CheckHistoryArgs {
  std::string path;
  std::string protocol;  // --protocol; empty: the header's
  bool json = false;
  LinBudgetArgs budgets;  // for the `linearizable` check
};

}  // namespace faultline::cli
