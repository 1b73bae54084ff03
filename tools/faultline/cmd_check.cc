// `faultline check`: the model checker over a protocol's nodes (sim/explore), and its
// counterexample replay (`check --replay FILE.json`, also behind `faultline replay FILE.json`).
// What a protocol contributes (its model, its checks) comes through its binding (check_entry.h);
// this file is the command line around it.
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "sim/explore/counterexample.h"
#include "sim/explore/replay.h"
#include "sim/scenario/parse.h"
#include "tools/faultline/check.h"
#include "tools/faultline/commands.h"
#include "tools/faultline/entry.h"
#include "tools/faultline/number_options.h"

namespace faultline::cli {

namespace {

ConfigTree map_tree(std::string path) {
  ConfigTree tree;
  tree.kind = ConfigTree::Kind::map;
  tree.path = std::move(path);
  return tree;
}

// Splits --set into the model's keys (`model.key=value`) and the rest (the protocol config, or
// a scenario's workload), applying the model's to `model`.
Result<std::vector<std::string>> split_model_keys(const std::vector<std::string>& overrides,
                                                  ConfigTree& model) {
  std::vector<std::string> rest;
  for (const auto& assignment : overrides) {
    constexpr std::string_view prefix = "model.";
    if (!assignment.starts_with(prefix)) {
      rest.push_back(assignment);
      continue;
    }
    auto ok = scenario::apply_override(model, std::string_view(assignment).substr(prefix.size()));
    if (!ok) return fail("--set " + assignment, 0, ok.error().to_string());
  }
  return rest;
}

// The protocol, node count and config of a check: from a scenario file, or from --protocol and
// --nodes with --set keys over the protocol's default config.
Result<CheckRequest> check_request(const CheckArgs& args) {
  CheckRequest request{map_tree("cluster.config"), map_tree("model"), args.nodes, args};
  auto rest = split_model_keys(args.overrides, request.model);
  if (!rest) return std::unexpected(rest.error());
  if (args.scenario_path.empty()) {
    if (args.protocol.empty() || args.nodes == 0)
      return fail("give a scenario FILE, or --protocol NAME and --nodes N");
    for (const auto& assignment : *rest)
      if (auto ok = scenario::apply_override(request.config, assignment); !ok)
        return fail("--set " + assignment, 0, ok.error().to_string());
    return request;
  }
  auto bound = load_scenario_file(args.scenario_path, *rest);
  if (!bound) return std::unexpected(bound.error());
  if (!args.protocol.empty() && args.protocol != bound->protocol)
    return fail("--protocol " + args.protocol + " but " + args.scenario_path + " is for " +
                bound->protocol);
  request.args.protocol = bound->protocol;
  if (request.nodes == 0)
    request.nodes = static_cast<std::uint32_t>(bound->scenario.node_names.size());
  request.config = bound->scenario.config;
  if (request.config.kind == ConfigTree::Kind::null) request.config.kind = ConfigTree::Kind::map;
  return request;
}

int run_check(const CheckArgs& args, std::ostream& out) {
  if (!args.replay_path.empty()) return replay_counterexample_file(args.replay_path, out);
  if (args.copies_max == 0) {
    out << "error: --copies-max must be at least 1\n";
    return exit_usage;
  }
  auto request = check_request(args);
  if (!request) {
    out << "error: " << request.error().to_string() << "\n";
    return exit_usage;
  }
  auto entry = find_protocol(request->args.protocol, "--protocol");
  if (!entry) {
    out << "error: " << entry.error().to_string() << "\n";
    return exit_usage;
  }
  return (*entry)->check(*request, out);
}

}  // namespace

int replay_counterexample_file(const std::string& path, std::ostream& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    out << "error: " << path << ": cannot open the file\n";
    return exit_usage;
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto file = explore::counterexample_from_json(text.str());
  if (!file) {
    out << "error: " << path << ": " << file.error().to_string() << "\n";
    return exit_usage;
  }
  auto entry = find_protocol(file->protocol, path + ": protocol");
  if (!entry) {
    out << "error: " << entry.error().to_string() << "\n";
    return exit_usage;
  }
  auto replayed = (*entry)->replay(*file);
  if (!replayed) {
    out << "error: " << path << ": " << replayed.error().to_string() << "\n";
    return exit_usage;
  }
  out << "replay " << path << ": " << file->protocol << ", " << file->nodes << " nodes, "
      << file->steps.size() << " steps\n";
  for (const auto& line : replayed->lines) out << "  " << line << "\n";
  if (replayed->divergence) out << "  diverged: " << *replayed->divergence << "\n";
  if (!replayed->property) {
    out << "result: no property was violated; the file expected " << file->property
        << " (not reproduced)\n";
    return exit_usage;
  }
  out << "  => " << *replayed->property << " violated at step " << replayed->violation_step << ": "
      << replayed->detail << "\n";
  out << "result: " << (replayed->reproduced ? "reproduced" : "NOT reproduced as recorded") << " ("
      << file->property << " expected after step " << file->steps.size() << ")\n";
  return replayed->reproduced ? exit_safety : exit_usage;
}

void add_check_command(CLI::App& app) {
  auto args = std::make_shared<CheckArgs>();
  CLI::App* check = app.add_subcommand(
      "check", "Model-check a protocol: explore every interleaving within a fault budget");
  check->add_option("FILE", args->scenario_path,
                    "Scenario file: its protocol, node count and cluster.config");
  check->add_option("--protocol", args->protocol, "Protocol to check (without a scenario FILE)");
  check->add_option("--nodes", args->nodes, "Node count (without a scenario FILE)");
  check->add_option("--set", args->overrides,
                    "Override a config key (key=value), or set a key of the protocol's model "
                    "(model.key=value; each protocol's manual lists its keys); repeatable");
  check
      ->add_option("--strategy", args->strategy,
                   "bfs (shortest counterexample), guided (new node states first), dfs or random")
      ->check(CLI::IsMember({"bfs", "guided", "dfs", "random"}));
  check->add_option("--depth-max", args->depth_max,
                    "Do not expand states deeper than this (0: unbounded)");
  check->add_option("--states-max", args->states_max,
                    "Stop after this many unique states (0: unbounded)");
  check->add_option("--crashes-max", args->crashes_max,
                    "Crashes allowed per path (restarts are unbounded)");
  check->add_option("--timers-max", args->timers_max,
                    "Timer firings allowed per path (0: unbounded)");
  check->add_flag("--drops", args->drops, "Let the network drop any in-flight message");
  check->add_option("--drops-max", args->drops_max,
                    "With --drops: drops allowed per path (0: unbounded)");
  check->add_option("--duplicates-max", args->duplicates_max,
                    "Duplications of in-flight messages allowed per path");
  check->add_option("--copies-max", args->copies_max,
                    "Identical messages in flight at once; more are absorbed (default 1)");
  check
      ->add_option(
          "--network", args->network,
          "multiset (a delivery consumes the message) or set (sent messages stay deliverable)")
      ->check(CLI::IsMember({"multiset", "set"}));
  check->add_option("--seed", args->seed, "Seed of the random strategy")->check(unsigned_decimal());
  check->add_flag("--symmetry", args->symmetry,
                  "Explore one state per renaming of interchangeable nodes (when the protocol's "
                  "binding names them); unique states are then orbits");
  check->add_flag("--exact", args->exact,
                  "Store every state whole, not as a 64-bit fingerprint: no collision can skip "
                  "a state (more memory; not with --symmetry)");
  check->add_option("--workers", args->workers,
                    "Threads building successors at once (bfs and guided; default 1); counts and "
                    "counterexamples are the same for any number");
  check->add_option("--out", args->out_path,
                    "Where to write a counterexample (default counterexample.json)");
  add_budget_options(check, args->budgets, false);
  check->add_option("--replay", args->replay_path,
                    "Replay a counterexample file instead of exploring");
  check->callback([args] {
    exit_code() = run_check(*args, std::cout);
    std::cout.flush();
  });
}

}  // namespace faultline::cli
