#include "protocols/raft/node.h"

#include <algorithm>
#include <functional>

#include "protocols/raft/protocol.h"
#include "sim/core/assert.h"

namespace faultline::raft {

Node::Node(const Config& config, NodeId id, std::uint32_t node_count, std::optional<Disk> recovered)
    : config_(config), id_(id), node_count_(node_count) {
  FL_ASSERT(id.value < node_count, "node id outside the cluster");
  FL_ASSERT(config.validate(node_count).has_value(),
            "config must be validated before nodes are built");
  if (recovered) {
    disk_ = std::move(*recovered);
    // The bug: the vote was never made durable, so a restarted node may vote again in its term.
    if (bug(Bug::forget_vote_on_restart)) disk_.voted_for.reset();
  } else {
    disk_.snapshot.members = initial_members(config_, node_count_);
  }
  state_ = disk_.snapshot.state.get();
  commit_index_ = disk_.snapshot.last_index;
  last_applied_ = disk_.snapshot.last_index;
  recompute_members();
  FL_ASSERT(!members_.empty(), "a configuration has at least one member");
  check_invariants();
}

std::string_view Node::role() const {
  switch (role_) {
    case Role::leader: return "leader";
    case Role::candidate:
    case Role::pre_candidate: return "candidate";
    case Role::follower: return "follower";
  }
  return "follower";
}

void Node::on_start(Effects& out) {
  FL_ASSERT(role_ == Role::follower, "a node starts as a follower");
  FL_ASSERT(!leader_hint_, "a starting node knows no leader yet");
  // A fresh node persists its initial state so that a crash before any vote still restarts
  // with its configuration; a recovered one persists only if the bug changed what it read.
  persist(out);
  become_follower(out);
  arm_election_timer(out);
  check_invariants();
}

// ---- helpers --------------------------------------------------------------------------------

bool Node::is_member(NodeId node) const {
  FL_ASSERT(node.value < node_count_, "membership of a node outside the cluster");
  FL_ASSERT(!members_.empty(), "a configuration has at least one member");
  return std::binary_search(members_.begin(), members_.end(), node);
}

Progress& Node::progress_of(NodeId peer) {
  FL_ASSERT(role_ == Role::leader, "only a leader tracks its peers' progress");
  FL_ASSERT(peer.value < progress_.size(), "a peer outside the cluster");
  return progress_[peer.value];
}

const Progress& Node::progress_of(NodeId peer) const {
  FL_ASSERT(role_ == Role::leader, "only a leader tracks its peers' progress");
  FL_ASSERT(peer.value < progress_.size(), "a peer outside the cluster");
  return progress_[peer.value];
}

void Node::persist(Effects& out) const {
  // What reaches the disk is consistent: what a restart recovers passes the same invariants.
  FL_ASSERT(*term_at(last_index()) <= disk_.current_term,
            "no persisted entry is of a term the node has not reached");
  FL_ASSERT(disk_.snapshot.last_index <= last_applied_, "a snapshot holds only applied entries");
  Disk durable = disk_;
  out.persist(std::move(durable));
}

void Node::arm_election_timer(Effects& out) const {
  // A leader's election timer is only its check-quorum lease, armed by the leader paths; here
  // a leader can arrive only under a bug switch (it granted a vote in its own term).
  FL_ASSERT(role_ != Role::leader || !checked(), "a leader does not wait for an election");
  if (is_member(id_))
    out.set_timer(ElectionTimer{}, config_.election_timeout);
  else
    out.cancel_timer(ElectionTimer{});  // a non-member never campaigns
}

const Entry& Node::entry_at(Index index) const {
  FL_ASSERT(index >= first_index(), "entry compacted into the snapshot");
  FL_ASSERT(index <= last_index(), "entry past the end of the log");
  return *disk_.find(index);
}

bool Node::log_up_to_date(Index last_log_index, Term last_log_term) const {
  const std::optional<Term> my_last_term = term_at(last_index());
  FL_ASSERT(my_last_term.has_value(), "the last entry is in the log or is the snapshot's");
  FL_ASSERT(*my_last_term <= disk_.current_term, "no entry is of a term ahead of the node's");
  if (last_log_term != *my_last_term) return last_log_term > *my_last_term;
  return last_log_index >= last_index();
}

// ---- terms and roles ------------------------------------------------------------------------

bool Node::observe_term(Term term, Effects& out) {
  if (term <= disk_.current_term) return false;
  const bool was_leader = role_ == Role::leader;
  const Term old_term = disk_.current_term;
  disk_.current_term = term;
  disk_.voted_for.reset();
  persist(out);
  if (was_leader) out.emit(SteppedDown{old_term});
  become_follower(out);
  FL_ASSERT(role_ == Role::follower, "a higher term makes a node a follower");
  FL_ASSERT(!disk_.voted_for, "a new term starts without a vote");
  return true;
}

// Only a former leader gets a fresh election timeout here: a follower or candidate keeps the one
// it has. Seeing a higher term is not a reason to wait longer (the paper resets the timer only
// on hearing the leader, granting a vote, or campaigning); otherwise every failed candidate
// would push back the one node whose log could win, and elections could stall.
void Node::become_follower(Effects& out) {
  FL_ASSERT(role_ == Role::leader || progress_.empty(), "only a leader tracks progress");
  const bool was_leader = role_ == Role::leader;
  if (was_leader) {
    fail_reads(out);
    out.cancel_timer(HeartbeatTimer{});
  }
  FL_ASSERT(reads_.empty(), "a follower holds no pending reads: a deposed leader failed them");
  role_ = Role::follower;
  votes_.clear();
  progress_.clear();
  committed_in_term_ = false;
  membership_index_ = Index{};
  removing_.reset();
  pending_snapshot_.reset();  // a follower takes its next snapshot at its next apply
  leader_alive_ = false;
  if (was_leader) arm_election_timer(out);
}

void Node::step_down(Effects& out) {
  FL_ASSERT(role_ == Role::leader, "only a leader steps down");
  out.emit(SteppedDown{disk_.current_term});
  leader_hint_.reset();
  become_follower(out);
  FL_ASSERT(progress_.empty(), "a deposed leader forgets its peers' progress");
}

void Node::on_election_timer(Effects& out) {
  FL_ASSERT(role_ != Role::leader || progress_.size() == node_count_, "a leader tracks every node");
  if (role_ == Role::leader) {
    // Check quorum: the timer doubles as the leader's lease check.
    std::uint32_t heard = is_member(id_) ? 1 : 0;
    for (NodeId m : members_)
      if (m != id_ && progress_of(m).heard) ++heard;
    for (Progress& p : progress_) p.heard = false;
    if (config_.check_quorum && !quorum(heard)) return step_down(out);
    if (config_.check_quorum) out.set_timer(ElectionTimer{}, config_.election_timeout);
    return;
  }
  if (!is_member(id_)) return;
  leader_alive_ = false;
  if (config_.pre_vote)
    start_pre_vote(out);
  else
    start_election(out);
  FL_ASSERT(role_ != Role::follower, "a member whose election timer fires campaigns");
}

void Node::start_pre_vote(Effects& out) {
  FL_ASSERT(is_member(id_), "only a member campaigns");
  FL_ASSERT(role_ != Role::leader, "a leader does not campaign");
  role_ = Role::pre_candidate;
  votes_.assign(1, id_);
  leader_hint_.reset();
  arm_election_timer(out);
  if (quorum(1)) return start_election(out);
  const RequestVote ask{disk_.current_term.next(), last_index(), *term_at(last_index()), true};
  for (NodeId m : members_)
    if (m != id_) out.send(m, ask);
}

void Node::start_election(Effects& out) {
  FL_ASSERT(is_member(id_), "only a member campaigns");
  FL_ASSERT(role_ != Role::leader, "a leader does not campaign");
  role_ = Role::candidate;
  disk_.current_term = disk_.current_term.next();
  disk_.voted_for = id_;
  persist(out);
  votes_.assign(1, id_);
  leader_hint_.reset();
  arm_election_timer(out);
  if (quorum(1)) return become_leader(out);
  const RequestVote ask{disk_.current_term, last_index(), *term_at(last_index()), false};
  for (NodeId m : members_)
    if (m != id_) out.send(m, ask);
}

void Node::become_leader(Effects& out) {
  FL_ASSERT(role_ == Role::candidate, "only a candidate becomes leader");
  FL_ASSERT(quorum(static_cast<std::uint32_t>(votes_.size())), "a leader won a quorum of votes");
  FL_ASSERT(disk_.voted_for == id_, "a candidate voted for itself in its term");
  role_ = Role::leader;
  votes_.clear();
  leader_hint_ = id_;
  leader_alive_ = true;
  committed_in_term_ = false;
  membership_index_ = Index{};
  removing_.reset();
  read_round_ = 0;
  reads_.clear();
  progress_.assign(node_count_, Progress{});
  for (Progress& p : progress_) p.next_index = last_index() + 1;
  // The no-op lets the leader commit in its term, which commits every earlier entry and is
  // what read-index reads wait for (Raft paper section 8).
  append(disk_.current_term, Noop{});
  persist(out);
  progress_of(id_).match_index = last_index();
  out.emit(BecameLeader{disk_.current_term});
  if (config_.check_quorum)
    out.set_timer(ElectionTimer{}, config_.election_timeout);
  else
    out.cancel_timer(ElectionTimer{});
  out.set_timer(HeartbeatTimer{}, config_.heartbeat_interval);
  broadcast_append(true, out);
  advance_commit(out);  // a single-member cluster commits alone
}

// ---- elections ------------------------------------------------------------------------------

void Node::on_request_vote(NodeId source, const RequestVote& request, Effects& out) {
  // Leader stickiness (with pre-vote or check-quorum): while this node hears from a live
  // leader, it refuses to help unseat it, so a rejoining or removed server cannot disrupt.
  const bool sticky = (config_.pre_vote || config_.check_quorum) && leader_alive_;
  const bool log_ok = bug(Bug::vote_without_log_check) ||
                      log_up_to_date(request.last_log_index, request.last_log_term);
  if (request.pre_vote) {
    const bool granted =
        request.term > disk_.current_term && log_ok && !sticky && role_ != Role::leader;
    // A refusal carries this node's own term, so a pre-candidate whose term is behind catches
    // up (etcd's raft does the same). Otherwise the node with the longest log but an older term
    // is refused forever by nodes with newer terms and shorter logs, which cannot win either:
    // no leader is ever elected (found by fuzzing, raft_swarm seed 4640).
    out.send(source, VoteReply{granted ? request.term : disk_.current_term, granted, true});
    return;
  }
  if (request.term > disk_.current_term && sticky && role_ != Role::candidate) {
    out.send(source, VoteReply{disk_.current_term, false, false});
    return;
  }
  observe_term(request.term, out);
  const std::optional<NodeId> vote_before = disk_.voted_for;  // in the current term
  bool granted = false;
  if (request.term == disk_.current_term && log_ok &&
      (!disk_.voted_for || *disk_.voted_for == source)) {
    FL_ASSERT(role_ != Role::leader || !checked(), "a leader never votes in its own term");
    granted = true;
    if (disk_.voted_for != source) {
      disk_.voted_for = source;
      persist(out);
    }
    arm_election_timer(out);
  }
  FL_ASSERT(!vote_before || disk_.voted_for == vote_before, "one vote per term, never changed");
  FL_ASSERT(!granted || disk_.voted_for == source, "a granted vote is on disk before the reply");
  out.send(source, VoteReply{disk_.current_term, granted, false});
}

void Node::on_vote_reply(NodeId source, const VoteReply& reply, Effects& out) {
  if (reply.pre_vote) {
    if (!reply.granted) {
      observe_term(reply.term, out);  // a refusal from a newer term: catch up to it
      return;
    }
    if (role_ != Role::pre_candidate || reply.term != disk_.current_term.next()) return;
  } else {
    if (observe_term(reply.term, out)) return;
    if (role_ != Role::candidate || reply.term != disk_.current_term || !reply.granted) return;
  }
  FL_ASSERT(role_ != Role::leader, "a leader counts no votes");
  if (!is_member(source)) return;
  FL_ASSERT(std::binary_search(votes_.begin(), votes_.end(), id_), "a candidate votes for itself");
  if (std::binary_search(votes_.begin(), votes_.end(), source)) return;
  votes_.insert(std::upper_bound(votes_.begin(), votes_.end(), source), source);
  if (!quorum(static_cast<std::uint32_t>(votes_.size()))) return;
  if (role_ == Role::pre_candidate)
    start_election(out);
  else
    become_leader(out);
  FL_ASSERT(role_ == Role::candidate || role_ == Role::leader, "a quorum moves a campaign on");
}

// ---- the log --------------------------------------------------------------------------------

void Node::append(Term term, Command command) {
  FL_ASSERT(term >= *term_at(last_index()), "log terms never decrease");
  FL_ASSERT(term <= disk_.current_term, "no entry is of a term ahead of the node's");
  const std::uint64_t checksum = chain_checksum(*checksum_at(last_index()), term, command);
  const bool membership = std::holds_alternative<MembershipEntry>(command);
  disk_.entries.push_back(Entry{term, std::move(command), checksum});
  if (membership) members_ = std::get<MembershipEntry>(disk_.entries.back().command).members;
  FL_ASSERT(!members_.empty(), "a configuration has at least one member");
}

void Node::truncate_from(Index index) {
  FL_ASSERT(index >= first_index(), "truncating into the snapshot");
  FL_ASSERT(index <= last_index(), "truncating past the end of the log");
  // Under accept_stale_append_entries a leader does truncate: the checker leader_append_only
  // (checkers/raft) must catch that, so this assertion does not stop the run first.
  FL_ASSERT(role_ != Role::leader || bug(Bug::accept_stale_append_entries),
            "a leader never truncates its log (leader append-only)");
  FL_ASSERT(index > commit_index_ || !checked(), "a committed entry is never truncated");
  if (index <= commit_index_) {
    // Only under a bug switch: a committed entry is overwritten. The state machine keeps what it
    // applied and applies the replacement on top, so the divergence stays visible to checkers.
    commit_index_ = index - 1;
    last_applied_ = std::min(last_applied_, index - 1);
  }
  disk_.entries.truncate(index - first_index());
  recompute_members();
  if (role_ == Role::leader) {
    // Only under the bug: the leader's view of its peers and of its pending membership change
    // must not point past its log any more (send_append reads the term at next_index - 1).
    for (Progress& p : progress_) {
      p.match_index = std::min(p.match_index, index - 1);
      p.next_index = std::min(p.next_index, index);
      p.inflight = 0;
    }
    if (membership_index_ >= index) {
      membership_index_ = Index{};
      removing_.reset();
    }
  }
}

std::vector<NodeId> Node::members_at(Index index) const {
  FL_ASSERT(index >= disk_.snapshot.last_index, "the configuration at a compacted index is lost");
  FL_ASSERT(index <= last_index(), "the configuration past the end of the log");
  for (Index i = index; i >= first_index(); --i)
    if (const auto* m = std::get_if<MembershipEntry>(&entry_at(i).command)) return m->members;
  return disk_.snapshot.members;
}

void Node::recompute_members() { members_ = members_at(last_index()); }

Index Node::first_index_of_term(Index index) const {
  FL_ASSERT(index >= disk_.snapshot.last_index, "a term's start below the snapshot is lost");
  FL_ASSERT(index <= last_index(), "a term's start past the end of the log");
  const Term term = *term_at(index);
  while (index > first_index() && *term_at(index - 1) == term) --index;
  return index;
}

std::optional<Index> Node::last_index_of_term(Term term) const {
  FL_ASSERT(role_ == Role::leader, "only a leader backs off a follower by term");
  FL_ASSERT(term != Term{}, "a conflicting entry has a term (term 0 is the empty log)");
  for (Index i = last_index(); i >= first_index(); --i) {
    const Term t = entry_at(i).term;
    if (t == term) return i;
    if (t < term) break;
  }
  return std::nullopt;
}

// ---- replication: leader --------------------------------------------------------------------

void Node::broadcast_append(bool heartbeat, Effects& out) {
  FL_ASSERT(role_ == Role::leader, "only a leader replicates");
  FL_ASSERT(!removing_ || membership_index_ != Index{}, "a removal is an uncommitted change");
  for (NodeId m : members_)
    if (m != id_) send_append(m, heartbeat, out);
  // A server being removed keeps getting the log until its removal commits, so it learns it is
  // no longer a member (and stops campaigning) instead of timing out and disrupting the rest.
  if (removing_ && *removing_ != id_) send_append(*removing_, heartbeat, out);
}

void Node::send_append(NodeId peer, bool heartbeat, Effects& out) {
  FL_ASSERT(role_ == Role::leader, "only a leader replicates");
  FL_ASSERT(peer != id_, "a leader replicates to others");
  Progress& p = progress_of(peer);
  FL_ASSERT(p.match_index < p.next_index, "a peer's next index is past its match");
  FL_ASSERT(p.next_index <= last_index() + 1, "a peer's next index is at most one past the log");
  if (heartbeat && p.replicating) {
    // Resend everything unacknowledged: a lost batch is repaired within one heartbeat.
    p.next_index = p.match_index + 1;
    p.inflight = 0;
  }
  if (!heartbeat && (!p.replicating || p.inflight >= config_.inflight_max)) return;
  if (p.next_index <= disk_.snapshot.last_index) {
    // One snapshot at a time: the peer is probed until it answers (every heartbeat resends),
    // rather than sent the whole state machine again with every new entry.
    p.replicating = false;
    p.inflight = 0;
    out.send(peer, InstallSnapshot{disk_.current_term, disk_.snapshot});
    return;
  }
  AppendEntries request;
  request.term = disk_.current_term;
  request.prev_index = p.next_index - 1;
  request.prev_term = *term_at(request.prev_index);
  request.leader_commit = commit_index_;
  request.read_round = read_round_;
  const Index last = std::min(last_index(), request.prev_index + config_.batch_entries_max);
  if (p.next_index <= last) request.entries.reserve(last - p.next_index + 1);
  for (Index i = p.next_index; i <= last; ++i) request.entries.push_back(entry_at(i));
  if (p.replicating && !request.entries.empty()) {
    p.next_index = last + 1;
    ++p.inflight;
  }
  FL_ASSERT(p.inflight <= config_.inflight_max, "at most inflight_max batches in flight");
  if (!heartbeat && request.entries.empty()) return;
  out.send(peer, std::move(request));
}

// An empty AppendEntries carrying the current read round, to confirm leadership. It claims a
// match only where the leader knows the logs match, so it never truncates anything.
void Node::send_read_probe(NodeId peer, Effects& out) {
  FL_ASSERT(peer != id_, "a leader confirms its leadership with others");
  FL_ASSERT(read_round_ > 0, "a probe carries a started read round");
  const Progress& p = progress_of(peer);
  FL_ASSERT(p.match_index <= last_index(), "a peer matched no more than the leader's log");
  AppendEntries probe;
  probe.term = disk_.current_term;
  probe.prev_index = std::max(p.match_index, disk_.snapshot.last_index);
  probe.prev_term = *term_at(probe.prev_index);
  probe.leader_commit = std::min(commit_index_, p.match_index);
  probe.read_round = read_round_;
  out.send(peer, std::move(probe));
}

void Node::on_heartbeat_timer(Effects& out) {
  if (role_ != Role::leader) return;
  FL_ASSERT(progress_.size() == node_count_, "a leader tracks every node");
  broadcast_append(true, out);
  out.set_timer(HeartbeatTimer{}, config_.heartbeat_interval);
  FL_ASSERT(role_ == Role::leader, "a heartbeat does not depose its leader");
}

void Node::on_append_reply(NodeId source, const AppendReply& reply, Effects& out) {
  if (observe_term(reply.term, out)) return;
  if (role_ != Role::leader || reply.term != disk_.current_term) return;
  Progress& p = progress_of(source);
  p.heard = true;
  p.acked_round = std::max(p.acked_round, reply.read_round);
  FL_ASSERT(p.acked_round <= read_round_, "a follower echoes only rounds this leader started");
  if (reply.success) {
    FL_ASSERT(reply.match_index <= last_index() || !checked(),
              "a follower matched past the leader's log");
    p.match_index = std::max(p.match_index, std::min(reply.match_index, last_index()));
    p.next_index = std::max(p.next_index, p.match_index + 1);
    FL_ASSERT(p.match_index <= last_index(), "a peer matched no more than the leader's log");
    if (p.inflight > 0) --p.inflight;
    p.replicating = true;
    advance_commit(out);
    if (role_ != Role::leader) return;  // the commit removed this leader
    maybe_snapshot(out);                // a pending snapshot may now be matched by every follower
    serve_reads(out);
    if (p.next_index <= last_index()) send_append(source, false, out);
    return;
  }
  // Fast back-off: skip the follower's whole conflicting term (Raft paper section 5.3).
  Index next = reply.conflict_index;
  if (reply.conflict_term != Term{})
    if (auto last = last_index_of_term(reply.conflict_term)) next = *last + 1;
  next = std::clamp<Index>(next, p.match_index + 1, last_index() + 1);
  p.next_index = next;
  FL_ASSERT(p.match_index < p.next_index, "back-off never goes below the peer's match");
  p.replicating = false;
  p.inflight = 0;
  serve_reads(out);
  send_append(source, true, out);
}

// The commit index is the highest index a quorum of members matched (the quorum-th largest
// match index; the leader's own match is its last index), if that entry is of the leader's term:
// only entries of its own term are committed by counting (Figure 8), earlier ones commit with
// them. The bug commits an earlier term's entry by count. Log terms never decrease, so this is
// the highest index the entry-by-entry rule of the paper would commit, found in O(members).
void Node::advance_commit(Effects& out) {
  FL_ASSERT(role_ == Role::leader, "only a leader counts replicas");
  if (members_.empty()) return;
  std::vector<Index> matched;
  matched.reserve(members_.size());
  for (NodeId m : members_) matched.push_back(std::min(progress_of(m).match_index, last_index()));
  const auto quorum_th = matched.begin() + static_cast<std::ptrdiff_t>(members_.size() / 2);
  std::nth_element(matched.begin(), quorum_th, matched.end(), std::greater<>());
  const Index n = *quorum_th;
  FL_ASSERT(n <= last_index(), "a quorum matched no more than the leader's log");
  FL_ASSERT(progress_of(id_).match_index == last_index() || bug(Bug::accept_stale_append_entries),
            "a leader's own match is its last index");
  if (n <= commit_index_) return;
  if (entry_at(n).term != disk_.current_term && !bug(Bug::commit_previous_term_by_count)) return;
  commit_index_ = n;
  on_commit_advanced(out);
}

void Node::on_commit_advanced(Effects& out) {
  FL_ASSERT(role_ == Role::leader, "only a leader commits by counting");
  FL_ASSERT(commit_index_ <= last_index(), "commit index past the log");
  if (role_ == Role::leader && !committed_in_term_ &&
      *term_at(commit_index_) == disk_.current_term) {
    committed_in_term_ = true;
    out.emit(LeaderCommitted{disk_.current_term, commit_index_});
    // Reads that arrived before the first commit now get their read index and round.
    bool waiting = false;
    for (PendingRead& r : reads_)
      if (r.read_index == Index{}) {
        r.read_index = commit_index_;
        r.round = read_round_ + 1;
        waiting = true;
      }
    if (waiting) {
      ++read_round_;
      for (NodeId m : members_)
        if (m != id_) send_read_probe(m, out);
    }
  }
  apply_committed(out);
  FL_ASSERT(last_applied_ == commit_index_, "a leader applies what it commits at once");
  if (role_ == Role::leader && membership_index_ != Index{} && commit_index_ >= membership_index_) {
    membership_index_ = Index{};
    removing_.reset();
    out.emit(MembershipReply{MembershipStatus::committed, members_});
    if (!is_member(id_))
      return step_down(out);  // a removed leader leaves once it committed its removal
  }
  if (role_ == Role::leader) serve_reads(out);
}

// ---- replication: follower ------------------------------------------------------------------

void Node::accept_leader(NodeId source, Effects& out) {
  FL_ASSERT(source != id_, "a node hears of itself only as leader");
  FL_ASSERT(role_ != Role::leader || !checked(), "two leaders in one term");
  if (role_ != Role::follower) become_follower(out);
  leader_hint_ = source;
  leader_alive_ = true;
  arm_election_timer(out);
  FL_ASSERT(role_ == Role::follower, "a node that hears its term's leader follows it");
}

void Node::on_append_entries(NodeId source, const AppendEntries& request, Effects& out) {
  FL_ASSERT(request.prev_term <= request.term || !checked(),
            "a leader's log holds no entry of a later term than its own");
  observe_term(request.term, out);
  AppendReply reply;
  reply.term = disk_.current_term;
  // A refusal of a stale request echoes no read round: its sender may lead a later term by the
  // time the refusal arrives (the reply carries only this node's term, not the request's), and
  // an echoed round of the old term would confirm reads of the new one that this node never
  // acknowledged (found by tests/hostile/extremes_test.cc: 1 ms timers, flapping partition).
  reply.read_round = request.term < disk_.current_term ? 0 : request.read_round;
  // The bug accept_stale_append_entries: a request of a lower term (from a deposed leader, or
  // delayed) is not rejected. Its sender leads no term of this node's, so no role changes, but
  // its entries are merged into the log as if the current leader had sent them; a leader that
  // receives one overwrites its own entries (Figure 3's leader append-only is broken).
  const bool stale = request.term < disk_.current_term;
  if (stale && !bug(Bug::accept_stale_append_entries)) return out.send(source, reply);
  if (!stale) {
    if (role_ == Role::leader) return;  // only reachable under a bug switch: two leaders in a term
    accept_leader(source, out);
  }
  FL_ASSERT(role_ == Role::follower || stale, "the current leader's entries go to a follower");
  match_entries(request, reply, out);
  FL_ASSERT(!reply.success || reply.match_index <= last_index(),
            "a follower claims a match only for entries it holds");
  out.send(source, reply);
}

// Follower: matches the request against the log, entries already in the snapshot skipped (they
// are committed here), appends what is new, advances the commit index, and fills the reply.
void Node::match_entries(const AppendEntries& request, AppendReply& reply, Effects& out) {
  Index prev_index = request.prev_index;
  Term prev_term = request.prev_term;
  std::size_t skip = 0;
  if (prev_index < disk_.snapshot.last_index) {
    skip = std::min<std::size_t>(request.entries.size(), disk_.snapshot.last_index - prev_index);
    if (skip < request.entries.size() || prev_index + skip == disk_.snapshot.last_index) {
      prev_index += skip;
      prev_term = skip == 0 ? prev_term : request.entries[skip - 1].term;
    }
    if (prev_index < disk_.snapshot.last_index) {  // everything sent is already in the snapshot
      reply.success = true;
      reply.match_index = disk_.snapshot.last_index;
      return;
    }
  }
  FL_ASSERT(skip <= request.entries.size(), "skipping no more entries than were sent");
  if (prev_index > last_index()) {
    reply.conflict_index = last_index() + 1;
    return;
  }
  if (*term_at(prev_index) != prev_term) {
    reply.conflict_term = *term_at(prev_index);
    reply.conflict_index = first_index_of_term(prev_index);
    return;
  }
  if (merge_entries(request.entries, skip, prev_index)) persist(out);
  const Index match = prev_index + (request.entries.size() - skip);
  FL_ASSERT(match <= last_index(), "the log holds every entry it matched");
  if (request.leader_commit > commit_index_) {
    const Index commit = std::min(request.leader_commit, match);
    if (commit > commit_index_) {
      commit_index_ = commit;
      apply_committed(out);
    }
  }
  reply.success = true;
  reply.match_index = match;
}

// Follower: the entries after `prev_index` (from entries[skip] on) become the log's: an entry
// already held with the same term is kept (a retransmission), the first that conflicts
// truncates the log from there (Figure 2, AppendEntries rules 3 and 4). Returns whether the log
// changed.
bool Node::merge_entries(const std::vector<Entry>& entries, std::size_t skip, Index prev_index) {
  FL_ASSERT(prev_index >= disk_.snapshot.last_index, "entries merge after the snapshot");
  FL_ASSERT(prev_index <= last_index(), "entries merge where the log matches");
  bool changed = false;
  Index index = prev_index;
  for (std::size_t k = skip; k < entries.size(); ++k) {
    const Entry& entry = entries[k];
    ++index;
    if (index <= last_index()) {
      if (entry_at(index).term == entry.term) continue;  // already held (a retransmission)
      truncate_from(index);
    }
    append(entry.term, entry.command);
    changed = true;
  }
  FL_ASSERT(index <= last_index(), "every merged entry is in the log");
  FL_ASSERT(skip == entries.size() || entry_at(index).term == entries.back().term,
            "the log holds the last entry sent where it was sent");
  return changed;
}

void Node::on_install_snapshot(NodeId source, const InstallSnapshot& request, Effects& out) {
  FL_ASSERT(request.snapshot.last_term <= request.term || !checked(),
            "a leader's snapshot holds no entry of a later term than its own");
  FL_ASSERT(!request.snapshot.members.empty(), "a snapshot holds a configuration");
  observe_term(request.term, out);
  AppendReply reply;
  reply.term = disk_.current_term;
  if (request.term < disk_.current_term) return out.send(source, reply);
  if (role_ == Role::leader) return;
  accept_leader(source, out);
  const Snapshot& snapshot = request.snapshot;
  reply.success = true;
  reply.match_index = snapshot.last_index;
  if (snapshot.last_index <= commit_index_) {
    reply.match_index = commit_index_;
    return out.send(source, reply);
  }
  // Keep the log after the snapshot if it continues it; otherwise the snapshot replaces it.
  if (term_at(snapshot.last_index) == snapshot.last_term)
    disk_.entries.drop_front(snapshot.last_index - disk_.snapshot.last_index);
  else
    disk_.entries.clear();
  disk_.snapshot = snapshot;
  recompute_members();
  state_ = snapshot.state.get();
  commit_index_ = snapshot.last_index;
  last_applied_ = snapshot.last_index;
  FL_ASSERT(first_index() == snapshot.last_index + 1, "the log continues right after a snapshot");
  persist(out);
  out.send(source, reply);
}

// ---- the state machine ----------------------------------------------------------------------

CommandResult Node::execute(const Operation& operation) {
  FL_ASSERT(last_applied_ <= commit_index_, "only committed commands execute");
  CommandResult result;
  auto write = [&](const std::string& key, const std::string& value) {
    StateMachine& state = state_.mutable_value();
    auto [it, inserted] = state.data.try_emplace(key, value);
    if (!inserted) {
      state.state_checksum -= pair_checksum(key, it->second);
      it->second = value;
    }
    state.state_checksum += pair_checksum(key, value);
  };
  auto read = [&](const std::string& key) -> std::optional<std::string> {
    const auto it = state_->data.find(key);
    if (it == state_->data.end()) return std::nullopt;
    return it->second;
  };
  if (const auto* put = std::get_if<Put>(&operation)) {
    write(put->key, put->value);
  } else if (const auto* get = std::get_if<Get>(&operation)) {
    result.value = read(get->key);
  } else {
    const Cas& cas = std::get<Cas>(operation);
    result.value = read(cas.key);
    result.ok = result.value == cas.expected;
    if (result.ok) write(cas.key, cas.value);
  }
  FL_ASSERT(result.ok || std::holds_alternative<Cas>(operation), "only a Cas can find a mismatch");
  return result;
}

void Node::apply_committed(Effects& out) {
  FL_ASSERT(commit_index_ <= last_index(), "commit index past the log");
  FL_ASSERT(last_applied_ >= disk_.snapshot.last_index, "the snapshot's entries are applied");
  while (last_applied_ < commit_index_) {
    ++last_applied_;
    const Entry& entry = entry_at(last_applied_);
    const auto* command = std::get_if<ClientCommand>(&entry.command);
    if (command == nullptr) continue;
    Session& session = state_.mutable_value().sessions[command->client];
    if (command->seq > session.last_seq) {
      session.last_result = execute(command->operation);
      session.last_seq = command->seq;
      session.index = last_applied_;
    } else if (command->seq < session.last_seq) {
      continue;  // an old retry: its client has moved on
    }
    // The leader answers (a retry applied twice answers twice, with the same result).
    if (role_ == Role::leader)
      out.emit(ClientReply{command->client, command->seq, ReplyStatus::ok, session.last_result, id_,
                           session.index});
  }
  FL_ASSERT(last_applied_ == commit_index_, "every committed entry is applied");
  maybe_snapshot(out);
}

// Compaction. A node snapshots its state machine once snapshot_threshold entries applied past its
// snapshot. A follower compacts through it at once. A leader keeps the entries until every
// follower has matched the snapshot's index, so followers that are merely behind by the entries
// in flight keep getting entries instead of InstallSnapshot; once the log holds 2 x
// snapshot_threshold applied entries past the installed snapshot it compacts anyway (through the
// pending snapshot, keeping the threshold's worth after it), so a dead follower costs a bounded
// log.
void Node::maybe_snapshot(Effects& out) {
  const std::uint64_t threshold = config_.snapshot_threshold;
  if (threshold == 0) return;
  const std::uint64_t applied_past = last_applied_ - disk_.snapshot.last_index;
  if (!pending_snapshot_ && applied_past >= threshold) {
    Snapshot snapshot;
    snapshot.last_index = last_applied_;
    snapshot.last_term = *term_at(last_applied_);
    snapshot.last_checksum = *checksum_at(last_applied_);
    snapshot.members = members_at(last_applied_);
    snapshot.state = state_.get();
    pending_snapshot_ = std::move(snapshot);
  }
  if (!pending_snapshot_) return;
  const Index at = pending_snapshot_->last_index;
  FL_ASSERT(at > disk_.snapshot.last_index, "a pending snapshot is past the installed one");
  FL_ASSERT(at <= last_applied_, "a pending snapshot holds only applied entries");
  FL_ASSERT(term_at(at) == pending_snapshot_->last_term,
            "a pending snapshot ends at the term of the entry it replaces");
  FL_ASSERT(checksum_at(at) == pending_snapshot_->last_checksum,
            "a pending snapshot chains the entries it replaces");
  const bool over_cap = applied_past >= threshold && applied_past - threshold >= threshold;
  if (role_ == Role::leader && !over_cap && !followers_matched(at)) return;
  disk_.entries.drop_front(at - disk_.snapshot.last_index);
  disk_.snapshot = std::move(*pending_snapshot_);
  pending_snapshot_.reset();
  FL_ASSERT(first_index() == at + 1, "the log continues right after the snapshot");
  persist(out);
}

// Leader: every server it replicates to (members, and a server being removed) matched `index`.
bool Node::followers_matched(Index index) const {
  FL_ASSERT(role_ == Role::leader, "only a leader knows what its followers matched");
  FL_ASSERT(index <= last_applied_, "a snapshot index is applied");
  for (NodeId m : members_)
    if (m != id_ && progress_of(m).match_index < index) return false;
  if (removing_ && *removing_ != id_ && progress_of(*removing_).match_index < index) return false;
  return true;
}

// Confirmed reads: a quorum acknowledged their round (this leader was still leader when they
// arrived) and the state machine reached their read index.
void Node::serve_reads(Effects& out) {
  if (role_ != Role::leader || reads_.empty()) return;
  std::vector<std::uint64_t> rounds;
  rounds.reserve(members_.size());
  for (NodeId m : members_) rounds.push_back(m == id_ ? read_round_ : progress_of(m).acked_round);
  FL_ASSERT(rounds.size() == members_.size(), "one acknowledged round per member");
  // The highest round a quorum acked: the quorum-th largest, in O(members) (a leader does this
  // on every reply while reads wait, so a sort made 1,024-node clusters O(n log n) per event).
  const auto quorum_th = rounds.begin() + static_cast<std::ptrdiff_t>(members_.size() / 2);
  std::nth_element(rounds.begin(), quorum_th, rounds.end(), std::greater<>());
  const std::uint64_t confirmed = *quorum_th;
  FL_ASSERT(confirmed <= read_round_, "no quorum confirms a read round not yet started");
  const auto ready = [&](const PendingRead& read) {
    return read.read_index != Index{} && read.round <= confirmed &&
           last_applied_ >= read.read_index;
  };
  for (const PendingRead& read : reads_) {
    if (!ready(read)) continue;
    FL_ASSERT(read.read_index <= commit_index_, "a read waits for a committed index");
    CommandResult result;
    if (const auto it = state_->data.find(read.key); it != state_->data.end())
      result.value = it->second;
    out.emit(ClientReply{read.client, read.seq, ReplyStatus::ok, result, id_, Index{}});
  }
  std::erase_if(reads_, ready);
}

void Node::fail_reads(Effects& out) {
  FL_ASSERT(role_ == Role::leader, "only a leader holds reads to fail");
  for (const PendingRead& read : reads_) {
    FL_ASSERT(read.round <= read_round_, "a pending read waits for a round already started");
    out.emit(
        ClientReply{read.client, read.seq, ReplyStatus::not_leader, {}, std::nullopt, Index{}});
  }
  reads_.clear();
}

// ---- clients and operators ------------------------------------------------------------------

void Node::reply_not_leader(const ClientRequest& request, Effects& out) const {
  FL_ASSERT(role_ != Role::leader, "a leader serves its clients");
  // A node outside the configuration no longer hears from the leader: its hint may be stale
  // forever (two removed servers could send a client back and forth), so it gives none.
  std::optional<NodeId> hint;
  if (leader_hint_ && *leader_hint_ != id_ && is_member(id_)) hint = leader_hint_;
  FL_ASSERT(!hint || hint->value < node_count_, "a hint names a node of the cluster");
  out.emit(ClientReply{request.client, request.seq, ReplyStatus::not_leader, {}, hint, Index{}});
}

void Node::on_client_request(const ClientRequest& request, Effects& out) {
  if (role_ != Role::leader) return reply_not_leader(request, out);
  // A retry of a command that already applied gets its recorded answer.
  if (const auto it = state_->sessions.find(request.client);
      it != state_->sessions.end() && request.seq <= it->second.last_seq) {
    FL_ASSERT(it->second.index != Index{}, "a session records where its command applied");
    if (request.seq == it->second.last_seq)
      out.emit(ClientReply{request.client, request.seq, ReplyStatus::ok, it->second.last_result,
                           id_, it->second.index});
    return;
  }
  if (const auto* get = std::get_if<Get>(&request.operation);
      get && config_.read_mode == ReadMode::read_index)
    return start_read(request, *get, out);
  append(disk_.current_term, ClientCommand{request.client, request.seq, request.operation});
  persist(out);
  progress_of(id_).match_index = last_index();
  FL_ASSERT(entry_at(last_index()).term == disk_.current_term, "a leader appends in its term");
  broadcast_append(false, out);
  advance_commit(out);
}

// Leader: a read-index Get waits for a quorum to confirm a round started after it arrived, and
// for the state machine to reach the commit index of that moment (serve_reads answers it).
void Node::start_read(const ClientRequest& request, const Get& get, Effects& out) {
  FL_ASSERT(role_ == Role::leader, "only a leader serves reads");
  FL_ASSERT(config_.read_mode == ReadMode::read_index, "reads go through the log otherwise");
  if (bug(Bug::read_without_quorum)) {
    CommandResult result;
    if (const auto it = state_->data.find(get.key); it != state_->data.end())
      result.value = it->second;
    out.emit(ClientReply{request.client, request.seq, ReplyStatus::ok, result, id_, Index{}});
    return;
  }
  PendingRead read{request.client, request.seq, get.key, Index{}, 0};
  if (committed_in_term_) {
    read.read_index = commit_index_;
    read.round = ++read_round_;
    reads_.push_back(std::move(read));
    for (NodeId m : members_)
      if (m != id_) send_read_probe(m, out);
    serve_reads(out);  // a single-member cluster confirms alone
  } else {
    reads_.push_back(std::move(read));  // read index and round come with the first commit
  }
}

void Node::on_membership(NodeId node, bool add, Effects& out) {
  if (role_ != Role::leader)
    return out.emit(MembershipReply{MembershipStatus::not_leader, members_});
  if (node.value >= node_count_ || is_member(node) == add)
    return out.emit(MembershipReply{MembershipStatus::no_change, members_});
  // One change at a time, and only after this leader committed in its term (the fix to the
  // single-server change bug, Ongaro on raft-dev, 2015).
  if (membership_index_ != Index{} || !committed_in_term_)
    return out.emit(MembershipReply{MembershipStatus::busy, members_});
  FL_ASSERT(!removing_, "one membership change at a time");
  std::vector<NodeId> members = members_;
  if (add)
    members.insert(std::upper_bound(members.begin(), members.end(), node), node);
  else
    members.erase(std::find(members.begin(), members.end(), node));
  FL_ASSERT(std::is_sorted(members.begin(), members.end()), "a configuration stays ascending");
  if (members.empty()) return out.emit(MembershipReply{MembershipStatus::no_change, members_});
  append(disk_.current_term, MembershipEntry{members});
  persist(out);
  membership_index_ = last_index();
  progress_of(id_).match_index = last_index();
  FL_ASSERT(members_ == members, "a configuration takes effect when it is appended");
  if (add)
    progress_of(node) = Progress{last_index(), Index{}, 0, false, 0, false};
  else
    removing_ = node;
  broadcast_append(true, out);
  advance_commit(out);
}

// ---- dispatch -------------------------------------------------------------------------------

void Node::on_message(NodeId source, const Message& message, Effects& out) {
  FL_ASSERT(source.value < node_count_, "a message from outside the cluster");
  FL_ASSERT(source != id_, "a message from itself");
  const StepStart before = step_start();
  std::visit(
      [&](const auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, RequestVote>)
          on_request_vote(source, m, out);
        else if constexpr (std::is_same_v<M, VoteReply>)
          on_vote_reply(source, m, out);
        else if constexpr (std::is_same_v<M, AppendEntries>)
          on_append_entries(source, m, out);
        else if constexpr (std::is_same_v<M, AppendReply>)
          on_append_reply(source, m, out);
        else
          on_install_snapshot(source, m, out);
      },
      message);
  check_step(before);
}

void Node::on_timer(const Timer& timer, Effects& out) {
  const StepStart before = step_start();
  if (std::holds_alternative<ElectionTimer>(timer))
    on_election_timer(out);
  else
    on_heartbeat_timer(out);
  check_step(before);
}

void Node::on_input(const Input& input, Effects& out) {
  const StepStart before = step_start();
  if (const auto* request = std::get_if<ClientRequest>(&input))
    on_client_request(*request, out);
  else if (const auto* add = std::get_if<AddServer>(&input))
    on_membership(NodeId{add->node}, true, out);
  else if (const auto* remove = std::get_if<RemoveServer>(&input))
    on_membership(NodeId{remove->node}, false, out);
  else if (role_ != Role::leader && is_member(id_)) {
    start_election(out);  // Campaign
    FL_ASSERT(role_ != Role::follower, "a campaign makes a candidate, or alone a leader");
  }
  check_step(before);
}

// ---- what every step leaves true ------------------------------------------------------------

Node::StepStart Node::step_start() const {
  FL_ASSERT(commit_index_ <= last_index(), "commit index past the log");
  FL_ASSERT(last_applied_ <= commit_index_, "applied past the commit index");
  return StepStart{disk_.current_term, disk_.voted_for, role_,
                   last_index(),       commit_index_,   last_applied_};
}

// How a step may change a node. Under a bug switch a committed entry can be overwritten (the
// checkers must see it), so commit and apply indexes may fall only then; and under
// accept_stale_append_entries a leader's log may shrink within its term.
void Node::check_step(const StepStart& before) const {
  FL_ASSERT(disk_.current_term >= before.term, "terms never decrease");
  FL_ASSERT(
      disk_.current_term != before.term || !before.voted_for || disk_.voted_for == before.voted_for,
      "a node votes for one candidate per term, and never forgets it within a run");
  const bool led_throughout =
      before.role == Role::leader && role_ == Role::leader && disk_.current_term == before.term;
  FL_ASSERT(
      !led_throughout || last_index() >= before.last_index || bug(Bug::accept_stale_append_entries),
      "a leader's log only grows within its term");
  FL_ASSERT(commit_index_ >= before.commit_index || !checked(), "the commit index never falls");
  FL_ASSERT(last_applied_ >= before.last_applied || !checked(), "an applied entry stays applied");
  check_invariants();
}

// The invariants of a node between steps (node.h).
void Node::check_invariants() const {
  FL_ASSERT(last_applied_ <= commit_index_, "applied past the commit index");
  FL_ASSERT(commit_index_ <= last_index(), "commit index past the log");
  FL_ASSERT(disk_.snapshot.last_index <= last_applied_, "a snapshot holds only applied entries");
  FL_ASSERT(*term_at(last_index()) <= disk_.current_term,
            "no entry is of a term ahead of the node's");
  FL_ASSERT(std::is_sorted(members_.begin(), members_.end()), "a configuration is ascending");
  FL_ASSERT(role_ == Role::leader || progress_.empty(), "only a leader tracks progress");
  FL_ASSERT(role_ != Role::leader || progress_.size() == node_count_, "a leader tracks every node");
  FL_ASSERT(role_ == Role::leader || reads_.empty(), "only a leader holds pending reads");
  FL_ASSERT(role_ == Role::leader || membership_index_ == Index{},
            "only a leader has a membership change in flight");
  FL_ASSERT(role_ != Role::leader || disk_.voted_for == id_, "a leader voted for itself");
  FL_ASSERT(role_ != Role::leader || leader_hint_ == id_, "a leader names itself as leader");
  FL_ASSERT(role_ == Role::candidate || role_ == Role::pre_candidate || votes_.empty(),
            "only a candidate counts votes");
}

}  // namespace faultline::raft
