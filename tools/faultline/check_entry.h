// `faultline check` for one protocol binding B: builds the model checker's model from the
// protocol's config and the binding's model options, explores it, reports, and replays
// counterexample files. The report itself does not depend on the protocol (check_report.cc).
//
// Wall-clock time and peak memory are read here, in the tool, never inside sim/explore.
#pragma once

#include <algorithm>
#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "sim/explore/counterexample.h"
#include "sim/explore/explorer.h"
#include "sim/explore/replay.h"
#include "tools/faultline/binding.h"
#include "tools/faultline/command_args.h"
#include "tools/faultline/commands.h"
#include "tools/faultline/entry.h"

namespace faultline::cli {

// What the report says about a model, with the protocol's types erased.
struct ModelSummary {
  std::string protocol;
  std::uint32_t node_count = 0;
  bool sent_set = false;
  bool symmetry = false;
  std::uint32_t crashes_max = 0;
  std::uint32_t drops_max = 0;
  std::vector<std::string> history_checks;  // run on every client history (none: no history)
};

// The property names of a suite, by kind, in suite order.
struct PropertyNames {
  std::vector<std::string> always;
  std::vector<std::string> transition;
  std::vector<std::string> sometimes;
};

explore::Strategy parse_strategy(const std::string& name);
// The search options of a check request, or a usage error.
Result<explore::SearchOptions> search_options(const CheckArgs& args);
// The visited sets and trail over the unique states: the memory a state costs the search (a
// figure for reports; sim/explore keeps no floats).
inline double visited_bytes_per_state(const explore::SearchResult& r) {
  return static_cast<double>(r.visited_bytes) /
         static_cast<double>(std::max<std::uint64_t>(1, r.states_unique));
}

// Prints the report of one search and returns the exit code. `counterexample` is set when the
// search found a violation; it is written to args.out_path.
int print_check_report(const ModelSummary& model, const PropertyNames& properties,
                       const CheckArgs& args, const explore::SearchOptions& options,
                       const explore::SearchResult& result, double seconds,
                       const std::optional<explore::Counterexample>& counterexample,
                       std::ostream& out);

template <class P>
void apply_fault_options(explore::Model<P>& model, const CheckArgs& args) {
  model.crashes_max = args.crashes_max;
  model.timers_max = args.timers_max;
  model.drops_max = args.drops ? (args.drops_max == 0 ? 0xffffffffu : args.drops_max) : 0;
  model.duplicates_max = args.duplicates_max;
  model.copies_max = args.copies_max;
  model.sent_set = args.network == "set";
}

template <class P>
ModelSummary summarize(const explore::Model<P>& model) {
  ModelSummary summary{std::string(P::name),
                       model.node_count,
                       model.sent_set,
                       model.symmetry.has_value(),
                       model.crashes_max,
                       model.drops_max,
                       {}};
  if (model.client_history)
    for (const auto& check : model.client_history->checks)
      summary.history_checks.push_back(check.name);
  return summary;
}

template <class P>
PropertyNames names_of(const std::vector<Property<P>>& properties) {
  PropertyNames names;
  for (const auto& p : properties) {
    if (p.kind == PropertyKind::always) names.always.push_back(p.name);
    if (p.kind == PropertyKind::transition) names.transition.push_back(p.name);
    if (p.kind == PropertyKind::sometimes) names.sometimes.push_back(p.name);
  }
  return names;
}

// The binding's model for a check request, with the fault budget and symmetry applied.
template <ProtocolBinding B>
Result<explore::Model<typename B::ProtocolTag>> check_model(const CheckRequest& request) {
  using P = typename B::ProtocolTag;
  auto config = decode_protocol_config<P>(request.config, request.nodes);
  if (!config) return std::unexpected(config.error());
  auto options = decode_validated<typename B::ModelOptions>(request.model, request.nodes);
  if (!options) return std::unexpected(options.error());
  auto model = B::model(*config, request.nodes, *options);
  if (!model) return std::unexpected(model.error());
  B::finish_model(*model);
  apply_fault_options(*model, request.args);
  if (request.args.exact && request.args.symmetry)
    return fail("--exact", 0, "not with --symmetry (a renamed state is matched by fingerprint)");
  if (request.args.exact && !explore::exact_capable<P>)
    return fail("--exact", 0, std::string(P::name) + "'s states do not all compare by ==");
  if (request.args.symmetry) {
    model->symmetry = B::symmetry(*model);
    if (!model->symmetry)
      return fail("--symmetry", 0,
                  std::string(P::name) + " has no symmetry binding here" +
                      (model->model_inputs.empty() ? "" : " (inputs to named nodes break it)"));
  }
  return model;
}

template <ProtocolBinding B>
int run_check(const CheckRequest& request, std::ostream& out) {
  using P = typename B::ProtocolTag;
  auto model = check_model<B>(request);
  if (!model) {
    out << "error: " << model.error().to_string() << "\n";
    return exit_usage;
  }
  const auto properties = B::check_suite(model->config).properties;
  auto searched = search_options(request.args);
  if (!searched) {
    out << "error: " << searched.error().to_string() << "\n";
    return exit_usage;
  }
  explore::SearchOptions options = *searched;
  auto limits = WallAndMemoryLimits::from(request.args.budgets);
  if (!limits) {
    out << "error: " << limits.error().to_string() << "\n";
    return exit_usage;
  }
  options.limits = &*limits;
  const auto start = std::chrono::steady_clock::now();
  const explore::SearchResult result = explore::explore(*model, properties, options);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::optional<explore::Counterexample> counterexample;
  if (result.violation)
    counterexample = explore::make_counterexample(*model, *result.violation, request.args.overrides,
                                                  options.strategy);
  return print_check_report(summarize(*model), names_of<P>(properties), request.args, options,
                            result, seconds, counterexample, out);
}

// Rebuilds the model a counterexample file was found in (with what the binding adds to every
// model, such as its client history) and runs the file step by step.
template <ProtocolBinding B>
Result<explore::ReplayReport> replay_counterexample(const explore::Counterexample& file) {
  using P = typename B::ProtocolTag;
  auto model = explore::model_from_counterexample<P>(file);
  if (!model) return std::unexpected(model.error());
  const auto properties = B::check_suite(model->config).properties;
  return explore::replay_counterexample<P>(file, properties, &B::finish_model);
}

}  // namespace faultline::cli
