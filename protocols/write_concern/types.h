// Value types of write-concern replication (seed 001, "gRPC Replication"): a primary stores
// client messages in one total order and replicates them to secondaries, and holds each client
// until the write concern w it asked for is met (w nodes, the primary included, stored it).
//
// Every struct has one field list (fields.h) that drives the codec, describe(), fingerprints and
// config decoding, a `type_name`, and defaulted comparison. Variants are wire formats: the
// alternative index is the tag, so new alternatives go at the END. Enums have an ADL
// `to_string` returning "" for out-of-range values (that is how decoders reject them).
//
// Invariants: a message's place in the order is its Seq, assigned by the primary, 1, 2, ...
// without gaps; a MessageId names a client's message (client, number) and is stored at most
// once per node (deduplication); an Epoch grows with every promotion (failover), and a node
// never accepts replication from an epoch older than the newest it has seen.
#pragma once

#include <algorithm>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sim/core/chunked_vector.h"
#include "sim/core/ids.h"
#include "sim/core/result.h"
#include "sim/core/strong_int.h"
#include "sim/core/time.h"

namespace faultline::write_concern {

// The shortest timer or timeout a config may set (as in the other protocols).
inline constexpr Duration timer_floor = Duration::from_milliseconds(1);
// Write concerns and cluster sizes: w counts nodes, the primary included.
inline constexpr std::uint32_t nodes_max = 64;

// A message's place in the total order (a position: 1, 2, ..., 0 is "before the first"), and
// a primary's term (an ordinal: 1 for the first primary, next() at each promotion).
using Seq = StrongInt<struct SeqTag, StrongIntKind::position>;
using Epoch = StrongInt<struct EpochTag, StrongIntKind::ordinal>;
inline constexpr Epoch first_epoch{1};
// The primary of the first epoch: n0.
inline constexpr NodeId first_primary{0};

// A client's message: the client's id and its own count of messages (1, 2, ...). A retried
// post carries the same id, so every node can drop the duplicate.
struct MessageId {
  static constexpr std::string_view type_name = "MessageId";
  std::uint32_t client = 0;
  std::uint64_t number = 0;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("client", self.client);
    visit("number", self.number);
  }
  friend auto operator<=>(const MessageId&, const MessageId&) = default;
};
// Fills a seq no node of a promotion's majority held: no client's message (clients count from
// 1), delivered like any entry so that the order has no gap.
inline constexpr MessageId filler_id{0, 0};

// The system-wide availability guard (the seed's QUORUM_LEVEL): how many nodes, the primary
// included, must be available (not UNHEALTHY) for the primary to accept any write.
enum class QuorumLevel : std::uint8_t { one, majority, all };
inline std::string_view to_string(QuorumLevel level) {
  switch (level) {
    case QuorumLevel::one: return "one";
    case QuorumLevel::majority: return "majority";
    case QuorumLevel::all: return "all";
  }
  return "";
}

// The primary's view of a secondary (the seed's three-state heartbeat machine).
enum class Health : std::uint8_t { healthy, suspected, unhealthy };
inline std::string_view to_string(Health health) {
  switch (health) {
    case Health::healthy: return "healthy";
    case Health::suspected: return "suspected";
    case Health::unhealthy: return "unhealthy";
  }
  return "";
}

// Known-wrong variants the checkers must catch (issue 13's list).
enum class Bug : std::uint8_t {
  none,
  ack_before_replicate,      // w=k acknowledged when the replications are sent, not confirmed
  deliver_out_of_order,      // no MISSING_PARENT hold: a gap is delivered past
  no_dedup,                  // a retried replication is stored twice
  skip_catchup_on_recovery,  // no recovery notification: a returning secondary keeps its gaps
  promote_any_secondary,     // failover promotes without the most-up-to-date rule
  no_epoch_fencing,          // an old primary's replications are accepted after a promotion
};
inline std::string_view to_string(Bug bug) {
  switch (bug) {
    case Bug::none: return "none";
    case Bug::ack_before_replicate: return "ack_before_replicate";
    case Bug::deliver_out_of_order: return "deliver_out_of_order";
    case Bug::no_dedup: return "no_dedup";
    case Bug::skip_catchup_on_recovery: return "skip_catchup_on_recovery";
    case Bug::promote_any_secondary: return "promote_any_secondary";
    case Bug::no_epoch_fencing: return "no_epoch_fencing";
  }
  return "";
}

// ---------------------------------------------------------------------------------------------
// Config (cluster.config in a scenario). Defaults follow the seed: QUORUM_LEVEL 1 (ONE),
// REPLICATION_TIMEOUT 5.5 s, 5 quick retries for a HEALTHY secondary, 15 with exponential
// backoff for a SUSPECTED one, none for an UNHEALTHY one.
struct Config {
  static constexpr std::string_view type_name = "Config";
  QuorumLevel quorum_level = QuorumLevel::one;
  Duration replication_timeout = Duration::from_milliseconds(5500);  // no confirmation -> retry
  Duration heartbeat_interval = Duration::from_milliseconds(500);
  std::uint32_t suspect_after_misses = 1;    // HEALTHY -> SUSPECTED after this many misses
  std::uint32_t unhealthy_after_misses = 3;  // SUSPECTED -> UNHEALTHY after this many in all
  std::uint32_t healthy_retries = 5;
  Duration healthy_retry_delay = Duration::from_milliseconds(50);
  std::uint32_t suspected_retries = 15;
  Duration backoff_base = Duration::from_milliseconds(100);  // doubles per retry ...
  Duration backoff_max = Duration::from_seconds(5);          // ... up to this, plus jitter
  Duration read_only_timeout = Duration::from_seconds(30);   // a blocked write's explicit error
  bool volatile_store = false;  // the seed's in-memory store: a crash loses everything
  bool failover = false;        // beyond the seed: promote a secondary when the primary is lost
  Bug bug = Bug::none;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("quorum_level", self.quorum_level);
    visit("replication_timeout", self.replication_timeout);
    visit("heartbeat_interval", self.heartbeat_interval);
    visit("suspect_after_misses", self.suspect_after_misses);
    visit("unhealthy_after_misses", self.unhealthy_after_misses);
    visit("healthy_retries", self.healthy_retries);
    visit("healthy_retry_delay", self.healthy_retry_delay);
    visit("suspected_retries", self.suspected_retries);
    visit("backoff_base", self.backoff_base);
    visit("backoff_max", self.backoff_max);
    visit("read_only_timeout", self.read_only_timeout);
    visit("volatile_store", self.volatile_store);
    visit("failover", self.failover);
    visit("bug", self.bug);
  }
  friend bool operator==(const Config&, const Config&) = default;

  // Nodes available that the level asks for, in a cluster of `node_count`.
  std::uint32_t quorum_nodes(std::uint32_t node_count) const;
  // Timers at least timer_floor, suspect_after_misses >= 1 and below unhealthy_after_misses,
  // backoff_base <= backoff_max, at most nodes_max nodes, failover bugs only with failover.
  Result<void> validate(std::uint32_t node_count) const;
};

// ---------------------------------------------------------------------------------------------
// The store. A node's entries in Seq order; an entry whose predecessor is missing is held
// (MISSING_PARENT) and not delivered, so reads return the delivered prefix only.
struct Entry {
  static constexpr std::string_view type_name = "Entry";
  Seq seq;
  MessageId id;
  Epoch epoch = first_epoch;  // the primary's epoch that ordered it
  std::uint32_t w = 1;        // the write concern its client asked for
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("seq", self.seq);
    visit("id", self.id);
    visit("epoch", self.epoch);
    visit("w", self.w);
  }
  friend bool operator==(const Entry&, const Entry&) = default;
};

// What a node persists (its Durable): every entry it stored, delivered or held; the newest
// epoch it has seen and that epoch's primary (none: it learned of the epoch from a reply, not
// from its primary), so a restarted old primary stays fenced; the newest epoch it voted for (it
// votes once per epoch, and refuses replication from older ones); and the epoch whose log it
// has reconciled its own with (rolled back what that primary's log lacks).
struct Store {
  static constexpr std::string_view type_name = "Store";
  // Sorted by seq, no two with one seq or one id. A ChunkedVector: the node persists its whole
  // store after each write, and a copy shares all but the last chunk (a std::vector copy per
  // write made a primary's work grow with its store: README.md, Performance).
  ChunkedVector<Entry> entries;
  Epoch epoch = first_epoch;
  std::optional<NodeId> primary = first_primary;
  Epoch voted = first_epoch;
  Epoch synced = first_epoch;
  // Counts changes to `entries` made through insert() and erase(), so that the checkers'
  // monitors see "unchanged" in O(1). Not part of the value: not in fields() (so not encoded,
  // fingerprinted or described) nor in ==.
  std::uint64_t revision = 0;

  // The index of the first entry whose seq is at least (lower) or above (upper) `seq`.
  std::size_t lower(Seq seq) const { return partition(seq, false); }
  std::size_t upper(Seq seq) const { return partition(seq, true); }
  // The entry of message `id` at `seq`, if held (O(log n)).
  const Entry* find(Seq seq, const MessageId& id) const {
    for (std::size_t i = lower(seq); i < entries.size() && entries[i].seq == seq; ++i)
      if (entries[i].id == id) return &entries[i];
    return nullptr;
  }
  // Inserts in seq order (after any entry of the same seq): an append touches the last chunk;
  // an insertion before the end (a message past a gap) rewrites the entries after it.
  void insert(const Entry& entry) {
    revision += 1;
    const std::size_t at = upper(entry.seq);
    if (at == entries.size()) return entries.push_back(entry);
    std::vector<Entry> tail;
    for (std::size_t i = at; i < entries.size(); ++i) tail.push_back(entries[i]);
    entries.truncate(at);
    entries.push_back(entry);
    for (Entry& e : tail) entries.push_back(std::move(e));
  }
  void erase(std::size_t at) {
    revision += 1;
    std::vector<Entry> tail;
    for (std::size_t i = at + 1; i < entries.size(); ++i) tail.push_back(entries[i]);
    entries.truncate(at);
    for (Entry& e : tail) entries.push_back(std::move(e));
  }

  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("entries", self.entries);
    visit("epoch", self.epoch);
    visit("primary", self.primary);
    visit("voted", self.voted);
    visit("synced", self.synced);
  }
  friend bool operator==(const Store& a, const Store& b) {
    return a.entries == b.entries && a.epoch == b.epoch && a.primary == b.primary &&
           a.voted == b.voted && a.synced == b.synced;
  }

 private:
  // The first index whose entry is not `before` the seq. Seqs are usually dense (a primary's
  // log, a caught-up secondary's), so the index the seq would have then is tried first, and
  // checked: the predicate is monotone, so a guess with `before` just below and not at it is the
  // answer whatever the store holds (gaps, or the no_dedup bug's repeated seqs).
  std::size_t partition(Seq seq, bool past) const {
    const auto before = [&](std::size_t i) {
      return past ? entries[i].seq <= seq : entries[i].seq < seq;
    };
    if (!entries.empty() && entries[0].seq <= seq) {
      const std::uint64_t distance = seq - entries[0].seq;
      const std::size_t guess =
          distance >= entries.size() ? entries.size() : distance + (past ? 1 : 0);
      if ((guess == 0 || before(guess - 1)) && (guess == entries.size() || !before(guess)))
        return guess;
    }
    std::size_t low = 0;
    std::size_t high = entries.size();
    while (low < high) {
      const std::size_t mid = low + (high - low) / 2;
      if (before(mid))
        low = mid + 1;
      else
        high = mid;
    }
    return low;
  }
};

// ---------------------------------------------------------------------------------------------
// Messages between nodes.
struct Replicate {  // primary -> secondary: store this entry (of this epoch or an older one)
  static constexpr std::string_view type_name = "Replicate";
  Epoch epoch;  // the sender's: a node that saw or voted for a newer one refuses it
  Entry entry;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("epoch", self.epoch);
    visit("entry", self.entry);
  }
  friend bool operator==(const Replicate&, const Replicate&) = default;
};

enum class StoreResult : std::uint8_t { stored, duplicate, fenced, injected_error };
inline std::string_view to_string(StoreResult r) {
  switch (r) {
    case StoreResult::stored: return "stored";
    case StoreResult::duplicate: return "duplicate";  // the seed's 409 DUPLICATE_RECEIVED
    case StoreResult::fenced: return "fenced";        // from an older epoch than the node's
    case StoreResult::injected_error: return "injected_error";  // stored, answered 500
  }
  return "";
}

struct ReplicateAck {  // secondary -> primary: durably stored (or already had it)
  static constexpr std::string_view type_name = "ReplicateAck";
  Seq seq;
  Epoch epoch;  // the secondary's newest epoch
  StoreResult result = StoreResult::stored;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("seq", self.seq);
    visit("epoch", self.epoch);
    visit("result", self.result);
  }
  friend bool operator==(const ReplicateAck&, const ReplicateAck&) = default;
};

struct Heartbeat {  // primary -> secondary (the seed's ReportHealth call)
  static constexpr std::string_view type_name = "Heartbeat";
  Epoch epoch;
  Seq latest;  // the primary's latest seq
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("epoch", self.epoch);
    visit("latest", self.latest);
  }
  friend bool operator==(const Heartbeat&, const Heartbeat&) = default;
};

struct HeartbeatReply {  // secondary -> primary
  static constexpr std::string_view type_name = "HeartbeatReply";
  Epoch epoch;
  Seq delivered;  // the end of its delivered prefix
  Epoch synced;   // its store is reconciled with this epoch's log (older: it needs a notice)
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("epoch", self.epoch);
    visit("delivered", self.delivered);
    visit("synced", self.synced);
  }
  friend bool operator==(const HeartbeatReply&, const HeartbeatReply&) = default;
};

struct RecoveryNotice {  // primary -> a secondary that came back: my latest seq
  static constexpr std::string_view type_name = "RecoveryNotice";
  Epoch epoch;
  Seq latest;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("epoch", self.epoch);
    visit("latest", self.latest);
  }
  friend bool operator==(const RecoveryNotice&, const RecoveryNotice&) = default;
};

struct CatchUpRequest {  // secondary -> primary: send what I miss in (after, upto]
  static constexpr std::string_view type_name = "CatchUpRequest";
  Seq after;
  Seq upto;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("after", self.after);
    visit("upto", self.upto);
  }
  friend bool operator==(const CatchUpRequest&, const CatchUpRequest&) = default;
};

struct CatchUpReply {  // primary -> secondary: the entries asked for, in seq order
  static constexpr std::string_view type_name = "CatchUpReply";
  Epoch epoch;  // the sender's
  Seq after;    // the request's range, (after, upto]: the entries cover it unless the batch is
  Seq upto;     // full, when they cover it up to the last entry's seq
  std::vector<Entry> entries;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("epoch", self.epoch);
    visit("after", self.after);
    visit("upto", self.upto);
    visit("entries", self.entries);
  }
  friend bool operator==(const CatchUpReply&, const CatchUpReply&) = default;
};

// Failover (config failover: true). A secondary that lost the primary stands for the next
// epoch with the end of its store; a voter grants it at most once per epoch and sends every
// entry it holds, so the new primary holds whatever any node of its majority held.
struct PromoteRequest {
  static constexpr std::string_view type_name = "PromoteRequest";
  Epoch epoch;       // the epoch the candidate stands for
  Epoch last_epoch;  // the epoch and seq of the candidate's last entry (the up-to-date rule)
  Seq last_seq;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("epoch", self.epoch);
    visit("last_epoch", self.last_epoch);
    visit("last_seq", self.last_seq);
  }
  friend bool operator==(const PromoteRequest&, const PromoteRequest&) = default;
};

struct PromoteReply {
  static constexpr std::string_view type_name = "PromoteReply";
  Epoch epoch;  // the request's
  bool granted = false;
  Epoch newest;  // refused: the newest epoch the voter saw or voted for (the next try is above)
  std::vector<Entry> entries;  // granted: every entry the voter holds
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("epoch", self.epoch);
    visit("granted", self.granted);
    visit("newest", self.newest);
    visit("entries", self.entries);
  }
  friend bool operator==(const PromoteReply&, const PromoteReply&) = default;
};

using Message = std::variant<Replicate, ReplicateAck, Heartbeat, HeartbeatReply, RecoveryNotice,
                             CatchUpRequest, CatchUpReply, PromoteRequest, PromoteReply>;

// ---------------------------------------------------------------------------------------------
// Timers. A retry timer names the secondary and the seq it retries; its delay is a range (the
// engine draws within it from its own stream), which is how a SUSPECTED secondary's backoff
// gets its jitter without randomness in the node.
struct HeartbeatTimer {
  static constexpr std::string_view type_name = "HeartbeatTimer";
  template <class Self, class Visit>
  static void fields(Self&, Visit&&) {}
  friend auto operator<=>(const HeartbeatTimer&, const HeartbeatTimer&) = default;
};
struct RetryTimer {
  static constexpr std::string_view type_name = "RetryTimer";
  NodeId secondary;
  Seq seq;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("secondary", self.secondary);
    visit("seq", self.seq);
  }
  friend auto operator<=>(const RetryTimer&, const RetryTimer&) = default;
};
struct ReadOnlyTimer {  // a blocked write's deadline: the client gets an explicit error
  static constexpr std::string_view type_name = "ReadOnlyTimer";
  MessageId id;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("id", self.id);
  }
  friend auto operator<=>(const ReadOnlyTimer&, const ReadOnlyTimer&) = default;
};
struct WatchTimer {  // a secondary's watch on the primary's heartbeats (failover only)
  static constexpr std::string_view type_name = "WatchTimer";
  template <class Self, class Visit>
  static void fields(Self&, Visit&&) {}
  friend auto operator<=>(const WatchTimer&, const WatchTimer&) = default;
};
using Timer = std::variant<HeartbeatTimer, RetryTimer, ReadOnlyTimer, WatchTimer>;

// ---------------------------------------------------------------------------------------------
// Inputs (client calls and the seed's failure injection).
struct PostMessage {
  static constexpr std::string_view type_name = "PostMessage";
  static constexpr std::string_view config_name = "post";
  MessageId id;
  std::uint32_t w = 1;  // 1 .. node count
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("id", self.id);
    visit("w", self.w);
  }
  friend bool operator==(const PostMessage&, const PostMessage&) = default;
};
struct GetMessages {
  static constexpr std::string_view type_name = "GetMessages";
  static constexpr std::string_view config_name = "get";
  std::uint32_t client = 0;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("client", self.client);
  }
  friend bool operator==(const GetMessages&, const GetMessages&) = default;
};
// The seed's InjectFailure(fail_next_n_requests, where: after_db_save): the next n replications
// this secondary stores are stored but answered with an error, so the primary retries them.
struct InjectFailure {
  static constexpr std::string_view type_name = "InjectFailure";
  static constexpr std::string_view config_name = "inject_failure";
  std::uint32_t fail_next_n_requests = 1;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("fail_next_n_requests", self.fail_next_n_requests);
  }
  friend bool operator==(const InjectFailure&, const InjectFailure&) = default;
};
using Input = std::variant<PostMessage, GetMessages, InjectFailure>;

// ---------------------------------------------------------------------------------------------
// Outputs (to clients, checkers and metrics).
enum class PostStatus : std::uint8_t { ok, unavailable, read_only, not_primary, bad_request };
inline std::string_view to_string(PostStatus s) {
  switch (s) {
    case PostStatus::ok: return "ok";
    case PostStatus::unavailable: return "unavailable";  // quorum lost: refused, nothing stored
    case PostStatus::read_only: return "read_only";  // w not met by its deadline (stored, maybe)
    case PostStatus::not_primary: return "not_primary";
    case PostStatus::bad_request: return "bad_request";  // w outside 1 .. node count
  }
  return "";
}
struct PostReply {
  static constexpr std::string_view type_name = "PostReply";
  MessageId id;
  PostStatus status = PostStatus::ok;
  Seq seq;  // its place in the order (ok and read_only)
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("id", self.id);
    visit("status", self.status);
    visit("seq", self.seq);
  }
  friend bool operator==(const PostReply&, const PostReply&) = default;
};
struct MessagesReply {  // the node's delivered prefix
  static constexpr std::string_view type_name = "MessagesReply";
  std::uint32_t client = 0;
  std::vector<MessageId> delivered;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("client", self.client);
    visit("delivered", self.delivered);
  }
  friend bool operator==(const MessagesReply&, const MessagesReply&) = default;
};
struct HealthChanged {  // the primary's view of a secondary moved
  static constexpr std::string_view type_name = "HealthChanged";
  NodeId secondary;
  Health health = Health::healthy;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("secondary", self.secondary);
    visit("health", self.health);
  }
  friend bool operator==(const HealthChanged&, const HealthChanged&) = default;
};
struct Promoted {  // this node is the primary of `epoch`
  static constexpr std::string_view type_name = "Promoted";
  Epoch epoch;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("epoch", self.epoch);
  }
  friend bool operator==(const Promoted&, const Promoted&) = default;
};
// This node removed an entry the primary's log does not have (MongoDB's rollback): recorded so
// that the checkers can classify it (acknowledged or not, read or not) and count lost writes.
struct RolledBack {
  static constexpr std::string_view type_name = "RolledBack";
  Entry entry;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("entry", self.entry);
  }
  friend bool operator==(const RolledBack&, const RolledBack&) = default;
};
// This secondary's catch-up after a recovery notice is done: it delivers up to `upto`, the
// primary's latest seq when it was noticed (the catch_up metric ends here).
struct CaughtUp {
  static constexpr std::string_view type_name = "CaughtUp";
  Seq upto;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("upto", self.upto);
  }
  friend bool operator==(const CaughtUp&, const CaughtUp&) = default;
};
// A blocked write's w now exceeds the nodes available: its client is in read-only mode (README.md)
// until the write's answer (the read_only_time metric).
struct ReadOnly {
  static constexpr std::string_view type_name = "ReadOnly";
  MessageId id;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("id", self.id);
  }
  friend bool operator==(const ReadOnly&, const ReadOnly&) = default;
};
// A secondary's delivered prefix grew: these messages are now returned by its reads (the
// replication_lag metric: from each one's post to here).
struct Delivered {
  static constexpr std::string_view type_name = "Delivered";
  std::vector<MessageId> ids;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("ids", self.ids);
  }
  friend bool operator==(const Delivered&, const Delivered&) = default;
};
using Output = std::variant<PostReply, MessagesReply, HealthChanged, Promoted, RolledBack, CaughtUp,
                            ReadOnly, Delivered>;

}  // namespace faultline::write_concern
