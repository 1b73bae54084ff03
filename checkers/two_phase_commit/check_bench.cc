// `faultline bench check`: the model checker's unique states per second on 2PC (three
// configurations, best of three; the first again with --exact, --symmetry, 2 workers and without
// the step memo), beside SPIN on the Promela model of the first one
// (bench/spin/two_phase_commit.pml, run by bench/spin/run.sh when spin and gcc are present),
// without and with each side's reductions.
// `faultline bench two_phase_commit-check-large`: the rate against the size of the space, up to
// the 16 M-state 3-participant space, beside SPIN on it. Wall-clock time is read here, in the
// tool, never inside sim/explore.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iomanip>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "checkers/two_phase_commit/binding.h"
#include "sim/explore/explorer.h"
#include "tools/faultline/check_entry.h"
#include "tools/faultline/run_tasks.h"

namespace faultline::two_phase_commit {

namespace {

struct Case {
  std::string label;
  std::uint32_t nodes;
  bool sent_set;
  std::uint32_t crashes_max;
  bool symmetry = false;
  bool exact = false;
  int rounds = 3;
  std::uint32_t workers = 1;
  bool step_memo = true;
};

struct Measured {
  double rate = 0;     // unique states per second, best of the rounds
  double seconds = 0;  // the best round's time
  std::uint64_t states = 0;
  double bytes_per_state = 0;  // the visited sets and trail, over the unique states
};

explore::Model<TwoPhaseCommit> bench_model(const Case& c) {
  Config config;
  config.stages = {Ratio{1, 2}};
  config.on_abort = OnAbort::halt;
  auto model = *Binding::model(config, c.nodes, ModelOptions{});
  model.sent_set = c.sent_set;
  model.crashes_max = c.crashes_max;
  if (c.symmetry) model.symmetry = Binding::symmetry(model);
  return model;
}

Measured measure_faultline(const Case& c, std::ostream& out) {
  const auto model = bench_model(c);
  const auto properties = check_suite(model.config).properties;
  explore::SearchOptions options;
  options.exact = c.exact;
  options.workers = c.workers;
  options.step_memo = c.step_memo;
  if (c.workers > 1) options.run_tasks = &cli::run_tasks_on_threads;
  Measured best;
  explore::SearchResult result;
  for (int round = 0; round < c.rounds; ++round) {  // best of three, as the engine bench does
    const auto start = std::chrono::steady_clock::now();
    result = explore::explore(model, properties, options);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (best.seconds == 0 || seconds < best.seconds) best.seconds = seconds;
  }
  best.states = result.states_unique;
  best.rate = static_cast<double>(best.states) / best.seconds;
  best.bytes_per_state = cli::visited_bytes_per_state(result);
  out << "  faultline  " << std::left << std::setw(50) << c.label << std::right << std::setw(10)
      << result.states_unique << " states  " << std::setw(10)
      << static_cast<std::uint64_t>(best.rate) << " states/s  " << std::fixed
      << std::setprecision(3) << best.seconds << " s  " << std::setprecision(1)
      << best.bytes_per_state << " B/state" << (result.exhausted ? "  (exhausted)" : "") << "\n"
      << std::defaultfloat;
  return best;
}

// SPIN's figures from bench/spin/run.sh (echoed), or none when the script or spin is missing.
struct SpinFigures {
  double rate = 0;
  double seconds_per_run = 0;
  double bytes_per_state = 0;
};

// One `name=value` line of run.sh's machine-readable tail, into `value`.
void read_figure(const std::string& line, const std::string& name, double& value) {
  const auto at = line.find(name + "=");
  if (at != std::string::npos) value = std::stod(line.substr(at + name.size() + 1));
}

std::optional<SpinFigures> measure_spin(const std::string& source_dir, int participants, int rounds,
                                        const std::string& reduction, std::ostream& out) {
  const std::string script = source_dir + "/bench/spin/run.sh";
  const std::string command = "bash '" + script + "' " + std::to_string(participants) + " " +
                              std::to_string(rounds) + " " + reduction + " 2>&1";
  std::FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    out << "  spin       could not start " << script << "\n";
    return std::nullopt;
  }
  std::string output;
  char buffer[4096];
  while (std::fgets(buffer, sizeof(buffer), pipe) != nullptr) output += buffer;
  const int status = pclose(pipe);
  SpinFigures spin;
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.find('=') == std::string::npos) out << "  " << line << "\n";
    read_figure(line, "spin_states_per_second", spin.rate);
    read_figure(line, "spin_seconds_per_run", spin.seconds_per_run);
    read_figure(line, "spin_bytes_per_state", spin.bytes_per_state);
  }
  if (status == 0 && spin.rate > 0) return spin;
  out << "  spin       not measured (is the Debian package `spin` installed? "
         "tools/install-deps.sh)\n";
  return std::nullopt;
}

// "SPIN is 1.8x faster" or "faultline is 1.2x faster": the factor is always at least 1.
std::string faster(double spin, double faultline) {
  std::ostringstream text;
  text << std::fixed << std::setprecision(1);
  if (spin >= faultline)
    text << "SPIN is " << spin / faultline << "x faster";
  else
    text << "faultline is " << faultline / spin << "x faster";
  return text.str();
}

// The unreduced comparison: rates by SPIN's stored count and over the same state set.
void print_unreduced_ratios(const Measured& faultline, const SpinFigures& spin,
                            const std::string& label, std::ostream& out) {
  out << "  ratio      " << label << " / SPIN = " << std::fixed << std::setprecision(3)
      << faultline.rate / spin.rate << "  (" << faster(spin.rate, faultline.rate)
      << " by SPIN's own stored-state count)\n";
  // SPIN stores fewer states than it visits (its 'stored' count is below the reachable set,
  // which equals faultline's: sim/explore/README.md); the same space over SPIN's time is fairer.
  const double same_space = static_cast<double>(faultline.states) / spin.seconds_per_run;
  out << "  ratio      same space (" << faultline.states << " states / SPIN's time): SPIN "
      << std::setprecision(0) << same_space << " states/s, " << faster(same_space, faultline.rate)
      << "\n"
      << std::defaultfloat;
}

// Time to verify, each side with its reductions: faultline's symmetry against SPIN's
// partial-order reduction (a time ratio: the two reduce to different state counts).
void print_reduced_ratio(const Measured& faultline, const SpinFigures& spin, std::ostream& out) {
  out << "  ratio      time to verify, each side's reductions on: faultline " << std::fixed
      << std::setprecision(3) << faultline.seconds << " s, SPIN " << spin.seconds_per_run
      << " s: " << faster(1 / spin.seconds_per_run, 1 / faultline.seconds) << "\n"
      << std::defaultfloat;
}

void print_bytes_ratio(const Measured& exact, const SpinFigures& spin, std::ostream& out) {
  out << "  memory     whole states: faultline --exact " << std::fixed << std::setprecision(1)
      << exact.bytes_per_state << " bytes a state, SPIN " << spin.bytes_per_state
      << " (states + hash table over states stored)\n"
      << std::defaultfloat;
}

}  // namespace

int run_check_benchmark(const Benchmark::Context& context) {
  std::ostream& out = context.out;
  out << "model checker benchmark (one core): unique states per second\n";
  // The SPIN model (bench/spin/two_phase_commit.pml) is the multiset configuration of the first
  // row.
  const Case two{"2PC 2 participants, multiset, 1 stage", 3, false, 0};
  const Measured first = measure_faultline(two, out);
  measure_faultline({"2PC 3 participants, set network, 1 stage", 4, true, 0}, out);
  measure_faultline({"2PC 2 participants, multiset, 1 crash", 3, false, 1}, out);
  Case exact = two;
  exact.label += ", --exact";
  exact.exact = true;
  const Measured whole = measure_faultline(exact, out);
  Case symmetric = two;
  symmetric.label += ", --symmetry";
  symmetric.symmetry = true;
  const Measured reduced = measure_faultline(symmetric, out);
  Case parallel = two;
  parallel.label += ", 2 workers";
  parallel.workers = 2;
  const Measured two_workers = measure_faultline(parallel, out);
  Case every_handler = two;  // what the step memo (sim/explore/step_memo.h) saves
  every_handler.label += ", no step memo";
  every_handler.step_memo = false;
  measure_faultline(every_handler, out);
  const auto spin = measure_spin(context.source_dir, 2, 20, "none", out);
  if (!spin) return 0;
  print_unreduced_ratios(first, *spin, "faultline", out);
  print_unreduced_ratios(two_workers, *spin, "faultline, 2 workers,", out);
  print_bytes_ratio(whole, *spin, out);
  if (const auto por = measure_spin(context.source_dir, 2, 20, "por", out))
    print_reduced_ratio(reduced, *por, out);
  return 0;
}

// The large space and the curve of rate against size: 2PC from 382 to 16 M states (one run
// each), then SPIN once on the 3-participant space.
int run_large_check_benchmark(const Benchmark::Context& context) {
  std::ostream& out = context.out;
  if (!context.settings.empty()) {
    out << "error: two_phase_commit-check-large takes no --set options\n";
    return 2;
  }
  out << "model checker, 2PC from 382 to 16 M states (one core, one run each): states/s "
         "against states explored\n";
  const std::vector<Case> ladder = {
      {"1 participant, multiset", 2, false, 0, false, false, 1},
      {"1 participant, multiset, 1 crash", 2, false, 1, false, false, 1},
      {"2 participants, multiset", 3, false, 0, false, false, 1},
      {"2 participants, multiset, 1 crash", 3, false, 1, false, false, 1},
      {"3 participants, multiset, --symmetry", 4, false, 0, true, false, 1},
      {"3 participants, multiset", 4, false, 0, false, false, 1},
      {"3 participants, multiset, 2 workers", 4, false, 0, false, false, 1, 2},
      {"3 participants, multiset, --exact", 4, false, 0, false, true, 1}};
  Measured full;
  Measured parallel;
  Measured whole;
  Measured reduced;
  for (const Case& c : ladder) {
    const Measured measured = measure_faultline(c, out);
    if (c.nodes != 4) continue;
    if (c.symmetry)
      reduced = measured;
    else if (c.exact)
      whole = measured;
    else
      (c.workers > 1 ? parallel : full) = measured;
  }
  const auto spin = measure_spin(context.source_dir, 3, 1, "none", out);
  if (!spin) return 0;
  print_unreduced_ratios(full, *spin, "faultline", out);
  print_unreduced_ratios(parallel, *spin, "faultline, 2 workers,", out);
  print_bytes_ratio(whole, *spin, out);
  // SPIN's partial-order reduction has nothing to reduce in a one-process model (bench check
  // shows the same stored count with it): SPIN's time is its time with reductions on.
  print_reduced_ratio(reduced, *spin, out);
  return 0;
}

}  // namespace faultline::two_phase_commit
