// Shrinking a failing run to a capsule: a self-contained scenario that fails the same way and is
// smaller (`faultline shrink`; `faultline fuzz` calls shrink() on each failure).
//
// How: the scenario is edited as a YAML document (ConfigTree), and every candidate is written
// out, parsed, bound and run for the same seed, in this process. A candidate is kept only if it
// fails with the same signature (status, failing property, message with numbers normalised).
// Steps: materialise the nemesis (what it fired becomes explicit `faults:` entries), delta-debug
// the fault list (ddmin: by halves, then one at a time), drop nodes, cut `run.until`, simplify
// the network (drop/duplicate/reorder to 0, no link overrides, fixed latency), and cut the
// workload's whole-number keys (clients, ...); then make the client operations explicit
// (`workload.operations`, from RunOutcome::workload_script) and remove them: each client's at
// once, then ddmin, with the steps above repeated.
//
// Invariants: the capsule text in a ShrinkResult is exactly the last candidate that was run, so
// `faultline run CAPSULE` reproduces `fingerprint`; the number of simulator runs never passes
// ShrinkOptions::runs_max (the first run, of the original, included).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/result.h"
#include "sim/engine/run_outcome.h"
#include "tools/faultline/budget_options.h"
#include "tools/faultline/entry.h"
#include "tools/faultline/signature.h"

namespace faultline::cli {

struct ShrinkOptions {
  std::uint64_t runs_max = 500;  // simulator runs in all, the original's included
  BudgetArgs budget;             // per run, as for `faultline run`
  bool match_message = true;     // false: status and property only
};

// The sizes the summary compares.
struct ShrinkSize {
  std::uint64_t events = 0;
  std::size_t faults = 0;  // explicit faults, plus what the nemesis fired
  std::size_t nodes = 0;
  std::uint64_t client_calls = 0;  // RunOutcome::client_calls
  Time end;                        // virtual time the run reached
};

struct ShrinkResult {
  FailureSignature signature;
  std::string capsule;  // YAML without the header comment; run.seed is the seed
  std::uint64_t seed = 0;
  std::uint64_t fingerprint = 0;  // of the capsule's run
  ShrinkSize before;
  ShrinkSize after;
  std::uint64_t runs = 0;
  bool runs_exhausted = false;     // stopped at runs_max, not at a fixed point
  std::vector<std::string> steps;  // the reductions kept, in order ("faults 41 -> 3")
  std::chrono::milliseconds wall_time{0};
};

// Shrinks the run of `scenario_yaml` (the text of a scenario file for `protocol`, `origin` naming
// it in errors) with `seed`, after applying --set style `overrides` (baked into the capsule).
// Errors: the scenario does not load, or the seed passes or stops at a budget.
Result<ShrinkResult> shrink(const ProtocolEntry& protocol, std::string_view scenario_yaml,
                            const std::string& origin, const std::vector<std::string>& overrides,
                            std::uint64_t seed, const ShrinkOptions& options);

// The capsule file: a header comment (original, seed, signature, fingerprint, the command that
// made it, the repro command), then the YAML. `command` is the shrink command line.
std::string capsule_file_text(const ShrinkResult& result, const std::string& original,
                              const std::string& command, const std::string& capsule_path);

}  // namespace faultline::cli
