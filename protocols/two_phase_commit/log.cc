#include "protocols/two_phase_commit/log.h"

#include "sim/core/assert.h"
#include "sim/core/fingerprint.h"

namespace faultline::two_phase_commit {

namespace {
std::uint64_t chain_of(const std::vector<LogRecord>& records) {
  std::uint64_t chain = LogRecords::chain_start;
  for (const LogRecord& record : records) chain = LogRecords::chained(chain, record);
  return chain;
}
}  // namespace

LogRecords::LogRecords(std::vector<LogRecord> records)
    : LogRecords(std::move(records), std::nullopt) {}

// `chain`: the records' chained checksum when the caller knows it (an append), else none.
LogRecords::LogRecords(std::vector<LogRecord> records, std::optional<std::uint64_t> chain) {
  if (records.empty()) return;  // an empty log holds no vector
  const std::uint64_t links = chain ? *chain : chain_of(records);
  const std::uint64_t key = faultline::fingerprint(records);
  shared_ = std::make_shared<const Shared>(Shared{std::move(records), key, links});
}

std::uint64_t LogRecords::chained(std::uint64_t chain, const LogRecord& record) {
  return fingerprint_combine(chain, faultline::fingerprint(record));
}

const std::vector<LogRecord>& LogRecords::empty_records() {
  static const std::vector<LogRecord> empty;  // a constant: never written, so safe to share
  FL_ASSERT(empty.empty(), "the shared empty log stays empty");
  return empty;
}

void LogRecords::push_back(LogRecord record) {
  const std::size_t size_before = size();
  std::vector<LogRecord> grown;
  grown.reserve(size() + 1);
  grown = vector();
  const std::uint64_t chain = chained(this->chain(), record);  // one more link, not a rehash
  grown.push_back(std::move(record));
  *this = LogRecords(std::move(grown), chain);
  FL_ASSERT(size() == size_before + 1, "an append adds one record");
  FL_ASSERT(shared_ != nullptr, "a non-empty log holds a vector");
}

std::uint64_t LogRecords::fingerprint() const {
  return shared_ ? shared_->fingerprint : faultline::fingerprint(empty_records());
}

TxId tx_of(const LogRecord& record) {
  return std::visit([](const auto& r) { return r.tx; }, record);
}

std::optional<Outcome> outcome_in(const LogRecord& record) {
  if (std::holds_alternative<CommittedRecord>(record)) return Outcome::commit;
  if (std::holds_alternative<AbortedRecord>(record)) return Outcome::abort;
  if (const auto* d = std::get_if<DecisionRecord>(&record)) return d->outcome;
  return std::nullopt;
}

std::optional<Outcome> outcome_of(const Log& log, TxId tx) {
  for (const LogRecord& record : log.records) {
    if (tx_of(record) != tx) continue;
    if (const auto outcome = outcome_in(record)) return outcome;
  }
  return std::nullopt;
}

namespace {
// The record of type R for tx, of which a log holds at most one (`once` says why).
template <class R>
const R* the_record_of(const Log& log, TxId tx, const char* once) {
  const R* found = nullptr;
  for (const LogRecord& record : log.records) {
    const auto* r = std::get_if<R>(&record);
    if (r == nullptr || r->tx != tx) continue;
    FL_ASSERT(found == nullptr, once);
    found = r;
  }
  return found;
}
}  // namespace

const PreparedRecord* prepared_of(const Log& log, TxId tx) {
  return the_record_of<PreparedRecord>(log, tx, "a node votes once on a tx");
}

const DecisionRecord* decision_of(const Log& log, TxId tx) {
  return the_record_of<DecisionRecord>(log, tx, "a tx is decided once");
}

TxId max_tx(const Log& log) {
  TxId result;
  for (const LogRecord& record : log.records) result = std::max(result, tx_of(record));
  return result;
}

const CommittedRecord* latest_committed(const Log& log) {
  const CommittedRecord* best = nullptr;
  for (const LogRecord& record : log.records) {
    const auto* c = std::get_if<CommittedRecord>(&record);
    if (c != nullptr && (best == nullptr || c->state.version > best->state.version)) best = c;
  }
  return best;
}

const DecisionRecord* last_decision(const Log& log) {
  const DecisionRecord* best = nullptr;
  for (const LogRecord& record : log.records) {
    const auto* d = std::get_if<DecisionRecord>(&record);
    if (d == nullptr) continue;
    // The coordinator decides one tx before it begins the next, and recovery decides only the
    // one that dangles (the last begun), so decisions are logged in tx order.
    FL_ASSERT(best == nullptr || d->tx > best->tx, "decisions are logged in tx order");
    best = d;
  }
  return best;
}

const BeginRecord* dangling_begin(const Log& log) {
  const BeginRecord* found = nullptr;
  for (const LogRecord& record : log.records) {
    const auto* b = std::get_if<BeginRecord>(&record);
    if (b == nullptr || decision_of(log, b->tx) != nullptr) continue;
    // The coordinator decides one tx before it begins the next, so at most one dangles.
    FL_ASSERT(found == nullptr, "two undecided BEGIN records");
    found = b;
  }
  return found;
}

const PreparedRecord* in_doubt_of(const Log& log) {
  const PreparedRecord* found = nullptr;
  for (const LogRecord& record : log.records) {
    const auto* p = std::get_if<PreparedRecord>(&record);
    if (p == nullptr || !p->yes || outcome_of(log, p->tx)) continue;
    // A participant votes no on any prepare while it is in doubt, so at most one yes is open.
    FL_ASSERT(found == nullptr, "two in-doubt yes votes");
    found = p;
  }
  return found;
}

}  // namespace faultline::two_phase_commit
