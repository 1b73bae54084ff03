// `faultline bench check`: the model checker's unique states per second on 2PC (three
// configurations, best of three), beside SPIN on the Promela model of the first one
// (bench/spin/two_phase_commit.pml, run by bench/spin/run.sh when spin and gcc are present).
// Wall-clock time is read here, in the tool, never inside sim/explore.
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

namespace faultline::two_phase_commit {

namespace {

struct Case {
  std::string label;
  std::uint32_t nodes;
  bool sent_set;
  std::uint32_t crashes_max;
};

struct Measured {
  double rate = 0;  // unique states per second, best of three
  std::uint64_t states = 0;
};

Measured measure_faultline(const Case& c, std::ostream& out) {
  Config config;
  config.stages = {Ratio{1, 2}};
  config.on_abort = OnAbort::halt;
  auto model = *Binding::model(config, c.nodes, ModelOptions{});
  model.sent_set = c.sent_set;
  model.crashes_max = c.crashes_max;
  const auto properties = check_suite(config).properties;
  Measured best;
  explore::SearchResult result;
  for (int round = 0; round < 3; ++round) {  // best of three, as the engine bench does
    const auto start = std::chrono::steady_clock::now();
    result = explore::explore(model, properties, explore::SearchOptions{});
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best.rate = std::max(best.rate, static_cast<double>(result.states_unique) / seconds);
  }
  best.states = result.states_unique;
  out << "  faultline  " << std::left << std::setw(44) << c.label << std::right << std::setw(10)
      << result.states_unique << " states  " << std::setw(10)
      << static_cast<std::uint64_t>(best.rate) << " states/s"
      << (result.exhausted ? "  (exhausted)" : "") << "\n";
  return best;
}

// SPIN's figures from bench/spin/run.sh (echoed): states per second and seconds per run, or
// none when the script or spin is missing.
struct SpinFigures {
  double rate = 0;
  double seconds_per_run = 0;
};

std::optional<SpinFigures> measure_spin(const std::string& source_dir, std::ostream& out) {
  const std::string script = source_dir + "/bench/spin/run.sh";
  std::FILE* pipe = popen(("bash '" + script + "' 2>&1").c_str(), "r");
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
    out << "  " << line << "\n";
    const auto at = line.find("spin_states_per_second=");
    if (at != std::string::npos) spin.rate = std::stod(line.substr(at + 23));
    const auto per_run = line.find("spin_seconds_per_run=");
    if (per_run != std::string::npos) spin.seconds_per_run = std::stod(line.substr(per_run + 21));
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

}  // namespace

int run_check_benchmark(const Benchmark::Context& context) {
  std::ostream& out = context.out;
  out << "model checker benchmark (one core): unique states per second\n";
  // The SPIN model (bench/spin/two_phase_commit.pml) is the multiset configuration of the first
  // row.
  const std::vector<Case> cases = {{"2PC 2 participants, multiset, 1 stage", 3, false, 0},
                                   {"2PC 3 participants, set network, 1 stage", 4, true, 0},
                                   {"2PC 2 participants, multiset, 1 crash", 3, false, 1}};
  Measured first;
  for (const Case& c : cases) {
    const Measured measured = measure_faultline(c, out);
    if (first.rate == 0) first = measured;
  }
  const auto spin = measure_spin(context.source_dir, out);
  if (!spin) return 0;
  out << "  ratio      faultline / SPIN = " << std::fixed << std::setprecision(3)
      << first.rate / spin->rate << "  (" << faster(spin->rate, first.rate)
      << " by SPIN's own stored-state count; target: SPIN within 3x)\n";
  if (spin->seconds_per_run > 0) {
    // SPIN stores fewer states than it visits (its 'stored' count is below the reachable set,
    // which equals faultline's: sim/explore/README.md); the same space over SPIN's time is fairer.
    const double same_space = static_cast<double>(first.states) / spin->seconds_per_run;
    out << "  ratio      same space (" << first.states << " states / SPIN's time): SPIN "
        << std::setprecision(0) << same_space << " states/s, " << faster(same_space, first.rate)
        << "\n";
  }
  return 0;
}

}  // namespace faultline::two_phase_commit
