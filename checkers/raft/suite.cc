#include "checkers/raft/suite.h"

#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "sim/core/describe.h"
#include "sim/core/monitor.h"

namespace faultline::raft {

namespace {

std::string node_name(std::size_t i) { return "n" + std::to_string(i); }

std::string describe_entry_at(const Disk& d, Index i) {
  const Entry* e = d.find(i);
  return e ? describe(*e) : "(compacted)";
}

}  // namespace

std::uint64_t request_id(std::uint64_t client, std::uint64_t seq) { return (client << 32) | seq; }

// ---- always ---------------------------------------------------------------------------------
//
// Each always property is a loop over pairs of nodes with a pair test (the *_pair functions):
// `check_*` runs the loop on a whole view, for the explorer and for the message; the monitors
// (check_suite, below) run the same pair tests only on the pairs an event can have changed.

namespace {

std::optional<std::string> election_pair(const View& view, std::size_t a, std::size_t b) {
  if (!view.nodes[a] || !view.nodes[a]->is_leader() || !view.nodes[b] ||
      !view.nodes[b]->is_leader() || view.nodes[b]->current_term() != view.nodes[a]->current_term())
    return std::nullopt;
  return node_name(a) + " and " + node_name(b) + " are both leader of term " +
         describe(view.nodes[a]->current_term());
}

// The highest index where both logs hold the same term must hold the same chained checksum;
// that one comparison covers every lower index too (the checksum chains the whole prefix).
std::optional<std::string> log_matching_pair(const View& view, std::size_t a, std::size_t b) {
  if (!view.disks[a] || !view.disks[b]) return std::nullopt;
  const Disk& da = *view.disks[a];
  const Disk& db = *view.disks[b];
  const Index low = std::max(da.snapshot.last_index, db.snapshot.last_index);
  for (Index i = std::min(da.last_index(), db.last_index()); i >= low && i > Index{}; --i) {
    if (*da.term_at(i) != *db.term_at(i)) continue;
    if (*da.checksum_at(i) != *db.checksum_at(i))
      return "the logs of " + node_name(a) + " and " + node_name(b) + " both hold term " +
             describe(*da.term_at(i)) + " at index " + describe(i) +
             " but differ at or before it: " + node_name(a) + " has " + describe_entry_at(da, i) +
             ", " + node_name(b) + " has " + describe_entry_at(db, i);
    break;
  }
  return std::nullopt;
}

// Leader l holds every entry follower f knows is committed, when f learned it in a term no later
// than the leader's (the commit happened in a term <= the leader's).
std::optional<std::string> completeness_pair(const View& view, std::size_t l, std::size_t f) {
  if (l == f || !view.nodes[l] || !view.nodes[l]->is_leader() || !view.nodes[f])
    return std::nullopt;
  const Node& leader = *view.nodes[l];
  const Node& follower = *view.nodes[f];
  const Index c = follower.commit_index();
  if (c == Index{} || follower.current_term() > leader.current_term()) return std::nullopt;
  if (c > leader.last_index())
    return "leader " + node_name(l) + " (term " + describe(leader.current_term()) +
           ") lacks index " + describe(c) + ", which " + node_name(f) +
           " knows is committed (its log ends at " + describe(leader.last_index()) + ")";
  const auto mine = leader.checksum_at(c);
  const auto theirs = follower.checksum_at(c);
  if (mine && theirs && *mine != *theirs)
    return "leader " + node_name(l) + " (term " + describe(leader.current_term()) +
           ") holds a different entry at index " + describe(c) + ", which " + node_name(f) +
           " knows is committed: " + describe_entry_at(leader.disk(), c) + " vs " +
           describe_entry_at(follower.disk(), c);
  return std::nullopt;
}

std::optional<std::string> state_machine_pair(const View& view, std::size_t a, std::size_t b) {
  if (!view.nodes[a] || !view.nodes[b]) return std::nullopt;
  const Index i = std::min(view.nodes[a]->last_applied(), view.nodes[b]->last_applied());
  if (i == Index{}) return std::nullopt;
  const auto ca = view.nodes[a]->checksum_at(i);
  const auto cb = view.nodes[b]->checksum_at(i);
  if (!ca || !cb || *ca == *cb) return std::nullopt;
  return node_name(a) + " and " + node_name(b) + " applied different logs through index " +
         describe(i) + ": " + describe_entry_at(view.nodes[a]->disk(), i) + " vs " +
         describe_entry_at(view.nodes[b]->disk(), i);
}

std::optional<std::string> state_checksum_pair(const View& view, std::size_t a, std::size_t b) {
  if (!view.nodes[a] || !view.nodes[b] ||
      view.nodes[a]->last_applied() != view.nodes[b]->last_applied() ||
      view.nodes[a]->state().state_checksum == view.nodes[b]->state().state_checksum)
    return std::nullopt;
  return node_name(a) + " and " + node_name(b) + " both applied through index " +
         describe(view.nodes[a]->last_applied()) +
         " but their state checksums differ: " + describe(view.nodes[a]->state().data) + " vs " +
         describe(view.nodes[b]->state().data);
}

// The first failing pair a < b, in the order the loops have always reported.
using PairTest = std::optional<std::string> (*)(const View&, std::size_t, std::size_t);
std::optional<std::string> first_failing_pair(const View& view, PairTest test) {
  for (std::size_t a = 0; a < view.nodes.size(); ++a)
    for (std::size_t b = a + 1; b < view.nodes.size(); ++b)
      if (auto reason = test(view, a, b)) return reason;
  return std::nullopt;
}

// Whether node n takes part in committed_on_quorum: down, or up in the initial configuration
// of every node (a membership change moves the quorum the entry was committed by; see below).
bool in_initial_configuration(const View& view, std::size_t n) {
  return !view.nodes[n] || view.nodes[n]->members().size() == view.nodes.size();
}

// Node i's committed prefix (up to its commit index c) is on a majority of the disks: each holds
// index c at the same chained checksum (which stands for the whole prefix), or has compacted
// past it (a snapshot covers only committed entries).
std::optional<std::string> quorum_log_node(const View& view, std::size_t i) {
  if (!view.nodes[i]) return std::nullopt;
  const Index c = view.nodes[i]->commit_index();
  if (c == Index{}) return std::nullopt;
  const auto mine = view.nodes[i]->checksum_at(c);
  if (!mine) return std::nullopt;  // compacted on i too: its snapshot stands for it
  // Counting stops at a majority: the count is written only when it falls short.
  const std::size_t majority = view.nodes.size() / 2 + 1;
  std::size_t holders = 0;
  for (std::size_t j = 0; j < view.disks.size(); ++j) {
    if (!view.disks[j]) continue;
    const Disk& disk = *view.disks[j];
    const auto theirs = disk.checksum_at(c);
    if (disk.snapshot.last_index >= c || (theirs && *theirs == *mine)) ++holders;
    if (holders >= majority) return std::nullopt;
  }
  return node_name(i) + " knows index " + describe(c) + " is committed, but only " +
         std::to_string(holders) + " of " + std::to_string(view.nodes.size()) +
         " disks hold it (a majority is " + std::to_string(majority) +
         "): " + describe_entry_at(view.nodes[i]->disk(), c);
}

}  // namespace

std::optional<std::string> check_election_safety(const View& view) {
  return first_failing_pair(view, election_pair);
}

std::optional<std::string> check_log_matching(const View& view) {
  return first_failing_pair(view, log_matching_pair);
}

// Leaders in node order, each against every other node in node order.
std::optional<std::string> check_leader_completeness(const View& view) {
  for (std::size_t l = 0; l < view.nodes.size(); ++l) {
    if (!view.nodes[l] || !view.nodes[l]->is_leader()) continue;
    for (std::size_t f = 0; f < view.nodes.size(); ++f)
      if (auto reason = completeness_pair(view, l, f)) return reason;
  }
  return std::nullopt;
}

std::optional<std::string> check_committed_on_quorum(const View& view) {
  for (std::size_t n = 0; n < view.nodes.size(); ++n)
    if (!in_initial_configuration(view, n)) return std::nullopt;
  for (std::size_t i = 0; i < view.nodes.size(); ++i)
    if (auto reason = quorum_log_node(view, i)) return reason;
  return std::nullopt;
}

std::optional<std::string> check_state_machine_safety(const View& view) {
  return first_failing_pair(view, state_machine_pair);
}

std::optional<std::string> check_state_checksum_agreement(const View& view) {
  return first_failing_pair(view, state_checksum_pair);
}

// ---- transition -----------------------------------------------------------------------------

// Leader append-only (Figure 3): while a node stays leader of one term, each of its steps leaves
// its log an extension of the log before: the entry at the old last index is still there with
// the same chained checksum, which covers every entry up to it, so one lookup checks the whole
// old log. Compaction is no violation: an entry in the snapshot is gone from the log but still
// chained into the snapshot's checksum, and the old last index is the snapshot's or later.
// A step that compacts past the old last index (a one-member cluster commits, applies and
// compacts what it appended in one step) leaves nothing to compare with: it passes.
std::optional<std::string> check_leader_append_only(const NodeStep<Raft>& step) {
  if (step.before == nullptr || step.after == nullptr) return std::nullopt;  // a crash or a restart
  const Node& was = *step.before;
  const Node& is = *step.after;
  if (!was.is_leader() || !is.is_leader() || was.current_term() != is.current_term())
    return std::nullopt;
  const Disk& before = was.disk();
  const Disk& after = is.disk();
  const Index last = before.last_index();
  const auto who = [&] {
    return node_name(step.node.value) + ", leader of term " + describe(is.current_term()) + ",";
  };
  if (after.last_index() < last)
    return who() + " removed entries from its log: it ended at index " + describe(last) + " (" +
           describe_entry_at(before, last) + ") and now ends at " + describe(after.last_index());
  if (last < after.snapshot.last_index) return std::nullopt;
  if (*before.checksum_at(last) == *after.checksum_at(last)) return std::nullopt;
  // Chained checksums differ from the first changed index on: name it (only on a violation).
  Index changed = std::max(before.snapshot.last_index, after.snapshot.last_index);
  while (changed < last && *before.checksum_at(changed) == *after.checksum_at(changed)) ++changed;
  return who() + " overwrote its log at index " + describe(changed) + ": " +
         describe_entry_at(before, changed) + " became " + describe_entry_at(after, changed) +
         " (its log ended at " + describe(last) + " and now ends at " +
         describe(after.last_index()) + ")";
}

// ---- sometimes / eventually -----------------------------------------------------------------

std::optional<std::string> check_leader_committed(const View& view) {
  for (const auto& node : view.nodes)
    if (node && node->is_leader() && node->committed_in_term()) return std::nullopt;
  return "no leader has committed an entry of its term";
}

// A stable leader: it committed in its term, and every running member follows that term.
std::optional<std::string> check_leader_elected(const View& view) {
  for (std::size_t l = 0; l < view.nodes.size(); ++l) {
    if (!view.nodes[l] || !view.nodes[l]->is_leader() || !view.nodes[l]->committed_in_term())
      continue;
    const Node& leader = *view.nodes[l];
    for (NodeId m : leader.members()) {
      if (m.value >= view.nodes.size() || !view.nodes[m.value] || m.value == l) continue;
      const Node& member = *view.nodes[m.value];
      if (member.current_term() != leader.current_term() || member.raft_role() != Role::follower)
        return node_name(m.value) + " is " + std::string(to_string(member.raft_role())) +
               " in term " + describe(member.current_term()) + " while " + node_name(l) +
               " leads term " + describe(leader.current_term());
    }
    return std::nullopt;
  }
  return "no node is a leader that has committed in its term";
}

// ---- history --------------------------------------------------------------------------------

std::optional<CheckFailure> check_one_leader_per_term(const Record& record) {
  std::map<Term, std::uint32_t> leader_of;
  for (const auto& e : record.history.emissions) {
    const auto* became = std::get_if<BecameLeader>(&e.output);
    if (became == nullptr) continue;
    const auto [it, inserted] = leader_of.emplace(became->term, e.node.value);
    if (!inserted && it->second != e.node.value)
      return CheckFailure(node_name(it->second) + " and " + node_name(e.node.value) +
                          " were both elected leader of term " + describe(became->term) +
                          " (the second at " + format_time(e.time) + ")");
  }
  return std::nullopt;
}

// Every write a client was told succeeded stays at the index it was acknowledged at, on every
// running node that has committed that far; and the final leader holds it.
std::optional<CheckFailure> check_acknowledged_writes_durable(const Record& record) {
  for (const auto& e : record.history.emissions) {
    const auto* reply = std::get_if<ClientReply>(&e.output);
    if (reply == nullptr || reply->status != ReplyStatus::ok || reply->index == Index{}) continue;
    for (std::size_t n = 0; n < record.final_view.nodes.size(); ++n) {
      const auto& node = record.final_view.nodes[n];
      if (!node) continue;
      const bool must_hold =
          node->commit_index() >= reply->index || (node->is_leader() && node->committed_in_term());
      if (!must_hold || reply->index < node->first_index()) continue;
      // Written only on a failure: built for every reply and node, it was most of the check.
      const auto what = [&] {
        return "client " + std::to_string(reply->client) + " seq " + std::to_string(reply->seq) +
               ", acknowledged at index " + describe(reply->index) + " at " + format_time(e.time);
      };
      if (reply->index > node->last_index())
        return CheckFailure("the write of " + what() + " is missing from " + node_name(n) +
                            ", whose log ends at " + describe(node->last_index()));
      const auto* command = std::get_if<ClientCommand>(&node->entry_at(reply->index).command);
      if (command == nullptr || command->client != reply->client || command->seq != reply->seq)
        return CheckFailure("the write of " + what() + " was replaced on " + node_name(n) + " by " +
                            describe(node->entry_at(reply->index)));
    }
  }
  return std::nullopt;
}

std::optional<lin::Call> LinearizabilityMapping::call(const Input& input) const {
  const auto* request = std::get_if<ClientRequest>(&input);
  // A retry is the same operation (history_from_simulation keeps the first invocation of each
  // request id); mapped all the same, so a history whose first attempt is missing (a model
  // checker's schedule may hold only a retry) still invokes the operation.
  if (request == nullptr) return std::nullopt;
  lin::Call call;
  call.request_id = request_id(request->client, request->seq);
  if (const auto* put = std::get_if<Put>(&request->operation)) {
    call.key = put->key;
    call.kind = lin::OpKind::write;
    call.argument = put->value;
  } else if (const auto* get = std::get_if<Get>(&request->operation)) {
    call.key = get->key;
    call.kind = lin::OpKind::read;
  } else {
    const Cas& cas = std::get<Cas>(request->operation);
    call.key = cas.key;
    call.kind = lin::OpKind::cas;
    if (cas.expected) call.argument = *cas.expected;
    call.argument2 = cas.value;
  }
  return call;
}

std::optional<lin::Reply> LinearizabilityMapping::reply(const Output& output) const {
  const auto* reply = std::get_if<ClientReply>(&output);
  if (reply == nullptr || reply->status != ReplyStatus::ok) return std::nullopt;
  lin::Reply r;
  r.request_id = request_id(reply->client, reply->seq);
  // A Cas that found another value definitely did not happen; every other ok reply completed.
  r.status = reply->result.ok ? lin::Reply::Status::ok : lin::Reply::Status::failed;
  if (reply->result.value) r.result = *reply->result.value;
  return r;
}

// ---- metrics --------------------------------------------------------------------------------

namespace {

struct LeaderLoss {
  Time at;
  Term term;
};

// When a leader stopped being able to lead: it crashed or paused, or a partition left it in a
// component without a majority of the cluster. Leadership is followed through the outputs.
std::vector<LeaderLoss> leader_losses(const Record& record) {
  const std::size_t node_count = record.node_names.size();
  std::vector<std::optional<Term>> leading(node_count);  // by node: the term it leads
  std::vector<LeaderLoss> losses;
  std::vector<Term> lost_terms;
  auto lose = [&](std::size_t n, Time at) {
    if (!leading[n]) return;
    if (std::find(lost_terms.begin(), lost_terms.end(), *leading[n]) == lost_terms.end()) {
      losses.push_back({at, *leading[n]});
      lost_terms.push_back(*leading[n]);
    }
  };
  std::size_t e = 0;
  const auto& emissions = record.history.emissions;
  for (const FaultRecord& fault : record.faults) {
    for (; e < emissions.size() && emissions[e].time <= fault.time; ++e) {
      const std::size_t n = emissions[e].node.value;
      if (const auto* b = std::get_if<BecameLeader>(&emissions[e].output))
        leading[n] = b->term;
      else if (std::holds_alternative<SteppedDown>(emissions[e].output))
        leading[n].reset();
    }
    switch (fault.kind) {
      case FaultRecord::Kind::crash:
      case FaultRecord::Kind::pause:
        for (NodeId n : fault.nodes) {
          lose(n.value, fault.time);
          if (fault.kind == FaultRecord::Kind::crash) leading[n.value].reset();
        }
        break;
      case FaultRecord::Kind::partition:
        for (NodeId n : fault.nodes) lose(n.value, fault.time);  // isolate
        for (const auto& component : fault.components)
          if (component.size() * 2 <= node_count)
            for (NodeId n : component) lose(n.value, fault.time);
        break;
      default: break;
    }
  }
  return losses;
}

}  // namespace

Metrics collect_metrics(const Record& record) {
  Metrics metrics;
  const auto& emissions = record.history.emissions;
  for (const LeaderLoss& loss : leader_losses(record)) {
    std::optional<Time> elected, committed;
    for (const auto& e : emissions) {
      if (e.time < loss.at) continue;
      if (const auto* b = std::get_if<BecameLeader>(&e.output);
          b && b->term > loss.term && !elected)
        elected = e.time;
      if (const auto* c = std::get_if<LeaderCommitted>(&e.output);
          c && c->term > loss.term && !committed)
        committed = e.time;
      if (elected && committed) break;
    }
    if (elected) metrics["election"].push_back(*elected - loss.at);
    if (committed) metrics["failover"].push_back(*committed - loss.at);
  }
  // Client latencies: from a request's first attempt to its first ok answer.
  struct Request {
    Time invoked;
    bool read = false;
    bool retried = false;
    bool answered = false;
  };
  std::map<std::uint64_t, Request> requests;
  for (const auto& inv : record.history.invocations) {
    const auto* request = std::get_if<ClientRequest>(&inv.input);
    if (request == nullptr) continue;
    const std::uint64_t id = request_id(request->client, request->seq);
    if (request->attempt == 0)
      requests[id] =
          Request{inv.time, std::holds_alternative<Get>(request->operation), false, false};
    else if (auto it = requests.find(id); it != requests.end())
      it->second.retried = true;
  }
  for (const auto& e : emissions) {
    const auto* reply = std::get_if<ClientReply>(&e.output);
    if (reply == nullptr || reply->status != ReplyStatus::ok) continue;
    auto it = requests.find(request_id(reply->client, reply->seq));
    if (it == requests.end() || it->second.answered) continue;
    it->second.answered = true;
    const Duration latency = e.time - it->second.invoked;
    metrics[it->second.read ? "read_latency" : "commit_latency"].push_back(latency);
    if (it->second.retried) metrics["unavailable"].push_back(latency);
  }
  return metrics;
}

// ---- the suite ------------------------------------------------------------------------------
//
// Monitors (sim/core/monitor.h) let the simulator re-run a check only when an event may have
// changed its verdict. Each pairwise key holds everything its pair test reads of a node, so
// nodes with equal keys are interchangeable in the test; a log enters a key as (snapshot index,
// an index, the chained checksum there), which fixes every entry from the snapshot up to that
// index (up to a checksum collision, as the checks assume anyway).

namespace {

// Six words, compared inline: std::array's == calls memcmp, and the monitors compare keys on
// every event (memcmp was 3% of a simulation).
struct Key {
  std::array<std::uint64_t, 6> words{};
  std::uint64_t& operator[](std::size_t i) { return words[i]; }
  friend bool operator==(const Key& a, const Key& b) {
    std::uint64_t differ = 0;
    for (std::size_t i = 0; i < a.words.size(); ++i) differ |= a.words[i] ^ b.words[i];
    return differ == 0;
  }
};

std::uint64_t raw(Index i) { return i.value; }
std::uint64_t raw(Term t) { return t.value; }

// The log of `disk` from its snapshot through `through` (or its end, if shorter).
Key log_key(const Disk& disk, Index through) {
  const Index m = std::min(through, disk.last_index());
  const auto checksum = disk.checksum_at(m);  // none: m is below the snapshot
  Key key{};                                  // the caller's fields go in [4] and [5]
  key[0] = raw(disk.snapshot.last_index);
  key[1] = raw(m);
  key[2] = checksum.has_value();
  key[3] = checksum.value_or(0);
  return key;
}

template <class F>
auto up_node_key(F&& key) {
  return [key](const View& view, std::size_t n) -> std::optional<Key> {
    if (!view.nodes[n]) return std::nullopt;
    return key(*view.nodes[n]);
  };
}

template <PairTest test>
bool fails_either_way(const View& view, std::size_t a, std::size_t b) {
  return test(view, a, b).has_value() || test(view, b, a).has_value();
}

// For a pair test whose verdict does not depend on the order of the two nodes (only its text
// does): election_pair, log_matching_pair, state_machine_pair and state_checksum_pair read both
// nodes alike. Asking once halves what a monitor spends on them.
template <PairTest test>
bool fails_symmetric(const View& view, std::size_t a, std::size_t b) {
  return test(view, a, b).has_value();
}

// Only leaders take part, by term.
auto election_monitor() {
  const auto key = [](const View& view, std::size_t n) -> std::optional<Key> {
    if (!view.nodes[n] || !view.nodes[n]->is_leader()) return std::nullopt;
    return Key{{raw(view.nodes[n]->current_term()), 0, 0, 0, 0, 0}};
  };
  return pairwise_monitor<Raft, Key>(key, fails_symmetric<election_pair>);
}

// Disks, crashed nodes' too: the whole log.
auto log_matching_monitor() {
  const auto key = [](const View& view, std::size_t n) -> std::optional<Key> {
    if (!view.disks[n]) return std::nullopt;
    return log_key(*view.disks[n], view.disks[n]->last_index());
  };
  return pairwise_monitor<Raft, Key>(key, fails_symmetric<log_matching_pair>);
}

// As a follower a node shows its term, commit index and log through it; a leader is also
// compared at any index of its log, so its key holds the whole log.
auto completeness_monitor() {
  return pairwise_monitor<Raft, Key>(
      up_node_key([](const Node& node) {
        const bool leader = node.is_leader();
        Key key = log_key(node.disk(), leader ? node.last_index() : node.commit_index());
        key[4] = raw(node.current_term());
        key[5] = raw(node.commit_index()) * 2 + leader;
        return key;
      }),
      fails_either_way<completeness_pair>);
}

// What a node applied: its log through last_applied.
auto state_machine_monitor() {
  return pairwise_monitor<Raft, Key>(up_node_key([](const Node& node) {
                                       Key key = log_key(node.disk(), node.last_applied());
                                       key[4] = raw(node.last_applied());
                                       return key;
                                     }),
                                     fails_symmetric<state_machine_pair>);
}

// committed_on_quorum after an event tests only the nodes it changed (a commit index moves only
// on its own node; a disk that loses a committed entry is log_matching's and the protocol
// assertions' business), so O(changed x n). Once any node is seen outside the initial
// configuration the monitor stops for the rest of the run: the entry may have been committed by a
// quorum of another configuration (a leader counts by its newest, possibly uncommitted, one),
// and a later truncation can remove every trace of it.
class QuorumLogMonitor final : public Monitor<Raft> {
 public:
  bool update(const View& view, std::span<const NodeId> changed) override {
    if (membership_changed_) return false;
    for (const NodeId id : changed) {
      if (in_initial_configuration(view, id.value)) continue;
      membership_changed_ = true;
      return false;
    }
    for (const NodeId id : changed)
      if (quorum_log_node(view, id.value)) return true;
    return false;
  }

 private:
  bool membership_changed_ = false;
};

auto state_checksum_monitor() {
  return pairwise_monitor<Raft, Key>(
      up_node_key([](const Node& node) {
        return Key{{raw(node.last_applied()), node.state().state_checksum, 0, 0, 0, 0}};
      }),
      fails_symmetric<state_checksum_pair>);
}

// leader_committed reads one bit of each node.
auto leader_committed_monitor() {
  return keyed_monitor_of<Raft, bool>([](const View& view, std::size_t n) -> std::optional<bool> {
    if (!view.nodes[n]) return std::nullopt;
    return view.nodes[n]->is_leader() && view.nodes[n]->committed_in_term();
  });
}

// leader_elected reads each node's role and term, and a committed leader's members (compared in
// place, not copied: a leader handles O(nodes) events per heartbeat).
struct ElectedKey {
  Role role;
  Term term;
  bool committed = false;
  std::vector<NodeId> members;  // a committed leader's only
};

bool refresh_elected_key(const View& view, std::size_t n, std::optional<ElectedKey>& key) {
  if (!view.nodes[n]) {
    const bool changed = key.has_value();
    key.reset();
    return changed;
  }
  const Node& node = *view.nodes[n];
  const bool leading = node.is_leader() && node.committed_in_term();
  if (key && key->role == node.raft_role() && key->term == node.current_term() &&
      key->committed == node.committed_in_term() &&
      (leading ? key->members == node.members() : key->members.empty()))
    return false;
  key = ElectedKey{node.raft_role(), node.current_term(), node.committed_in_term(),
                   leading ? node.members() : std::vector<NodeId>{}};
  return true;
}

auto leader_elected_monitor() { return keyed_monitor<Raft, ElectedKey>(refresh_elected_key); }

}  // namespace

CheckSuite<Raft> check_suite(const Config&) {
  CheckSuite<Raft> suite;
  using Factory = std::function<std::unique_ptr<Monitor<Raft>>()>;
  auto add = [&](std::string name, PropertyKind kind,
                 std::optional<std::string> (*check)(const View&), Factory monitor) {
    suite.properties.push_back(Property<Raft>{
        .name = std::move(name), .kind = kind, .check = check, .monitor = std::move(monitor)});
  };
  using enum PropertyKind;
  add("election_safety", always, check_election_safety, election_monitor());
  add("log_matching", always, check_log_matching, log_matching_monitor());
  add("leader_completeness", always, check_leader_completeness, completeness_monitor());
  add("state_machine_safety", always, check_state_machine_safety, state_machine_monitor());
  add("state_checksum_agreement", always, check_state_checksum_agreement, state_checksum_monitor());
  add("committed_on_quorum", always, check_committed_on_quorum,
      [] { return std::make_unique<QuorumLogMonitor>(); });
  // Only a leader's steps can break it: the simulator copies a node before a step only then.
  suite.properties.push_back(
      transition_property<Raft>("leader_append_only", check_leader_append_only,
                                [](const Node& node) { return node.is_leader(); }));
  add("leader_committed", sometimes, check_leader_committed, leader_committed_monitor());
  add("leader_elected", eventually, check_leader_elected, leader_elected_monitor());
  suite.history_checks.push_back(
      HistoryCheck<Raft>{"one_leader_per_term", false, check_one_leader_per_term});
  suite.history_checks.push_back(HistoryCheck<Raft>{
      "acknowledged_writes_durable", false, check_acknowledged_writes_durable,
      "it compares each acknowledged write with the nodes' final logs, which a client history "
      "does not hold"});
  suite.history_checks.push_back(
      lin::linearizable_check<Raft>(linearizability_model, LinearizabilityMapping{}));
  suite.metrics = collect_metrics;
  suite.metric_names = {"election", "failover", "commit_latency", "read_latency", "unavailable"};
  return suite;
}

}  // namespace faultline::raft
