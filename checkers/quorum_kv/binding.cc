#include "checkers/quorum_kv/binding.h"

#include <algorithm>
#include <map>
#include <string>
#include <variant>

#include "sim/core/describe.h"
#include "sim/core/monitor.h"

namespace faultline::quorum_kv {

namespace {

std::string node_name(std::size_t i) { return "n" + std::to_string(i); }

}  // namespace

std::optional<std::string> check_one_identity(const View& view) {
  std::map<std::uint32_t, std::size_t> holder;  // identity -> the first live node claiming it
  for (std::size_t i = 0; i < view.nodes.size(); ++i) {
    if (!view.nodes[i]) continue;
    const std::optional<Identity> identity = view.nodes[i]->claimed();
    if (!identity) continue;
    const auto [it, fresh] = holder.try_emplace(identity->value, i);
    if (!fresh)
      return "two live nodes claim replica " + describe(*identity) + ": " + node_name(it->second) +
             " and " + node_name(i) +
             " (a ghost: the registry handed the identity on while its holder was alive)";
  }
  return std::nullopt;
}

std::optional<std::string> check_acked_writes_stored(const View& view, const Config& config) {
  for (const auto& node : view.nodes) {  // the leader, or leaderless write coordinators
    if (!node) continue;
    for (const PendingWrite& p : node->pending_writes()) {
      if (!p.acknowledged) continue;
      std::uint32_t held = 0;
      for (const auto& disk : view.disks)
        held += disk && (p.clock.empty() ? disk->holds(p.key, p.version)
                                         : disk->holds_clock(p.key, p.clock));
      if (held >= config.write_quorum) continue;
      return "write " + describe(p.id) + " (" + p.key + " version " + describe(p.version) +
             ") was acknowledged with W=" + std::to_string(config.write_quorum) + " but only " +
             std::to_string(held) + " disk(s) hold it";
    }
  }
  return std::nullopt;
}

namespace {

// Version vectors: live replica i holds, for every key it is a preference replica of, the same
// siblings as every other live replica that holds that key.
std::optional<std::string> siblings_converged(const View& view, const Config& config,
                                              std::size_t i) {
  const Store& mine = view.nodes[i]->store();
  for (const auto& other : view.nodes) {
    if (!other || !other->is_replica()) continue;
    for (const Sibling& sibling : other->store().siblings) {
      const auto list = preference_list(config, sibling.item.key);
      if (std::find(list.begin(), list.end(), *view.nodes[i]->claimed()) == list.end()) continue;
      if (mine.siblings_of(sibling.item.key) != other->store().siblings_of(sibling.item.key))
        return node_name(i) + " holds " +
               std::to_string(mine.siblings_of(sibling.item.key).size()) + " sibling(s) of " +
               sibling.item.key + ", another replica " +
               std::to_string(other->store().siblings_of(sibling.item.key).size()) + " that differ";
    }
  }
  return std::nullopt;
}

}  // namespace

// Leaderless: every live preference replica of each key holds the same item (and the same
// siblings), and no live replica still holds a hint.
std::optional<std::string> check_converged_leaderless(const View& view, const Config& config) {
  std::map<std::string, std::pair<Item, std::size_t>> first;  // key -> an item and its holder
  for (std::size_t i = 0; i < view.nodes.size(); ++i) {
    const auto& node = view.nodes[i];
    if (!node || !node->is_replica()) continue;
    if (!node->store().hints.empty())
      return node_name(i) + " still holds " + std::to_string(node->store().hints.size()) +
             " hint(s) for a replica";
    if (auto siblings = siblings_converged(view, config, i)) return siblings;
    for (const auto& other : view.nodes) {
      if (!other || !other->is_replica()) continue;
      for (const Item& item : other->store().items) {
        const auto list = preference_list(config, item.key);
        if (std::find(list.begin(), list.end(), *node->claimed()) == list.end()) continue;
        const Item* mine = node->store().find(item.key);
        if (mine == nullptr || mine->version < item.version)
          return node_name(i) + " holds " + item.key + " at version " +
                 describe(node->store().version_of(item.key)) + ", another replica at " +
                 describe(item.version);
      }
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_converged(const View& view) {
  const Node* leader = nullptr;
  for (const auto& node : view.nodes)
    if (node && node->is_leader()) leader = &*node;
  if (leader == nullptr) return "no live node is the leader";
  for (std::size_t i = 0; i < view.nodes.size(); ++i) {
    const auto& node = view.nodes[i];
    if (!node || !node->is_replica() || &*node == leader) continue;
    if (node->store().items == leader->store().items) continue;
    for (const Item& item : leader->store().items)
      if (node->store().version_of(item.key) != item.version)
        return node_name(i) + " holds " + item.key + " at version " +
               describe(node->store().version_of(item.key)) + ", the leader at " +
               describe(item.version);
    return node_name(i) + " holds a key the leader does not";
  }
  return std::nullopt;
}

std::optional<CheckFailure> check_rate_limited_per_window(const Record& record,
                                                          const Config& config) {
  std::map<std::uint32_t, std::uint32_t> admitted;  // client -> in this window
  Time window_start;
  for (const auto& emission : record.history.emissions) {
    if (emission.node != gateway_node) continue;
    if (std::holds_alternative<WindowOpened>(emission.output)) {
      admitted.clear();
      window_start = emission.time;
    }
    const auto* a = std::get_if<Admitted>(&emission.output);
    if (a == nullptr || ++admitted[a->client] <= config.rate_limit_max) continue;
    return CheckFailure(
        "client " + std::to_string(a->client) + " had " + std::to_string(admitted[a->client]) +
        " requests admitted in the window opened at " + format_duration(window_start - Time{}) +
        "; rate_limit_max is " + std::to_string(config.rate_limit_max));
  }
  return std::nullopt;
}

Duration detection_bound(const Config& config) {
  return config.heartbeat_interval * (config.timeout_ticks() + 2);
}

// ---- linearizability ------------------------------------------------------------------------

std::uint64_t request_key(const RequestId& id) {
  return (static_cast<std::uint64_t>(id.client) << 32) | (id.number & 0xffffffffu);
}

std::optional<lin::Call> LinearizabilityMapping::call(const Input& input) const {
  lin::Call call;
  if (const auto* write = std::get_if<Write>(&input)) {
    call.request_id = request_key(write->id);
    call.key = write->key;
    call.kind = lin::OpKind::write;
    call.argument = write->value;
    return call;
  }
  if (const auto* read = std::get_if<Read>(&input)) {
    call.request_id = request_key(read->id);
    call.key = read->key;
    call.kind = lin::OpKind::read;
    return call;
  }
  return std::nullopt;
}

// A refusal (429, 503) of a request's first attempt is definite (nothing was stored); of a
// retry it is not (an earlier attempt may have been), nor is a timeout; a read's failure
// changes nothing either way. An ok read of a key never written returns nil.
std::optional<lin::Reply> LinearizabilityMapping::reply(const Output& output) const {
  const auto* reply = std::get_if<Reply>(&output);
  if (reply == nullptr) return std::nullopt;
  lin::Reply r;
  r.request_id = request_key(reply->id);
  switch (reply->status) {
    case Status::ok: r.status = lin::Reply::Status::ok; break;
    case Status::rate_limited:
    case Status::unavailable:
      r.status = reply->write && reply->attempt > 0 ? lin::Reply::Status::unknown
                                                    : lin::Reply::Status::failed;
      break;
    case Status::timeout: r.status = lin::Reply::Status::unknown; break;
  }
  if (reply->status == Status::ok && !reply->write && reply->version > Version{})
    r.result = reply->value;
  return r;
}

std::optional<lin::ClientOperations> Binding::client_operations(
    const History<QuorumKv>& history, std::span<const int> invocation_lines) {
  return lin::ClientOperations{
      linearizability_model,
      lin::history_from_simulation<QuorumKv>(history, LinearizabilityMapping{}, invocation_lines)};
}

// ---- monitors -------------------------------------------------------------------------------

namespace {

// What acked_writes_stored read of one node at the last update: the acknowledged writes it
// tracked, and what its disk held (each item's version, in key order; the hints).
struct AckedWritesKey {
  std::vector<std::uint64_t> acknowledged;  // request keys
  std::vector<Version> versions;
  std::vector<Hint> hints;
  std::vector<Sibling> siblings;
};

bool hint_kept(const Hint& old, const std::vector<Hint>& hints) {
  return std::any_of(hints.begin(), hints.end(), [&](const Hint& h) {
    return h.intended == old.intended && h.item.key == old.item.key &&
           h.item.version >= old.item.version;
  });
}

// Whether the node acknowledged a write it had not; brings `acknowledged` up to date.
bool refresh_acknowledged(const std::optional<Node>& node, std::vector<std::uint64_t>& acked) {
  bool fresh = false;
  std::size_t count = 0;
  if (node)
    for (const PendingWrite& p : node->pending_writes()) {
      if (!p.acknowledged) continue;
      count += 1;
      fresh = fresh || std::find(acked.begin(), acked.end(), request_key(p.id)) == acked.end();
    }
  if (!fresh && count == acked.size()) return false;
  acked.clear();
  if (node)
    for (const PendingWrite& p : node->pending_writes())
      if (p.acknowledged) acked.push_back(request_key(p.id));
  return fresh;
}

// Whether the disk may hold less than it did (an item's version went down, a key was added so
// versions cannot be compared by place, a hint went); brings the key up to date.
bool refresh_disk(const std::optional<Store>& disk, AckedWritesKey& key) {
  const std::size_t size = disk ? disk->items.size() : 0;
  bool less = size != key.versions.size();
  if (less) key.versions.clear();
  for (std::size_t i = 0; i < size; ++i) {
    const Version now = disk->items[i].version;
    if (i == key.versions.size()) key.versions.push_back(now);
    less = less || now < key.versions[i];
    key.versions[i] = now;
  }
  static const std::vector<Sibling> no_siblings;
  const std::vector<Sibling>& siblings = disk ? disk->siblings : no_siblings;
  if (siblings != key.siblings) {  // version vectors: any change may drop one (conservative)
    less = true;
    key.siblings = siblings;
  }
  static const std::vector<Hint> none;
  const std::vector<Hint>& hints = disk ? disk->hints : none;
  if (hints == key.hints) return less;
  less = less || !std::all_of(key.hints.begin(), key.hints.end(),
                              [&](const Hint& h) { return hint_kept(h, hints); });
  key.hints = hints;
  return less;
}

// acked_writes_stored's monitor: the check runs again only after an event that may break it, a
// new acknowledgement or a disk that may hold less. Otherwise every write acknowledged before
// is still acknowledged or forgotten and every disk holds at least what it held, so a verdict
// that held still holds. In place: no allocation once the vectors have their size.
auto acked_writes_monitor() {
  return keyed_monitor<QuorumKv, AckedWritesKey>(
      [](const View& view, std::size_t node, std::optional<AckedWritesKey>& key) {
        const bool first = !key;
        if (first) key.emplace();
        const bool acknowledged = refresh_acknowledged(view.nodes[node], key->acknowledged);
        const bool less = refresh_disk(view.disks[node], *key);
        return first || acknowledged || less;
      });
}

}  // namespace

// ---- the suite ------------------------------------------------------------------------------

CheckSuite<QuorumKv> check_suite(const Config& config) {
  CheckSuite<QuorumKv> suite;
  using Kind = PropertyKind;
  suite.properties.push_back(
      {"one_identity",
       Kind::always,
       check_one_identity,
       {},
       {},
       keyed_monitor_of<QuorumKv, Identity>(
           [](const View& view, std::size_t node) -> std::optional<Identity> {
             return view.nodes[node] ? view.nodes[node]->claimed() : std::nullopt;
           })});
  suite.properties.push_back(
      {"acked_writes_stored",
       Kind::always,
       [config](const View& view) { return check_acked_writes_stored(view, config); },
       {},
       {},
       acked_writes_monitor()});
  if (config.mode == Mode::leaderless)
    suite.properties.push_back({"converged", Kind::eventually, [config](const View& view) {
                                  return check_converged_leaderless(view, config);
                                }});
  else
    suite.properties.push_back({"converged", Kind::eventually, check_converged});
  if (promises_linearizability(config))
    suite.history_checks.push_back(
        lin::linearizable_check<QuorumKv>(linearizability_model, LinearizabilityMapping{}));
  if (config.rate_limit)
    suite.history_checks.push_back(
        {"rate_limited_per_window", /*liveness=*/false,
         [config](const Record& r) { return check_rate_limited_per_window(r, config); }});
  suite.history_checks.push_back(
      {"dead_detected", /*liveness=*/true,
       [config](const Record& r) { return check_dead_detected(r, config); }, "the fault log"});
  suite.metrics = [config](const Record& record) { return collect_metrics(record, config); };
  suite.metric_names = {"write_latency", "read_latency",         "rate_limited", "write_failed",
                        "read_failed",   "stale_read",           "detection",    "catch_up",
                        "spawn",         "surplus_replica_time", "lost_update",  "sibling_read"};
  for (int k = 1; k <= 9; ++k) suite.metric_names.push_back("stale_read_k" + std::to_string(k));
  return suite;
}

// ---- the model checker ----------------------------------------------------------------------

Result<void> ModelOptions::validate(std::uint32_t) const {
  if (writes + reads > 6) return fail("writes", 0, "writes + reads above 6 are beyond any search");
  return {};
}

Result<explore::Model<QuorumKv>> Binding::model(const Config& config, std::uint32_t node_count,
                                                const ModelOptions& options) {
  explore::Model<QuorumKv> model;
  model.config = config;
  model.node_count = node_count;
  for (std::uint32_t i = 0; i < options.writes + options.reads; ++i) {
    const RequestId id{i + 1, 1};
    const Input input =
        i < options.writes ? Input{Write{id, "k0", value_of(id), 0}} : Input{Read{id, "k0", 0}};
    model.model_inputs.emplace_back(gateway_node, input);
  }
  return model;
}

void Binding::finish_model(explore::Model<QuorumKv>& model) {
  explore::Model<QuorumKv>::ClientHistory history;
  history.records = [](const Output& output) {
    const auto* reply = std::get_if<Reply>(&output);
    return reply != nullptr;
  };
  history.client_of = [](const Input& input) -> std::optional<ClientId> {
    if (const auto* w = std::get_if<Write>(&input)) return ClientId{w->id.client};
    if (const auto* r = std::get_if<Read>(&input)) return ClientId{r->id.client};
    return std::nullopt;
  };
  if (promises_linearizability(model.config))
    history.checks.push_back(
        lin::linearizable_check<QuorumKv>(linearizability_model, LinearizabilityMapping{}));
  model.client_history = std::move(history);
}

std::vector<Benchmark> Binding::benchmarks() {
  return {
      Benchmark{"quorum_kv", Benchmark::Group::engine,
                "quorum KV, leader + 3 followers, load + follower crash",
                "scenarios/quorum_kv/follower_crash_catch_up.yaml"},
      Benchmark{"quorum_kv-pbs", Benchmark::Group::alone,
                "quorum KV leaderless: simulated stale-read probability against PBS's closed form "
                "for five (N, R, W) and the t-visibility curve (--set reads=N, mean=10ms)",
                "", &run_pbs_benchmark},
      Benchmark{"quorum_kv-socket", Benchmark::Group::alone,
                "quorum KV: W=2 writes/s through the gateway over real processes with fsync, "
                "leader + 2 followers (--set clients=N, seconds=10s, ...)",
                "", &run_socket_benchmark},
  };
}

std::vector<cli::ReportOperation> Binding::report_operations(const History<QuorumKv>& history) {
  return cli::pair_report_operations(history, cli::ReportFromLinMapping<LinearizabilityMapping>{});
}

void Binding::report_gauges(const Node& node, cli::ReportGaugeSink& sink) {
  sink.gauge("keys unconfirmed by followers", static_cast<std::int64_t>(node.unacked().size()));
  sink.gauge("hints held", static_cast<std::int64_t>(node.store().hints.size()));
  sink.gauge("sibling versions", static_cast<std::int64_t>(node.store().siblings.size()));
}

}  // namespace faultline::quorum_kv
