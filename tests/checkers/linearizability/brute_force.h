// A deliberately naive linearizability checker, for tests only: tries every subset of the
// outcome-unknown operations and every permutation of the chosen operations, keeps those that
// respect real time (a returned before b was invoked => a first) and replays them against a
// direct implementation of the model on Values. Exponential: histories of at most ~8 operations.
#pragma once

#include "checkers/linearizability/checker.h"
#include "checkers/linearizability/history.h"

namespace faultline::lin::testing {

bool brute_force_linearizable(const History& history, ModelKind model);

}  // namespace faultline::lin::testing
