// Value types of the quorum key-value store (seed 004, "Distributed KV Store Lab"): a gateway
// with a rate limiter, a registry of heartbeating nodes, a coordinator that runs quorum writes
// and reads, and a leader that versions every write and replicates it to followers.
//
// The cluster's layout is fixed by position (README.md): n0 the gateway, n1 the registry, n2 the
// coordinator, n3 the leader, then `followers` followers; every node after them is a spare, an
// idle node the registry may hand a dead follower's identity (auto-spawn). An Identity is what a
// replica claims: r0 the leader, r1 .. rF the followers (the seed's follower-1 ...).
//
// Every struct has one field list (fields.h) driving its codec, describe(), fingerprint and
// config decoding. Variants are wire formats: the alternative index is the tag, so new
// alternatives go at the END. Enums have an ADL `to_string` returning "" when out of range.
//
// Invariants: a Version is assigned by the leader only, 1, 2, ... across all keys, and never
// reused (the leader persists the next one); a replica keeps, per key, the highest version it
// was sent (except under the read_repair_overwrites_newer bug); one client has at most one
// request outstanding, so a client's last request number is all the leader needs to drop a
// retried write.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sim/core/ids.h"
#include "sim/core/result.h"
#include "sim/core/strong_int.h"
#include "sim/core/time.h"

namespace faultline::quorum_kv {

inline constexpr Duration timer_floor = Duration::from_milliseconds(1);
inline constexpr std::uint32_t followers_max = 32;
inline constexpr std::uint32_t spares_max = 16;
inline constexpr std::uint32_t clients_max = 1'000;

// The fixed nodes of the layout.
inline constexpr NodeId gateway_node{0};
inline constexpr NodeId registry_node{1};
inline constexpr NodeId coordinator_node{2};
inline constexpr NodeId first_replica_node{3};  // the leader at boot; followers follow it
inline constexpr std::uint32_t fixed_nodes = 3;

// A replica's identity: r0 the leader, r1 .. rF the followers.
struct Identity {
  static constexpr std::string_view id_prefix = "r";
  std::uint32_t value = 0;
  friend auto operator<=>(const Identity&, const Identity&) = default;
};
inline constexpr Identity leader_identity{0};

// A value's version: the leader's count of writes (1, 2, ...); 0 is "never written".
using Version = StrongInt<struct VersionTag, StrongIntKind::position>;

// A client's request: the client's id (1, 2, ...) and its own count of requests (1, 2, ...).
// A retry carries the same id.
struct RequestId {
  static constexpr std::string_view type_name = "RequestId";
  std::uint32_t client = 0;
  std::uint64_t number = 0;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("client", self.client);
    visit("number", self.number);
  }
  friend auto operator<=>(const RequestId&, const RequestId&) = default;
};

// Known-wrong variants the checkers must catch (issue 14's list).
enum class Bug : std::uint8_t {
  none,
  ack_before_quorum,              // the leader answers ok once it stored the write itself
  read_from_one_replica,          // the coordinator asks one replica whatever R says
  catchup_misses_inflight_write,  // writes during a state transfer are not sent to the newcomer
  read_repair_overwrites_newer,   // a repair replaces the replica's value even if it is newer
  siblings_by_stamp,              // version vectors: a merge keeps only the higher stamp
};
inline std::string_view to_string(Bug bug) {
  switch (bug) {
    case Bug::none: return "none";
    case Bug::ack_before_quorum: return "ack_before_quorum";
    case Bug::read_from_one_replica: return "read_from_one_replica";
    case Bug::catchup_misses_inflight_write: return "catchup_misses_inflight_write";
    case Bug::read_repair_overwrites_newer: return "read_repair_overwrites_newer";
    case Bug::siblings_by_stamp: return "siblings_by_stamp";
  }
  return "";
}

// What a read does with replicas that answered an older version than the newest it saw:
// nothing (the seed); send them the newest in the background (Dynamo's read repair); or write
// it back to W replicas before answering (ABD's second phase, which makes reads linearizable
// with R + W > N: without it a read may return a write still in flight and a later read miss
// it, README.md "Linearizable only with write-back").
enum class ReadRepair : std::uint8_t { none, async, sync };
inline std::string_view to_string(ReadRepair r) {
  switch (r) {
    case ReadRepair::none: return "none";
    case ReadRepair::async: return "async";
    case ReadRepair::sync: return "sync";
  }
  return "";
}

// The replication scheme: the seed's leader and followers, or Dynamo's leaderless quorums over
// a preference list (README.md, "The leaderless mode").
enum class Mode : std::uint8_t { leader, leaderless };
inline std::string_view to_string(Mode m) {
  switch (m) {
    case Mode::leader: return "leader";
    case Mode::leaderless: return "leaderless";
  }
  return "";
}
// Who coordinates a leaderless write (stamps it with its clock, sends it to the key's replicas
// and counts their acknowledgements): the coordinator node n2, or the first live replica of the
// key's preference list, as Dynamo does (so different keys, and one key after a failure, are
// stamped by different clocks).
enum class WriteCoordinator : std::uint8_t { router, preference };
inline std::string_view to_string(WriteCoordinator w) {
  switch (w) {
    case WriteCoordinator::router: return "router";
    case WriteCoordinator::preference: return "preference";
  }
  return "";
}

// How a leaderless replica resolves two values of one key: the higher last-write-wins stamp,
// or version vectors (a value replaces only those its clock descends from; concurrent values
// are kept side by side as siblings).
enum class Conflicts : std::uint8_t { last_write_wins, version_vectors };
inline std::string_view to_string(Conflicts c) {
  switch (c) {
    case Conflicts::last_write_wins: return "last_write_wins";
    case Conflicts::version_vectors: return "version_vectors";
  }
  return "";
}

// ---------------------------------------------------------------------------------------------
// Config (cluster.config; also the seed's student_config.json, which `faultline grade` reads).
// Defaults follow the seed's demo: 3 followers, W=2, R=2, the rate limiter off (the seed's
// gateway limits only with --rate-limit: 10 requests per 60 s), auto-spawn off (5 s delay).
struct Config {
  static constexpr std::string_view type_name = "Config";
  std::uint32_t followers = 3;
  std::uint32_t write_quorum = 2;     // W: replicas (the leader included) that store a write
  std::uint32_t read_quorum = 2;      // R: replicas a read asks
  bool rate_limit = false;            // the gateway's fixed-window limiter, per client
  std::uint32_t rate_limit_max = 10;  // requests admitted per window
  Duration rate_limit_window = Duration::from_seconds(60);
  bool auto_spawn = false;  // the registry hands a dead follower's identity to a spare
  Duration auto_spawn_delay =
      Duration::from_seconds(5);  // ... this long after it was declared dead
  Duration heartbeat_interval = Duration::from_seconds(1);
  Duration heartbeat_timeout = Duration::from_seconds(3);         // no heartbeat this long: dead
  Duration write_timeout = Duration::from_seconds(2);             // the coordinator's, per write
  Duration read_timeout = Duration::from_seconds(1);              // ... per read
  Duration replication_retry = Duration::from_milliseconds(200);  // the leader resends puts
  ReadRepair read_repair = ReadRepair::none;                      // beyond the seed
  // The leaderless mode: replicas per key (its preference list: `replication` consecutive
  // replicas on the ring from the key's hash), who coordinates writes, whether a dead preference
  // replica's writes go to the next live one with a hint (sloppy quorum, hinted handoff), and
  // how often each replica pushes its items to another and retries its hints (anti-entropy).
  Mode mode = Mode::leader;
  std::uint32_t replication = 3;
  WriteCoordinator write_coordinator = WriteCoordinator::router;
  bool sloppy_quorum = true;
  Duration anti_entropy_interval = Duration::from_seconds(1);
  Conflicts conflicts = Conflicts::last_write_wins;
  // The service's targets (not read by any node; the checks judge the configuration against
  // them): follower failures writes and fresh reads must survive (INC-4, INC-5).
  std::uint32_t failures_tolerated = 1;
  Bug bug = Bug::none;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("followers", self.followers);
    visit("write_quorum", self.write_quorum);
    visit("read_quorum", self.read_quorum);
    visit("rate_limit", self.rate_limit);
    visit("rate_limit_max", self.rate_limit_max);
    visit("rate_limit_window", self.rate_limit_window);
    visit("auto_spawn", self.auto_spawn);
    visit("auto_spawn_delay", self.auto_spawn_delay);
    visit("heartbeat_interval", self.heartbeat_interval);
    visit("heartbeat_timeout", self.heartbeat_timeout);
    visit("write_timeout", self.write_timeout);
    visit("read_timeout", self.read_timeout);
    visit("replication_retry", self.replication_retry);
    visit("read_repair", self.read_repair);
    visit("mode", self.mode);
    visit("replication", self.replication);
    visit("write_coordinator", self.write_coordinator);
    visit("sloppy_quorum", self.sloppy_quorum);
    visit("anti_entropy_interval", self.anti_entropy_interval);
    visit("conflicts", self.conflicts);
    visit("failures_tolerated", self.failures_tolerated);
    visit("bug", self.bug);
  }
  friend bool operator==(const Config&, const Config&) = default;

  std::uint32_t replicas() const { return followers + 1; }  // the leader and its followers
  // N: the replicas a key lives on (all of them in the leader mode; `replication` leaderless).
  std::uint32_t copies() const { return mode == Mode::leader ? replicas() : replication; }
  // The nodes the layout needs without spares; every node after them is a spare.
  std::uint32_t layout_nodes() const { return fixed_nodes + replicas(); }
  // The layout's node for an identity at boot, and the identity a node boots with (none: a
  // gateway, registry, coordinator or spare).
  NodeId boot_node(Identity identity) const {
    return NodeId{first_replica_node.value + identity.value};
  }
  std::optional<Identity> boot_identity(NodeId node) const;
  // Registry ticks (heartbeat_interval each) a missed node is given before it is dead, and a
  // dead follower waits before auto-spawn; at least 1.
  std::uint32_t timeout_ticks() const;
  std::uint32_t spawn_ticks() const;
  // The layout fits (at most spares_max spares), 1 <= W, R <= N, timers at least timer_floor,
  // ...
  Result<void> validate(std::uint32_t node_count) const;
};

// The leaderless mode's preference list of `key`: the `replication` replica identities that
// follow the key's hash (FNV-1a) round the ring r0 .. rF, in order.
std::vector<Identity> preference_list(const Config& config, std::string_view key);

// ---------------------------------------------------------------------------------------------
// A key's value on a replica.
struct Item {
  static constexpr std::string_view type_name = "Item";
  std::string key;
  Version version;
  std::int64_t value = 0;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("key", self.key);
    visit("version", self.version);
    visit("value", self.value);
  }
  friend bool operator==(const Item&, const Item&) = default;
};

// A version vector: per replica identity, how many writes it coordinated that a value descends
// from (one entry per replica, r0 first).
using VersionVector = std::vector<std::uint64_t>;

// Whether a value with clock `a` descends from one with clock `b` (saw it, or is it).
bool descends(const VersionVector& a, const VersionVector& b);

// conflicts: version_vectors: one value of a key and its clock. A replica keeps every sibling no
// other one it holds descends from; `item.version` is the write's stamp (its coordinator's
// clock), which acknowledgements name, and never decides what wins.
struct Sibling {
  static constexpr std::string_view type_name = "Sibling";
  Item item;
  VersionVector clock;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("item", self.item);
    visit("clock", self.clock);
  }
  friend bool operator==(const Sibling&, const Sibling&) = default;
};

// A write a substitute replica holds for a dead preference replica (hinted handoff): resent to
// `intended` every anti_entropy_interval until it acknowledges.
struct Hint {
  static constexpr std::string_view type_name = "Hint";
  NodeId intended;
  Item item;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("intended", self.intended);
    visit("item", self.item);
  }
  friend bool operator==(const Hint&, const Hint&) = default;
};

// The leader's record of a client's last write: a retry of it is answered, not applied again.
struct Session {
  static constexpr std::string_view type_name = "Session";
  std::uint32_t client = 0;
  std::uint64_t number = 0;
  Version version;
  bool acknowledged = false;  // its answer was ok (else: not answered yet, or timeout)
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("client", self.client);
    visit("number", self.number);
    visit("version", self.version);
    visit("acknowledged", self.acknowledged);
  }
  friend bool operator==(const Session&, const Session&) = default;
};

// What a node persists (its Durable). Replicas: their identity (a spare keeps the one it was
// handed), their items sorted by key, and (the leader) the next version and the sessions.
// The registry and the coordinator persist an empty Store only to tell a restart from the
// first boot.
struct Store {
  static constexpr std::string_view type_name = "Store";
  std::optional<Identity> identity;
  std::vector<Item> items;  // sorted by key, one per key
  Version next_version{1};
  std::vector<Session> sessions;  // sorted by client
  std::vector<Hint> hints;        // leaderless, sloppy quorum: held for dead replicas
  std::vector<Sibling> siblings;  // conflicts: version_vectors; sorted by key, then stamp
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("identity", self.identity);
    visit("items", self.items);
    visit("next_version", self.next_version);
    visit("sessions", self.sessions);
    visit("hints", self.hints);
    visit("siblings", self.siblings);
  }
  friend bool operator==(const Store&, const Store&) = default;

  const Item* find(std::string_view key) const;
  // Keeps the higher version, the higher value between equal versions (last-write-wins stamps
  // may tie), or with `overwrite` this one whatever it replaces; true if changed.
  bool merge(const Item& item, bool overwrite = false);
  Version version_of(std::string_view key) const;
  // Whether this store holds `key` at `version` or newer, as an item or a hint.
  bool holds(std::string_view key, Version version) const;
  // Version vectors: the siblings of `key`; keeps `sibling` unless a held one descends from it,
  // dropping those it descends from (true if changed); whether a sibling of `key` descends from
  // `clock`.
  std::vector<Sibling> siblings_of(std::string_view key) const;
  bool merge_sibling(const Sibling& sibling);
  bool holds_clock(std::string_view key, const VersionVector& clock) const;
};

// ---------------------------------------------------------------------------------------------
// Messages.
struct Heartbeat {  // a replica or spare -> the registry
  static constexpr std::string_view type_name = "Heartbeat";
  std::optional<Identity> identity;  // none: a spare
  bool rejoin = false;               // restarted: claims its identity only once welcomed
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("identity", self.identity);
    visit("rejoin", self.rejoin);
  }
  friend bool operator==(const Heartbeat&, const Heartbeat&) = default;
};
struct Welcome {  // the registry -> a rejoining replica: the identity is still yours
  static constexpr std::string_view type_name = "Welcome";
  Identity identity;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("identity", self.identity);
  }
  friend bool operator==(const Welcome&, const Welcome&) = default;
};
struct Retire {  // the registry -> a node claiming an identity another node now holds
  static constexpr std::string_view type_name = "Retire";
  Identity identity;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("identity", self.identity);
  }
  friend bool operator==(const Retire&, const Retire&) = default;
};
struct Assume {  // the registry -> a spare: you are this follower now (auto-spawn, `spawn`)
  static constexpr std::string_view type_name = "Assume";
  Identity identity;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("identity", self.identity);
  }
  friend bool operator==(const Assume&, const Assume&) = default;
};

// An identity the registry holds alive, on a node, in an incarnation (a new one at every
// (re)join, so the coordinator knows the node may have missed writes).
struct Member {
  static constexpr std::string_view type_name = "Member";
  Identity identity;
  NodeId node;
  std::uint64_t incarnation = 0;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("identity", self.identity);
    visit("node", self.node);
    visit("incarnation", self.incarnation);
  }
  friend bool operator==(const Member&, const Member&) = default;
};
struct Membership {  // the registry -> the coordinator, every tick: the alive list
  static constexpr std::string_view type_name = "Membership";
  std::vector<Member> alive;  // sorted by identity
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("alive", self.alive);
  }
  friend bool operator==(const Membership&, const Membership&) = default;
};

struct WriteRequest {  // the gateway -> the coordinator
  static constexpr std::string_view type_name = "WriteRequest";
  RequestId id;
  std::string key;
  std::int64_t value = 0;
  std::uint32_t attempt = 0;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("id", self.id);
    visit("key", self.key);
    visit("value", self.value);
    visit("attempt", self.attempt);
  }
  friend bool operator==(const WriteRequest&, const WriteRequest&) = default;
};
struct ReadRequest {  // the gateway -> the coordinator
  static constexpr std::string_view type_name = "ReadRequest";
  RequestId id;
  std::string key;
  std::uint32_t attempt = 0;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("id", self.id);
    visit("key", self.key);
    visit("attempt", self.attempt);
  }
  friend bool operator==(const ReadRequest&, const ReadRequest&) = default;
};

// What a request came to: ok; refused by the limiter (429); refused before anything was stored
// (503, the seed's "Write quorum not available"); or not known to have happened (a write the
// leader stored but could not get W copies of in time, a read that timed out).
enum class Status : std::uint8_t { ok, rate_limited, unavailable, timeout };
inline std::string_view to_string(Status s) {
  switch (s) {
    case Status::ok: return "ok";
    case Status::rate_limited: return "rate_limited";
    case Status::unavailable: return "unavailable";
    case Status::timeout: return "timeout";
  }
  return "";
}

struct Outcome {  // the coordinator -> the gateway: a request's outcome
  static constexpr std::string_view type_name = "Outcome";
  RequestId id;
  bool write = false;
  Status status = Status::ok;
  Version version;  // ok: the write's, or the read's value's (0: the key was never written)
  std::int64_t value = 0;
  std::uint32_t attempt = 0;  // the request's
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("id", self.id);
    visit("write", self.write);
    visit("status", self.status);
    visit("version", self.version);
    visit("value", self.value);
    visit("attempt", self.attempt);
  }
  friend bool operator==(const Outcome&, const Outcome&) = default;
};

struct Replicate {  // the coordinator -> the leader: store and replicate this write
  static constexpr std::string_view type_name = "Replicate";
  RequestId id;
  std::string key;
  std::int64_t value = 0;
  std::vector<NodeId> sync;  // the followers whose acks count (caught up and alive)
  std::uint32_t needed = 0;  // acks from them the write needs (W - 1)
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("id", self.id);
    visit("key", self.key);
    visit("value", self.value);
    visit("sync", self.sync);
    visit("needed", self.needed);
  }
  friend bool operator==(const Replicate&, const Replicate&) = default;
};
struct Replicated {  // the leader -> the coordinator
  static constexpr std::string_view type_name = "Replicated";
  RequestId id;
  Status status = Status::ok;  // ok, or timeout: stored by the leader, too few copies
  Version version;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("id", self.id);
    visit("status", self.status);
    visit("version", self.version);
  }
  friend bool operator==(const Replicated&, const Replicated&) = default;
};

struct Put {  // the leader -> a follower (replication), or the coordinator -> a replica (repair,
              // write-back)
  static constexpr std::string_view type_name = "Put";
  Item item;
  bool repair = false;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("item", self.item);
    visit("repair", self.repair);
  }
  friend bool operator==(const Put&, const Put&) = default;
};
struct PutAck {  // a replica -> the put's sender: it holds this key at this version or newer
  static constexpr std::string_view type_name = "PutAck";
  std::string key;
  Version version;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("key", self.key);
    visit("version", self.version);
  }
  friend bool operator==(const PutAck&, const PutAck&) = default;
};

struct Get {  // the coordinator -> a replica
  static constexpr std::string_view type_name = "Get";
  RequestId id;
  std::string key;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("id", self.id);
    visit("key", self.key);
  }
  friend bool operator==(const Get&, const Get&) = default;
};
struct GetReply {  // a replica -> the coordinator (version 0: never written there)
  static constexpr std::string_view type_name = "GetReply";
  RequestId id;
  Item item;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("id", self.id);
    visit("item", self.item);
  }
  friend bool operator==(const GetReply&, const GetReply&) = default;
};

struct CatchUp {  // the coordinator -> the leader: send this member your whole state
  static constexpr std::string_view type_name = "CatchUp";
  NodeId node;
  std::uint64_t incarnation = 0;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("node", self.node);
    visit("incarnation", self.incarnation);
  }
  friend bool operator==(const CatchUp&, const CatchUp&) = default;
};
struct Snapshot {  // the leader -> a follower: full state transfer
  static constexpr std::string_view type_name = "Snapshot";
  std::uint64_t incarnation = 0;
  std::vector<Item> items;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("incarnation", self.incarnation);
    visit("items", self.items);
  }
  friend bool operator==(const Snapshot&, const Snapshot&) = default;
};
struct SnapshotAck {  // a follower -> the leader
  static constexpr std::string_view type_name = "SnapshotAck";
  std::uint64_t incarnation = 0;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("incarnation", self.incarnation);
  }
  friend bool operator==(const SnapshotAck&, const SnapshotAck&) = default;
};
struct CaughtUp {  // the leader -> the coordinator: this member holds the leader's state
  static constexpr std::string_view type_name = "CaughtUp";
  NodeId node;
  std::uint64_t incarnation = 0;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("node", self.node);
    visit("incarnation", self.incarnation);
  }
  friend bool operator==(const CaughtUp&, const CaughtUp&) = default;
};

// The leaderless mode. A target of a write or read: a live replica, and for a substitute the
// dead preference replica it stands in for (sloppy quorum).
struct Target {
  static constexpr std::string_view type_name = "Target";
  NodeId node;
  std::optional<NodeId> intended;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("node", self.node);
    visit("intended", self.intended);
  }
  friend bool operator==(const Target&, const Target&) = default;
};
struct CoordinateWrite {  // n2 -> a key's first live replica (write_coordinator: preference)
  static constexpr std::string_view type_name = "CoordinateWrite";
  RequestId id;
  std::string key;
  std::int64_t value = 0;
  std::vector<Target> targets;  // the coordinator first
  std::uint32_t needed = 0;     // acknowledgements (W), the coordinator's own included
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("id", self.id);
    visit("key", self.key);
    visit("value", self.value);
    visit("targets", self.targets);
    visit("needed", self.needed);
  }
  friend bool operator==(const CoordinateWrite&, const CoordinateWrite&) = default;
};
struct HintedPut {  // a write coordinator -> a substitute: hold this for `intended`
  static constexpr std::string_view type_name = "HintedPut";
  Item item;
  NodeId intended;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("item", self.item);
    visit("intended", self.intended);
  }
  friend bool operator==(const HintedPut&, const HintedPut&) = default;
};
struct PutSibling {  // version vectors: a write coordinator -> a replica
  static constexpr std::string_view type_name = "PutSibling";
  Sibling sibling;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("sibling", self.sibling);
  }
  friend bool operator==(const PutSibling&, const PutSibling&) = default;
};
struct SiblingAck {  // version vectors: a replica -> the coordinator, it holds this or newer
  static constexpr std::string_view type_name = "SiblingAck";
  std::string key;
  VersionVector clock;  // the sibling put (stamps may tie: the clock names the write)
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("key", self.key);
    visit("clock", self.clock);
  }
  friend bool operator==(const SiblingAck&, const SiblingAck&) = default;
};
struct SiblingsReply {  // version vectors: a replica -> the gateway, a key's siblings
  static constexpr std::string_view type_name = "SiblingsReply";
  RequestId id;
  std::vector<Sibling> siblings;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("id", self.id);
    visit("siblings", self.siblings);
  }
  friend bool operator==(const SiblingsReply&, const SiblingsReply&) = default;
};
struct SyncSiblings {  // version vectors' anti-entropy: a replica -> another, its siblings
  static constexpr std::string_view type_name = "SyncSiblings";
  std::vector<Sibling> siblings;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("siblings", self.siblings);
  }
  friend bool operator==(const SyncSiblings&, const SyncSiblings&) = default;
};
struct Sync {  // anti-entropy: a replica -> another, its items (merged by the usual rule)
  static constexpr std::string_view type_name = "Sync";
  std::vector<Item> items;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("items", self.items);
  }
  friend bool operator==(const Sync&, const Sync&) = default;
};

using Message = std::variant<Heartbeat, Welcome, Retire, Assume, Membership, WriteRequest,
                             ReadRequest, Outcome, Replicate, Replicated, Put, PutAck, Get,
                             GetReply, CatchUp, Snapshot, SnapshotAck, CaughtUp, CoordinateWrite,
                             HintedPut, Sync, PutSibling, SiblingsReply, SyncSiblings, SiblingAck>;

// ---------------------------------------------------------------------------------------------
// Timers.
struct HeartbeatTimer {  // a replica or spare: heartbeat the registry
  static constexpr std::string_view type_name = "HeartbeatTimer";
  template <class Self, class Visit>
  static void fields(Self&, Visit&&) {}
  friend auto operator<=>(const HeartbeatTimer&, const HeartbeatTimer&) = default;
};
struct TickTimer {  // the registry: age every member by one tick, report the alive list
  static constexpr std::string_view type_name = "TickTimer";
  template <class Self, class Visit>
  static void fields(Self&, Visit&&) {}
  friend auto operator<=>(const TickTimer&, const TickTimer&) = default;
};
struct WindowTimer {  // the gateway: a new rate-limit window
  static constexpr std::string_view type_name = "WindowTimer";
  template <class Self, class Visit>
  static void fields(Self&, Visit&&) {}
  friend auto operator<=>(const WindowTimer&, const WindowTimer&) = default;
};
struct ResendTimer {  // the leader: resend unacknowledged puts
  static constexpr std::string_view type_name = "ResendTimer";
  template <class Self, class Visit>
  static void fields(Self&, Visit&&) {}
  friend auto operator<=>(const ResendTimer&, const ResendTimer&) = default;
};
struct RequestTimer {  // the coordinator: a request's deadline
  static constexpr std::string_view type_name = "RequestTimer";
  RequestId id;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("id", self.id);
  }
  friend auto operator<=>(const RequestTimer&, const RequestTimer&) = default;
};
struct AntiEntropyTimer {  // a leaderless replica: push items to the next replica, retry hints
  static constexpr std::string_view type_name = "AntiEntropyTimer";
  template <class Self, class Visit>
  static void fields(Self&, Visit&&) {}
  friend auto operator<=>(const AntiEntropyTimer&, const AntiEntropyTimer&) = default;
};
using Timer = std::variant<HeartbeatTimer, TickTimer, WindowTimer, ResendTimer, RequestTimer,
                           AntiEntropyTimer>;

// ---------------------------------------------------------------------------------------------
// Inputs: client requests (to the gateway) and the seed's operator call `/spawn` (to the
// registry: hand the first dead follower's identity to an idle spare).
// `attempt` counts a request's sends (0 the first): a refusal (503) of a retry does not say the
// write never happened, since an earlier attempt may have been stored.
struct Write {
  static constexpr std::string_view type_name = "Write";
  static constexpr std::string_view config_name = "write";
  RequestId id;
  std::string key;
  std::int64_t value = 0;
  std::uint32_t attempt = 0;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("id", self.id);
    visit("key", self.key);
    visit("value", self.value);
    visit("attempt", self.attempt);
  }
  friend bool operator==(const Write&, const Write&) = default;
};
struct Read {
  static constexpr std::string_view type_name = "Read";
  static constexpr std::string_view config_name = "read";
  RequestId id;
  std::string key;
  std::uint32_t attempt = 0;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("id", self.id);
    visit("key", self.key);
    visit("attempt", self.attempt);
  }
  friend bool operator==(const Read&, const Read&) = default;
};
struct Spawn {
  static constexpr std::string_view type_name = "Spawn";
  static constexpr std::string_view config_name = "spawn";
  template <class Self, class Visit>
  static void fields(Self&, Visit&&) {}
  friend bool operator==(const Spawn&, const Spawn&) = default;
};
using Input = std::variant<Write, Read, Spawn>;

// ---------------------------------------------------------------------------------------------
// Outputs.
struct Reply {  // the gateway -> a client
  static constexpr std::string_view type_name = "Reply";
  RequestId id;
  bool write = false;
  Status status = Status::ok;
  Version version;  // ok: the write's version, or the version of the value read (0: none)
  std::int64_t value = 0;
  std::uint32_t attempt = 0;  // the request's
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("id", self.id);
    visit("write", self.write);
    visit("status", self.status);
    visit("version", self.version);
    visit("value", self.value);
    visit("attempt", self.attempt);
  }
  friend bool operator==(const Reply&, const Reply&) = default;
};
struct Siblings {  // version vectors: a read's siblings (by stamp), just before its Reply
  static constexpr std::string_view type_name = "Siblings";
  RequestId id;
  std::vector<std::int64_t> values;  // the Reply's value is the last (the newest stamp)
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("id", self.id);
    visit("values", self.values);
  }
  friend bool operator==(const Siblings&, const Siblings&) = default;
};
struct Admitted {  // the gateway's limiter let a request through (rate_limit only)
  static constexpr std::string_view type_name = "Admitted";
  std::uint32_t client = 0;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("client", self.client);
  }
  friend bool operator==(const Admitted&, const Admitted&) = default;
};
struct WindowOpened {  // the gateway's limiter started a window (rate_limit only)
  static constexpr std::string_view type_name = "WindowOpened";
  template <class Self, class Visit>
  static void fields(Self&, Visit&&) {}
  friend bool operator==(const WindowOpened&, const WindowOpened&) = default;
};
struct MemberDown {  // the registry declared an identity's node dead
  static constexpr std::string_view type_name = "MemberDown";
  Identity identity;
  NodeId node;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("identity", self.identity);
    visit("node", self.node);
  }
  friend bool operator==(const MemberDown&, const MemberDown&) = default;
};
struct MemberUp {  // the registry counts an identity alive again, on this node
  static constexpr std::string_view type_name = "MemberUp";
  Identity identity;
  NodeId node;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("identity", self.identity);
    visit("node", self.node);
  }
  friend bool operator==(const MemberUp&, const MemberUp&) = default;
};
struct Spawned {  // the registry handed a dead follower's identity to a spare
  static constexpr std::string_view type_name = "Spawned";
  Identity identity;
  NodeId node;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("identity", self.identity);
    visit("node", self.node);
  }
  friend bool operator==(const Spawned&, const Spawned&) = default;
};
struct CatchUpStarted {  // the coordinator asked the leader to transfer its state to a node
  static constexpr std::string_view type_name = "CatchUpStarted";
  NodeId node;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("node", self.node);
  }
  friend bool operator==(const CatchUpStarted&, const CatchUpStarted&) = default;
};
struct Ready {  // the coordinator counts a caught-up follower for quorums
  static constexpr std::string_view type_name = "Ready";
  NodeId node;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("node", self.node);
  }
  friend bool operator==(const Ready&, const Ready&) = default;
};
using Output = std::variant<Reply, Admitted, WindowOpened, MemberDown, MemberUp, Spawned,
                            CatchUpStarted, Ready, Siblings>;

}  // namespace faultline::quorum_kv
