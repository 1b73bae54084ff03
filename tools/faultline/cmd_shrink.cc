// `faultline shrink FILE --seed N [--out CAPSULE.yaml] [--schedule FILE.json]`: shrinks a
// failing run to a capsule (shrink.h) and prints before -> after and the capsule's repro
// command; with --schedule, also the capsule's run to a model-checker schedule
// (schedule_entry.h).
#include <cstdio>
#include <filesystem>
#include <memory>

#include <fmt/core.h>

#include "sim/scenario/parse.h"
#include "tools/faultline/budget_options.h"
#include "tools/faultline/commands.h"
#include "tools/faultline/entry.h"
#include "tools/faultline/number_options.h"
#include "tools/faultline/shrink.h"

namespace faultline::cli {

namespace {

struct ShrinkArgs {
  std::string path;
  std::uint64_t seed = 0;
  std::string out;
  std::vector<std::string> overrides;
  std::uint64_t runs_max = 500;
  std::string schedule;  // --schedule FILE.json, "" when not given
  std::uint64_t schedule_runs_max = 20000;
  BudgetArgs budget;
};

int usage_error(const std::string& text) {
  std::fprintf(stderr, "error: %s\n", text.c_str());
  return exit_usage;
}

// "scenarios/raft/x.yaml" with seed 7 -> "x.seed7.capsule.yaml" in the current directory.
std::string default_out(const ShrinkArgs& args) {
  return std::filesystem::path(args.path).stem().string() + ".seed" + std::to_string(args.seed) +
         ".capsule.yaml";
}

std::string command_line(const ShrinkArgs& args, const std::string& out) {
  std::string text = program_name();
  text += " shrink " + args.path + " --seed " + std::to_string(args.seed);
  for (const auto& assignment : args.overrides) text += " --set " + assignment;
  text += " --out " + out;
  return text;
}

void print_summary(const ShrinkResult& r, const std::string& out) {
  const auto row = [](const char* what, const std::string& before, const std::string& after) {
    std::printf("%-13s%s -> %s\n", what, before.c_str(), after.c_str());
  };
  std::printf("signature    %s\n", r.signature.text().c_str());
  row("events", std::to_string(r.before.events), std::to_string(r.after.events));
  row("faults", std::to_string(r.before.faults), std::to_string(r.after.faults));
  row("nodes", std::to_string(r.before.nodes), std::to_string(r.after.nodes));
  row("client calls", std::to_string(r.before.client_calls), std::to_string(r.after.client_calls));
  row("virtual time", format_time(r.before.end), format_time(r.after.end));
  for (const std::string& step : r.steps) std::printf("kept         %s\n", step.c_str());
  std::printf("runs         %llu%s\n", static_cast<unsigned long long>(r.runs),
              r.runs_exhausted ? " (the --runs-max budget ran out; not a fixed point)" : "");
  std::printf("wall time    %.3fs\n", static_cast<double>(r.wall_time.count()) / 1000.0);
  std::printf("capsule      %s (fingerprint %016llx)\n", out.c_str(),
              static_cast<unsigned long long>(r.fingerprint));
  std::printf("repro: %s run %s\n", program_name().c_str(), out.c_str());
}

// The capsule's run recorded as model-checker steps and shrunk (schedule_entry.h); when the
// capsule fails only checks the model checker does not make (its shrinking kept the simulator's
// failure, not necessarily the model's), the original run instead.
Result<ScheduleShrinkReport> shrink_either_schedule(const ShrinkArgs& args,
                                                    const BoundScenario& original,
                                                    const ShrinkResult& result,
                                                    const std::string& out) {
  auto capsule = load_scenario_text(result.capsule, out);
  if (!capsule) return fail("the capsule does not load: " + capsule.error().to_string());
  auto limits = WallAndMemoryLimits::from(args.budget).value();
  RunOptions options;
  options.seed = result.seed;
  options.budget = run_budget(args.budget).value();
  options.limits = &limits;
  auto shrunk = capsule->shrink_schedule(options, args.schedule_runs_max);
  if (shrunk) return shrunk;
  options.seed = args.seed;
  auto from_original = original.shrink_schedule(options, args.schedule_runs_max);
  if (!from_original) return shrunk;  // the capsule's reason
  std::printf("schedule     from the original run: the capsule's %s\n",
              shrunk.error().to_string().c_str());
  return from_original;
}

// Writes the shrunk schedule as a counterexample file; prints the step counts and its replay
// command.
int shrink_to_schedule(const ShrinkArgs& args, const BoundScenario& original,
                       const ShrinkResult& result, const std::string& out) {
  auto shrunk = shrink_either_schedule(args, original, result, out);
  if (!shrunk) return usage_error("--schedule: " + shrunk.error().to_string());
  const explore::Counterexample& c = shrunk->counterexample;
  if (auto written = write_text_file(args.schedule, explore::to_json(c)); !written)
    return usage_error("--schedule " + written.error().to_string());
  std::printf("schedule     %zu steps -> %zu (%zu enabled up to the violation), %s: %s\n",
              shrunk->recorded, c.steps.size(), shrunk->to_violation, c.property.c_str(),
              c.detail.c_str());
  std::printf("schedule     %llu candidate schedules run%s; written to %s\n",
              static_cast<unsigned long long>(shrunk->runs),
              shrunk->runs_exhausted ? " (--schedule-runs-max ran out; not 1-minimal)" : "",
              args.schedule.c_str());
  std::printf("schedule repro: %s replay %s\n", program_name().c_str(), args.schedule.c_str());
  return exit_ok;
}

int shrink_file(const ShrinkArgs& args) {
  auto budget = run_budget(args.budget);
  if (!budget) return usage_error(budget.error().to_string());
  if (auto limits = WallAndMemoryLimits::from(args.budget); !limits)
    return usage_error(limits.error().to_string());
  // Loading it the usual way first gives the usual errors (file, key path, line).
  auto bound = load_scenario_file(args.path, args.overrides);
  if (!bound) return usage_error(bound.error().to_string());
  auto text = scenario::read_scenario_file(args.path);
  if (!text) return usage_error(text.error().to_string());
  auto entry = find_protocol(bound->protocol, args.path + ": protocol");
  if (!entry) return usage_error(entry.error().to_string());
  ShrinkOptions options;
  options.runs_max = args.runs_max;
  options.budget = args.budget;
  auto result = shrink(**entry, *text, args.path, args.overrides, args.seed, options);
  if (!result) return usage_error(result.error().to_string());
  const std::string out = args.out.empty() ? default_out(args) : args.out;
  const std::string capsule = capsule_file_text(*result, args.path, command_line(args, out), out);
  if (auto written = write_text_file(out, capsule); !written)
    return usage_error("--out " + written.error().to_string());
  print_summary(*result, out);
  return args.schedule.empty() ? exit_ok : shrink_to_schedule(args, *bound, *result, out);
}

}  // namespace

void add_shrink_command(CLI::App& app) {
  auto args = std::make_shared<ShrinkArgs>();
  CLI::App* command = app.add_subcommand(
      "shrink", "Shrink a failing seed of a scenario to a small capsule that fails the same way");
  command->add_option("FILE", args->path, "Scenario file (YAML)")->required();
  command->add_option("--seed", args->seed, "The failing seed")
      ->required()
      ->check(unsigned_decimal());
  command->add_option("--out", args->out,
                      "Where to write the capsule (default: STEM.seedN.capsule.yaml here)");
  command->add_option("--set", args->overrides,
                      "Override a cluster.config key (key=value), or a workload key "
                      "(workload.key=value); baked into the capsule; repeatable");
  command
      ->add_option("--runs-max", args->runs_max,
                   "Simulator runs in all, the original's included (default 500)")
      ->check(unsigned_decimal(1, 1'000'000));
  command->add_option("--schedule", args->schedule,
                      "Also shrink the capsule's run to the fewest model-checker steps that still "
                      "break the same property; write them as a counterexample file (JSON)");
  command
      ->add_option("--schedule-runs-max", args->schedule_runs_max,
                   "Candidate schedules for --schedule (default 20,000)")
      ->check(unsigned_decimal(1, 10'000'000));
  add_budget_options(command, args->budget);
  command->callback([args] { exit_code() = shrink_file(*args); });
}

}  // namespace faultline::cli
