#!/usr/bin/env bash
# `faultline check` through the command line: a correct model is exhausted (exit 0), a usage
# error exits 1, a vacuous model reports its unreached sometimes property (exit 3), and a
# counterexample replays through `check --replay` as through `faultline replay`. Every bug
# switch is found and replayed by tests/support/bug_switches_test.sh (exit 2).
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
expect 2 "check --replay runs the counterexample" -- "$bin" check --replay majority.json
grep -q "result: reproduced" out.txt || { echo "FAIL: majority.json not reproduced"; cat out.txt; failures=$((failures + 1)); }
expect 1 "usage error without protocol or file" -- "$bin" check --nodes 3
expect 3 "a vacuous model reports its unreached sometimes property" -- "$bin" check "${base[@]}" --nodes 3 --set 'p95_latency_max=0'
[ "$failures" -eq 0 ] || exit 1
echo "cli round trip: all passed"
