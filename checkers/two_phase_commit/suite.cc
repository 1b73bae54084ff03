#include "checkers/two_phase_commit/suite.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "checkers/two_phase_commit/monitors.h"
#include "protocols/two_phase_commit/log.h"
#include "sim/core/describe.h"

namespace faultline::two_phase_commit {

namespace {

std::string node_name(std::size_t i) { return "n" + std::to_string(i); }

std::string node_list(const std::vector<std::size_t>& nodes) {
  std::string text;
  for (std::size_t n : nodes) text += (text.empty() ? "" : ", ") + node_name(n);
  return text;
}

// One outcome some durable log holds: node `node` logged `tx` as committed (with `state`) or
// aborted. Pointers into the logs, no copies: these checks run after every simulated event and
// on every explored state, so they must not allocate per record.
struct LoggedOutcome {
  TxId tx;
  bool committed = false;
  std::size_t node = 0;
  const RoutingState* state = nullptr;  // committed outcomes only
};

// Every outcome in every log, sorted by (tx, aborted before committed, node), so the outcomes of
// one tx are adjacent.
std::vector<LoggedOutcome> logged_outcomes(const View& view) {
  std::vector<LoggedOutcome> outcomes;
  for (std::size_t i = 0; i < view.disks.size(); ++i) {
    if (!view.disks[i]) continue;
    for (const LogRecord& record : view.disks[i]->records) {
      const std::optional<Outcome> outcome = outcome_in(record);
      if (!outcome) continue;
      const RoutingState* state = nullptr;
      if (const auto* c = std::get_if<CommittedRecord>(&record)) state = &c->state;
      if (const auto* d = std::get_if<DecisionRecord>(&record)) state = &d->state;
      const bool commit = *outcome == Outcome::commit;
      outcomes.push_back({tx_of(record), commit, i, commit ? state : nullptr});
    }
  }
  std::sort(outcomes.begin(), outcomes.end(), [](const LoggedOutcome& a, const LoggedOutcome& b) {
    if (a.tx != b.tx) return a.tx < b.tx;
    if (a.committed != b.committed) return !a.committed;
    return a.node < b.node;
  });
  return outcomes;
}

// The outcomes of one tx: [begin, end) of the sorted list, split into aborted then committed.
struct TxOutcomes {
  TxId tx;
  std::vector<std::size_t> aborted;    // nodes, ascending, unique
  std::vector<std::size_t> committed;  // nodes, ascending, unique
  const RoutingState* state = nullptr;
};

template <class Visit>
std::optional<std::string> for_each_tx(const std::vector<LoggedOutcome>& outcomes, Visit&& visit) {
  TxOutcomes group;
  for (std::size_t i = 0; i < outcomes.size();) {
    group.tx = outcomes[i].tx;
    group.aborted.clear();
    group.committed.clear();
    group.state = nullptr;
    for (; i < outcomes.size() && outcomes[i].tx == group.tx; ++i) {
      auto& nodes = outcomes[i].committed ? group.committed : group.aborted;
      if (nodes.empty() || nodes.back() != outcomes[i].node) nodes.push_back(outcomes[i].node);
      if (outcomes[i].committed) group.state = outcomes[i].state;
    }
    if (auto bad = visit(group)) return bad;
  }
  return std::nullopt;
}

std::string version_text(const RoutingState* state) {
  return state != nullptr ? " (version " + std::to_string(state->version) + ")" : "";
}

}  // namespace

std::optional<std::string> check_atomicity(const View& view) {
  return for_each_tx(logged_outcomes(view), [](const TxOutcomes& o) -> std::optional<std::string> {
    if (o.committed.empty() || o.aborted.empty()) return std::nullopt;
    return describe(o.tx) + version_text(o.state) + " committed at " + node_list(o.committed) +
           " but aborted at " + node_list(o.aborted) + " (durable logs)";
  });
}

std::optional<std::string> check_agreement(const View& view) {
  // Every applied (version, state) pair, live and durable, by pointer; sorted by version so two
  // holders of one version are adjacent. No RoutingState is copied.
  struct Holder {
    const RoutingState* state;
    std::size_t node;
    TxId tx;
  };
  std::vector<Holder> holders;
  for (std::size_t i = 0; i < view.nodes.size(); ++i) {
    if (view.nodes[i])
      holders.push_back({&view.nodes[i]->committed_state(), i, view.nodes[i]->committed_tx()});
    if (!view.disks[i]) continue;
    for (const LogRecord& record : view.disks[i]->records)
      if (const auto* c = std::get_if<CommittedRecord>(&record))
        holders.push_back({&c->state, i, c->tx});
  }
  // Stable: the first holder in node order is the one a difference is reported against.
  std::stable_sort(holders.begin(), holders.end(), [](const Holder& a, const Holder& b) {
    return a.state->version < b.state->version;
  });
  // Within a version, compare each holder with the first one (node order): the first mismatch
  // is the one reported.
  std::size_t first = 0;
  for (std::size_t i = 1; i < holders.size(); ++i) {
    if (holders[i].state->version != holders[first].state->version) {
      first = i;
      continue;
    }
    const Holder& reference = holders[first];
    const Holder& differing = holders[i];
    if (*reference.state == *differing.state) continue;
    return "version " + std::to_string(differing.state->version) +
           " differs: " + node_name(reference.node) + " applied " + describe(reference.tx) + " " +
           describe(*reference.state) + ", " + node_name(differing.node) + " applied " +
           describe(differing.tx) + " " + describe(*differing.state);
  }
  return std::nullopt;
}

std::optional<std::string> check_validity(const View& view) {
  return for_each_tx(logged_outcomes(view), [&](const TxOutcomes& o) -> std::optional<std::string> {
    if (o.committed.empty()) return std::nullopt;
    for (std::size_t p = 1; p < view.disks.size(); ++p) {
      const PreparedRecord* vote = view.disks[p] ? prepared_of(*view.disks[p], o.tx) : nullptr;
      if (vote != nullptr && vote->yes) continue;
      const std::string why =
          vote == nullptr ? "no durable PREPARED record" : "its durable vote is no";
      return describe(o.tx) + version_text(o.state) + " committed at " + node_list(o.committed) +
             " without a yes vote from " + node_name(p) + " (" + why + ")";
    }
    return std::nullopt;
  });
}

std::optional<std::string> check_durability(const View& view, const Config& config) {
  for (std::size_t i = 0; i < view.nodes.size(); ++i) {
    if (!view.nodes[i]) continue;
    const CommittedRecord* latest = view.disks[i] ? latest_committed(*view.disks[i]) : nullptr;
    const RoutingState expected = latest != nullptr ? latest->state : initial_state(config);
    const RoutingState& held = view.nodes[i]->committed_state();
    if (held == expected) continue;
    return node_name(i) + " holds version " + std::to_string(held.version) + " (" +
           describe(view.nodes[i]->committed_tx()) +
           ") but its durable log's latest committed version is " +
           std::to_string(expected.version) +
           (latest != nullptr ? " (" + describe(latest->tx) + ")" : " (initial)") + ": " +
           describe(held) + " vs " + describe(expected);
  }
  return std::nullopt;
}

// A participant votes on transactions in the order the coordinator began them: once its log
// records a tx, it never votes on an older one (a PREPARE overtaken by a later tx is stale), nor
// twice on one (a repeated PREPARE is answered from the log).
std::optional<std::string> check_votes_in_order(const View& view) {
  for (std::size_t p = 1; p < view.disks.size(); ++p) {
    if (!view.disks[p]) continue;
    std::optional<TxId> highest;
    for (const LogRecord& record : view.disks[p]->records) {
      const TxId tx = tx_of(record);
      if (std::holds_alternative<PreparedRecord>(record) && highest && tx <= *highest)
        return node_name(p) + " voted on " + describe(tx) + " after its log recorded " +
               describe(*highest) + ": a vote on a transaction older than one it already logged";
      if (!highest || *highest < tx) highest = tx;
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_committed_a_stage(const View& view) {
  for (std::size_t i = 0; i < view.nodes.size(); ++i) {
    if (view.nodes[i] && view.nodes[i]->committed_state().version > 1) return std::nullopt;
    if (view.disks[i] && latest_committed(*view.disks[i]) != nullptr) return std::nullopt;
  }
  return "no node committed any version beyond the initial version 1";
}

std::optional<std::string> check_termination(const View& view) {
  if (view.nodes.empty()) return std::nullopt;
  if (!view.nodes[0]) return std::string("the coordinator n0 is down");
  const RoutingState& target = view.nodes[0]->committed_state();
  for (std::size_t i = 1; i < view.nodes.size(); ++i) {
    if (!view.nodes[i]) continue;
    if (const auto doubt = view.nodes[i]->in_doubt_tx())
      return node_name(i) + " is still in doubt about " + describe(*doubt) +
             " (coordinator n0 at version " + std::to_string(target.version) + ")";
    const std::uint64_t version = view.nodes[i]->committed_state().version;
    if (version != target.version)
      return node_name(i) + " is at version " + std::to_string(version) +
             " but the coordinator n0 is at version " + std::to_string(target.version);
  }
  return std::nullopt;
}

bool canary_count_plausible(std::uint64_t requests, std::uint64_t canary,
                            std::uint32_t weight_bps) {
  // Binomial(n, p = w / 10000): mean n w / 10000, variance n w (10000 - w) / 10000^2.
  // Scale by 10000: |10000 k - n w| <= s * sqrt(n w (10000 - w)), squared on both sides.
  const int128 deviation =
      static_cast<int128>(canary) * basis_points_total - static_cast<int128>(requests) * weight_bps;
  const uint128 deviation_squared = static_cast<uint128>(deviation < 0 ? -deviation : deviation) *
                                    static_cast<uint128>(deviation < 0 ? -deviation : deviation);
  const uint128 variance_scaled =
      static_cast<uint128>(requests) * weight_bps * (basis_points_total - weight_bps);
  return deviation_squared <= variance_scaled * routing_fidelity_sigmas * routing_fidelity_sigmas;
}

std::optional<std::string> check_routing_fidelity(const Record& record, const Config& config) {
  std::map<std::uint64_t, RoutingState> states;
  const RoutingState initial = initial_state(config);
  states.emplace(initial.version, initial);
  for (const auto& e : record.history.emissions)
    if (const auto* applied = std::get_if<StateApplied>(&e.output))
      states.emplace(applied->state.version, applied->state);
  std::map<std::uint64_t, std::uint32_t> draws;
  for (const auto& inv : record.history.invocations)
    if (const auto* p = std::get_if<Predict>(&inv.input)) draws.emplace(p->request_id, p->draw);

  struct Counts {
    std::uint64_t requests = 0;
    std::uint64_t canary = 0;
  };
  std::map<std::uint64_t, Counts> counts;
  for (const auto& e : record.history.emissions) {
    const auto* served = std::get_if<PredictServed>(&e.output);
    if (served == nullptr) continue;
    const std::string where = "request " + std::to_string(served->request_id) + " at " +
                              node_name(e.node.value) + " @" + format_time(e.time);
    const auto state = states.find(served->version);
    if (state == states.end())
      return where + " was served under version " + std::to_string(served->version) +
             ", which no node applied";
    const RoutingState& s = state->second;
    const std::string& expected_model = served->canary ? s.canary_model_id : s.stable_model_id;
    if (served->model_id != expected_model)
      return where + " was served by model " + served->model_id + " but version " +
             std::to_string(s.version) + " routes that path to " + expected_model;
    if (const auto draw = draws.find(served->request_id); draw != draws.end()) {
      const bool should_be_canary = draw->second < s.canary_weight_bps;
      if (served->canary != should_be_canary)
        return where + " with draw " + std::to_string(draw->second) + " went to the " +
               (served->canary ? "canary" : "stable model") + " under version " +
               std::to_string(s.version) + " whose canary weight is " +
               std::to_string(s.canary_weight_bps) + " bps";
    }
    Counts& c = counts[served->version];
    c.requests += 1;
    c.canary += served->canary ? 1 : 0;
  }
  for (const auto& [version, c] : counts) {
    if (c.requests < routing_fidelity_requests_min) continue;
    const std::uint32_t weight = states.at(version).canary_weight_bps;
    if (canary_count_plausible(c.requests, c.canary, weight)) continue;
    return "version " + std::to_string(version) + " sent " + std::to_string(c.canary) + " of " +
           std::to_string(c.requests) +
           " requests to the canary, outside 5 standard deviations of its weight " +
           std::to_string(weight) + " bps";
  }
  return std::nullopt;
}

Metrics collect_metrics(const Record& record) {
  Metrics metrics;
  auto& decision_latency = metrics["decision_latency"];
  auto& commit_latency = metrics["commit_latency"];
  auto& stage_duration = metrics["stage_duration"];
  auto& blocked_time = metrics["blocked_time"];
  const std::size_t participants = record.node_names.empty() ? 0 : record.node_names.size() - 1;
  std::map<TxId, Time> started;
  std::map<TxId, Outcome> decided;
  std::map<TxId, std::map<std::uint32_t, Time>> applied;  // tx -> participant -> first applied
  std::map<std::pair<std::uint32_t, TxId>, Time> blocked;
  for (const auto& e : record.history.emissions) {
    if (const auto* s = std::get_if<TxStarted>(&e.output)) {
      started[s->tx] = e.time;
    } else if (const auto* d = std::get_if<DecisionMade>(&e.output)) {
      decided[d->tx] = d->outcome;
      const auto it = started.find(d->tx);
      if (it == started.end()) continue;
      decision_latency.push_back(e.time - it->second);
      if (d->outcome == Outcome::commit) commit_latency.push_back(e.time - it->second);
    } else if (const auto* a = std::get_if<StateApplied>(&e.output)) {
      if (e.node.value == 0) continue;
      applied[a->tx].emplace(e.node.value, e.time);
    } else if (const auto* b = std::get_if<Blocked>(&e.output)) {
      blocked.emplace(std::pair{e.node.value, b->tx}, e.time);
    } else if (const auto* u = std::get_if<Unblocked>(&e.output)) {
      if (const auto it = blocked.find({e.node.value, u->tx}); it != blocked.end())
        blocked_time.push_back(e.time - it->second);
    }
  }
  for (const auto& [tx, by_node] : applied) {
    const auto start = started.find(tx);
    if (start == started.end() || by_node.size() < participants || participants == 0) continue;
    Time last = start->second;
    for (const auto& [node, time] : by_node) last = std::max(last, time);
    stage_duration.push_back(last - start->second);
  }
  return metrics;
}

CheckSuite<TwoPhaseCommit> check_suite(const Config& config) {
  CheckSuite<TwoPhaseCommit> suite;
  using Kind = PropertyKind;
  // The state properties that read logs come with monitors (monitors.h), so the simulator
  // re-evaluates them only when an event's new records or live states may change the verdict.
  const auto add = [&](std::string name, Kind kind,
                       std::function<std::optional<std::string>(const View&)> check,
                       MonitorFactory monitor) {
    suite.properties.push_back(Property<TwoPhaseCommit>{.name = std::move(name),
                                                        .kind = kind,
                                                        .check = std::move(check),
                                                        .monitor = std::move(monitor)});
  };
  add("atomicity", Kind::always, check_atomicity, atomicity_monitor());
  add("agreement", Kind::always, check_agreement, agreement_monitor());
  add("validity", Kind::always, check_validity, validity_monitor());
  add(
      "durability", Kind::always, [config](const View& v) { return check_durability(v, config); },
      durability_monitor(config));
  add("votes_in_order", Kind::always, check_votes_in_order, votes_in_order_monitor());
  add("committed_a_stage", Kind::sometimes, check_committed_a_stage, committed_a_stage_monitor());
  // Reads live nodes only, and only in the liveness phase: no monitor.
  suite.properties.push_back({"termination", Kind::eventually, check_termination});
  suite.history_checks.push_back(
      {"routing_fidelity", /*liveness=*/false,
       [config](const Record& r) { return check_routing_fidelity(r, config); }});
  suite.metrics = collect_metrics;
  suite.metric_names = {"decision_latency", "commit_latency", "stage_duration", "blocked_time"};
  return suite;
}

}  // namespace faultline::two_phase_commit
