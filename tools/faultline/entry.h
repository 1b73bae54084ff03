// ProtocolEntry: one protocol as the commands see it, with its binding's types erased, and the
// registry of every protocol the `faultline` binary was built with.
//
// make_entry<B>() (make_entry.h) builds an entry from a binding; the generated list
// (faultline_add_protocol() in CMake) registers the built-in ones, and cli::main<B...>() adds
// a user's own. Commands look protocols up by name here and never name one themselves.
// Invariant: names are unique; the registry keeps the order protocols were added in, which is
// the order error messages list them.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/config_tree.h"
#include "sim/core/result.h"
#include "sim/engine/simulation.h"
#include "sim/explore/counterexample.h"
#include "sim/explore/replay.h"
#include "sim/real/cluster_file.h"
#include "sim/real/history_io.h"
#include "tools/faultline/binding.h"
#include "tools/faultline/command_args.h"
#include "tools/faultline/report_model.h"

namespace faultline::cli {

// A failing run shrunk to a model-checker schedule (schedule_entry.h).
struct ScheduleShrinkReport {
  explore::Counterexample counterexample;  // the shrunk schedule, as `faultline check` writes
  std::size_t recorded = 0;                // steps the simulator run took
  std::size_t to_violation = 0;            // of them, enabled up to the first violation
  std::uint64_t runs = 0;                  // candidate schedules run
  bool runs_exhausted = false;             // stopped at the run budget: smaller may exist
};

// A scenario file loaded for one protocol and bound to its simulator.
struct BoundScenario {
  std::string path;
  std::string protocol;
  scenario::Scenario scenario;           // as parsed (for names, node count, run spec)
  std::vector<std::string> check_names;  // every check the protocol offers
  std::function<RunOutcome(const RunOptions&)> run;
  // The same run, its client history then written to `history` (sim/real/history_io.h) under
  // `header` (whose protocol, nodes and config the binding fills in).
  std::function<RunOutcome(const RunOptions&, real::HistoryHeader header, std::FILE* history)>
      run_recording;
  // The same run recorded as model-checker steps and shrunk to the fewest that still break the
  // same property (at most runs_max candidate schedules); an error when the run passed or
  // failed only a check the model checker does not make.
  std::function<Result<ScheduleShrinkReport>(const RunOptions&, std::uint64_t runs_max)>
      shrink_schedule;
  // The same run with what its report draws collected (report_model.h); options.trace, when
  // set, still receives every event.
  std::function<RunOutcome(const RunOptions&, RunTimeline& timeline)> run_report;
};

// What `faultline check` asks of a protocol: its config and model options as trees (from a
// scenario file and --set), the node count, and the protocol-independent search options.
struct CheckRequest {
  ConfigTree config;
  ConfigTree model;  // the `model.` keys of --set
  std::uint32_t nodes = 0;
  CheckArgs args;
};

struct ProtocolEntry {
  std::string name;
  std::vector<std::string> role_names;
  // run, lint, replay: decodes a parsed scenario's protocol parts and binds its runner.
  std::function<Result<BoundScenario>(scenario::Scenario)> bind;
  // check: explores the model; prints the report; returns the exit code.
  std::function<int(const CheckRequest&, std::ostream&)> check;
  // replay FILE.json: runs a counterexample the explorer wrote, step by step.
  std::function<Result<explore::ReplayReport>(const explore::Counterexample&)> replay;
  // node: runs one node of a cluster until SIGTERM/SIGINT; returns the exit code.
  std::function<int(const real::ClusterFile&, std::uint32_t index, std::uint64_t seed)> node;
  // client: talks to a running cluster; returns the exit code.
  std::function<int(const real::ClusterFile&, const ClientArgs&)> client;
  // check-history: judges a recorded history by the protocol's history checks; prints the
  // report; returns the exit code (history_entry.h).
  std::function<int(const CheckHistoryArgs&, real::HistoryLines)> check_history;
  // lin on a recorded history: its client operations, when the binding offers them.
  std::function<Result<lin::ClientOperations>(const std::string&, real::HistoryLines)>
      client_operations;
  std::vector<Benchmark> benchmarks;
};

// Every protocol this binary knows: the built-in ones, then any added with add_protocol().
const std::vector<ProtocolEntry>& protocols();
void add_protocol(ProtocolEntry entry);

// The protocol named `name`, or an error listing every known protocol, for `where`.
Result<const ProtocolEntry*> find_protocol(const std::string& name, const std::string& where);

// The protocol of a recorded history: `protocol_option` (--protocol) when given, which the
// header (if any) must name too; else the header's; else, when `for_lin`, the one protocol whose
// binding offers client operations. Errors name the file and the header's line.
Result<const ProtocolEntry*> recorded_protocol(const std::string& path,
                                               const real::HistoryLines& lines,
                                               const std::string& protocol_option, bool for_lin);

// Reads a scenario file, picks the protocol from its `protocol:` key, parses and validates the
// whole scenario (the protocol's config, workload and inputs included), applies `--set`
// overrides, and binds a runner. Overrides are "key=value" for cluster.config or
// "workload.key=value" for the workload. Every error names the file, the key path and the line.
Result<BoundScenario> load_scenario_file(const std::string& path,
                                         const std::vector<std::string>& overrides = {});
// The same for a scenario's text (drawn by `fuzz`, say); `path` names it in errors and reports.
Result<BoundScenario> load_scenario_text(std::string_view text, const std::string& path,
                                         const std::vector<std::string>& overrides = {});

}  // namespace faultline::cli
