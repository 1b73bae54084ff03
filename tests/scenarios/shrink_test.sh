#!/usr/bin/env bash
# `faultline shrink` end to end: a failing Raft bug-switch run (five_node_nemesis with
# vote_without_log_check) shrinks to a capsule that `faultline run` reproduces (same property,
# the fingerprint the capsule records) with fewer faults, events and client calls, and its
# client operations explicit; a passing seed, a malformed file and an operation of a client that
# does not exist are clear errors (exit 1).
set -u
faultline=${1:?usage: shrink_test.sh FAULTLINE SOURCE_DIR}
cd "${2:?}" || exit 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source tests/support/cli_checks.sh  # the source directory is the working directory
scenario=scenarios/raft/five_node_nemesis.yaml
bug=bug=vote_without_log_check

seed=""
for s in 1 2 3; do
  "$faultline" run "$scenario" --seed "$s" --set "$bug" >"$work/original.txt"
  if [ $? = 2 ]; then seed=$s; break; fi
done
check "a seed of 1..3 fails with the bug switch on" 1 "$([ -n "$seed" ] && echo 1)"
property=$(sed -nE 's/^failure +([a-z_]+) .*/\1/p' "$work/original.txt")

capsule="$work/capsule.yaml"
"$faultline" shrink "$scenario" --seed "$seed" --set "$bug" --runs-max 120 --out "$capsule" \
  >"$work/shrink.txt"
check "shrink exits 0" 0 $?
contains "summary gives the signature" "$work/shrink.txt" "^signature +safety_violation $property: "
contains "summary ends with the repro command" <(tail -n 1 "$work/shrink.txt") "^repro: faultline run $capsule$"
contains "capsule header names the original and seed" "$capsule" "^# original: +$scenario --seed $seed$"
contains "capsule is self-contained: the bug switch is in it" "$capsule" 'bug: vote_without_log_check'
contains "capsule has explicit faults" "$capsule" '^  - \{at: '
contains "capsule lists its client operations" "$capsule" '^  operations:$'
contains "each with its client, time and operation" "$capsule" '^    - \{client: [0-9]+, at: [0-9.]+m?s, operation: \{(get|put|cas): '
grep -q '^nemesis:' "$capsule" && { echo "FAIL: the capsule still has a nemesis"; failures=$((failures + 1)); }

read -r faults_before faults_after < <(sed -nE 's/^faults +([0-9]+) -> ([0-9]+)$/\1 \2/p' "$work/shrink.txt")
read -r events_before events_after < <(sed -nE 's/^events +([0-9]+) -> ([0-9]+)$/\1 \2/p' "$work/shrink.txt")
check "fewer faults ($faults_before -> $faults_after)" 1 "$([ "${faults_after:-99999}" -lt "${faults_before:-0}" ] && echo 1)"
check "fewer events ($events_before -> $events_after)" 1 "$([ "${events_after:-99999999}" -lt "${events_before:-0}" ] && echo 1)"
read -r calls_before calls_after < <(sed -nE 's/^client calls +([0-9]+) -> ([0-9]+)$/\1 \2/p' "$work/shrink.txt")
check "fewer client calls ($calls_before -> $calls_after)" 1 "$([ "${calls_after:-99999999}" -lt "${calls_before:-0}" ] && echo 1)"

"$faultline" run "$capsule" >"$work/capsule_run.txt"
check "the capsule fails as a safety violation" 2 $?
contains "the capsule fails the same property" "$work/capsule_run.txt" "^failure +$property "
expected=$(sed -nE 's/^# fingerprint: ([0-9a-f]{16})$/\1/p' "$capsule")
contains "run prints the fingerprint the capsule records" "$work/capsule_run.txt" "^fingerprint +$expected"
"$faultline" lint "$capsule" >/dev/null; check "the capsule lints" 0 $?

# A history check's failure message runs over many lines; the signature keeps the first.
"$faultline" shrink scenarios/raft/split_brain_old_leader.yaml --seed 3 --set bug=read_without_quorum \
  --runs-max 20 --out "$work/lin.yaml" >"$work/lin.txt"
check "shrink of a linearizability failure exits 0" 0 $?
contains "its signature is one line" "$work/lin.txt" '^signature +safety_violation linearizable: '
"$faultline" run "$work/lin.yaml" >/dev/null; check "its capsule loads and fails the same way" 2 $?

"$faultline" shrink "$scenario" --seed "$seed" --out "$work/none.yaml" >/dev/null 2>"$work/pass.txt"
check "shrinking a passing seed exits 1" 1 $?
contains "a passing seed is a clear error" "$work/pass.txt" "seed $seed does not fail \(it passes\)"

printf 'name: x\nprotocol: raft\ncluster: { nodes: 3 }\nfaults:\n  - { at: soon, crash: n1 }\n' >"$work/bad.yaml"
"$faultline" shrink "$work/bad.yaml" --seed 1 2>"$work/bad.txt"; check "shrink of a malformed file exits 1" 1 $?
contains "the error names the key path and line" "$work/bad.txt" 'faults\[0\]\.at \(line 5\): expected a duration'

printf 'name: x\nprotocol: raft\ncluster: { nodes: 3 }\nworkload:\n  clients: 1\n  operations:\n    - { client: 1, at: 5ms, operation: { get: { key: k0 } } }\n' >"$work/op.yaml"
"$faultline" run "$work/op.yaml" 2>"$work/op.txt"; check "an operation of a missing client exits 1" 1 $?
contains "the error names the operation's client" "$work/op.txt" 'workload.operations\[0\].client.*client 1 does not exist \(clients: 1, numbered from 0\)'

echo "$failures failed"
[ "$failures" -eq 0 ]
