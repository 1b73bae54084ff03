// The protocol binding: everything the drivers need to know about a protocol beyond its node
// contract (sim/core/protocol.h), in one type per protocol. A binding is a struct deriving from
// BindingDefaults<P> that declares only what it changes (a declaration in the derived struct
// hides the default); the type list of tools/faultline (one faultline_add_protocol() line in
// CMake) names the bindings, and every command iterates it. A protocol of your own needs a tag
// type and a binding, and nothing else (see the "Test your own protocol" page).
//
//   struct Binding : BindingDefaults<MyProtocol> {
//     static CheckSuite<MyProtocol> check_suite(const MyConfig&);  // properties, history checks
//   };
//
// What a binding may supply, with its default:
//   check_suite(config)        the checks of `run`, `check` and a cluster's history (none)
//   ModelOptions               keys under `model.` for `faultline check --set model.key=value`,
//                              a field-list struct with validate(node_count) (no keys)
//   model(config, n, options)  the model checker's model: inputs at boot, inputs offered as
//                              actions (a bare model of n nodes)
//   finish_model(model)        what every model of the protocol carries, including one rebuilt
//                              from a counterexample file: a client history to check (nothing)
//   symmetry(model)            interchangeable nodes, for `check --symmetry` (none)
//   prepare_client(workload, fetch)  the socket client's last word on its workload before it
//                              starts, given a way to read the running nodes' states (nothing)
//   benchmarks()               rows of `faultline bench` (none)
//   lint(scenario, config, workload)  what the config's validate() cannot see, because it needs
//                              the scenario (a timeout shorter than the network's round trip):
//                              an error, or warnings for `faultline lint` (none)
//   why_no_samples(metric, scenario, config, workload)  why a metric can have no sample in this
//                              scenario, so a bound on it is rejected at load time (never)
//   client_operations(history, lines)  a client history as register operations and their model,
//                              for `faultline lin` on a recorded history and for
//                              `check-history`'s `linearizable` (none: not a register protocol)
//   report_operations(history) the client operations a run report plots, with their outcomes
//                              (report_model.h; none)
//   report_gauges(node, sink)  numbers a run report plots per node over time, read after each
//                              step: Raft's term, a replica's delivered sequence (none)
// Invariant: bindings are stateless; every member is static.
#pragma once

#include <concepts>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "checkers/linearizability/simulation_bridge.h"
#include "sim/core/check_suite.h"
#include "sim/core/protocol.h"
#include "sim/core/result.h"
#include "sim/explore/world.h"
#include "sim/scenario/scenario.h"
#include "tools/faultline/report_model.h"

namespace faultline {

// No keys: the default ModelOptions of a binding.
struct NoModelOptions {
  static constexpr std::string_view type_name = "ModelOptions";
  template <class Self, class Visit>
  static void fields(Self&, Visit&&) {}
  Result<void> validate(std::uint32_t) const { return {}; }
};

// The state of every node of a running cluster that answered a status request, decoded.
template <class P>
using FetchNodeStates = std::function<Result<std::vector<typename P::Node>>()>;

// One row of `faultline bench`. A benchmark in group `engine` or `check` runs under
// `bench engine` / `bench check` (and `bench all`); one in group `alone` runs only by its name
// (`faultline bench NAME`) and takes its options as `--set key=value`. A row either
// names a bundled scenario, which `bench engine` runs seed after seed for 3 s of wall time
// (simulated events per second, virtual over wall time), or runs a benchmark of its own.
struct Benchmark {
  enum class Group { engine, check, alone };
  struct Context {
    std::string source_dir;             // the faultline checkout (bundled scenarios, bench/)
    std::vector<std::string> settings;  // --set key=value, for a benchmark run alone
    std::ostream& out;
  };
  std::string name;
  Group group = Group::engine;
  std::string summary;                          // one line for `faultline bench --help`
  std::string scenario;                         // relative to the checkout; empty: `run` instead
  std::function<int(const Context&)> run = {};  // returns an exit code (commands.h)
};

template <Protocol P>
struct BindingDefaults {
  using ProtocolTag = P;
  using ModelOptions = NoModelOptions;

  static CheckSuite<P> check_suite(const typename P::Config&) { return {}; }

  static Result<explore::Model<P>> model(const typename P::Config& config, std::uint32_t node_count,
                                         const NoModelOptions&) {
    explore::Model<P> model;
    model.config = config;
    model.node_count = node_count;
    return model;
  }
  static void finish_model(explore::Model<P>&) {}
  static std::optional<typename explore::Model<P>::Symmetry> symmetry(const explore::Model<P>&) {
    return std::nullopt;
  }

  static Result<void> prepare_client(typename P::WorkloadConfig&, const FetchNodeStates<P>&) {
    return {};
  }

  static std::vector<Benchmark> benchmarks() { return {}; }

  static Result<scenario::Warnings> lint(const scenario::Scenario&, const typename P::Config&,
                                         const typename P::WorkloadConfig&) {
    return scenario::Warnings{};
  }
  static std::optional<std::string> why_no_samples(std::string_view, const scenario::Scenario&,
                                                   const typename P::Config&,
                                                   const typename P::WorkloadConfig&) {
    return std::nullopt;
  }

  static std::optional<lin::ClientOperations> client_operations(const History<P>&,
                                                                std::span<const int>) {
    return std::nullopt;
  }

  static std::vector<cli::ReportOperation> report_operations(const History<P>&) { return {}; }
  static void report_gauges(const typename P::Node&, cli::ReportGaugeSink&) {}

 protected:
  ~BindingDefaults() = default;
};

// What the commands require of a binding B (with the defaults above, deriving is enough).
template <class B>
concept ProtocolBinding = Protocol<typename B::ProtocolTag> &&
    std::derived_from<B, BindingDefaults<typename B::ProtocolTag>> &&
    ValidatedConfig<typename B::ModelOptions> &&
    requires(const typename B::ProtocolTag::Config& config, std::uint32_t node_count,
             const typename B::ModelOptions& options,
             explore::Model<typename B::ProtocolTag>& model,
             typename B::ProtocolTag::WorkloadConfig& workload,
             const FetchNodeStates<typename B::ProtocolTag>& fetch,
             const scenario::Scenario& scenario,
             const typename B::ProtocolTag::WorkloadConfig& const_workload) {
  { B::check_suite(config) } -> std::same_as<CheckSuite<typename B::ProtocolTag>>;
  {
    B::model(config, node_count, options)
    } -> std::same_as<Result<explore::Model<typename B::ProtocolTag>>>;
  B::finish_model(model);
  B::symmetry(model);
  { B::prepare_client(workload, fetch) } -> std::same_as<Result<void>>;
  { B::benchmarks() } -> std::same_as<std::vector<Benchmark>>;
  { B::lint(scenario, config, const_workload) } -> std::same_as<Result<scenario::Warnings>>;
  {
    B::why_no_samples(std::string_view{}, scenario, config, const_workload)
    } -> std::same_as<std::optional<std::string>>;
  {
    B::client_operations(History<typename B::ProtocolTag>{}, std::span<const int>{})
    } -> std::same_as<std::optional<lin::ClientOperations>>;
  {
    B::report_operations(History<typename B::ProtocolTag>{})
    } -> std::same_as<std::vector<cli::ReportOperation>>;
};

}  // namespace faultline
