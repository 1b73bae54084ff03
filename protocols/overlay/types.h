// Value types of the overlay fan-out query tree (seed 002, "Distributed Overlay Network"): a
// leader, team leaders and workers in a tree; each holds a slice of its team's data; a query
// enters at the leader, is split down the tree with its row limit shared by data held, answered
// from every slice, aggregated upward and fetched by the client in chunks.
//
// Every struct has one field list (fields.h) that drives the codec, describe(), fingerprints and
// config decoding. Variants are wire formats: new alternatives go at the END. Enums have an ADL
// `to_string` returning "" for out-of-range values (that is how decoders reject them).
//
// Invariants: a QueryId (client, number) names one client query; a slice is named by the node
// that owns it; a result's rows come in slices, each slice at most once, rows ascending by key.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "sim/core/ids.h"
#include "sim/core/result.h"
#include "sim/core/time.h"

namespace faultline::overlay {

inline constexpr Duration timer_floor = Duration::from_milliseconds(1);
// The seed's date ranges, in hours since 2020-08-10 00:00 (one reading an hour): team Green
// owns 2020-08-10 .. 2020-08-20, team Pink 2020-08-21 .. 2020-09-24.
inline constexpr std::uint32_t hours_per_day = 24;
inline constexpr std::uint32_t green_days = 11;
inline constexpr std::uint32_t pink_days = 35;
// Weights by role (the seed): the leader holds the smallest slice, workers the largest.
inline constexpr std::uint32_t leader_weight = 1;
inline constexpr std::uint32_t team_leader_weight = 2;
inline constexpr std::uint32_t worker_weight = 3;
// Bounds a config may not pass (so sizes and products stay inside their integers).
inline constexpr std::uint32_t fanout_max = 1'000;
inline constexpr std::uint32_t nodes_max = 1u << 22;
inline constexpr std::uint32_t limit_max = 100'000;  // rows a query may ask for

// The tree: the seed's six nodes (A leader; B, E team leaders; C, D, F workers), or a generated
// complete tree of `fanout` children per node and `depth` levels below the leader.
enum class Shape : std::uint8_t { seed, generated };
inline std::string_view to_string(Shape shape) {
  switch (shape) {
    case Shape::seed: return "seed";
    case Shape::generated: return "generated";
  }
  return "";
}

enum class Fairness : std::uint8_t { strict, weighted, hybrid };
inline std::string_view to_string(Fairness fairness) {
  switch (fairness) {
    case Fairness::strict: return "strict";
    case Fairness::weighted: return "weighted";
    case Fairness::hybrid: return "hybrid";
  }
  return "";
}

// The seed's node health states, worst last.
enum class Health : std::uint8_t { healthy, warning, critical, failing };
inline std::string_view to_string(Health health) {
  switch (health) {
    case Health::healthy: return "HEALTHY";
    case Health::warning: return "WARNING";
    case Health::critical: return "CRITICAL";
    case Health::failing: return "FAILING";
  }
  return "";
}

// Known-wrong variants, for proving the checkers catch them.
enum class Bug : std::uint8_t {
  none,
  no_reroute,             // keeps sending to a failed child instead of around it
  double_count_on_retry,  // a retried part's late answer is counted as well
  slot_leak_on_cancel,    // a query cancelled at its deadline keeps its team slot
  partial_claims_full,    // a partial answer reports full coverage
  hedge_over_budget,      // hedges whatever the budget says
};
inline std::string_view to_string(Bug bug) {
  switch (bug) {
    case Bug::none: return "none";
    case Bug::no_reroute: return "no_reroute";
    case Bug::double_count_on_retry: return "double_count_on_retry";
    case Bug::slot_leak_on_cancel: return "slot_leak_on_cancel";
    case Bug::partial_claims_full: return "partial_claims_full";
    case Bug::hedge_over_budget: return "hedge_over_budget";
  }
  return "";
}

// Thresholds of one health state: a node is in the worst state any of its measures reaches.
struct HealthLimits {
  static constexpr std::string_view type_name = "HealthLimits";
  std::uint32_t active = 0;  // sub-queries in progress at the node
  std::uint32_t queued = 0;  // slice scans waiting, plus queries waiting for admission
  Duration latency;          // the last answered part's round trip
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("active", self.active);
    visit("queued", self.queued);
    visit("latency", self.latency);
  }
  friend bool operator==(const HealthLimits&, const HealthLimits&) = default;
};

// ---------------------------------------------------------------------------------------------
// Config (cluster.config in a scenario). Defaults follow the seed: checks every 5 s, failure
// after 2 consecutive misses, 60 concurrent queries per team, chunks of 500 rows.
struct Config {
  static constexpr std::string_view type_name = "Config";
  Shape shape = Shape::seed;
  std::uint32_t fanout = 2;              // generated: children per node
  std::uint32_t depth = 2;               // generated: levels below the leader
  std::uint32_t records_per_weight = 8;  // generated: a node holds weight x this many records
  std::uint64_t data_seed = 2020;        // the readings are a function of (data_seed, key)
  std::uint32_t chunk_size = 500;        // rows per chunk the client fetches
  Fairness fairness = Fairness::strict;
  std::uint32_t team_limit = 60;              // strict: concurrent queries per team
  std::uint32_t admission_queue_max = 1'000;  // queries waiting at the leader; more: rejected
  Duration check_interval = Duration::from_seconds(5);
  Duration check_timeout = Duration::from_seconds(1);
  std::uint32_t misses_to_fail = 2;
  Duration part_timeout = Duration::from_milliseconds(300);  // then routed around the child
  Duration query_deadline = Duration::from_seconds(2);       // a client query's, at the leader
  Duration level_margin = Duration::from_milliseconds(50);   // each level answers this early
  Duration scan_time = Duration::from_milliseconds(2);       // a node scans one slice at a time
  HealthLimits warning{20, 10, Duration::from_milliseconds(200)};
  HealthLimits critical{40, 50, Duration::from_milliseconds(500)};
  HealthLimits failing{60, 100, Duration::from_seconds(1)};
  Bug bug = Bug::none;
  // Hedged requests (The Tail at Scale): a leaf's slice is also held by its next replicas - 1
  // siblings; a part sent to a leaf and outstanding past the hedge_percentile of the node's
  // recent part latencies is asked again of a replica, up to hedges_max times, while the node's
  // hedges stay within hedge_budget_percent of its parts. hedge_percentile 0: no hedging.
  std::uint32_t replicas = 1;
  std::uint32_t hedge_percentile = 0;
  std::uint32_t hedges_max = 1;
  std::uint32_t hedge_budget_percent = 5;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("shape", self.shape);
    visit("fanout", self.fanout);
    visit("depth", self.depth);
    visit("records_per_weight", self.records_per_weight);
    visit("data_seed", self.data_seed);
    visit("chunk_size", self.chunk_size);
    visit("fairness", self.fairness);
    visit("team_limit", self.team_limit);
    visit("admission_queue_max", self.admission_queue_max);
    visit("check_interval", self.check_interval);
    visit("check_timeout", self.check_timeout);
    visit("misses_to_fail", self.misses_to_fail);
    visit("part_timeout", self.part_timeout);
    visit("query_deadline", self.query_deadline);
    visit("level_margin", self.level_margin);
    visit("scan_time", self.scan_time);
    visit("warning", self.warning);
    visit("critical", self.critical);
    visit("failing", self.failing);
    visit("bug", self.bug);
    visit("replicas", self.replicas);
    visit("hedge_percentile", self.hedge_percentile);
    visit("hedges_max", self.hedges_max);
    visit("hedge_budget_percent", self.hedge_budget_percent);
  }
  friend bool operator==(const Config&, const Config&) = default;

  // The tree has exactly node_count nodes; timers at least timer_floor and the check timeout
  // below the interval; health limits ordered warning <= critical <= failing.
  Result<void> validate(std::uint32_t node_count) const;
};

// ---------------------------------------------------------------------------------------------
// Queries and results.
struct QueryId {
  static constexpr std::string_view type_name = "QueryId";
  std::uint32_t client = 0;
  std::uint32_t number = 0;  // the client's count of queries, from 1
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("client", self.client);
    visit("number", self.number);
  }
  friend auto operator<=>(const QueryId&, const QueryId&) = default;
};

// The seed's `query PM2.5 10 50`: readings of at least value_min, with keys in
// [key_from, key_to), at most `limit` rows in all.
struct Filter {
  static constexpr std::string_view type_name = "Filter";
  std::uint32_t value_min = 10;
  std::uint32_t key_from = 0;
  std::uint32_t key_to = ~std::uint32_t{0};
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("value_min", self.value_min);
    visit("key_from", self.key_from);
    visit("key_to", self.key_to);
  }
  friend bool operator==(const Filter&, const Filter&) = default;
};

// One reading: its key (hours since 2020-08-10 00:00, or a record number in a generated tree)
// and its PM2.5 value in micrograms per cubic metre.
struct Row {
  static constexpr std::string_view type_name = "Row";
  std::uint32_t key = 0;
  std::uint32_t value = 0;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("key", self.key);
    visit("value", self.value);
  }
  friend auto operator<=>(const Row&, const Row&) = default;
};

// The rows one slice contributed (its owner's node id names it).
struct SliceRows {
  static constexpr std::string_view type_name = "SliceRows";
  NodeId slice;
  std::vector<Row> rows;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("slice", self.slice);
    visit("rows", self.rows);
  }
  friend bool operator==(const SliceRows&, const SliceRows&) = default;
};

// Data that did not answer: the slice of `node`, and with `subtree` every slice below it too.
struct Missing {
  static constexpr std::string_view type_name = "Missing";
  NodeId node;
  bool subtree = false;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("node", self.node);
    visit("subtree", self.subtree);
  }
  friend auto operator<=>(const Missing&, const Missing&) = default;
};

// ---------------------------------------------------------------------------------------------
// Messages.
struct SubQuery {  // parent -> child: answer for your subtree, at most `limit` rows
  static constexpr std::string_view type_name = "SubQuery";
  QueryId id;
  Filter filter;
  std::uint32_t limit = 0;
  Duration budget;                 // how long the asker waits from the moment it sent this
  std::optional<NodeId> slice_of;  // a hedge: answer for this sibling's slice, from a replica
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("id", self.id);
    visit("filter", self.filter);
    visit("limit", self.limit);
    visit("budget", self.budget);
    visit("slice_of", self.slice_of);
  }
  friend bool operator==(const SubQuery&, const SubQuery&) = default;
};

struct SubResult {  // child -> parent: the slices that answered and the data that did not
  static constexpr std::string_view type_name = "SubResult";
  QueryId id;
  std::vector<SliceRows> slices;
  std::vector<Missing> missing;
  std::optional<NodeId> part;     // a hedge's answer: the part (leaf) it answers for
  std::uint64_t parts_sent = 0;   // sub-queries sent below, this answer's subtree in all
  std::uint64_t hedges_sent = 0;  // hedges among them
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("id", self.id);
    visit("slices", self.slices);
    visit("missing", self.missing);
    visit("part", self.part);
    visit("parts_sent", self.parts_sent);
    visit("hedges_sent", self.hedges_sent);
  }
  friend bool operator==(const SubResult&, const SubResult&) = default;
};

struct Check {  // a neighbour health check (the seed's 5 s probe)
  static constexpr std::string_view type_name = "Check";
  std::uint64_t round = 0;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("round", self.round);
  }
  friend bool operator==(const Check&, const Check&) = default;
};

struct CheckAck {
  static constexpr std::string_view type_name = "CheckAck";
  std::uint64_t round = 0;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("round", self.round);
  }
  friend bool operator==(const CheckAck&, const CheckAck&) = default;
};

using Message = std::variant<SubQuery, SubResult, Check, CheckAck>;

// ---------------------------------------------------------------------------------------------
// Timers.
struct CheckTick {  // send the next round of checks
  static constexpr std::string_view type_name = "CheckTick";
  template <class Self, class Visit>
  static void fields(Self&, Visit&&) {}
  friend bool operator==(const CheckTick&, const CheckTick&) = default;
};
struct CheckTimeout {  // the round's unanswered checks are misses
  static constexpr std::string_view type_name = "CheckTimeout";
  std::uint64_t round = 0;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("round", self.round);
  }
  friend bool operator==(const CheckTimeout&, const CheckTimeout&) = default;
};
struct PartTimeout {  // a child has not answered its part: route around it
  static constexpr std::string_view type_name = "PartTimeout";
  QueryId id;
  NodeId child;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("id", self.id);
    visit("child", self.child);
  }
  friend bool operator==(const PartTimeout&, const PartTimeout&) = default;
};
struct Deadline {  // answer now with what has arrived
  static constexpr std::string_view type_name = "Deadline";
  QueryId id;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("id", self.id);
  }
  friend bool operator==(const Deadline&, const Deadline&) = default;
};
struct HedgeTimer {  // a part to a leaf is still outstanding: ask a replica
  static constexpr std::string_view type_name = "HedgeTimer";
  QueryId id;
  NodeId child;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("id", self.id);
    visit("child", self.child);
  }
  friend bool operator==(const HedgeTimer&, const HedgeTimer&) = default;
};
struct ScanDone {  // the slice scan at the head of the queue is finished
  static constexpr std::string_view type_name = "ScanDone";
  template <class Self, class Visit>
  static void fields(Self&, Visit&&) {}
  friend bool operator==(const ScanDone&, const ScanDone&) = default;
};
using Timer = std::variant<CheckTick, CheckTimeout, PartTimeout, Deadline, ScanDone, HedgeTimer>;

// ---------------------------------------------------------------------------------------------
// Inputs (client requests, at the leader).
struct Query {
  static constexpr std::string_view type_name = "Query";
  static constexpr std::string_view config_name = "query";
  QueryId id;
  std::uint32_t team = 0;  // the asking client's team (0 Green, 1 Pink, ...)
  Filter filter;
  std::uint32_t limit = 50;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("id", self.id);
    visit("team", self.team);
    visit("filter", self.filter);
    visit("limit", self.limit);
  }
  friend bool operator==(const Query&, const Query&) = default;
};
struct FetchChunk {
  static constexpr std::string_view type_name = "FetchChunk";
  static constexpr std::string_view config_name = "fetch_chunk";
  QueryId id;
  std::uint32_t index = 0;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("id", self.id);
    visit("index", self.index);
  }
  friend bool operator==(const FetchChunk&, const FetchChunk&) = default;
};
using Input = std::variant<Query, FetchChunk>;

// ---------------------------------------------------------------------------------------------
// Outputs: the client's answers and the seed's lifecycle hooks.
enum class Outcome : std::uint8_t { complete, partial, failed, rejected };
inline std::string_view to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::complete: return "complete";
    case Outcome::partial: return "partial";
    case Outcome::failed: return "failed";      // nothing answered by the deadline
    case Outcome::rejected: return "rejected";  // the admission queue was full
  }
  return "";
}

struct QueryStarted {  // hook query_started: admitted under the team's limit
  static constexpr std::string_view type_name = "QueryStarted";
  QueryId id;
  std::uint32_t team = 0;
  std::uint32_t team_active = 0;  // the team's admitted queries, this one included
  std::uint32_t team_bound = 0;   // what its strategy allowed at that moment
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("id", self.id);
    visit("team", self.team);
    visit("team_active", self.team_active);
    visit("team_bound", self.team_bound);
  }
  friend bool operator==(const QueryStarted&, const QueryStarted&) = default;
};

// Hook query_completed: the answer, whose rows the client fetches in `chunks` chunks.
struct QueryDone {
  static constexpr std::string_view type_name = "QueryDone";
  QueryId id;
  std::uint32_t team = 0;
  Outcome outcome = Outcome::complete;
  std::uint32_t rows = 0;
  std::uint32_t chunks = 0;
  std::uint64_t covered_records = 0;  // coverage = covered_records / total_records
  std::uint64_t total_records = 0;
  std::vector<Missing> missing;  // what did not answer (empty when complete)
  std::uint64_t digest = 0;      // of the rows: every chunk carries it
  std::uint64_t parts_sent = 0;  // sub-queries the tree sent for it, hedges included
  std::uint64_t hedges_sent = 0;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("id", self.id);
    visit("team", self.team);
    visit("outcome", self.outcome);
    visit("rows", self.rows);
    visit("chunks", self.chunks);
    visit("covered_records", self.covered_records);
    visit("total_records", self.total_records);
    visit("missing", self.missing);
    visit("digest", self.digest);
    visit("parts_sent", self.parts_sent);
    visit("hedges_sent", self.hedges_sent);
  }
  friend bool operator==(const QueryDone&, const QueryDone&) = default;
};

struct Chunk {  // rows [index * chunk_size, ...) of a result; found = false: no such result
  static constexpr std::string_view type_name = "Chunk";
  QueryId id;
  std::uint32_t index = 0;
  bool found = true;
  std::uint64_t digest = 0;
  std::vector<SliceRows> slices;  // the chunk's rows, by slice
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("id", self.id);
    visit("index", self.index);
    visit("found", self.found);
    visit("digest", self.digest);
    visit("slices", self.slices);
  }
  friend bool operator==(const Chunk&, const Chunk&) = default;
};

struct StateChanged {  // hook state_changed
  static constexpr std::string_view type_name = "StateChanged";
  Health from = Health::healthy;
  Health to = Health::healthy;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("from", self.from);
    visit("to", self.to);
  }
  friend bool operator==(const StateChanged&, const StateChanged&) = default;
};

struct NeighborFailed {  // hook neighbor_failed: misses_to_fail checks in a row unanswered
  static constexpr std::string_view type_name = "NeighborFailed";
  NodeId neighbor;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("neighbor", self.neighbor);
  }
  friend bool operator==(const NeighborFailed&, const NeighborFailed&) = default;
};

struct NeighborRecovered {  // hook neighbor_recovered: a failed neighbour answered again
  static constexpr std::string_view type_name = "NeighborRecovered";
  NodeId neighbor;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("neighbor", self.neighbor);
  }
  friend bool operator==(const NeighborRecovered&, const NeighborRecovered&) = default;
};

using Output =
    std::variant<QueryStarted, QueryDone, Chunk, StateChanged, NeighborFailed, NeighborRecovered>;

// Nothing survives a crash but the data, which is a function of the config: the disk is empty.
struct Disk {
  static constexpr std::string_view type_name = "Disk";
  template <class Self, class Visit>
  static void fields(Self&, Visit&&) {}
  friend bool operator==(const Disk&, const Disk&) = default;
};

}  // namespace faultline::overlay
