#include "checkers/overlay/binding.h"

#include <algorithm>
#include <map>
#include <variant>

#include "checkers/overlay/ground_truth.h"
#include "sim/core/fault_timeline.h"

namespace faultline::overlay {

namespace {

constexpr NodeId leader{0};

std::string text(QueryId id) {
  return "query " + std::to_string(id.client) + "." + std::to_string(id.number);
}

std::string at(Time time) { return format_time(time); }

std::string name_of(const Record& record, NodeId node) {
  return node.value < record.node_names.size() ? record.node_names[node.value]
                                               : "n" + std::to_string(node.value);
}

// The client queries of a run: each Query the leader received, and the answers to it.
struct Queries {
  std::map<QueryId, const Invocation<Overlay>*> asked;
  std::map<QueryId, std::vector<const Emission<Overlay>*>> answers;  // QueryDone emissions

  explicit Queries(const Record& record) {
    for (const auto& call : record.history.invocations)
      if (const auto* query = std::get_if<Query>(&call.input))
        if (call.node == leader && call.delivered) asked.try_emplace(query->id, &call);
    for (const auto& emission : record.history.emissions)
      if (const auto* done = std::get_if<QueryDone>(&emission.output))
        answers[done->id].push_back(&emission);
  }
  std::optional<Time> asked_at(QueryId id) const {
    const auto it = asked.find(id);
    return it == asked.end() ? std::nullopt : std::optional<Time>(it->second->time);
  }
  const Query* query(QueryId id) const {
    const auto it = asked.find(id);
    return it == asked.end() ? nullptr : &std::get<Query>(it->second->input);
  }
};

std::optional<CheckFailure> judge_answer(const Tree& tree, const Query& query,
                                         const QueryDone& done, Time when) {
  const auto expected = expected_slices(tree, query.filter, query.limit, done.missing);
  const std::string where = text(done.id) + " answered at " + at(when);
  if (row_count(expected) != done.rows || digest_of(expected) != done.digest)
    return CheckFailure(where + " with " + std::to_string(done.rows) + " rows (digest " +
                        std::to_string(done.digest) + ") where the ground truth over the data " +
                        "it claims has " + std::to_string(row_count(expected)) + " (digest " +
                        std::to_string(digest_of(expected)) + ")");
  const std::uint64_t total = Tree::in_filter(tree.subtree(leader), query.filter);
  const std::uint64_t covered = total - tree.missing_in_filter(query.filter, done.missing);
  if (done.total_records != total || done.covered_records != covered)
    return CheckFailure(where + " claims coverage " + std::to_string(done.covered_records) + "/" +
                        std::to_string(done.total_records) + " but the data it answered is " +
                        std::to_string(covered) + "/" + std::to_string(total));
  if ((done.outcome == Outcome::complete) != done.missing.empty())
    return CheckFailure(where + " is '" + std::string(to_string(done.outcome)) + "' with " +
                        std::to_string(done.missing.size()) + " parts missing");
  return std::nullopt;
}

// Running (started, not answered) client queries per team, from the history; a leader crash
// forgets them all, as the leader does.
struct Running {
  std::map<std::uint32_t, std::uint32_t> per_team;
  std::map<QueryId, std::uint32_t> team_of;
  void start(QueryId id, std::uint32_t team) {
    if (team_of.try_emplace(id, team).second) ++per_team[team];
  }
  void stop(QueryId id) {
    const auto it = team_of.find(id);
    if (it == team_of.end()) return;
    --per_team[it->second];
    team_of.erase(it);
  }
  void clear() {
    per_team.clear();
    team_of.clear();
  }
};

// Walks the emissions in time order with the leader's crashes interleaved: visit(emission),
// and crashed() at each crash of the leader.
template <class Visit, class Crashed>
void leader_timeline(const Record& record, Visit&& visit, Crashed&& crashed) {
  std::size_t fault = 0;
  const auto crashes_until = [&](Time until) {
    for (; fault < record.faults.size() && record.faults[fault].time <= until; ++fault) {
      const FaultRecord& f = record.faults[fault];
      if (f.kind == FaultRecord::Kind::crash && std::ranges::count(f.nodes, leader) > 0) crashed();
    }
  };
  for (const auto& emission : record.history.emissions) {
    crashes_until(emission.time);
    visit(emission);
  }
}

}  // namespace

Duration detection_bound(const Config& config) {
  return config.check_interval * config.misses_to_fail + config.check_timeout;
}

std::string team_name(const Config& config, std::uint32_t team) {
  if (config.shape == Shape::seed) return team == 0 ? "green" : "pink";
  return "team" + std::to_string(team);
}

std::optional<std::string> check_slots_match(const View& view) {
  if (view.nodes.empty() || !view.nodes[0]) return std::nullopt;
  const Node& node = *view.nodes[0];
  std::vector<std::uint32_t> pending(node.team_active().size(), 0);
  for (const auto& [id, query] : node.pending())
    if (!query.asker && query.team < pending.size()) ++pending[query.team];
  for (std::uint32_t team = 0; team < pending.size(); ++team)
    if (pending[team] != node.team_active()[team])
      return "the leader counts " + std::to_string(node.team_active()[team]) +
             " admitted queries of team " + std::to_string(team) + " but runs " +
             std::to_string(pending[team]);
  return std::nullopt;
}

std::optional<CheckFailure> check_results(const Record& record, const Config& config) {
  const Tree tree(config);
  const Queries queries(record);
  for (const auto& [id, answers] : queries.answers) {
    const Query* query = queries.query(id);
    for (const auto* emission : answers) {
      const auto& done = std::get<QueryDone>(emission->output);
      if (done.outcome == Outcome::rejected) continue;
      if (query == nullptr)
        return CheckFailure(text(id) + " was answered at " + at(emission->time) +
                            " but never asked");
      if (auto failure = judge_answer(tree, *query, done, emission->time)) return failure;
    }
  }
  return std::nullopt;
}

std::optional<CheckFailure> check_chunks(const Record& record, const Config& config) {
  const Tree tree(config);
  const Queries queries(record);
  for (const auto& emission : record.history.emissions) {
    const auto* chunk = std::get_if<Chunk>(&emission.output);
    if (chunk == nullptr || !chunk->found) continue;
    const auto answers = queries.answers.find(chunk->id);
    const Query* query = queries.query(chunk->id);
    const std::string where = "chunk " + std::to_string(chunk->index) + " of " + text(chunk->id) +
                              " at " + at(emission.time);
    if (answers == queries.answers.end() || query == nullptr)
      return CheckFailure(where + " belongs to no answer");
    const auto& done = std::get<QueryDone>(answers->second.front()->output);
    if (chunk->digest != done.digest || chunk->index >= done.chunks)
      return CheckFailure(where + " belongs to another result than the answer's");
    const auto expected = expected_slices(tree, query->filter, query->limit, done.missing);
    if (chunk->slices != chunk_of(expected, chunk->index, config.chunk_size))
      return CheckFailure(where + " does not hold the answer's rows at its position");
  }
  return std::nullopt;
}

std::optional<CheckFailure> check_no_lost_query(const Record& record, const Config& config) {
  const Queries queries(record);
  const FaultTimeline timeline(record.faults, record.end);
  for (const auto& [id, call] : queries.asked) {
    const Time due = call->time + config.query_deadline;
    const auto answers = queries.answers.find(id);
    const std::size_t count = answers == queries.answers.end() ? 0 : answers->second.size();
    if (count > 1)
      return CheckFailure(text(id) + " was answered " + std::to_string(count) + " times");
    if (!timeline.up_throughout(leader, call->time, due)) continue;  // the leader stopped
    if (count == 0 && due < record.end)
      return CheckFailure(text(id) + ", asked at " + at(call->time) + ", was never answered");
    if (count == 1 && answers->second.front()->time > due)
      return CheckFailure(text(id) + ", asked at " + at(call->time) + ", was answered at " +
                          at(answers->second.front()->time) + ", after its deadline");
  }
  return std::nullopt;
}

std::optional<CheckFailure> check_fair_admission(const Record& record, const Config& config) {
  Running running;
  std::optional<CheckFailure> failure;
  leader_timeline(
      record,
      [&](const Emission<Overlay>& emission) {
        if (failure) return;
        if (const auto* done = std::get_if<QueryDone>(&emission.output)) running.stop(done->id);
        const auto* started = std::get_if<QueryStarted>(&emission.output);
        if (started == nullptr) return;
        running.start(started->id, started->team);
        const std::uint32_t truly = running.per_team[started->team];
        const std::string where = text(started->id) + " started at " + at(emission.time);
        if (started->team_active != truly)
          failure = CheckFailure(where + " with its team counted at " +
                                 std::to_string(started->team_active) + " running but " +
                                 std::to_string(truly) + " were");
        else if (started->team_active > started->team_bound)
          failure = CheckFailure(where + " above its team's bound " +
                                 std::to_string(started->team_bound));
        else if (config.fairness == Fairness::strict && started->team_bound != config.team_limit)
          failure = CheckFailure(where + " under a strict bound other than team_limit");
      },
      [&] { running.clear(); });
  return failure;
}

std::optional<CheckFailure> check_no_team_starved(const Record& record) {
  Running running;
  const Queries queries(record);
  std::map<std::uint32_t, Time> team_busy_until;  // the last moment a team ran a query
  std::optional<CheckFailure> failure;
  leader_timeline(
      record,
      [&](const Emission<Overlay>& emission) {
        if (const auto* started = std::get_if<QueryStarted>(&emission.output))
          running.start(started->id, started->team);
        const auto* done = std::get_if<QueryDone>(&emission.output);
        if (done == nullptr || failure) return;
        const bool was_running = running.team_of.contains(done->id);
        running.stop(done->id);
        if (running.per_team[done->team] > 0 || was_running) {
          team_busy_until[done->team] = emission.time;
          return;
        }
        const auto since = queries.asked_at(done->id);
        const bool starved =
            done->outcome == Outcome::failed && since && team_busy_until[done->team] < *since;
        if (starved)
          failure = CheckFailure(text(done->id) + " failed at " + at(emission.time) +
                                 " waiting for a slot while its team ran no query");
      },
      [&] { running.clear(); });
  return failure;
}

std::optional<CheckFailure> check_routed_around(const Record& record, const Config& config) {
  // A part is routed around only after part_timeout: with a deadline no longer than that, a
  // silent child's subtree is missing by design.
  if (config.part_timeout >= config.query_deadline) return std::nullopt;
  const Tree tree(config);
  const Queries queries(record);
  const FaultTimeline timeline(record.faults, record.end);
  for (const auto& [id, answers] : queries.answers) {
    const auto asked = queries.asked.find(id);
    if (asked == queries.asked.end()) continue;
    const Time from = asked->second->time;
    const Time to = answers.front()->time;
    if (timeline.cut_during(from, to)) continue;  // a partition explains anything missing
    for (const Missing& m : std::get<QueryDone>(answers.front()->output).missing) {
      if (!m.subtree || m.node == leader) continue;
      for (NodeId child : tree.children(m.node))
        if (timeline.up_throughout(child, from, to))
          return CheckFailure(
              text(id) + " (answered at " + at(to) + ") declares the subtree of " +
              name_of(record, m.node) + " missing, but its child " + name_of(record, child) +
              " was up throughout: the query was not routed around " + name_of(record, m.node));
    }
  }
  return std::nullopt;
}

std::optional<CheckFailure> check_hedge_budget(const Record& record, const Config& config) {
  std::uint64_t parts = 0;
  std::uint64_t hedges = 0;
  for (const auto& emission : record.history.emissions)
    if (const auto* done = std::get_if<QueryDone>(&emission.output)) {
      parts += done->parts_sent;
      hedges += done->hedges_sent;
    }
  // Each node keeps hedges * 100 <= parts * budget over its lifetime; summed over answers, one
  // hedge of slack per node that asks others covers queries whose answers were lost.
  const std::uint64_t askers =
      Tree(config).node_count() / std::max<std::uint32_t>(config.fanout, 1) + 1;
  if (hedges * 100 <= parts * config.hedge_budget_percent + askers * 100) return std::nullopt;
  return CheckFailure(std::to_string(hedges) + " hedges for " + std::to_string(parts) +
                      " requests in all: above the budget of " +
                      std::to_string(config.hedge_budget_percent) + "%");
}

// The leader's view of its children from its own hooks, in history order.
std::optional<CheckFailure> check_known_failures_routed_around(const Record& record) {
  const Queries queries(record);
  std::map<NodeId, Time> failed_since;  // children the leader holds failed, since when
  for (const auto& e : record.history.emissions) {
    if (e.node != leader) continue;
    if (const auto* failed = std::get_if<NeighborFailed>(&e.output))
      failed_since.try_emplace(failed->neighbor, e.time);
    if (const auto* recovered = std::get_if<NeighborRecovered>(&e.output))
      failed_since.erase(recovered->neighbor);
    const auto* done = std::get_if<QueryDone>(&e.output);
    const auto asked = done == nullptr ? std::nullopt : queries.asked_at(done->id);
    if (!asked) continue;
    for (const Missing& m : done->missing) {
      const auto since = failed_since.find(m.node);
      if (!m.subtree || since == failed_since.end() || since->second > *asked) continue;
      return CheckFailure(text(done->id) + " (answered at " + at(e.time) + ") declares the " +
                          "subtree of " + name_of(record, m.node) + " missing, though the leader " +
                          "had declared it failed at " + at(since->second) +
                          ": it was not routed around");
    }
  }
  return std::nullopt;
}

namespace {

bool emitted_about(const Record& record, NodeId by, NodeId about, Time from, Time to, bool failed) {
  return std::ranges::any_of(record.history.emissions, [&](const Emission<Overlay>& e) {
    if (e.node != by || e.time < from || e.time > to) return false;
    if (failed) {
      const auto* f = std::get_if<NeighborFailed>(&e.output);
      return f != nullptr && f->neighbor == about;
    }
    const auto* r = std::get_if<NeighborRecovered>(&e.output);
    return r != nullptr && r->neighbor == about;
  });
}

std::vector<NodeId> neighbours_of(const Tree& tree, NodeId node) {
  std::vector<NodeId> out = tree.children(node);
  if (const auto up = tree.parent(node)) out.push_back(*up);
  return out;
}

}  // namespace

std::optional<CheckFailure> check_failure_detected(const Record& record, const Config& config) {
  const Tree tree(config);
  const FaultTimeline timeline(record.faults, record.end);
  const Duration bound = detection_bound(config);
  const Duration recovery_bound = config.check_interval + config.check_timeout;
  for (const FaultTimeline::Stop& stop : timeline.stops()) {
    if (!stop.crash || stop.to - stop.from <= bound) continue;
    for (NodeId neighbour : neighbours_of(tree, stop.node)) {
      const Time declared_by = stop.from + bound;
      if (!timeline.up_throughout(neighbour, stop.from, declared_by)) continue;
      if (timeline.cut_during(stop.from, stop.to)) continue;
      if (!emitted_about(record, neighbour, stop.node, stop.from, declared_by, true))
        return CheckFailure(name_of(record, stop.node) + " crashed at " + at(stop.from) + " but " +
                            name_of(record, neighbour) + " did not declare it failed within " +
                            format_duration(bound));
      const Time recovered_by = stop.to + recovery_bound;
      if (stop.to < record.end && recovered_by <= record.end &&
          timeline.up_throughout(neighbour, stop.to, recovered_by) &&
          !emitted_about(record, neighbour, stop.node, stop.to, recovered_by, false))
        return CheckFailure(name_of(record, stop.node) + " restarted at " + at(stop.to) + " but " +
                            name_of(record, neighbour) + " did not declare it recovered within " +
                            format_duration(recovery_bound));
    }
  }
  return std::nullopt;
}

Metrics collect_metrics(const Record& record, const Config& config) {
  Metrics metrics;
  const Queries queries(record);
  for (const auto& [id, answers] : queries.answers) {
    const auto asked = queries.asked.find(id);
    if (asked == queries.asked.end()) continue;
    const auto& done = std::get<QueryDone>(answers.front()->output);
    const Duration latency = answers.front()->time - asked->second->time;
    switch (done.outcome) {
      case Outcome::complete:
        metrics["query_latency"].push_back(latency);
        metrics["query_latency_" + team_name(config, done.team)].push_back(latency);
        break;
      case Outcome::partial: metrics["partial_answer"].push_back(latency); break;
      case Outcome::failed: metrics["failed_answer"].push_back(latency); break;
      case Outcome::rejected: metrics["rejected"].push_back(latency); break;
    }
  }
  const FaultTimeline timeline(record.faults, record.end);
  for (const auto& e : record.history.emissions) {
    if (std::holds_alternative<StateChanged>(e.output))
      metrics["state_change"].push_back(e.time - Time{});
    const auto* failed = std::get_if<NeighborFailed>(&e.output);
    const auto* recovered = std::get_if<NeighborRecovered>(&e.output);
    for (const FaultTimeline::Stop& stop : timeline.stops()) {
      if (!stop.crash) continue;
      if (failed && failed->neighbor == stop.node && e.time >= stop.from && e.time <= stop.to)
        metrics["detection"].push_back(e.time - stop.from);
      if (recovered && recovered->neighbor == stop.node && e.time >= stop.to &&
          e.time <= stop.to + detection_bound(config))
        metrics["recovery"].push_back(e.time - stop.to);
    }
  }
  return metrics;
}

CheckSuite<Overlay> check_suite(const Config& config) {
  using Kind = PropertyKind;
  CheckSuite<Overlay> suite;
  suite.properties.push_back({"slots_match", Kind::always, check_slots_match});
  const auto add = [&](const char* name, bool liveness, auto check) {
    suite.history_checks.push_back(
        {name, liveness, [config, check](const Record& r) { return check(r, config); }});
  };
  add("results_match_ground_truth", false, check_results);
  add("chunks_consistent", false, check_chunks);
  add("no_lost_query", false, check_no_lost_query);
  add("fair_admission", false, check_fair_admission);
  add("no_team_starved", false,
      [](const Record& r, const Config&) { return check_no_team_starved(r); });
  add("known_failures_routed_around", false,
      [](const Record& r, const Config&) { return check_known_failures_routed_around(r); });
  add("routed_around", false, check_routed_around);
  add("failure_detected", true, check_failure_detected);
  add("hedge_budget", false, check_hedge_budget);
  suite.metrics = [config](const Record& record) { return collect_metrics(record, config); };
  suite.metric_names = {"query_latency", "partial_answer", "failed_answer", "rejected",
                        "detection",     "recovery",       "state_change"};
  for (std::uint32_t team = 0; team < Tree(config).team_count(); ++team)
    suite.metric_names.push_back("query_latency_" + team_name(config, team));
  return suite;
}

Result<void> ModelOptions::validate(std::uint32_t) const {
  if (queries < 1 || queries > 4) return fail("queries", 0, "1 to 4 queries are within a search");
  if (limit < 1 || limit > limit_max)
    return fail("limit", 0, "must be 1 to " + std::to_string(limit_max));
  return {};
}

Result<explore::Model<Overlay>> Binding::model(const Config& config, std::uint32_t node_count,
                                               const ModelOptions& options) {
  explore::Model<Overlay> model;
  model.config = config;
  model.node_count = node_count;
  for (std::uint32_t i = 0; i < options.queries; ++i) {
    Query query;
    query.id = QueryId{0, i + 1};
    query.limit = options.limit;
    model.model_inputs.emplace_back(leader, Input{query});
  }
  return model;
}

void Binding::finish_model(explore::Model<Overlay>& model) {
  explore::Model<Overlay>::ClientHistory history;
  history.records = [](const Output& output) {
    return std::holds_alternative<QueryDone>(output) || std::holds_alternative<Chunk>(output) ||
           std::holds_alternative<NeighborFailed>(output) ||
           std::holds_alternative<NeighborRecovered>(output);
  };
  history.client_of = [](const Input& input) -> std::optional<ClientId> {
    if (const auto* query = std::get_if<Query>(&input)) return ClientId{query->id.client};
    return std::nullopt;
  };
  const Config config = model.config;
  history.checks.push_back({"results_match_ground_truth", false,
                            [config](const Record& r) { return check_results(r, config); }});
  history.checks.push_back({"known_failures_routed_around", false,
                            [](const Record& r) { return check_known_failures_routed_around(r); }});
  model.client_history = std::move(history);
}

std::vector<Benchmark> Binding::benchmarks() {
  return {Benchmark{"overlay-tail", Benchmark::Group::alone,
                    "The Tail at Scale's fan-out of 100: the share of queries >= 1s and p99.9, "
                    "without and with hedging at p95 (--set duration=2000s, seed=1)",
                    "", &run_tail_benchmark},
          Benchmark{"overlay-scale", Benchmark::Group::alone,
                    "generated overlay trees of 10^3 to 10^6 nodes answering 1,000 queries: "
                    "events/s, virtual/wall time, peak memory (--set depths=[3,4,5,6], fanout=10)",
                    "", &run_scale_benchmark}};
}

namespace {

std::uint64_t query_request_id(const QueryId& id) {
  return (std::uint64_t{id.client} << 32) | id.number;
}

struct QueryMapping {
  std::optional<cli::ReportCall> call(const Input& input) const {
    const auto* query = std::get_if<Query>(&input);
    if (query == nullptr) return std::nullopt;
    return cli::ReportCall{query_request_id(query->id), "query"};
  }
  std::optional<cli::ReportReply> reply(const Output& output) const {
    const auto* done = std::get_if<QueryDone>(&output);
    if (done == nullptr) return std::nullopt;
    const bool answered = done->outcome == Outcome::complete || done->outcome == Outcome::partial;
    return cli::ReportReply{
        query_request_id(done->id),
        answered ? cli::ReportOperation::Outcome::ok : cli::ReportOperation::Outcome::failed};
  }
};

}  // namespace

std::vector<cli::ReportOperation> Binding::report_operations(const History<Overlay>& history) {
  return cli::pair_report_operations(history, QueryMapping{});
}

void Binding::report_gauges(const Node& node, cli::ReportGaugeSink& sink) {
  sink.gauge("queued work", static_cast<std::int64_t>(node.queued()));
}

}  // namespace faultline::overlay
