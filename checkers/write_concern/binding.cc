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

// Whether the store holds id at seq (entries are sorted by seq).
bool holds_at(const Store& store, Seq seq, const MessageId& id) {
  auto at = std::lower_bound(store.entries.begin(), store.entries.end(), seq,
                             [](const Entry& e, Seq s) { return e.seq < s; });
  for (; at != store.entries.end() && at->seq == seq; ++at)
    if (at->id == id) return true;
  return false;
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
  if (config.volatile_store || view.nodes.empty() || !view.nodes[0]) return std::nullopt;
  for (const Pending& p : view.nodes[0]->pending()) {
    if (!p.acknowledged) continue;
    std::uint32_t held = 0;
    for (const auto& disk : view.disks) held += disk && holds_at(*disk, p.seq, p.id);
    if (held >= p.w) continue;
    return describe(p.id) + " (seq " + describe(p.seq) +
           ") was acknowledged with w=" + std::to_string(p.w) + " but only " +
           std::to_string(held) + " node(s) have stored it durably";
  }
  return std::nullopt;
}

std::optional<std::string> check_delivered_a_message(const View& view) {
  for (const auto& node : view.nodes)
    if (node && node->delivered() >= Seq{1}) return std::nullopt;
  return "no node delivered a message";
}

std::optional<std::string> check_replicated(const View& view) {
  if (view.nodes.empty() || !view.nodes[0]) return "the primary n0 is down";
  const Node& primary = *view.nodes[0];
  for (const Pending& p : primary.pending())
    if (!p.answered) return "the primary has not answered " + describe(p.id);
  const auto& entries = primary.store().entries;
  const Seq latest = entries.empty() ? Seq{} : entries.back().seq;
  for (std::size_t i = 1; i < view.nodes.size(); ++i) {
    if (!view.nodes[i] || view.nodes[i]->delivered() >= latest) continue;
    return node_name(i) + " delivered up to seq " + describe(view.nodes[i]->delivered()) +
           " of the primary's " + describe(latest);
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

std::optional<CheckFailure> check_acknowledged_writes_kept(const Record& record) {
  const auto w = requested_w(record);
  const std::uint32_t majority = static_cast<std::uint32_t>(record.final_view.nodes.size() / 2 + 1);
  std::set<MessageId> held;  // by some node at the end, live or on disk
  for_each_store(record.final_view, [&](const Store& store, const std::string&) {
    for (const Entry& e : store.entries) held.insert(e.id);
  });
  for (const auto& emission : record.history.emissions) {
    const auto* reply = std::get_if<PostReply>(&emission.output);
    if (reply == nullptr || reply->status != PostStatus::ok) continue;
    const auto it = w.find(reply->id);
    if (it == w.end() || it->second < majority) continue;
    if (held.contains(reply->id)) continue;
    return CheckFailure(describe(reply->id) +
                        ", acknowledged with w=" + std::to_string(it->second) + " at " +
                        format_time(emission.time) + ", is held by no node at the end");
  }
  return std::nullopt;
}

Metrics collect_metrics(const Record& record) {
  std::map<MessageId, std::pair<Time, std::uint32_t>> posted;  // id -> first post's time and w
  for (const auto& call : record.history.invocations)
    if (const auto* post = std::get_if<PostMessage>(&call.input))
      posted.try_emplace(post->id, call.time, post->w);
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
      .monitor = write_concern_honest_monitor()});
  suite.properties.push_back({"delivered_a_message", Kind::sometimes, check_delivered_a_message});
  suite.properties.push_back({"replicated", Kind::eventually, check_replicated});
  suite.history_checks.push_back({"acknowledged_writes_kept", /*liveness=*/false,
                                  check_acknowledged_writes_kept, "the nodes' final stores"});
  suite.metrics = collect_metrics;
  suite.metric_names = {"ack_latency", "read_only_errors"};
  for (std::uint32_t w = 1; w <= nodes_max; ++w)
    suite.metric_names.push_back("ack_latency_w" + std::to_string(w));
  return suite;
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
    model.model_inputs.emplace_back(primary_id,
                                    Input{PostMessage{MessageId{1, i + 1}, options.posts[i]}});
  return model;
}

}  // namespace faultline::write_concern
