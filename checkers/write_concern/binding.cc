#include "checkers/write_concern/binding.h"

#include <algorithm>
#include <map>
#include <set>

#include "checkers/write_concern/monitors.h"

#include "sim/core/describe.h"

namespace faultline::write_concern {

namespace {

std::string node_name(std::size_t i) { return "n" + std::to_string(i); }

// Every store the view shows: each live node's, then each disk, with its name for messages.
template <class Visit>
void for_each_store(const View& view, Visit&& visit) {
  for (std::size_t i = 0; i < view.nodes.size(); ++i)
    if (view.nodes[i]) visit(view.nodes[i]->store(), node_name(i));
  for (std::size_t i = 0; i < view.disks.size(); ++i)
    if (view.disks[i]) visit(*view.disks[i], node_name(i) + "'s disk");
}

// The live primary of the newest epoch (none: no live node is a primary).
const Node* newest_primary(const View& view) {
  const Node* newest = nullptr;
  for (const auto& node : view.nodes)
    if (node && node->is_primary() && (!newest || node->store().epoch > newest->store().epoch))
      newest = &*node;
  return newest;
}

// The log the run ended with: the newest live primary's store; with none alive, the newest
// store a primary wrote for itself (its disk); none: no primary's log survives.
const Store* final_log(const View& view) {
  if (const Node* primary = newest_primary(view)) return &primary->store();
  const Store* newest = nullptr;
  for (std::size_t i = 0; i < view.disks.size(); ++i) {
    const auto& disk = view.disks[i];
    if (disk && disk->primary == NodeId{static_cast<std::uint32_t>(i)} &&
        (!newest || disk->epoch > newest->epoch))
      newest = &*disk;
  }
  return newest;
}

// The messages the run ended with: the final log's; with no primary's log at all (the run
// ended without a primary, a liveness failure of its own), whatever any store holds.
std::set<MessageId> kept_ids(const View& view) {
  std::set<MessageId> kept;
  if (const Store* log = final_log(view)) {
    for (const Entry& e : log->entries) kept.insert(e.id);
    return kept;
  }
  for_each_store(view, [&](const Store& store, const std::string&) {
    for (const Entry& e : store.entries) kept.insert(e.id);
  });
  return kept;
}

}  // namespace

// A live node's delivered prefix (what its reads return) is 1, 2, ... without a gap.
std::optional<std::string> delivered_gap(const View& view) {
  for (std::size_t i = 0; i < view.nodes.size(); ++i) {
    if (!view.nodes[i]) continue;
    Seq expected{1};
    for (const Entry& e : view.nodes[i]->store().entries) {
      if (e.seq > view.nodes[i]->delivered()) break;
      if (e.seq != expected)
        return node_name(i) + " delivers up to seq " + describe(view.nodes[i]->delivered()) +
               " but lacks seq " + describe(expected) + " (a message past a gap was delivered)";
      expected = expected + 1;
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_total_order(const View& view) {
  if (auto gap = delivered_gap(view)) return gap;
  // (epoch, seq) -> the first holder's id: failover may reuse a seq in a newer epoch
  std::map<std::pair<Epoch, Seq>, std::pair<MessageId, std::string>> order;
  std::optional<std::string> why;
  for_each_store(view, [&](const Store& store, const std::string& name) {
    for (std::size_t k = 0; k < store.entries.size() && !why; ++k) {
      const Entry& e = store.entries[k];
      if (k > 0 && store.entries[k - 1].seq == e.seq)
        why = name + " holds two entries at seq " + describe(e.seq);
      const auto [it, fresh] = order.try_emplace({e.epoch, e.seq}, e.id, name);
      if (!fresh && it->second.first != e.id)
        why = "seq " + describe(e.seq) + " of epoch " + describe(e.epoch) + " is " +
              describe(it->second.first) + " at " + it->second.second + " but " + describe(e.id) +
              " at " + name;
    }
  });
  return why;
}

std::optional<std::string> check_no_duplicates(const View& view) {
  std::optional<std::string> why;
  for_each_store(view, [&](const Store& store, const std::string& name) {
    std::map<MessageId, Seq> seen;
    for (const Entry& e : store.entries) {
      if (e.id == filler_id) continue;  // fills gaps: one per gap, not a client's message
      const auto [it, fresh] = seen.try_emplace(e.id, e.seq);
      if (!fresh && !why)
        why = name + " stores " + describe(e.id) + " twice (seqs " + describe(it->second) +
              " and " + describe(e.seq) + ")";
    }
  });
  return why;
}

std::optional<std::string> check_write_concern_honest(const View& view, const Config& config) {
  // With the seed's volatile store a crash legitimately loses copies: nothing to judge.
  if (config.volatile_store) return std::nullopt;
  // A write acknowledged with w below a majority may be rolled back from some of its copies
  // once a newer epoch exists (and is counted as lost): only the primaries of the newest epoch
  // any store names are judged (swarm seed 528: a deposed primary's w=2 write on a 7-node
  // cluster, rolled back from its second copy).
  Epoch newest = first_epoch;
  for_each_store(view, [&](const Store& store, const std::string&) {
    newest = std::max(newest, store.epoch);
  });
  for (const auto& node : view.nodes) {
    if (!node || !node->is_primary() || node->store().epoch < newest) continue;
    for (const Pending& p : node->pending()) {
      if (!p.acknowledged) continue;
      std::uint32_t held = 0;
      for (const auto& disk : view.disks) held += disk && disk->find(p.seq, p.id) != nullptr;
      if (held >= p.w) continue;
      return describe(p.id) + " (seq " + describe(p.seq) + ") was acknowledged by " +
             node_name(node->self().value) + " with w=" + std::to_string(p.w) + " but only " +
             std::to_string(held) + " node(s) have stored it durably";
    }
  }
  return std::nullopt;
}

// A write a live primary acknowledged with w at least a majority is in every live primary of a
// newer epoch: the state form of acknowledged_writes_kept (leader completeness), which the model
// checker can judge while the old primary lives. Why it holds: the write is on a majority of
// disks, each stored before that node voted for any newer epoch (a voter fences older epochs
// afterwards), so some voter of the newer primary held it and its grant carried it.
std::optional<std::string> check_majority_acks_kept(const View& view) {
  const std::size_t majority = view.nodes.size() / 2 + 1;
  for (const auto& old : view.nodes) {
    if (!old || !old->is_primary()) continue;
    for (const Pending& p : old->pending()) {
      if (!p.acknowledged || p.w < majority) continue;
      for (const auto& newer : view.nodes) {
        if (!newer || !newer->is_primary() || newer->store().epoch <= old->store().epoch) continue;
        if (newer->store().find(p.seq, p.id) != nullptr) continue;
        return describe(p.id) + " (seq " + describe(p.seq) +
               "), acknowledged with w=" + std::to_string(p.w) + " by " +
               node_name(old->self().value) + " in epoch " + describe(old->store().epoch) +
               ", is not in the log of " + node_name(newer->self().value) + ", primary of epoch " +
               describe(newer->store().epoch);
      }
    }
  }
  return std::nullopt;
}

// The quorum guard: a primary's step that accepts a new write (its store gains an entry of its
// own epoch past its last) starts from a state where at least the level's nodes were available.
std::optional<std::string> check_quorum_guard(const NodeStep<WriteConcern>& step,
                                              const Config& config) {
  if (step.before == nullptr || step.after == nullptr) return std::nullopt;
  const Node& before = *step.before;
  const Node& after = *step.after;
  if (!before.is_primary() || !after.is_primary()) return std::nullopt;
  const auto& was = before.store().entries;
  const auto& now = after.store().entries;
  if (now.empty() || (!was.empty() && now.back().seq <= was.back().seq)) return std::nullopt;
  if (now.back().epoch != after.store().epoch) return std::nullopt;
  const auto node_count = static_cast<std::uint32_t>(before.views().size());
  const std::uint32_t needed = config.quorum_nodes(node_count);
  if (before.available() >= needed) return std::nullopt;
  return node_name(step.node.value) + " accepted seq " + describe(now.back().seq) + " while " +
         std::to_string(before.available()) + " node(s) were available, below the " +
         std::string(to_string(config.quorum_level)) + " level's " + std::to_string(needed);
}

// Every store (live or on disk) that names its epoch's primary names the same one for one
// epoch, and a live primary is its own epoch's primary.
std::optional<std::string> check_one_primary_per_epoch(const View& view) {
  std::map<Epoch, std::pair<NodeId, std::string>> primaries;  // epoch -> primary, first named by
  std::optional<std::string> why;
  for_each_store(view, [&](const Store& store, const std::string& name) {
    if (!store.primary || why) return;
    const auto [it, fresh] = primaries.try_emplace(store.epoch, *store.primary, name);
    if (!fresh && it->second.first != *store.primary)
      why = "epoch " + describe(store.epoch) + " has two primaries: " + describe(it->second.first) +
            " (at " + it->second.second + ") and " + describe(*store.primary) + " (at " + name +
            ")";
  });
  if (why) return why;
  for (const auto& node : view.nodes)
    if (node && node->is_primary() && node->store().primary != node->self())
      return node_name(node->self().value) + " acts as primary of epoch " +
             describe(node->store().epoch) + " but its store names another";
  return std::nullopt;
}

std::optional<std::string> check_delivered_a_message(const View& view) {
  for (const auto& node : view.nodes)
    if (node && node->delivered() >= Seq{1}) return std::nullopt;
  return "no node delivered a message";
}

// The newest primary answered every write it holds, and every other live node follows it,
// has reconciled its store with this epoch's log, delivered all of it, and holds exactly it
// (O(log) per evaluation: eventually properties are judged in the liveness phase only).
std::optional<std::string> check_replicated(const View& view) {
  const Node* primary = newest_primary(view);
  if (primary == nullptr) return "no live primary";
  for (const Pending& p : primary->pending())
    if (!p.answered) return "the primary has not answered " + describe(p.id);
  const auto& entries = primary->store().entries;
  const Seq latest = entries.empty() ? Seq{} : entries.back().seq;
  const Epoch epoch = primary->store().epoch;
  for (const auto& node : view.nodes) {
    if (!node || node.operator->() == primary) continue;
    const std::string name = node_name(node->self().value);
    if (node->is_primary()) return name + " still acts as the primary of an older epoch";
    if (node->store().synced != epoch)
      return name + " has not reconciled with epoch " + describe(epoch) + "'s log";
    if (node->delivered() < latest)
      return name + " delivered up to seq " + describe(node->delivered()) + " of the primary's " +
             describe(latest);
    const auto& held = node->store().entries;
    const auto differ = std::mismatch(entries.begin(), entries.end(), held.begin(), held.end());
    if (differ.first != entries.end())
      return name + " holds " +
             (differ.second == held.end() ? std::string("nothing") : describe(*differ.second)) +
             " where the primary's log has " + describe(*differ.first);
  }
  return std::nullopt;
}

namespace {

// The write concern each post asked for, by message id (its first invocation).
std::map<MessageId, std::uint32_t> requested_w(const Record& record) {
  std::map<MessageId, std::uint32_t> w;
  for (const auto& call : record.history.invocations)
    if (const auto* post = std::get_if<PostMessage>(&call.input)) w.try_emplace(post->id, post->w);
  return w;
}

}  // namespace

// Acknowledged writes the run's final log lacks, in acknowledgement order: (id, w, ack time).
std::vector<LostWrite> lost_acknowledged_writes(const Record& record) {
  const auto w = requested_w(record);
  const std::set<MessageId> kept = kept_ids(record.final_view);
  std::vector<LostWrite> lost;
  std::set<MessageId> counted;
  for (const auto& emission : record.history.emissions) {
    const auto* reply = std::get_if<PostReply>(&emission.output);
    if (reply == nullptr || reply->status != PostStatus::ok || kept.contains(reply->id)) continue;
    const auto it = w.find(reply->id);
    if (it == w.end() || !counted.insert(reply->id).second) continue;
    lost.push_back(LostWrite{reply->id, it->second, emission.time});
  }
  return lost;
}

std::optional<CheckFailure> check_acknowledged_writes_kept(const Record& record) {
  const auto majority = static_cast<std::uint32_t>(record.final_view.nodes.size() / 2 + 1);
  for (const LostWrite& lost : lost_acknowledged_writes(record)) {
    if (lost.w < majority) continue;  // counted (acked_lost_w1, ...), not a failure
    return CheckFailure(describe(lost.id) + ", acknowledged with w=" + std::to_string(lost.w) +
                        " at " + format_time(lost.acknowledged) +
                        ", is not in the final primary's log");
  }
  return std::nullopt;
}

namespace {

// Each rolled-back entry whose message the final log lacks, classified as MongoDB classifies
// rollbacks: whether its client had an `ok` for it at that seq, and whether a read returned it,
// before it was rolled back; sampled as the time from its post to the rollback (one sample per
// node that rolled it back). A message the final log keeps (a post retried at the new primary,
// rolled back only as the old primary's copy) is `rolled_back_kept`.
void rollback_metrics(const Record& record, const std::map<MessageId, Time>& posted,
                      Metrics& metrics) {
  std::set<std::pair<MessageId, Seq>> acknowledged;
  std::set<MessageId> rolled_back;
  const std::set<MessageId> kept = kept_ids(record.final_view);
  for (const auto& emission : record.history.emissions)
    if (const auto* r = std::get_if<RolledBack>(&emission.output)) rolled_back.insert(r->entry.id);
  if (rolled_back.empty()) return;
  std::set<MessageId> read;  // only the rolled-back ids matter
  for (const auto& emission : record.history.emissions) {
    if (const auto* reply = std::get_if<PostReply>(&emission.output)) {
      if (reply->status == PostStatus::ok) acknowledged.insert({reply->id, reply->seq});
    } else if (const auto* reply = std::get_if<MessagesReply>(&emission.output)) {
      for (const MessageId& id : reply->delivered)
        if (rolled_back.contains(id)) read.insert(id);
    } else if (const auto* r = std::get_if<RolledBack>(&emission.output)) {
      const MessageId& id = r->entry.id;
      const std::string name =
          kept.contains(id)
              ? std::string("rolled_back_kept")
              : std::string("rolled_back_") +
                    (acknowledged.contains({id, r->entry.seq}) ? "acked" : "unacked") +
                    (read.contains(id) ? "_read" : "_unread");
      const auto post = posted.find(id);
      metrics[name].push_back(post == posted.end() ? Duration{} : emission.time - post->second);
    }
  }
}

// Replication lag: from a write's first post to each secondary's Delivered naming it (when
// reads from that secondary first return it).
void replication_lag_metric(const Record& record, const std::map<MessageId, Time>& posted_at,
                            Metrics& metrics) {
  std::set<std::pair<NodeId, MessageId>> delivered;
  for (const auto& emission : record.history.emissions)
    if (const auto* d = std::get_if<Delivered>(&emission.output))
      for (const MessageId& id : d->ids)
        if (const auto post = posted_at.find(id);
            post != posted_at.end() && delivered.insert({emission.node, id}).second)
          metrics["replication_lag"].push_back(emission.time - post->second);
}

}  // namespace

Metrics collect_metrics(const Record& record) {
  std::map<MessageId, std::pair<Time, std::uint32_t>> posted;  // id -> first post's time and w
  std::map<MessageId, Time> posted_at;
  for (const auto& call : record.history.invocations)
    if (const auto* post = std::get_if<PostMessage>(&call.input)) {
      posted.try_emplace(post->id, call.time, post->w);
      posted_at.try_emplace(post->id, call.time);
    }
  Metrics metrics{{"ack_latency", {}}, {"read_only_errors", {}}};
  for (const auto& emission : record.history.emissions) {
    const auto* reply = std::get_if<PostReply>(&emission.output);
    if (reply == nullptr) continue;
    const auto it = posted.find(reply->id);
    if (it == posted.end()) continue;
    const auto [time, w] = it->second;
    if (reply->status == PostStatus::ok) {
      metrics["ack_latency"].push_back(emission.time - time);
      metrics["ack_latency_w" + std::to_string(w)].push_back(emission.time - time);
    }
    if (reply->status == PostStatus::read_only)
      metrics["read_only_errors"].push_back(emission.time - time);
  }
  rollback_metrics(record, posted_at, metrics);
  // Time in read-only mode: from a write's ReadOnly to its answer (ok, read_only, not_primary).
  std::map<MessageId, Time> read_only_since;
  for (const auto& emission : record.history.emissions) {
    if (const auto* r = std::get_if<ReadOnly>(&emission.output))
      read_only_since.try_emplace(r->id, emission.time);
    if (const auto* reply = std::get_if<PostReply>(&emission.output))
      if (const auto it = read_only_since.find(reply->id); it != read_only_since.end()) {
        metrics["read_only_time"].push_back(emission.time - it->second);
        read_only_since.erase(it);
      }
  }
  // Catch-up: from the primary seeing a secondary HEALTHY again (its recovery) to that
  // secondary's CaughtUp.
  std::map<NodeId, Time> recovered_at;
  for (const auto& emission : record.history.emissions) {
    if (const auto* h = std::get_if<HealthChanged>(&emission.output);
        h && h->health == Health::healthy)
      recovered_at[h->secondary] = emission.time;
    if (std::holds_alternative<CaughtUp>(emission.output))
      if (const auto it = recovered_at.find(emission.node); it != recovered_at.end()) {
        metrics["catch_up"].push_back(emission.time - it->second);
        recovered_at.erase(it);
      }
  }
  replication_lag_metric(record, posted_at, metrics);
  // A lost acknowledged write: sampled as the time from its acknowledgement to the run's end.
  for (const LostWrite& lost : lost_acknowledged_writes(record))
    metrics["acked_lost_w" + std::to_string(lost.w)].push_back(record.final_view.now -
                                                               lost.acknowledged);
  return metrics;
}

CheckSuite<WriteConcern> check_suite(const Config& config) {
  CheckSuite<WriteConcern> suite;
  using Kind = PropertyKind;
  // no_duplicates first: a message stored twice also breaks the order, and is the cause.
  suite.properties.push_back(Property<WriteConcern>{.name = "no_duplicates",
                                                    .kind = Kind::always,
                                                    .check = check_no_duplicates,
                                                    .monitor = no_duplicates_monitor()});
  suite.properties.push_back(Property<WriteConcern>{.name = "total_order",
                                                    .kind = Kind::always,
                                                    .check = check_total_order,
                                                    .monitor = total_order_monitor()});
  suite.properties.push_back(Property<WriteConcern>{
      .name = "write_concern_honest",
      .kind = Kind::always,
      .check = [config](const View& v) { return check_write_concern_honest(v, config); },
      // With the volatile store the check returns at once: no monitor needed.
      .monitor = config.volatile_store ? MonitorFactory{} : write_concern_honest_monitor()});
  suite.properties.push_back({"one_primary_per_epoch", Kind::always, check_one_primary_per_epoch});
  suite.properties.push_back(Property<WriteConcern>{.name = "majority_acks_kept",
                                                    .kind = Kind::always,
                                                    .check = check_majority_acks_kept,
                                                    .monitor = majority_acks_kept_monitor()});
  // Only a level above one can be unmet (the primary itself is always available): with `one`
  // the property constrains no step, and the simulator copies no node for it.
  suite.properties.push_back(transition_property<WriteConcern>(
      "quorum_guard",
      [config](const NodeStep<WriteConcern>& step) { return check_quorum_guard(step, config); },
      [config](const Node& node) {
        return config.quorum_level != QuorumLevel::one && node.is_primary();
      }));
  suite.properties.push_back({"delivered_a_message", Kind::sometimes, check_delivered_a_message});
  suite.properties.push_back({"replicated", Kind::eventually, check_replicated});
  suite.history_checks.push_back({"acknowledged_writes_kept", /*liveness=*/false,
                                  check_acknowledged_writes_kept, "the nodes' final stores"});
  suite.metrics = collect_metrics;
  suite.metric_names = {"replication_lag",          "catch_up",
                        "read_only_time",           "ack_latency",
                        "read_only_errors",         "rolled_back_kept",
                        "rolled_back_acked_read",   "rolled_back_acked_unread",
                        "rolled_back_unacked_read", "rolled_back_unacked_unread"};
  for (std::uint32_t w = 1; w <= nodes_max; ++w) {
    suite.metric_names.push_back("ack_latency_w" + std::to_string(w));
    suite.metric_names.push_back("acked_lost_w" + std::to_string(w));
  }
  return suite;
}

// `faultline bench engine` rows: the 3-node protocol under load and faults, without and with
// failover (a crash and a restart of the primary under w=2 load).
std::vector<Benchmark> Binding::benchmarks() {
  return {
      Benchmark{"write_concern", Benchmark::Group::engine,
                "write concern, 3 nodes, load + crash + loss",
                "scenarios/write_concern/secondary_crash_catch_up.yaml"},
      Benchmark{"write_concern-failover", Benchmark::Group::engine,
                "write concern, 3 nodes, primary crash, failover",
                "scenarios/write_concern/failover_w_majority.yaml"},
      Benchmark{"write_concern-socket", Benchmark::Group::alone,
                "write concern: w=2 writes/s over real processes with fsync (--set clients=N, "
                "seconds=10s, ...)",
                "", &run_socket_benchmark},
  };
}

Result<void> ModelOptions::validate(std::uint32_t node_count) const {
  if (posts.size() > 8) return fail("posts", 0, "more than 8 posts are beyond any search");
  for (std::size_t i = 0; i < posts.size(); ++i)
    if (posts[i] < 1 || posts[i] > node_count)
      return fail(
          "posts[" + std::to_string(i) + "]", 0,
          "must be 1 to " + std::to_string(node_count) + ", got " + std::to_string(posts[i]));
  return {};
}

Result<explore::Model<WriteConcern>> Binding::model(const Config& config, std::uint32_t node_count,
                                                    const ModelOptions& options) {
  explore::Model<WriteConcern> model;
  model.config = config;
  model.node_count = node_count;
  for (std::size_t i = 0; i < options.posts.size(); ++i)
    model.model_inputs.emplace_back(first_primary,
                                    Input{PostMessage{MessageId{1, i + 1}, options.posts[i]}});
  return model;
}

namespace {

std::uint64_t post_request_id(const MessageId& id) {
  return (std::uint64_t{id.client} << 40) ^ id.number;
}

struct PostMapping {
  std::optional<cli::ReportCall> call(const Input& input) const {
    const auto* post = std::get_if<PostMessage>(&input);
    if (post == nullptr) return std::nullopt;
    return cli::ReportCall{post_request_id(post->id), "post"};
  }
  std::optional<cli::ReportReply> reply(const Output& output) const {
    const auto* reply = std::get_if<PostReply>(&output);
    if (reply == nullptr) return std::nullopt;
    using Outcome = cli::ReportOperation::Outcome;
    const Outcome outcome = reply->status == PostStatus::ok          ? Outcome::ok
                            : reply->status == PostStatus::read_only ? Outcome::unknown
                                                                     : Outcome::failed;
    return cli::ReportReply{post_request_id(reply->id), outcome};
  }
};

}  // namespace

std::vector<cli::ReportOperation> Binding::report_operations(const History<WriteConcern>& history) {
  return cli::pair_report_operations(history, PostMapping{});
}

void Binding::report_gauges(const Node& node, cli::ReportGaugeSink& sink) {
  sink.gauge("delivered sequence", static_cast<std::int64_t>(node.delivered().value));
}

}  // namespace faultline::write_concern
