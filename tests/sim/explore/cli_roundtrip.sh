#!/usr/bin/env bash
# `faultline check` finds each 2PC and Raft bug switch, writes a counterexample, and `faultline
# check --replay` (or `faultline replay`) runs it step by step to the same violation. Exit codes:
# 2 violation, 0 clean.
set -u
bin=${1:?usage: cli_roundtrip.sh FAULTLINE WORKDIR}
work=${2:?usage: cli_roundtrip.sh FAULTLINE WORKDIR}
mkdir -p "$work" && cd "$work" || exit 1
failures=0
expect() {  # expect CODE DESCRIPTION -- command...
  local want=$1 what=$2; shift 3
  "$@" > out.txt 2>&1
  local got=$?
  if [ "$got" -ne "$want" ]; then
    echo "FAIL: $what: exit $got, want $want"; cat out.txt; failures=$((failures + 1))
  else
    echo "ok: $what"
  fi
}
base=(--protocol two_phase_commit --set 'stages=[1/2]' --set on_abort=halt)
expect 0 "no bug, 2 participants, exhausted" -- "$bin" check "${base[@]}" --nodes 3
grep -q "exhausted" out.txt || { echo "FAIL: not exhausted"; failures=$((failures + 1)); }
expect 2 "commit_on_majority found" -- "$bin" check "${base[@]}" --nodes 3 --set bug=commit_on_majority --out majority.json
expect 2 "commit_on_majority replays" -- "$bin" check --replay majority.json
grep -q "result: reproduced" out.txt || { echo "FAIL: majority.json not reproduced"; cat out.txt; failures=$((failures + 1)); }
expect 2 "forget_vote_on_restart found" -- "$bin" check "${base[@]}" --nodes 2 --crashes-max 1 --set bug=forget_vote_on_restart --out forget.json
expect 2 "forget_vote_on_restart replays" -- "$bin" check --replay forget.json
grep -q "result: reproduced" out.txt || { echo "FAIL: forget.json not reproduced"; cat out.txt; failures=$((failures + 1)); }
raft=(--protocol raft --nodes 3)
roundtrip() {  # roundtrip NAME PROPERTY -- check arguments...
  local name=$1 property=$2; shift 3
  expect 2 "raft $name found" -- "$bin" check "${raft[@]}" --set "bug=$name" "$@" --out "$name.json"
  grep -q "VIOLATION of $property" out.txt || { echo "FAIL: $name: not $property"; cat out.txt; failures=$((failures + 1)); }
  expect 2 "raft $name replays" -- "$bin" check --replay "$name.json"
  grep -q "result: reproduced" out.txt || { echo "FAIL: $name.json not reproduced"; cat out.txt; failures=$((failures + 1)); }
}
roundtrip vote_without_log_check leader_completeness -- --crashes-max 1 --depth-max 12
roundtrip forget_vote_on_restart election_safety -- --crashes-max 1 --depth-max 12
roundtrip commit_previous_term_by_count leader_completeness -- --strategy guided --set batch_entries_max=1 --set model.requests=0 --timers-max 4 --states-max 5000000
roundtrip read_without_quorum linearizable -- --strategy guided --set model.requests=1 --set model.reads=1 --timers-max 2 --states-max 5000000
roundtrip accept_stale_append_entries leader_append_only --
expect 2 "raft accept_stale_append_entries replays through faultline replay" -- "$bin" replay accept_stale_append_entries.json
grep -q "result: reproduced" out.txt || { echo "FAIL: accept_stale_append_entries.json not reproduced"; cat out.txt; failures=$((failures + 1)); }
expect 1 "usage error without protocol or file" -- "$bin" check --nodes 3
expect 3 "a vacuous model reports its unreached sometimes property" -- "$bin" check "${base[@]}" --nodes 3 --set 'p95_latency_max=0'
[ "$failures" -eq 0 ] || exit 1
echo "cli round trip: all passed"
