// Value types of Raft with a replicated key-value store (the seed "Coordinator Redundancy"):
// config, log entries, snapshots, the durable state, messages, timers, inputs and outputs.
//
// Every struct has one field list (fields.h) that drives the codec, describe(), fingerprints and
// config decoding, a `type_name`, and defaulted comparison. Variants are wire formats: the
// alternative index is the tag, so new alternatives go at the END. Enums have an ADL `to_string`
// returning "" for out-of-range values (that is how decoders reject them).
//
// Indexes are 1-based; index 0 is the empty log (term 0, checksum 0). Every entry carries a
// chained checksum: checksum(i) = combine(checksum(i-1), fingerprint(term, command)). Two logs
// with equal checksums at an index hold identical prefixes up to it (up to 64-bit collisions),
// which lets the checkers compare logs in O(1) per pair instead of entry by entry, and lets a
// follower's state be compared with the seed's `state_checksum` endpoint.
//
// Terms and indexes are strong integers (sim/core/strong_int.h) and nodes are NodeIds, so none
// of them can be passed for another, or for a count, by mistake. They encode exactly as the
// plain integers they stand for (a term or index as its uint64, a node as its uint32), so the
// wire, the Disk and every fingerprint are those of plain integers; a term or an index
// describes as its bare value, a node as "n2".
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sim/core/assert.h"
#include "sim/core/chunked_vector.h"
#include "sim/core/ids.h"
#include "sim/core/result.h"
#include "sim/core/shared_value.h"
#include "sim/core/strong_int.h"
#include "sim/core/time.h"

namespace faultline::raft {

// A term only grows, one at a time (next()); 0 is the term before any election.
using Term = StrongInt<struct TermTag, StrongIntKind::ordinal>;
// A 1-based log index (0: the empty log); index + count -> index, index - index -> count.
using Index = StrongInt<struct IndexTag, StrongIntKind::position>;

// Known-wrong variants the checkers must catch (DESIGN.md 6).
enum class Bug : std::uint8_t {
  none,
  vote_without_log_check,         // grant votes without the up-to-date-log rule
  commit_previous_term_by_count,  // count replicas of old-term entries (Raft paper Figure 8)
  read_without_quorum,            // a leader answers reads from local state, unconfirmed
  forget_vote_on_restart,         // voted_for is not persisted
  accept_stale_append_entries,  // an AppendEntries of a lower term is not rejected: its entries are
                                // merged
};
inline std::string_view to_string(Bug b) {
  switch (b) {
    case Bug::none: return "none";
    case Bug::vote_without_log_check: return "vote_without_log_check";
    case Bug::commit_previous_term_by_count: return "commit_previous_term_by_count";
    case Bug::read_without_quorum: return "read_without_quorum";
    case Bug::forget_vote_on_restart: return "forget_vote_on_restart";
    case Bug::accept_stale_append_entries: return "accept_stale_append_entries";
  }
  return "";
}

// How a leader serves a Get: `read_index` confirms leadership with one heartbeat round and
// answers once its state machine reached the commit index it recorded (Raft dissertation 6.4);
// `log` appends the Get to the log like a write and answers when it applies.
enum class ReadMode : std::uint8_t { read_index, log };
inline std::string_view to_string(ReadMode m) {
  switch (m) {
    case ReadMode::read_index: return "read_index";
    case ReadMode::log: return "log";
  }
  return "";
}

// ---------------------------------------------------------------------------------------------
// The shortest timer or timeout a config or workload may set: below a millisecond a timer fires
// many times before any message can arrive, and a run only burns events.
inline constexpr Duration timer_floor = Duration::from_milliseconds(1);
// validate()'s message for a timer below it: "must be at least 1ms (...), got 1ns".
std::string below_timer_floor(Duration value);

// Config (cluster.config in a scenario). Defaults follow the seed's configuration table.
struct Config {
  static constexpr std::string_view type_name = "Config";
  DurationRange election_timeout{Duration::from_milliseconds(150),
                                 Duration::from_milliseconds(300)};
  Duration heartbeat_interval = Duration::from_milliseconds(50);
  bool pre_vote = false;  // a candidate first asks whether it could win, without a new term
  bool check_quorum =
      false;  // a leader that hears from no majority in an election timeout steps down
  ReadMode read_mode = ReadMode::read_index;
  std::uint64_t snapshot_threshold = 1000;  // applied entries kept before compacting (0 = never)
  std::uint32_t batch_entries_max = 100;    // entries per AppendEntries (the seed's max_batch_size)
  std::uint32_t inflight_max = 8;  // unacknowledged AppendEntries per follower (pipelining)
  std::optional<std::vector<NodeId>> initial_members;  // plain node indexes; default: every node
  Bug bug = Bug::none;

  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("election_timeout", self.election_timeout);
    visit("heartbeat_interval", self.heartbeat_interval);
    visit("pre_vote", self.pre_vote);
    visit("check_quorum", self.check_quorum);
    visit("read_mode", self.read_mode);
    visit("snapshot_threshold", self.snapshot_threshold);
    visit("batch_entries_max", self.batch_entries_max);
    visit("inflight_max", self.inflight_max);
    visit("initial_members", self.initial_members);
    visit("bug", self.bug);
  }
  friend bool operator==(const Config&, const Config&) = default;

  // Timeouts at least timer_floor with min <= max, heartbeat below the minimum election timeout,
  // batch and inflight at least 1, members unique and inside the cluster.
  Result<void> validate(std::uint32_t node_count) const;
};

// The members a node starts with: config.initial_members, or every node.
std::vector<NodeId> initial_members(const Config& config, std::uint32_t node_count);

// ---------------------------------------------------------------------------------------------
// Key-value operations (client commands).
struct Put {
  static constexpr std::string_view type_name = "Put";
  static constexpr std::string_view config_name = "put";
  std::string key;
  std::string value;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("key", self.key);
    visit("value", self.value);
  }
  friend bool operator==(const Put&, const Put&) = default;
};

struct Get {
  static constexpr std::string_view type_name = "Get";
  static constexpr std::string_view config_name = "get";
  std::string key;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("key", self.key);
  }
  friend bool operator==(const Get&, const Get&) = default;
};

// Compare-and-set: if the key's value equals `expected` (none: the key is absent), set `value`.
struct Cas {
  static constexpr std::string_view type_name = "Cas";
  static constexpr std::string_view config_name = "cas";
  std::string key;
  std::optional<std::string> expected;
  std::string value;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("key", self.key);
    visit("expected", self.expected);
    visit("value", self.value);
  }
  friend bool operator==(const Cas&, const Cas&) = default;
};

using Operation = std::variant<Put, Get, Cas>;

// ---------------------------------------------------------------------------------------------
// Log entries.
struct Noop {  // a new leader's first entry, so it can commit (and serve reads) in its term
  static constexpr std::string_view type_name = "Noop";
  template <class Self, class Visit>
  static void fields(Self&, Visit&&) {}
  friend bool operator==(const Noop&, const Noop&) = default;
};

// A client's command; (client, seq) is its session key, so a retried command applies once.
struct ClientCommand {
  static constexpr std::string_view type_name = "ClientCommand";
  std::uint64_t client = 0;
  std::uint64_t seq = 0;
  Operation operation;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("client", self.client);
    visit("seq", self.seq);
    visit("operation", self.operation);
  }
  friend bool operator==(const ClientCommand&, const ClientCommand&) = default;
};

// A new cluster configuration (one server added or removed); it takes effect on append.
struct MembershipEntry {
  static constexpr std::string_view type_name = "Membership";
  std::vector<NodeId> members;  // ascending
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("members", self.members);
  }
  friend bool operator==(const MembershipEntry&, const MembershipEntry&) = default;
};

using Command = std::variant<Noop, ClientCommand, MembershipEntry>;

struct Entry {
  static constexpr std::string_view type_name = "Entry";
  Term term;
  Command command;
  std::uint64_t checksum = 0;  // chained over every entry up to this one (see the banner)
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("term", self.term);
    visit("command", self.command);
    visit("checksum", self.checksum);
  }
  friend bool operator==(const Entry&, const Entry&) = default;
};

// The chained checksum of an entry appended after one whose checksum is `previous`.
std::uint64_t chain_checksum(std::uint64_t previous, Term term, const Command& command);

// ---------------------------------------------------------------------------------------------
// The state machine: a key-value map and the client sessions.

// The result of one client command, kept per session so a retry gets the same answer.
struct CommandResult {
  static constexpr std::string_view type_name = "CommandResult";
  bool ok = true;                    // false: a Cas whose expected value did not match
  std::optional<std::string> value;  // Get: the value read; Cas: the value found
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("ok", self.ok);
    visit("value", self.value);
  }
  friend bool operator==(const CommandResult&, const CommandResult&) = default;
};

struct Session {
  static constexpr std::string_view type_name = "Session";
  std::uint64_t last_seq = 0;  // the highest seq applied for this client
  CommandResult last_result;
  Index index;  // where last_seq applied
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("last_seq", self.last_seq);
    visit("last_result", self.last_result);
    visit("index", self.index);
  }
  friend bool operator==(const Session&, const Session&) = default;
};

// Invariant: state_checksum is the wrapping sum of pair_checksum(key, value) over `data`, kept
// incrementally by every write, so two nodes at the same applied index must hold equal sums.
struct StateMachine {
  static constexpr std::string_view type_name = "StateMachine";
  std::map<std::string, std::string> data;
  std::map<std::uint64_t, Session> sessions;  // by client id
  std::uint64_t state_checksum = 0;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("data", self.data);
    visit("sessions", self.sessions);
    visit("state_checksum", self.state_checksum);
  }
  friend bool operator==(const StateMachine&, const StateMachine&) = default;
};

std::uint64_t pair_checksum(const std::string& key, const std::string& value);

// A compacted prefix of the log: everything up to last_index, as the state it produced.
// The state machine is a SharedValue: the node persists its whole Disk after every append, and
// a copy then shares the (immutable) state machine instead of copying every key and session.
// It encodes, fingerprints and describes exactly as a StateMachine.
struct Snapshot {
  static constexpr std::string_view type_name = "Snapshot";
  Index last_index;
  Term last_term;
  std::uint64_t last_checksum = 0;  // the chained checksum of entry last_index
  std::vector<NodeId> members;      // the configuration as of last_index
  SharedValue<StateMachine> state;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("last_index", self.last_index);
    visit("last_term", self.last_term);
    visit("last_checksum", self.last_checksum);
    visit("members", self.members);
    visit("state", self.state);
  }
  friend bool operator==(const Snapshot&, const Snapshot&) = default;
};

// What survives a crash (the Durable): term, vote, snapshot and the log after it.
// Invariant: entries[k] has index snapshot.last_index + 1 + k. The log is a ChunkedVector: the
// node persists its whole Disk after every append, and a copy then costs a pointer per 64
// entries instead of every entry (it encodes exactly as a std::vector<Entry>).
struct Disk {
  static constexpr std::string_view type_name = "Disk";
  Term current_term;
  std::optional<NodeId> voted_for;
  Snapshot snapshot;
  ChunkedVector<Entry> entries;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("current_term", self.current_term);
    visit("voted_for", self.voted_for);
    visit("snapshot", self.snapshot);
    visit("entries", self.entries);
  }
  friend bool operator==(const Disk&, const Disk&) = default;

  // The log's index arithmetic, in one place for the node and the checkers (which read disks,
  // so crashed nodes' logs count too).
  Index first_index() const { return snapshot.last_index + 1; }  // the first entry still in the log
  Index last_index() const { return snapshot.last_index + entries.size(); }
  // Term and checksum of entry `index`, if it is in the log or is the snapshot's last entry.
  // Always inlined: the checkers and the node ask these on nearly every event, and out of line
  // the std::optional went through memory (a store-forwarding stall: 7% of a simulation).
  [[gnu::always_inline]] std::optional<Term> term_at(Index index) const {
    if (index == snapshot.last_index) {
      FL_ASSERT(index != Index{} || snapshot.last_term == Term{}, "the empty log is of term 0");
      return snapshot.last_term;
    }
    const Entry* e = find(index);
    if (e == nullptr) return std::nullopt;
    FL_ASSERT(e->term >= snapshot.last_term, "log terms never decrease past the snapshot");
    return e->term;
  }
  [[gnu::always_inline]] std::optional<std::uint64_t> checksum_at(Index index) const {
    if (index == snapshot.last_index) {
      FL_ASSERT(index != Index{} || snapshot.last_checksum == 0, "the empty log's checksum is 0");
      return snapshot.last_checksum;
    }
    if (const Entry* e = find(index)) return e->checksum;
    return std::nullopt;
  }
  // The entry at `index`, or null when it is compacted or past the end.
  [[gnu::always_inline]] const Entry* find(Index index) const {
    if (index < first_index() || index > last_index()) return nullptr;
    return &entries[index - first_index()];
  }
};

// ---------------------------------------------------------------------------------------------
// Messages. Index = wire tag.
struct RequestVote {
  static constexpr std::string_view type_name = "RequestVote";
  Term term;  // pre-vote: the term the candidate would campaign in (not adopted by anyone)
  Index last_log_index;
  Term last_log_term;
  bool pre_vote = false;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("term", self.term);
    visit("last_log_index", self.last_log_index);
    visit("last_log_term", self.last_log_term);
    visit("pre_vote", self.pre_vote);
  }
  friend bool operator==(const RequestVote&, const RequestVote&) = default;
};

struct VoteReply {
  static constexpr std::string_view type_name = "VoteReply";
  Term term;  // pre-vote: the term asked about if granted, else the refusing node's own term
  bool granted = false;
  bool pre_vote = false;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("term", self.term);
    visit("granted", self.granted);
    visit("pre_vote", self.pre_vote);
  }
  friend bool operator==(const VoteReply&, const VoteReply&) = default;
};

struct AppendEntries {
  static constexpr std::string_view type_name = "AppendEntries";
  Term term;
  Index prev_index;
  Term prev_term;
  std::vector<Entry> entries;
  Index leader_commit;
  std::uint64_t read_round = 0;  // echoed back: confirms leadership for read-index reads
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("term", self.term);
    visit("prev_index", self.prev_index);
    visit("prev_term", self.prev_term);
    visit("entries", self.entries);
    visit("leader_commit", self.leader_commit);
    visit("read_round", self.read_round);
  }
  friend bool operator==(const AppendEntries&, const AppendEntries&) = default;
};

// success: the follower's log matches the leader's through match_index. Otherwise a hint for
// fast back-off: the follower has no entry at prev_index (conflict_term 0, conflict_index =
// its last index + 1), or its entry there has conflict_term, first held at conflict_index.
struct AppendReply {
  static constexpr std::string_view type_name = "AppendReply";
  Term term;
  bool success = false;
  Index match_index;
  Term conflict_term;
  Index conflict_index;
  std::uint64_t read_round = 0;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("term", self.term);
    visit("success", self.success);
    visit("match_index", self.match_index);
    visit("conflict_term", self.conflict_term);
    visit("conflict_index", self.conflict_index);
    visit("read_round", self.read_round);
  }
  friend bool operator==(const AppendReply&, const AppendReply&) = default;
};

struct InstallSnapshot {
  static constexpr std::string_view type_name = "InstallSnapshot";
  Term term;
  Snapshot snapshot;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("term", self.term);
    visit("snapshot", self.snapshot);
  }
  friend bool operator==(const InstallSnapshot&, const InstallSnapshot&) = default;
};

using Message = std::variant<RequestVote, VoteReply, AppendEntries, AppendReply, InstallSnapshot>;

// ---------------------------------------------------------------------------------------------
// Timers. Setting an equal timer re-arms it; ordered so drivers may keep them in maps.
struct ElectionTimer {
  static constexpr std::string_view type_name = "ElectionTimer";
  template <class Self, class Visit>
  static void fields(Self&, Visit&&) {}
  friend auto operator<=>(const ElectionTimer&, const ElectionTimer&) = default;
};
struct HeartbeatTimer {
  static constexpr std::string_view type_name = "HeartbeatTimer";
  template <class Self, class Visit>
  static void fields(Self&, Visit&&) {}
  friend auto operator<=>(const HeartbeatTimer&, const HeartbeatTimer&) = default;
};
using Timer = std::variant<ElectionTimer, HeartbeatTimer>;

// ---------------------------------------------------------------------------------------------
// Inputs. A client retries one request (same client and seq, higher attempt) until it gets an
// answer; sessions make the retries apply once.
struct ClientRequest {
  static constexpr std::string_view type_name = "ClientRequest";
  static constexpr std::string_view config_name = "request";
  std::uint64_t client = 0;
  std::uint64_t seq = 0;      // 1, 2, ... per client; one outstanding at a time
  std::uint32_t attempt = 0;  // 0 for the first try
  Operation operation;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("client", self.client);
    visit("seq", self.seq);
    visit("attempt", self.attempt);
    visit("operation", self.operation);
  }
  friend bool operator==(const ClientRequest&, const ClientRequest&) = default;
};

// Operator requests (scenario `input:` faults): one server at a time joins or leaves. `node` is
// the plain node index the scenario names, not a NodeId, on purpose: the simulator folds the
// fault's text ("operator input AddServer{node=3} to {n0}") into the run fingerprint, so its
// describe() text must stay `node=3`. The node turns it into a NodeId on receipt.
struct AddServer {
  static constexpr std::string_view type_name = "AddServer";
  static constexpr std::string_view config_name = "add_server";
  std::uint32_t node = 0;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("node", self.node);
  }
  friend bool operator==(const AddServer&, const AddServer&) = default;
};
struct RemoveServer {
  static constexpr std::string_view type_name = "RemoveServer";
  static constexpr std::string_view config_name = "remove_server";
  std::uint32_t node = 0;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("node", self.node);
  }
  friend bool operator==(const RemoveServer&, const RemoveServer&) = default;
};

// Operator request: start an election now, without waiting for the election timeout (etcd's
// campaign, the dissertation's TimeoutNow). Lets scenarios choose who leads when.
struct Campaign {
  static constexpr std::string_view type_name = "Campaign";
  static constexpr std::string_view config_name = "campaign";
  template <class Self, class Visit>
  static void fields(Self&, Visit&&) {}
  friend bool operator==(const Campaign&, const Campaign&) = default;
};

using Input = std::variant<ClientRequest, AddServer, RemoveServer, Campaign>;

// ---------------------------------------------------------------------------------------------
// Outputs. Index = tag.
enum class ReplyStatus : std::uint8_t {
  ok,          // applied (a Cas may still have found another value: see result.ok)
  not_leader,  // not applied here; leader_hint names who to ask
};
inline std::string_view to_string(ReplyStatus s) {
  switch (s) {
    case ReplyStatus::ok: return "ok";
    case ReplyStatus::not_leader: return "not_leader";
  }
  return "";
}

struct ClientReply {
  static constexpr std::string_view type_name = "ClientReply";
  std::uint64_t client = 0;
  std::uint64_t seq = 0;
  ReplyStatus status = ReplyStatus::ok;
  CommandResult result;
  std::optional<NodeId> leader_hint;
  Index index;  // ok writes: the log index the command applied at (0: none)
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("client", self.client);
    visit("seq", self.seq);
    visit("status", self.status);
    visit("result", self.result);
    visit("leader_hint", self.leader_hint);
    visit("index", self.index);
  }
  friend bool operator==(const ClientReply&, const ClientReply&) = default;
};

// Leadership events, for failover timing and the election-safety history check.
struct BecameLeader {
  static constexpr std::string_view type_name = "BecameLeader";
  Term term;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("term", self.term);
  }
  friend bool operator==(const BecameLeader&, const BecameLeader&) = default;
};
// The leader committed its first entry of its term: from here it serves clients.
struct LeaderCommitted {
  static constexpr std::string_view type_name = "LeaderCommitted";
  Term term;
  Index index;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("term", self.term);
    visit("index", self.index);
  }
  friend bool operator==(const LeaderCommitted&, const LeaderCommitted&) = default;
};
struct SteppedDown {
  static constexpr std::string_view type_name = "SteppedDown";
  Term term;  // the term it led
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("term", self.term);
  }
  friend bool operator==(const SteppedDown&, const SteppedDown&) = default;
};

enum class MembershipStatus : std::uint8_t { committed, not_leader, busy, no_change };
inline std::string_view to_string(MembershipStatus s) {
  switch (s) {
    case MembershipStatus::committed: return "committed";
    case MembershipStatus::not_leader: return "not_leader";
    case MembershipStatus::busy: return "busy";
    case MembershipStatus::no_change: return "no_change";
  }
  return "";
}
struct MembershipReply {
  static constexpr std::string_view type_name = "MembershipReply";
  MembershipStatus status = MembershipStatus::committed;
  std::vector<NodeId> members;  // the configuration after the change (or as it stands)
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("status", self.status);
    visit("members", self.members);
  }
  friend bool operator==(const MembershipReply&, const MembershipReply&) = default;
};

using Output =
    std::variant<ClientReply, BecameLeader, LeaderCommitted, SteppedDown, MembershipReply>;

}  // namespace faultline::raft
