// What makes two failures "the same", for fuzz (grouping seeds) and shrink (keeping a candidate):
// the run's status, the check that failed, and the failure's first line with numbers, ids,
// durations and hexadecimal normalised.
//
//   failure_signature  "linearizable: read of k2 by client 3 returned v1-7 at 1.25s" ->
//                      "linearizable: read of kN by client N returned vN-N at D"
//   failing_check      the check a failing run names (or the budget it stopped at)
//   signature_of       the three parts of a RunOutcome's signature
//
// Invariants: each is a pure function of its argument; a signature is one line of at most 200
// bytes (valid UTF-8 when the failure is), so it fits a capsule's header comment and a summary.
#pragma once

#include <string>
#include <string_view>

#include "sim/engine/run_outcome.h"

namespace faultline::cli {

// Numbers become N, a word of letters ending in digits keeps its letters (n3 -> nN), a number
// with a unit becomes D, hexadecimal (0x1f, or 8 or more hex digits with a digit among them)
// becomes H, a value's braces {...} lose their contents, and a list of like words is one "nN, ...".
std::string failure_signature(std::string_view failure);

// The longest failing verdict's name the failure line starts with (a history check's line is
// "name: ..."), else the first failing verdict, else "<budget> budget" for a budget stop.
std::string failing_check(const RunOutcome& outcome);

struct FailureSignature {
  RunStatus status = RunStatus::passed;
  std::string property;  // failing_check
  std::string message;   // failure_signature
  friend bool operator==(const FailureSignature&, const FailureSignature&) = default;
  std::string text() const;  // "safety_violation election_safety: election_safety violated ..."
};

FailureSignature signature_of(const RunOutcome& outcome);

}  // namespace faultline::cli
