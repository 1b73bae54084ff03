// Node: one Raft server with its key-value state machine, as a pure, copyable state machine.
//
// Follows the Raft paper (Ongaro & Ousterhout 2014) and the dissertation's extensions: pre-vote
// and check-quorum as switches, single-server membership changes, read-index reads, snapshots
// with InstallSnapshot, and client sessions. README.md ("Raft") explains every choice.
//
// Invariants, asserted after every handler (check_step, check_invariants): the term only grows,
// and within a term the vote never changes; a vote and every log change are persisted before
// any message that depends on them is sent (apply() persists first); snapshot <= last_applied
// <= commit_index <= last index, and commit_index and last_applied only grow (a bug switch may
// overwrite a committed entry, so that the checkers see it); no entry is of a term ahead of the
// node's; a leader's log only grows within its term (except under accept_stale_append_entries),
// it voted for itself, names itself as leader and tracks every node's progress; only a leader
// holds progress, pending reads and a membership change; only a candidate counts votes. Facts
// about other nodes (two leaders in a term, a follower past the leader's log) are asserted only
// when no bug switch is on; a message is never a precondition: stale, duplicated and reordered
// ones are handled, not asserted away.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "protocols/raft/types.h"
#include "sim/core/ids.h"
#include "sim/core/outbox.h"

namespace faultline::raft {

struct Raft;
using Effects = Outbox<Raft>;

enum class Role : std::uint8_t { follower, pre_candidate, candidate, leader };
inline std::string_view to_string(Role r) {
  switch (r) {
    case Role::follower: return "follower";
    case Role::pre_candidate: return "pre_candidate";
    case Role::candidate: return "candidate";
    case Role::leader: return "leader";
  }
  return "";
}

// The leader's view of one peer (etcd calls it Progress). A peer is probed (one AppendEntries
// per heartbeat, waiting for its reply to find where the logs match) until it first succeeds,
// then entries are pipelined: up to inflight_max unacknowledged batches, next_index advanced
// optimistically. Every heartbeat resends from match_index + 1, which repairs losses.
struct Progress {
  static constexpr std::string_view type_name = "Progress";
  Index next_index{1};
  Index match_index;
  std::uint32_t inflight = 0;
  bool replicating = false;
  std::uint64_t acked_round = 0;  // the highest read round this peer confirmed
  bool heard = false;             // replied since the last check-quorum tick
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("next_index", self.next_index);
    visit("match_index", self.match_index);
    visit("inflight", self.inflight);
    visit("replicating", self.replicating);
    visit("acked_round", self.acked_round);
    visit("heard", self.heard);
  }
  friend bool operator==(const Progress&, const Progress&) = default;
};

// A read-index Get waiting for its leadership confirmation (round) and for the state machine to
// reach read_index. read_index 0: the leader has not committed in its term yet.
struct PendingRead {
  static constexpr std::string_view type_name = "PendingRead";
  std::uint64_t client = 0;
  std::uint64_t seq = 0;
  std::string key;
  Index read_index;
  std::uint64_t round = 0;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("client", self.client);
    visit("seq", self.seq);
    visit("key", self.key);
    visit("read_index", self.read_index);
    visit("round", self.round);
  }
  friend bool operator==(const PendingRead&, const PendingRead&) = default;
};

class Node {
 public:
  Node(const Config& config, NodeId id, std::uint32_t node_count, std::optional<Disk> recovered);

  void on_start(Effects& out);
  void on_message(NodeId source, const Message& message, Effects& out);
  void on_timer(const Timer& timer, Effects& out);
  void on_input(const Input& input, Effects& out);

  // "leader", "candidate" (also while pre-voting) or "follower", for fault targeting.
  std::string_view role() const;

  // Observers for checkers and tests.
  NodeId id() const { return id_; }
  Role raft_role() const { return role_; }
  bool is_leader() const { return role_ == Role::leader; }
  Term current_term() const { return disk_.current_term; }
  const Disk& disk() const { return disk_; }
  Index commit_index() const { return commit_index_; }
  Index last_applied() const { return last_applied_; }
  Index last_index() const { return disk_.last_index(); }
  Index first_index() const { return disk_.first_index(); }
  // Inlined, as Disk's (types.h): out of line the std::optional goes through memory.
  [[gnu::always_inline]] std::optional<Term> term_at(Index index) const {
    return disk_.term_at(index);
  }
  [[gnu::always_inline]] std::optional<std::uint64_t> checksum_at(Index index) const {
    return disk_.checksum_at(index);
  }
  const Entry& entry_at(Index index) const;  // first_index() <= index <= last_index()
  const StateMachine& state() const { return state_.get(); }
  const std::vector<NodeId>& members() const { return members_; }
  std::optional<NodeId> leader_hint() const { return leader_hint_; }
  bool committed_in_term() const { return committed_in_term_; }
  const std::vector<Progress>& progress() const { return progress_; }
  const std::vector<PendingRead>& pending_reads() const { return reads_; }

  friend bool operator==(const Node&, const Node&) = default;

  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("id", self.id_);
    visit("role", self.role_);
    visit("disk", self.disk_);
    visit("commit_index", self.commit_index_);
    visit("last_applied", self.last_applied_);
    visit("state", self.state_);
    visit("members", self.members_);
    visit("leader_hint", self.leader_hint_);
    visit("leader_alive", self.leader_alive_);
    visit("votes", self.votes_);
    visit("committed_in_term", self.committed_in_term_);
    visit("progress", self.progress_);
    visit("read_round", self.read_round_);
    visit("reads", self.reads_);
    visit("membership_index", self.membership_index_);
    visit("removing", self.removing_);
    visit("pending_snapshot", self.pending_snapshot_);
  }
  static constexpr std::string_view type_name = "Node";

 private:
  bool bug(Bug b) const { return config_.bug == b; }
  bool checked() const { return config_.bug == Bug::none; }  // cross-node invariants hold
  bool is_member(NodeId node) const;
  bool quorum(std::uint32_t count) const { return count * 2 > members_.size(); }
  Progress& progress_of(NodeId peer);  // leader: the peer's entry in progress_
  const Progress& progress_of(NodeId peer) const;
  void persist(Effects& out) const;
  void arm_election_timer(Effects& out) const;

  // Terms and roles.
  bool observe_term(Term term, Effects& out);  // a higher term: adopt it and follow
  void become_follower(Effects& out);
  void start_pre_vote(Effects& out);
  void start_election(Effects& out);
  void become_leader(Effects& out);
  void step_down(Effects& out);
  bool log_up_to_date(Index last_log_index, Term last_log_term) const;

  // Elections.
  void on_request_vote(NodeId source, const RequestVote& request, Effects& out);
  void on_vote_reply(NodeId source, const VoteReply& reply, Effects& out);
  void on_election_timer(Effects& out);

  // Log.
  void append(Term term, Command command);
  void truncate_from(Index index);
  void recompute_members();
  std::vector<NodeId> members_at(Index index) const;
  Index first_index_of_term(Index index) const;
  std::optional<Index> last_index_of_term(Term term) const;

  // Replication (leader).
  void broadcast_append(bool heartbeat, Effects& out);
  void send_append(NodeId peer, bool heartbeat, Effects& out);
  void send_read_probe(NodeId peer, Effects& out);
  void on_append_reply(NodeId source, const AppendReply& reply, Effects& out);
  void advance_commit(Effects& out);
  void on_commit_advanced(Effects& out);
  void on_heartbeat_timer(Effects& out);

  // Replication (follower).
  void on_append_entries(NodeId source, const AppendEntries& request, Effects& out);
  void match_entries(const AppendEntries& request, AppendReply& reply, Effects& out);
  bool merge_entries(const std::vector<Entry>& entries, std::size_t skip, Index prev_index);
  void on_install_snapshot(NodeId source, const InstallSnapshot& request, Effects& out);
  void accept_leader(NodeId source, Effects& out);

  // State machine.
  void apply_committed(Effects& out);
  CommandResult execute(const Operation& operation);
  void maybe_snapshot(Effects& out);
  bool followers_matched(Index index) const;
  void serve_reads(Effects& out);
  void fail_reads(Effects& out);

  // Clients and operators.
  void on_client_request(const ClientRequest& request, Effects& out);
  void start_read(const ClientRequest& request, const Get& get, Effects& out);
  void on_membership(NodeId node, bool add, Effects& out);
  void reply_not_leader(const ClientRequest& request, Effects& out) const;

  // What a step may change (asserted after every handler): check_step compares with the state
  // step_start() recorded before it, then checks the invariants of the banner.
  struct StepStart {
    Term term;
    std::optional<NodeId> voted_for;
    Role role = Role::follower;
    Index last_index;
    Index commit_index;
    Index last_applied;
  };
  StepStart step_start() const;
  void check_step(const StepStart& before) const;
  void check_invariants() const;

  Config config_;
  NodeId id_;
  std::uint32_t node_count_ = 1;
  Role role_ = Role::follower;
  Disk disk_;  // this node's copy of its durable state; persisted whole
  Index commit_index_;
  Index last_applied_;
  // Copy on write: the simulator copies a leader before each of its steps, and most steps
  // apply nothing, so the copy shares the maps (written through state_.mutable_value()).
  CopyOnWrite<StateMachine> state_;
  std::vector<NodeId> members_;  // the latest configuration in the log (or snapshot), ascending
  std::optional<NodeId> leader_hint_;
  bool leader_alive_ = false;       // heard from the current leader since the last election timeout
  std::vector<NodeId> votes_;       // candidate/pre-candidate: who granted, ascending
  bool committed_in_term_ = false;  // leader: an entry of its term has committed
  std::vector<Progress> progress_;  // leader: by node index
  std::uint64_t read_round_ = 0;    // leader: the latest read-index round started
  std::vector<PendingRead> reads_;  // leader: reads waiting, in arrival order
  Index membership_index_;          // leader: an uncommitted membership entry (0: none)
  std::optional<NodeId> removing_;  // leader: the server that entry removes
  // Leader: a snapshot taken at last_applied once snapshot_threshold entries applied, installed
  // (log compacted through it) only when every follower has matched it, or when the log holds
  // 2 x snapshot_threshold applied entries past the installed one (a dead follower must not grow
  // the log without bound). Followers install theirs at once. Volatile: a crash forgets it.
  std::optional<Snapshot> pending_snapshot_;
};

}  // namespace faultline::raft
