// Queries over the append-only log, shared by node recovery and the checkers (which read crashed
// nodes' logs from disk, so they must interpret records exactly as recovery does).
//
// Meaning of records: PREPARED(tx, state, yes) is this node's vote, written before the vote is
// sent; COMMITTED(tx, state) and ABORTED(tx) are this node's final outcome for tx; BEGIN and
// DECISION are the coordinator's. A DECISION(commit) is always followed by COMMITTED in the same
// persist. Outcomes are final: a correct node never logs both outcomes for one tx.
#pragma once

#include <optional>

#include "protocols/two_phase_commit/types.h"

namespace faultline::two_phase_commit {

// The tx a record names.
TxId tx_of(const LogRecord& record);
// The outcome a record states: COMMITTED, ABORTED, or the coordinator's DECISION; none for
// PREPARED and BEGIN.
std::optional<Outcome> outcome_in(const LogRecord& record);
// The outcome this log holds for tx (COMMITTED/ABORTED/DECISION), if any. When a (buggy) log
// holds both, the first one written wins, since outcomes are final.
std::optional<Outcome> outcome_of(const Log& log, TxId tx);
// This node's recorded vote on tx, if it voted.
const PreparedRecord* prepared_of(const Log& log, TxId tx);
const DecisionRecord* decision_of(const Log& log, TxId tx);
// The largest tx any record names (0 when empty).
TxId max_tx(const Log& log);
// The committed record with the highest version, if any.
const CommittedRecord* latest_committed(const Log& log);
// The latest DECISION record (highest tx), if any.
const DecisionRecord* last_decision(const Log& log);
// A BEGIN with no DECISION: the coordinator crashed while collecting votes.
const BeginRecord* dangling_begin(const Log& log);
// A yes vote with no outcome: the participant is in doubt about that tx.
const PreparedRecord* in_doubt_of(const Log& log);

}  // namespace faultline::two_phase_commit
