#include "tools/faultline/report.h"

#include <fmt/core.h>

#include <map>

#include "sim/core/text.h"
#include "sim/engine/stats.h"
#include "tools/faultline/commands.h"

namespace faultline::cli {

namespace {

std::string plural(std::uint64_t n, std::string_view one, std::string_view many) {
  return format_count(n) + " " + std::string(n == 1 ? one : many);
}

// Three significant figures for tables ("13.7ms", "2.01s"); JSON keeps exact nanoseconds.
std::string short_duration(Duration d) {
  const double ns = static_cast<double>(d.nanoseconds);
  if (d.nanoseconds == 0) return "0";
  const auto three = [](double v, const char* unit) {
    return fmt::format("{:.{}f}{}", v, v >= 100 ? 0 : v >= 10 ? 1 : 2, unit);
  };
  if (ns >= 1e9) return three(ns / 1e9, "s");
  if (ns >= 1e6) return three(ns / 1e6, "ms");
  if (ns >= 1e3) return three(ns / 1e3, "us");
  return fmt::format("{}ns", d.nanoseconds);
}

}  // namespace

void print_metrics_table(std::FILE* out, const Metrics& metrics, std::string_view clock) {
  if (metrics.empty()) return;
  const std::string title = "timing (" + std::string(clock) + ")";
  std::fprintf(out, "%-26s count        min        p50        p90        p99        max\n",
               title.c_str());
  for (const auto& [name, samples] : metrics) {
    const Summary s = summarize(samples);
    std::fprintf(out, "  %-22s %7zu %10s %10s %10s %10s %10s\n", name.c_str(), s.count,
                 short_duration(s.min).c_str(), short_duration(s.p50).c_str(),
                 short_duration(s.p90).c_str(), short_duration(s.p99).c_str(),
                 short_duration(s.max).c_str());
  }
}

std::string result_text(RunStatus status) {
  switch (status) {
    case RunStatus::passed: return "PASSED";
    case RunStatus::safety_violation: return "FAILED (safety violated)";
    case RunStatus::liveness_violation: return "FAILED (liveness or timing missed)";
    case RunStatus::budget_exceeded: return "STOPPED (a budget ran out; not judged)";
  }
  return "?";
}

namespace {

const char* verdict_tag(const CheckVerdict& v) {
  if (!v.evaluated) return "--";
  return v.passed ? "ok" : "FAIL";
}

}  // namespace

void print_checks_table(std::FILE* out, const std::vector<CheckVerdict>& verdicts) {
  std::fprintf(out, "checks\n");
  for (const auto& v : verdicts)
    std::fprintf(out, "  %-4s %-26s %-10s %s\n", verdict_tag(v), v.name.c_str(), v.kind.c_str(),
                 v.detail.c_str());
}

namespace {

// "2 crashes, 2 restarts, 5 partitions, 1 clog", or "none".
std::string faults_text(const std::map<std::string, std::uint32_t>& by_kind) {
  std::string text;
  for (const auto& [kind, n] : by_kind) {
    if (!text.empty()) text += ", ";
    const std::string one = kind == "network" ? "network change" : kind;
    const std::string many = one.ends_with("h") ? one + "es" : one + "s";
    text += plural(n, one, many);
  }
  return text.empty() ? "none" : text;
}

}  // namespace

nlohmann::json metrics_json(const Metrics& metrics) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, samples] : metrics) {
    const Summary s = summarize(samples);
    out[name] = {{"count", s.count},
                 {"min_ns", s.min.nanoseconds},
                 {"p50_ns", s.p50.nanoseconds},
                 {"p90_ns", s.p90.nanoseconds},
                 {"p99_ns", s.p99.nanoseconds},
                 {"max_ns", s.max.nanoseconds}};
  }
  return out;
}

namespace {

std::string hex(std::uint64_t value) { return fmt::format("{:016x}", value); }

}  // namespace

std::string repro_command(const ReproArgs& args, std::uint64_t seed, std::uint64_t fingerprint) {
  std::string command =
      program_name() + " replay " + quote_if_needed(args.path) + " --seed " + std::to_string(seed);
  for (const auto& o : args.overrides) command += " --set " + quote_if_needed(o);
  if (args.wire) command += " --wire";
  command += " --fingerprint " + hex(fingerprint);
  return command;
}

int exit_code_for(RunStatus status) {
  switch (status) {
    case RunStatus::passed: return exit_ok;
    case RunStatus::safety_violation: return exit_safety;
    case RunStatus::liveness_violation: return exit_liveness;
    case RunStatus::budget_exceeded: return exit_budget;
  }
  return exit_usage;
}

RunStatus worse_of(RunStatus a, RunStatus b) {
  const auto severity = [](RunStatus s) {
    switch (s) {
      case RunStatus::passed: return 0;
      case RunStatus::budget_exceeded: return 1;
      case RunStatus::liveness_violation: return 2;
      case RunStatus::safety_violation: return 3;
    }
    return 0;
  };
  return severity(b) > severity(a) ? b : a;
}

void print_run(std::FILE* out, const BoundScenario& bound, const RunOutcome& o) {
  const auto& s = bound.scenario;
  std::fprintf(out, "scenario     %s (%s, %zu nodes) from %s\n", s.name.c_str(),
               bound.protocol.c_str(), s.node_names.size(), bound.path.c_str());
  std::fprintf(out, "seed         %llu\n", static_cast<unsigned long long>(o.seed));
  std::fprintf(out, "result       %s\n", result_text(o.status).c_str());
  std::fprintf(out, "events       %s processed\n", format_count(o.events).c_str());
  std::string phases = "safety phase " + format_duration(s.run.until);
  if (o.convergence)
    phases += ", converged " + format_duration(*o.convergence) + " after faults stopped";
  std::fprintf(out, "virtual time %s (%s)\n", format_time(o.end).c_str(), phases.c_str());
  const NetworkStats& n = o.network;
  std::fprintf(out,
               "network      %s sent, %s delivered, %s duplicated, %s reordered; dropped: %s "
               "partition, %s loss, %s queue full, %s node down\n",
               format_count(n.sent).c_str(), format_count(n.delivered).c_str(),
               format_count(n.duplicated).c_str(), format_count(n.reordered).c_str(),
               format_count(n.dropped_partition).c_str(), format_count(n.dropped_loss).c_str(),
               format_count(n.dropped_queue_full).c_str(),
               format_count(n.dropped_node_down).c_str());
  std::fprintf(out, "faults       %s\n", faults_text(o.faults_by_kind).c_str());
  print_checks_table(out, o.verdicts);
  print_metrics_table(out, o.metrics, "virtual time");
  std::fprintf(out, "fingerprint  %s\n", hex(o.fingerprint).c_str());
  if (o.status != RunStatus::passed) std::fprintf(out, "failure      %s\n", o.failure.c_str());
}

nlohmann::json checks_json(const std::vector<CheckVerdict>& verdicts) {
  nlohmann::json checks = nlohmann::json::array();
  for (const auto& v : verdicts)
    checks.push_back({{"name", v.name},
                      {"kind", v.kind},
                      {"passed", v.passed},
                      {"evaluated", v.evaluated},
                      {"detail", v.detail}});
  return checks;
}

nlohmann::json run_json(const BoundScenario& bound, const RunOutcome& o) {
  const nlohmann::json checks = checks_json(o.verdicts);
  const NetworkStats& n = o.network;
  nlohmann::json out = {
      {"scenario", bound.scenario.name},
      {"protocol", bound.protocol},
      {"path", bound.path},
      {"nodes", bound.scenario.node_names.size()},
      {"seed", o.seed},
      {"status", std::string(to_string(o.status))},
      {"exit_code", exit_code_for(o.status)},
      {"failure", o.failure},
      {"events", o.events},
      {"virtual_time_ns", o.end.nanoseconds},
      {"safety_end_ns", o.safety_end.nanoseconds},
      {"fingerprint", hex(o.fingerprint)},
      {"network",
       {{"sent", n.sent},
        {"delivered", n.delivered},
        {"duplicated", n.duplicated},
        {"reordered", n.reordered},
        {"dropped_partition", n.dropped_partition},
        {"dropped_loss", n.dropped_loss},
        {"dropped_queue_full", n.dropped_queue_full},
        {"dropped_node_down", n.dropped_node_down}}},
      {"crashes", o.crashes},
      {"restarts", o.restarts},
      {"faults", o.faults_by_kind},
      {"checks", checks},
      {"metrics", metrics_json(o.metrics)},
  };
  if (o.convergence) out["convergence_ns"] = o.convergence->nanoseconds;
  if (o.budget_stop)
    out["budget"] = {{"name", o.budget_stop->budget}, {"detail", o.budget_stop->detail}};
  return out;
}

namespace {
Metrics merged_metrics(const SeedsSummary& summary) {
  Metrics merged;
  for (const auto& o : summary.outcomes)
    for (const auto& [name, samples] : o.metrics)
      merged[name].insert(merged[name].end(), samples.begin(), samples.end());
  return merged;
}
}  // namespace

namespace {

// Per-check failure counts over a sweep, and how many runs ended each way.
struct SweepTally {
  std::size_t passed = 0;
  std::size_t stopped = 0;  // at a budget
  std::uint64_t events = 0;
  std::map<std::string, std::size_t> failures_by_check;
  std::map<std::string, std::size_t> not_evaluated_by_check;
};

SweepTally tally(const SeedsSummary& summary) {
  SweepTally t;
  for (const auto& o : summary.outcomes) {
    t.events += o.events;
    if (o.status == RunStatus::passed) ++t.passed;
    if (o.status == RunStatus::budget_exceeded) ++t.stopped;
    for (const auto& v : o.verdicts) {
      if (!v.evaluated)
        ++t.not_evaluated_by_check[v.name];
      else if (!v.passed)
        ++t.failures_by_check[v.name];
    }
  }
  return t;
}

void print_failing_seeds(std::FILE* out, const SeedsSummary& summary, const ReproArgs& repro) {
  std::vector<const RunOutcome*> failing;
  for (const auto& o : summary.outcomes)
    if (o.status != RunStatus::passed) failing.push_back(&o);
  if (failing.empty()) return;
  std::fprintf(out, "failing seeds");
  for (std::size_t i = 0; i < failing.size() && i < 20; ++i)
    std::fprintf(out, " %llu", static_cast<unsigned long long>(failing[i]->seed));
  if (failing.size() > 20) std::fprintf(out, " ... (%zu more)", failing.size() - 20);
  std::fprintf(out, "\nfirst failure seed %llu: %s\n",
               static_cast<unsigned long long>(failing[0]->seed), failing[0]->failure.c_str());
  std::fprintf(out, "repro: %s\n",
               repro_command(repro, failing[0]->seed, failing[0]->fingerprint).c_str());
}

void print_determinism(std::FILE* out, const SeedsSummary& summary) {
  if (!summary.determinism_checked) return;
  if (summary.nondeterminism.empty()) {
    std::fprintf(out, "determinism  every seed ran twice with the same fingerprint\n");
    return;
  }
  std::fprintf(out, "determinism  NOT DETERMINISTIC in %s\n",
               plural(summary.nondeterminism.size(), "seed", "seeds").c_str());
  for (std::size_t i = 0; i < summary.nondeterminism.size() && i < 20; ++i)
    std::fprintf(out, "  %s\n", summary.nondeterminism[i].c_str());
}

}  // namespace

std::optional<std::string> determinism_difference(const RunOutcome& first,
                                                  const RunOutcome& second) {
  const auto machine_stop = [](const RunOutcome& o) {
    return o.budget_stop && !o.budget_stop->reproducible();
  };
  if (machine_stop(first) || machine_stop(second)) return std::nullopt;
  if (first.fingerprint == second.fingerprint && first.events == second.events &&
      first.status == second.status)
    return std::nullopt;
  return "seed " + std::to_string(first.seed) + ": fingerprint " + hex(first.fingerprint) +
         " then " + hex(second.fingerprint) + ", events " + format_count(first.events) + " then " +
         format_count(second.events) + ", " + std::string(to_string(first.status)) + " then " +
         std::string(to_string(second.status));
}

int seeds_exit_code(const SeedsSummary& summary) {
  if (!summary.nondeterminism.empty()) return exit_safety;
  return exit_code_for(worst_status(summary));
}

JunitCase seeds_junit_case(const BoundScenario& bound, const SeedsSummary& summary,
                           const ReproArgs& repro) {
  JunitCase c;
  c.name = bound.scenario.name + " (seeds " + std::to_string(summary.seed_start) + ".." +
           std::to_string(summary.seed_start + summary.seed_count - 1) + ")";
  c.classname = "faultline.run." + bound.protocol;
  const RunOutcome* first = nullptr;
  std::size_t failed = 0;
  for (const auto& o : summary.outcomes)
    if (o.status != RunStatus::passed && ++failed == 1) first = &o;
  if (!summary.nondeterminism.empty()) {
    c.result = JunitCase::Result::failure;
    c.message = "not deterministic: " + summary.nondeterminism.front();
    return c;
  }
  if (first == nullptr) return c;
  const bool judged = worst_status(summary) != RunStatus::budget_exceeded;
  c.result = judged ? JunitCase::Result::failure : JunitCase::Result::error;
  c.message = first->failure + " (" + format_count(failed) + " of " +
              plural(summary.outcomes.size(), "seed", "seeds") + ")";
  c.text = "first failing seed " + std::to_string(first->seed) +
           "\nrepro: " + repro_command(repro, first->seed, first->fingerprint) + "\n";
  return c;
}

void print_seeds(std::FILE* out, const BoundScenario& bound, const SeedsSummary& summary,
                 const ReproArgs& repro) {
  const auto& s = bound.scenario;
  const SweepTally t = tally(summary);
  std::fprintf(out, "scenario     %s (%s, %zu nodes) from %s\n", s.name.c_str(),
               bound.protocol.c_str(), s.node_names.size(), bound.path.c_str());
  std::fprintf(out, "seeds        %llu..%llu (%s)\n",
               static_cast<unsigned long long>(summary.seed_start),
               static_cast<unsigned long long>(summary.seed_start + summary.seed_count - 1),
               plural(summary.seed_count, "run", "runs").c_str());
  std::string result = format_count(t.passed) + " passed, " +
                       format_count(summary.outcomes.size() - t.passed - t.stopped) + " failed";
  if (t.stopped > 0) result += ", " + format_count(t.stopped) + " stopped at a budget";
  std::fprintf(out, "result       %s\n", result.c_str());
  std::fprintf(out, "events       %s processed in total\n", format_count(t.events).c_str());
  for (const auto& [name, count] : t.failures_by_check)
    std::fprintf(out, "  %-26s failed in %s\n", name.c_str(), plural(count, "run", "runs").c_str());
  for (const auto& [name, count] : t.not_evaluated_by_check)
    std::fprintf(out, "  %-26s not evaluated in %s\n", name.c_str(),
                 plural(count, "run", "runs").c_str());
  print_metrics_table(out, merged_metrics(summary), "virtual time");
  print_failing_seeds(out, summary, repro);
  print_determinism(out, summary);
}

RunStatus worst_status(const SeedsSummary& summary) {
  RunStatus worst = RunStatus::passed;
  for (const auto& o : summary.outcomes) worst = worse_of(worst, o.status);
  return worst;
}

nlohmann::json seeds_json(const BoundScenario& bound, const SeedsSummary& summary,
                          const ReproArgs& repro) {
  const SweepTally t = tally(summary);
  nlohmann::json runs = nlohmann::json::array();
  nlohmann::json failing = nlohmann::json::array();
  for (const auto& o : summary.outcomes) {
    nlohmann::json run = {{"seed", o.seed},
                          {"status", std::string(to_string(o.status))},
                          {"exit_code", exit_code_for(o.status)},
                          {"fingerprint", hex(o.fingerprint)},
                          {"events", o.events},
                          {"virtual_time_ns", o.end.nanoseconds}};
    if (o.status != RunStatus::passed) {
      run["failure"] = o.failure;
      run["repro"] = repro_command(repro, o.seed, o.fingerprint);
      failing.push_back(run);
    }
    runs.push_back(std::move(run));
  }
  return {{"scenario", bound.scenario.name},
          {"protocol", bound.protocol},
          {"path", bound.path},
          {"seed_start", summary.seed_start},
          {"seed_count", summary.seed_count},
          {"exit_code", seeds_exit_code(summary)},
          {"passed", t.passed},
          {"failed", summary.outcomes.size() - t.passed - t.stopped},
          {"stopped_at_budget", t.stopped},
          {"events", t.events},
          {"check_failures", t.failures_by_check},
          {"checks_not_evaluated", t.not_evaluated_by_check},
          {"runs", runs},
          {"failing", failing},
          {"determinism_checked", summary.determinism_checked},
          {"nondeterministic", summary.nondeterminism},
          {"metrics", metrics_json(merged_metrics(summary))}};
}

void JsonlTraceWriter::record(const TraceEvent& e) {
  nlohmann::json line = {{"time_ns", e.time.nanoseconds},
                         {"time", format_time(e.time)},
                         {"kind", e.kind},
                         {"node", e.node},
                         {"peer", e.peer},
                         {"text", e.text}};
  if (e.message != 0) line["message"] = e.message;
  const std::string text =
      line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::fwrite(text.data(), 1, text.size(), file_);
}

}  // namespace faultline::cli
