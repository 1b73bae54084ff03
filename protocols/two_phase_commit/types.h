// Value types of the two-phase-commit canary rollout: the replicated RoutingState, config,
// messages, timers, log records, inputs and outputs.
//
// Every struct has one field list (fields.h) that drives the codec, describe(), fingerprints and
// config decoding, a `type_name`, and defaulted comparison. Variants are wire formats: the
// alternative index is the tag, so new alternatives go at the END. Enums have an ADL
// `to_string` returning "" for out-of-range values (that is how decoders reject them).
//
// Invariants: weights are integer basis points, 0 <= canary_weight_bps <= 10000 (the stable
// model gets the rest); versions only grow; a TxId is assigned by the coordinator, strictly
// increasing across its restarts (recovered from its log).
#pragma once

#include <compare>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "sim/core/assert.h"
#include "sim/core/ids.h"
#include "sim/core/ratio.h"
#include "sim/core/result.h"
#include "sim/core/time.h"

namespace faultline::two_phase_commit {

inline constexpr std::uint32_t basis_points_total = 10'000;

// The shortest timer or timeout a config may set: below a millisecond a timer fires many times
// before any message can arrive, and a run only burns events.
inline constexpr Duration timer_floor = Duration::from_milliseconds(1);

// A transaction id; describes as "tx3". Tx 0 names the initial state, which no tx committed.
struct TxId {
  static constexpr std::string_view id_prefix = "tx";
  std::uint64_t value = 0;
  friend auto operator<=>(const TxId&, const TxId&) = default;
};

enum class RoutingStatus : std::uint8_t { initial, committed, rolled_back };
inline std::string_view to_string(RoutingStatus s) {
  switch (s) {
    case RoutingStatus::initial: return "initial";
    case RoutingStatus::committed: return "committed";
    case RoutingStatus::rolled_back: return "rolled_back";
  }
  return "";
}

enum class Outcome : std::uint8_t { commit, abort };
inline std::string_view to_string(Outcome o) {
  switch (o) {
    case Outcome::commit: return "commit";
    case Outcome::abort: return "abort";
  }
  return "";
}

// A stage moves the canary weight forward; a rollback returns it to 0 (status rolled_back).
enum class TxKind : std::uint8_t { stage, rollback };
inline std::string_view to_string(TxKind k) {
  switch (k) {
    case TxKind::stage: return "stage";
    case TxKind::rollback: return "rollback";
  }
  return "";
}

enum class OnAbort : std::uint8_t { rollback, halt };
inline std::string_view to_string(OnAbort a) {
  switch (a) {
    case OnAbort::rollback: return "rollback";
    case OnAbort::halt: return "halt";
  }
  return "";
}

// Known-wrong variants the checkers must catch (DESIGN.md 6).
enum class Bug : std::uint8_t { none, commit_on_majority, forget_vote_on_restart };
inline std::string_view to_string(Bug b) {
  switch (b) {
    case Bug::none: return "none";
    case Bug::commit_on_majority: return "commit_on_majority";
    case Bug::forget_vote_on_restart: return "forget_vote_on_restart";
  }
  return "";
}

// The replicated routing table. Two nodes that committed the same version hold equal states.
struct RoutingState {
  static constexpr std::string_view type_name = "RoutingState";
  std::uint64_t version = 0;
  std::string stable_model_id;
  std::string canary_model_id;
  std::uint32_t canary_weight_bps = 0;
  RoutingStatus status = RoutingStatus::initial;

  std::uint32_t stable_weight_bps() const { return basis_points_total - canary_weight_bps; }

  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("version", self.version);
    visit("stable_model_id", self.stable_model_id);
    visit("canary_model_id", self.canary_model_id);
    visit("canary_weight_bps", self.canary_weight_bps);
    visit("status", self.status);
  }
  friend bool operator==(const RoutingState&, const RoutingState&) = default;
};

// ---------------------------------------------------------------------------------------------
// Config (cluster.config in a scenario). Defaults follow the seed system.
struct Config {
  static constexpr std::string_view type_name = "Config";
  std::vector<Ratio> stages{Ratio{5, 100}, Ratio{20, 100},
                            Ratio{50, 100}};  // canary weight per stage
  bool promote_to_full = false;               // append a final 100% stage
  std::string stable_model_id = "v1";
  std::string canary_model_id = "v2";
  Duration stage_interval = Duration::from_seconds(2);  // committed stage -> next stage
  Duration prepare_timeout = Duration::from_milliseconds(500);
  Duration decision_retry = Duration::from_milliseconds(200);
  Duration heartbeat_interval = Duration::from_seconds(2);
  Duration query_interval = Duration::from_milliseconds(500);  // in-doubt re-ask period
  Duration p95_latency_max = Duration::from_milliseconds(200);
  Ratio error_rate_max{1, 100};
  OnAbort on_abort = OnAbort::rollback;
  bool cooperative_termination = false;
  Bug bug = Bug::none;

  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("stages", self.stages);
    visit("promote_to_full", self.promote_to_full);
    visit("stable_model_id", self.stable_model_id);
    visit("canary_model_id", self.canary_model_id);
    visit("stage_interval", self.stage_interval);
    visit("prepare_timeout", self.prepare_timeout);
    visit("decision_retry", self.decision_retry);
    visit("heartbeat_interval", self.heartbeat_interval);
    visit("query_interval", self.query_interval);
    visit("p95_latency_max", self.p95_latency_max);
    visit("error_rate_max", self.error_rate_max);
    visit("on_abort", self.on_abort);
    visit("cooperative_termination", self.cooperative_termination);
    visit("bug", self.bug);
  }
  friend bool operator==(const Config&, const Config&) = default;

  // Called by the scenario binding after decoding: stages must be exact basis points,
  // strictly increasing and in (0, 100%]; durations at least timer_floor; at least one node.
  Result<void> validate(std::uint32_t node_count) const;
};

// The canary weights of the rollout stages in basis points (config must be valid).
std::vector<std::uint32_t> stage_weights_bps(const Config& config);
// The state every node starts from: version 1, all traffic on the stable model.
RoutingState initial_state(const Config& config);

// ---------------------------------------------------------------------------------------------
// Messages. Index = wire tag.
struct Prepare {
  static constexpr std::string_view type_name = "Prepare";
  TxId tx;
  TxKind kind = TxKind::stage;
  TxId base_tx;  // the coordinator's committed state, so a lagging participant catches up
  RoutingState base;
  RoutingState proposal;  // proposal.version == base.version + 1
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("tx", self.tx);
    visit("kind", self.kind);
    visit("base_tx", self.base_tx);
    visit("base", self.base);
    visit("proposal", self.proposal);
  }
  friend bool operator==(const Prepare&, const Prepare&) = default;
};

struct Vote {
  static constexpr std::string_view type_name = "Vote";
  TxId tx;
  bool yes = false;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("tx", self.tx);
    visit("yes", self.yes);
  }
  friend bool operator==(const Vote&, const Vote&) = default;
};

struct Decision {
  static constexpr std::string_view type_name = "Decision";
  TxId tx;
  Outcome outcome = Outcome::abort;
  RoutingState state;  // the proposal (empty for a presumed abort of an unknown tx)
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("tx", self.tx);
    visit("outcome", self.outcome);
    visit("state", self.state);
  }
  friend bool operator==(const Decision&, const Decision&) = default;
};

struct Ack {
  static constexpr std::string_view type_name = "Ack";
  TxId tx;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("tx", self.tx);
  }
  friend bool operator==(const Ack&, const Ack&) = default;
};

// An in-doubt participant asks the coordinator for the outcome.
struct DecisionQuery {
  static constexpr std::string_view type_name = "DecisionQuery";
  TxId tx;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("tx", self.tx);
  }
  friend bool operator==(const DecisionQuery&, const DecisionQuery&) = default;
};

struct Heartbeat {
  static constexpr std::string_view type_name = "Heartbeat";
  std::uint64_t version = 0;  // the sender's committed version
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("version", self.version);
  }
  friend bool operator==(const Heartbeat&, const Heartbeat&) = default;
};

struct StateRequest {
  static constexpr std::string_view type_name = "StateRequest";
  template <class Self, class Visit>
  static void fields(Self&, Visit&&) {}
  friend bool operator==(const StateRequest&, const StateRequest&) = default;
};

struct StateSync {
  static constexpr std::string_view type_name = "StateSync";
  TxId tx;  // the tx that committed `state` (0: the initial state)
  RoutingState state;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("tx", self.tx);
    visit("state", self.state);
  }
  friend bool operator==(const StateSync&, const StateSync&) = default;
};

// Cooperative termination: an in-doubt participant asks its peers.
struct PeerQuery {
  static constexpr std::string_view type_name = "PeerQuery";
  TxId tx;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("tx", self.tx);
  }
  friend bool operator==(const PeerQuery&, const PeerQuery&) = default;
};

struct PeerAnswer {
  static constexpr std::string_view type_name = "PeerAnswer";
  TxId tx;
  Outcome outcome = Outcome::abort;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("tx", self.tx);
    visit("outcome", self.outcome);
  }
  friend bool operator==(const PeerAnswer&, const PeerAnswer&) = default;
};

using Message = std::variant<Prepare, Vote, Decision, Ack, DecisionQuery, Heartbeat, StateRequest,
                             StateSync, PeerQuery, PeerAnswer>;

// ---------------------------------------------------------------------------------------------
// Timers. Setting an equal timer re-arms it; ordered so drivers may keep them in maps.
struct StageTimer {
  static constexpr std::string_view type_name = "StageTimer";
  template <class Self, class Visit>
  static void fields(Self&, Visit&&) {}
  friend auto operator<=>(const StageTimer&, const StageTimer&) = default;
};
struct PrepareTimer {
  static constexpr std::string_view type_name = "PrepareTimer";
  TxId tx;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("tx", self.tx);
  }
  friend auto operator<=>(const PrepareTimer&, const PrepareTimer&) = default;
};
struct DecisionRetryTimer {
  static constexpr std::string_view type_name = "DecisionRetryTimer";
  template <class Self, class Visit>
  static void fields(Self&, Visit&&) {}
  friend auto operator<=>(const DecisionRetryTimer&, const DecisionRetryTimer&) = default;
};
struct HeartbeatTimer {
  static constexpr std::string_view type_name = "HeartbeatTimer";
  template <class Self, class Visit>
  static void fields(Self&, Visit&&) {}
  friend auto operator<=>(const HeartbeatTimer&, const HeartbeatTimer&) = default;
};
struct QueryTimer {
  static constexpr std::string_view type_name = "QueryTimer";
  template <class Self, class Visit>
  static void fields(Self&, Visit&&) {}
  friend auto operator<=>(const QueryTimer&, const QueryTimer&) = default;
};

using Timer =
    std::variant<StageTimer, PrepareTimer, DecisionRetryTimer, HeartbeatTimer, QueryTimer>;

// ---------------------------------------------------------------------------------------------
// Durable log records (the seed's append-only log). Index = wire tag.
struct PreparedRecord {
  static constexpr std::string_view type_name = "PREPARED";
  TxId tx;
  RoutingState state;
  bool yes = false;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("tx", self.tx);
    visit("state", self.state);
    visit("yes", self.yes);
  }
  friend bool operator==(const PreparedRecord&, const PreparedRecord&) = default;
};
struct CommittedRecord {
  static constexpr std::string_view type_name = "COMMITTED";
  TxId tx;
  RoutingState state;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("tx", self.tx);
    visit("state", self.state);
  }
  friend bool operator==(const CommittedRecord&, const CommittedRecord&) = default;
};
struct AbortedRecord {
  static constexpr std::string_view type_name = "ABORTED";
  TxId tx;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("tx", self.tx);
  }
  friend bool operator==(const AbortedRecord&, const AbortedRecord&) = default;
};
struct BeginRecord {
  static constexpr std::string_view type_name = "BEGIN";
  TxId tx;
  TxKind kind = TxKind::stage;
  RoutingState state;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("tx", self.tx);
    visit("kind", self.kind);
    visit("state", self.state);
  }
  friend bool operator==(const BeginRecord&, const BeginRecord&) = default;
};
struct DecisionRecord {
  static constexpr std::string_view type_name = "DECISION";
  TxId tx;
  TxKind kind = TxKind::stage;
  Outcome outcome = Outcome::abort;
  RoutingState state;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("tx", self.tx);
    visit("kind", self.kind);
    visit("outcome", self.outcome);
    visit("state", self.state);
  }
  friend bool operator==(const DecisionRecord&, const DecisionRecord&) = default;
};

using LogRecord =
    std::variant<PreparedRecord, CommittedRecord, AbortedRecord, BeginRecord, DecisionRecord>;

// The records of one log, shared between copies. A node's log, the Durable it persists and
// every copy the simulator or the model checker takes of either (the model checker copies a
// node on every step it explores) hold one immutable vector, so copying a log is a pointer copy.
// Appending copies the vector once: logs are short and appends rare (a few per transaction).
// Reads like a const std::vector<LogRecord>; compares, encodes and describes as one (see Log).
// The fingerprint of the records is computed once, when the vector is built (never lazily, so a
// shared vector is never written after it is built); so is their chained checksum, which lets a
// reader that read a prefix of a log tell whether a later log still begins with it by hashing
// only the records after it (the checkers' monitors do, checkers/two_phase_commit/monitors.h).
class LogRecords {
 public:
  using value_type = LogRecord;
  using const_iterator = std::vector<LogRecord>::const_iterator;

  LogRecords() = default;
  LogRecords(std::initializer_list<LogRecord> records)
      : LogRecords(std::vector<LogRecord>(records)) {}
  explicit LogRecords(std::vector<LogRecord> records);

  const std::vector<LogRecord>& vector() const {
    return shared_ ? shared_->records : empty_records();
  }
  const_iterator begin() const { return vector().begin(); }
  const_iterator end() const { return vector().end(); }
  std::size_t size() const { return vector().size(); }
  bool empty() const { return vector().empty(); }
  const LogRecord& operator[](std::size_t i) const { return vector()[i]; }
  const LogRecord& back() const { return vector().back(); }

  void push_back(LogRecord record);
  // Removes the records `remove` selects; returns how many.
  template <class Predicate>
  std::size_t erase_if(Predicate&& remove) {
    const std::size_t size_before = size();
    std::vector<LogRecord> kept = vector();
    const std::size_t erased = std::erase_if(kept, remove);
    if (erased > 0) *this = LogRecords(std::move(kept));
    FL_ASSERT(size() + erased == size_before, "erasing keeps every other record");
    return erased;
  }

  // faultline::fingerprint() of the records as a std::vector<LogRecord>, which is also the
  // fingerprint of the Log holding them (a Log encodes as its one field).
  std::uint64_t fingerprint() const;
  // The records' chained checksum: chain_start for no records, and chained(c, r) after a prefix
  // whose checksum is c and then record r. Two logs with equal size and chain hold the same
  // records, up to a 64-bit collision.
  std::uint64_t chain() const { return shared_ ? shared_->chain : chain_start; }
  static constexpr std::uint64_t chain_start = 0;
  static std::uint64_t chained(std::uint64_t chain, const LogRecord& record);

  friend bool operator==(const LogRecords& a, const LogRecords& b) {
    return a.shared_ == b.shared_ || a.vector() == b.vector();
  }

 private:
  struct Shared {
    std::vector<LogRecord> records;
    std::uint64_t fingerprint = 0;
    std::uint64_t chain = chain_start;
  };
  LogRecords(std::vector<LogRecord> records, std::optional<std::uint64_t> chain);
  static const std::vector<LogRecord>& empty_records();
  std::shared_ptr<const Shared> shared_;  // null: no records
};

// The Durable: the whole append-only log, persisted as one value.
struct Log {
  static constexpr std::string_view type_name = "Log";
  LogRecords records;
  // One field, "records", encoded exactly as a std::vector<LogRecord>. Readers (the codec,
  // describe, fingerprints) see the shared vector; writers (decoders, generators) fill a plain
  // vector, which then becomes the log's shared one.
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    if constexpr (std::is_const_v<Self>) {
      visit("records", self.records.vector());
    } else {
      std::vector<LogRecord> records = self.records.vector();
      visit("records", records);
      self.records = LogRecords(std::move(records));
    }
  }
  // Equal to faultline::fingerprint(*this), computed once per appended record rather than per
  // call: the model checker fingerprints a node's log on every step (seal() in
  // sim/explore/world_fingerprint.h).
  std::uint64_t cached_fingerprint() const { return records.fingerprint(); }
  friend bool operator==(const Log&, const Log&) = default;
};

// ---------------------------------------------------------------------------------------------
// Inputs (from the workload, or `input:` faults in a scenario).
struct Predict {
  static constexpr std::string_view type_name = "Predict";
  static constexpr std::string_view config_name = "predict";
  std::uint64_t request_id = 0;
  std::uint32_t draw = 0;  // uniform in [0, 10000), drawn by the workload
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("request_id", self.request_id);
    visit("draw", self.draw);
  }
  friend bool operator==(const Predict&, const Predict&) = default;
};

struct ObserveHealth {
  static constexpr std::string_view type_name = "ObserveHealth";
  static constexpr std::string_view config_name = "observe_health";
  Duration canary_p95_latency;
  Ratio canary_error_rate;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("canary_p95_latency", self.canary_p95_latency);
    visit("canary_error_rate", self.canary_error_rate);
  }
  friend bool operator==(const ObserveHealth&, const ObserveHealth&) = default;
};

using Input = std::variant<Predict, ObserveHealth>;

// ---------------------------------------------------------------------------------------------
// Outputs (for checkers, metrics and clients). Index = tag.
struct PredictServed {
  static constexpr std::string_view type_name = "PredictServed";
  std::uint64_t request_id = 0;
  std::string model_id;
  std::uint64_t version = 0;
  bool canary = false;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("request_id", self.request_id);
    visit("model_id", self.model_id);
    visit("version", self.version);
    visit("canary", self.canary);
  }
  friend bool operator==(const PredictServed&, const PredictServed&) = default;
};

// At the coordinator: a transaction began (PREPAREs are on their way).
struct TxStarted {
  static constexpr std::string_view type_name = "TxStarted";
  TxId tx;
  TxKind kind = TxKind::stage;
  std::uint32_t stage = 0;  // index into the stage list (for a rollback: the stage that failed)
  RoutingState proposal;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("tx", self.tx);
    visit("kind", self.kind);
    visit("stage", self.stage);
    visit("proposal", self.proposal);
  }
  friend bool operator==(const TxStarted&, const TxStarted&) = default;
};

struct VoteCast {
  static constexpr std::string_view type_name = "VoteCast";
  TxId tx;
  bool yes = false;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("tx", self.tx);
    visit("yes", self.yes);
  }
  friend bool operator==(const VoteCast&, const VoteCast&) = default;
};

struct DecisionMade {
  static constexpr std::string_view type_name = "DecisionMade";
  TxId tx;
  Outcome outcome = Outcome::abort;
  RoutingState state;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("tx", self.tx);
    visit("outcome", self.outcome);
    visit("state", self.state);
  }
  friend bool operator==(const DecisionMade&, const DecisionMade&) = default;
};

struct StateApplied {
  static constexpr std::string_view type_name = "StateApplied";
  TxId tx;
  RoutingState state;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("tx", self.tx);
    visit("state", self.state);
  }
  friend bool operator==(const StateApplied&, const StateApplied&) = default;
};

struct Blocked {
  static constexpr std::string_view type_name = "Blocked";
  TxId tx;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("tx", self.tx);
  }
  friend bool operator==(const Blocked&, const Blocked&) = default;
};

struct Unblocked {
  static constexpr std::string_view type_name = "Unblocked";
  TxId tx;
  Outcome outcome = Outcome::abort;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("tx", self.tx);
    visit("outcome", self.outcome);
  }
  friend bool operator==(const Unblocked&, const Unblocked&) = default;
};

// The coordinator's own health gate is closed, so it postpones the stage.
struct StageDeferred {
  static constexpr std::string_view type_name = "StageDeferred";
  std::uint32_t stage = 0;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("stage", self.stage);
  }
  friend bool operator==(const StageDeferred&, const StageDeferred&) = default;
};

using Output = std::variant<PredictServed, TxStarted, VoteCast, DecisionMade, StateApplied, Blocked,
                            Unblocked, StageDeferred>;

}  // namespace faultline::two_phase_commit
