#include "checkers/two_phase_commit/monitors.h"

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "protocols/two_phase_commit/log.h"
#include "sim/core/assert.h"

namespace faultline::two_phase_commit {

namespace {

using View = ClusterView<TwoPhaseCommit>;

// How much of each node's durable log a monitor has read: the size and chained checksum of the
// prefix read (a node that persisted nothing has an empty log).
class LogFollower {
 public:
  // Calls visit(record) for each record node's log gained since the last call, in log order,
  // and returns true; or returns false, visiting nothing, when the log no longer begins with the
  // prefix read (records vanished or changed).
  template <class Visit>
  bool advance(const View& view, std::size_t node, Visit&& visit) {
    if (read_.size() < view.disks.size()) read_.resize(view.disks.size());
    Read& read = read_[node];
    const LogRecords* log = view.disks[node] ? &view.disks[node]->records : nullptr;
    const std::size_t size = log != nullptr ? log->size() : 0;
    const std::uint64_t chain = log != nullptr ? log->chain() : LogRecords::chain_start;
    if (size == read.size && chain == read.chain) return true;  // nothing new: most events
    if (size < read.size) return false;
    std::uint64_t extended = read.chain;
    for (std::size_t i = read.size; i < size; ++i)
      extended = LogRecords::chained(extended, (*log)[i]);
    if (extended != chain) return false;
    for (std::size_t i = read.size; i < size; ++i) visit((*log)[i]);
    read = Read{size, chain};
    return true;
  }

  void clear() { read_.clear(); }

 private:
  struct Read {
    std::size_t size = 0;
    std::uint64_t chain = LogRecords::chain_start;
  };
  std::vector<Read> read_;
};

// The monitor around an Index, which has
//   void clear();
//   bool add(const View&, std::size_t node, const LogRecord&);  // a record node's log gained
//   bool live(const View&, std::size_t node);                   // a changed node's live state
// where add and live return true when what they saw may have changed the verdict.
template <class Index>
class LogMonitor final : public Monitor<TwoPhaseCommit> {
 public:
  explicit LogMonitor(Index index) : index_(std::move(index)) {}

  bool update(const View& view, std::span<const NodeId> changed) override {
    bool recheck = false;
    for (const NodeId id : changed) {
      const std::size_t node = id.value;
      const auto add = [&](const LogRecord& record) {
        recheck = index_.add(view, node, record) || recheck;
      };
      if (!follower_.advance(view, node, add)) return rebuild(view);
      recheck = index_.live(view, node) || recheck;
    }
    return recheck;
  }

 private:
  // Some log no longer extends what was read: index every log and live state from scratch.
  bool rebuild(const View& view) {
    index_.clear();
    follower_.clear();
    for (std::size_t node = 0; node < view.disks.size(); ++node) {
      const bool extends = follower_.advance(
          view, node, [&](const LogRecord& record) { index_.add(view, node, record); });
      FL_ASSERT(extends, "every log extends the empty prefix");
      index_.live(view, node);
    }
    return true;
  }

  Index index_;
  LogFollower follower_;
};

template <class Index>
MonitorFactory log_monitor(Index index) {
  return [index] { return std::make_unique<LogMonitor<Index>>(index); };
}

// atomicity: per tx, whether some log holds it committed and whether some log holds it aborted.
// The verdict fails exactly when some tx has both, so a record yields yes exactly when it makes
// its tx have both.
struct AtomicityIndex {
  struct Outcomes {
    bool committed = false;
    bool aborted = false;
  };
  std::map<TxId, Outcomes> txs;

  void clear() { txs.clear(); }
  bool add(const View&, std::size_t, const LogRecord& record) {
    const std::optional<Outcome> outcome = outcome_in(record);
    if (!outcome) return false;
    Outcomes& logged = txs[tx_of(record)];
    (*outcome == Outcome::commit ? logged.committed : logged.aborted) = true;
    return logged.committed && logged.aborted;
  }
  bool live(const View&, std::size_t) { return false; }
};

// validity: per tx, whether some log holds it committed, and which participants' logs hold a
// vote on it (how many of them yes). The verdict fails exactly when a committed tx lacks a yes
// vote from some participant (n1 and up), so a record yields yes exactly when its tx is now such.
struct ValidityIndex {
  struct Votes {
    bool committed = false;
    bool voted_twice = false;  // one log with two votes on the tx: `check` must see it
    std::uint32_t yes = 0;     // participants whose vote is yes
    std::vector<bool> voted;   // by node
  };
  std::map<TxId, Votes> txs;

  void clear() { txs.clear(); }
  bool add(const View& view, std::size_t node, const LogRecord& record) {
    if (const auto* vote = std::get_if<PreparedRecord>(&record)) {
      if (node == 0) return false;  // the coordinator does not vote; `check` reads n1 and up
      Votes& votes = txs[vote->tx];
      votes.voted.resize(view.disks.size());
      if (votes.voted[node]) {
        votes.voted_twice = true;
      } else {
        votes.voted[node] = true;
        votes.yes += vote->yes ? 1 : 0;
      }
      return broken(view, votes);
    }
    if (outcome_in(record) != Outcome::commit) return false;
    Votes& votes = txs[tx_of(record)];
    votes.committed = true;
    return broken(view, votes);
  }
  bool live(const View&, std::size_t) { return false; }

  static bool broken(const View& view, const Votes& votes) {
    const std::size_t participants = view.disks.empty() ? 0 : view.disks.size() - 1;
    return votes.committed && (votes.voted_twice || votes.yes < participants);
  }
};

// agreement: per version, the state held with it (by live nodes and COMMITTED records). After a
// call whose verdict held, every current holder of a version holds states[version]: a holder
// that differs replaces it and asks for a check, which passes only if every holder now agrees
// with the newest. A version whose holders have all moved on keeps its state: a later holder
// that differs asks for a check it may not need (spurious, never missed).
struct AgreementIndex {
  std::map<std::uint64_t, RoutingState> states;

  void clear() { states.clear(); }
  bool add(const View&, std::size_t, const LogRecord& record) {
    const auto* committed = std::get_if<CommittedRecord>(&record);
    return committed != nullptr && hold(committed->state);
  }
  bool live(const View& view, std::size_t node) {
    return view.nodes[node] && hold(view.nodes[node]->committed_state());
  }
  bool hold(const RoutingState& state) {
    const auto [it, fresh] = states.try_emplace(state.version, state);
    if (fresh || it->second == state) return false;
    it->second = state;
    return true;
  }
};

// durability: per node, the state of its log's highest-version COMMITTED record (the first of
// equal versions, as latest_committed picks). The verdict fails exactly when some live node
// holds another state; an unchanged node's state and log are as they were.
struct DurabilityIndex {
  RoutingState initial;
  std::vector<std::optional<RoutingState>> latest;  // by node; none: no COMMITTED record

  void clear() { latest.clear(); }
  bool add(const View& view, std::size_t node, const LogRecord& record) {
    const auto* committed = std::get_if<CommittedRecord>(&record);
    if (committed == nullptr) return false;
    if (latest.size() < view.disks.size()) latest.resize(view.disks.size());
    if (!latest[node] || committed->state.version > latest[node]->version)
      latest[node] = committed->state;
    return false;  // live() compares, once the node's new records are all in
  }
  bool live(const View& view, std::size_t node) {
    if (!view.nodes[node]) return false;
    const bool logged = node < latest.size() && latest[node];
    return view.nodes[node]->committed_state() != (logged ? *latest[node] : initial);
  }
};

// votes_in_order: per participant, the highest tx its log has recorded so far. The verdict fails
// exactly when some PREPARED record's tx is not above every record before it in its log, so a
// record yields yes exactly when it is such a vote.
struct VotesInOrderIndex {
  std::vector<std::optional<TxId>> highest;  // by node; none: an empty log

  void clear() { highest.clear(); }
  bool add(const View& view, std::size_t node, const LogRecord& record) {
    if (highest.size() < view.disks.size()) highest.resize(view.disks.size());
    std::optional<TxId>& high = highest[node];
    const TxId tx = tx_of(record);
    const bool out_of_order =
        node != 0 && std::holds_alternative<PreparedRecord>(record) && high && tx <= *high;
    if (!high || *high < tx) high = tx;
    return out_of_order;
  }
  bool live(const View&, std::size_t) { return false; }
};

// committed_a_stage (sometimes): watched only while it has not held, so no log held a COMMITTED
// record and no live node a version above 1; it holds now exactly when a changed node does.
struct CommittedAStageIndex {
  void clear() {}
  bool add(const View&, std::size_t, const LogRecord& record) {
    return std::holds_alternative<CommittedRecord>(record);
  }
  bool live(const View& view, std::size_t node) {
    return view.nodes[node] && view.nodes[node]->committed_state().version > 1;
  }
};

}  // namespace

MonitorFactory atomicity_monitor() { return log_monitor(AtomicityIndex{}); }
MonitorFactory validity_monitor() { return log_monitor(ValidityIndex{}); }
MonitorFactory agreement_monitor() { return log_monitor(AgreementIndex{}); }
MonitorFactory durability_monitor(const Config& config) {
  return log_monitor(DurabilityIndex{initial_state(config), {}});
}
MonitorFactory votes_in_order_monitor() { return log_monitor(VotesInOrderIndex{}); }
MonitorFactory committed_a_stage_monitor() { return log_monitor(CommittedAStageIndex{}); }

}  // namespace faultline::two_phase_commit
