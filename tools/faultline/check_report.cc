// The report of `faultline check`: what was explored, how fast, in how much memory, and what
// held; or the counterexample, written to a file that `faultline replay` runs.
#include <algorithm>
#include <fstream>
#include <iomanip>
#include <sstream>

#include <fmt/core.h>

#include "tools/faultline/check_entry.h"
#include "tools/faultline/commands.h"
#include "tools/faultline/process_memory.h"
#include "tools/faultline/run_tasks.h"

namespace faultline::cli {

namespace {

std::string mebibytes(std::uint64_t bytes) {
  std::ostringstream text;
  text << std::fixed << std::setprecision(1) << static_cast<double>(bytes) / (1024.0 * 1024.0)
       << " MiB";
  return text.str();
}

std::string bound_text(std::uint64_t value) { return value == 0 ? "none" : std::to_string(value); }

std::string joined(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

void print_header(const ModelSummary& model, const explore::SearchOptions& options,
                  std::ostream& out) {
  out << "check " << model.protocol << ": " << model.node_count << " nodes, strategy "
      << explore::to_string(options.strategy) << ", network "
      << (model.sent_set ? "set" : "multiset") << (model.symmetry ? ", symmetry" : "")
      << (options.exact ? ", exact" : "")
      << (options.workers > 1 ? ", " + std::to_string(options.workers) + " workers" : "")
      << ", crashes-max " << model.crashes_max << ", drops-max "
      << (model.drops_max == 0xffffffffu ? std::string("unbounded")
                                         : std::to_string(model.drops_max))
      << ", depth-max " << bound_text(options.depth_max) << ", states-max "
      << bound_text(options.states_max) << "\n";
}

// The chance that two of `n` distinct states got the same fingerprint, so one was skipped as
// seen: n(n-1)/2 pairs over 2^64 values (TLC's "calculated" estimate), as "2.2e-17".
std::string collision_risk(std::uint64_t n) {
  const double pairs = static_cast<double>(n) * (static_cast<double>(n) - 1) / 2;
  if (pairs <= 0) return "0";
  return fmt::format("{:.1e}", std::min(1.0, pairs / 18446744073709551616.0));
}

void print_figures(const ModelSummary& model, const explore::SearchResult& r, bool exact,
                   double seconds, std::ostream& out) {
  const double rate = seconds > 0 ? static_cast<double>(r.states_unique) / seconds : 0;
  out << "  states explored  " << r.states_explored << "\n";
  out << "  unique states    " << r.states_unique
      << (model.symmetry ? " (orbits under the symmetry)" : "") << "\n";
  if (exact)
    out << "  collision risk   none (--exact: states stored whole, "
        << fmt::format("{:.1f}", visited_bytes_per_state(r))
        << " bytes a state in the visited sets and trail)\n";
  else
    out << "  collision risk   " << collision_risk(r.states_unique)
        << " (any two of the unique states sharing a 64-bit fingerprint)\n";
  out << "  maximum depth    " << r.depth_reached << "\n";
  out << "  states/s         " << static_cast<std::uint64_t>(rate) << " unique (" << std::fixed
      << std::setprecision(2) << seconds << " s)\n";
  out << "  peak memory      " << mebibytes(peak_memory_bytes()) << " (visited set and trail "
      << mebibytes(r.visited_bytes) << ", frontier peak " << r.frontier_peak << " states)\n";
}

int print_violation(const explore::SearchResult& r, const explore::Counterexample& file,
                    const CheckArgs& args, std::ostream& out) {
  out << "  result           VIOLATION of " << r.violation->property << "\n\n"
      << explore::format_counterexample(file);
  std::ofstream stream(args.out_path, std::ios::binary);
  stream << explore::to_json(file);
  if (!stream) {
    out << "error: cannot write the counterexample to " << args.out_path << "\n";
  } else {
    out << "\ncounterexample written to " << args.out_path << "; replay it with: " << program_name()
        << " replay " << args.out_path << "  (or " << program_name() << " check --replay "
        << args.out_path << ")\n";
  }
  return exit_safety;
}

void print_result(const explore::SearchResult& r, const explore::SearchOptions& options,
                  std::ostream& out) {
  if (r.exhausted)
    out << "  result           exhausted: every reachable state was explored\n";
  else if (r.bound == explore::Bound::depth)
    out << "  result           bounded: --depth-max " << options.depth_max
        << " was hit (not exhaustive)\n";
  else if (r.bound == explore::Bound::states)
    out << "  result           bounded: --states-max " << options.states_max
        << " was hit (not exhaustive)\n";
  else if (r.bound == explore::Bound::limit)
    out << "  result           STOPPED at the " << r.limit_stop->text()
        << " (not exhaustive; raise it with --max-wall-time or --max-memory, 0: none)\n";
  else
    out << "  result           sampled: random walks (never exhaustive)\n";
}

// What held, by property kind; returns the exit code (a sometimes never reached is exit 3).
int print_held(const ModelSummary& model, const PropertyNames& properties,
               const explore::SearchResult& r, std::ostream& out) {
  if (!properties.always.empty())
    out << "  always           " << joined(properties.always) << ": held in every explored state\n";
  if (!model.history_checks.empty())
    out << "  history          " << joined(model.history_checks)
        << ": held on every client history (" << r.histories_checked << " distinct)\n";
  if (!properties.transition.empty())
    out << "  transition       " << joined(properties.transition)
        << ": held on every explored step (" << r.steps_checked << " distinct steps of a node)\n";
  for (const auto& name : r.eventually_unchecked)
    out << "  eventually       " << name
        << ": not checked by the explorer (faultline run checks it)\n";
  for (const auto& name : properties.sometimes) {
    const bool missed = std::find(r.sometimes_unreached.begin(), r.sometimes_unreached.end(),
                                  name) != r.sometimes_unreached.end();
    out << "  sometimes        " << name << ": "
        << (missed ? "NEVER reached (the model may be vacuous)" : "reached") << "\n";
  }
  return r.sometimes_unreached.empty() ? exit_ok : exit_liveness;
}

}  // namespace

Result<explore::SearchOptions> search_options(const CheckArgs& args) {
  explore::SearchOptions options;
  options.strategy = parse_strategy(args.strategy);
  options.depth_max = args.depth_max;
  options.states_max = args.states_max;
  options.seed = args.seed;
  options.exact = args.exact;
  if (args.workers == 0) return fail("--workers", 0, "at least one worker");
  if (args.workers > 64) return fail("--workers", 0, "at most 64 workers");
  if (args.workers > 1 && args.exact) return fail("--workers", 0, "not with --exact");
  if (args.workers > 1 && options.strategy != explore::Strategy::bfs &&
      options.strategy != explore::Strategy::guided)
    return fail("--workers", 0, "applies to --strategy bfs and guided");
  options.workers = args.workers;
  if (args.workers > 1) options.run_tasks = &run_tasks_on_threads;
  return options;
}

explore::Strategy parse_strategy(const std::string& name) {
  if (name == "dfs") return explore::Strategy::dfs;
  if (name == "random") return explore::Strategy::random;
  if (name == "guided") return explore::Strategy::guided;
  return explore::Strategy::bfs;
}

int print_check_report(const ModelSummary& model, const PropertyNames& properties,
                       const CheckArgs& args, const explore::SearchOptions& options,
                       const explore::SearchResult& result, double seconds,
                       const std::optional<explore::Counterexample>& counterexample,
                       std::ostream& out) {
  print_header(model, options, out);
  print_figures(model, result, options.exact, seconds, out);
  if (counterexample) return print_violation(result, *counterexample, args, out);
  print_result(result, options, out);
  const int held = print_held(model, properties, result, out);
  // A search cut short by wall time or memory was not judged, like a run stopped at a budget
  // (a `sometimes` it had not reached yet may still be reachable); a violation found before the
  // stop returned above.
  return result.bound == explore::Bound::limit ? exit_budget : held;
}

}  // namespace faultline::cli
