#!/usr/bin/env bash
# `run --check-determinism` and `run --junit` through the command line: a clean sweep says every
# seed ran twice alike, a failing sweep's JUnit case carries the failure and the repro command.
# Usage: ci_output_test.sh FAULTLINE SOURCE_DIR
set -u
faultline=${1:?usage: ci_output_test.sh FAULTLINE SOURCE_DIR}
cd "${2:?}" || exit 2
source tests/support/cli_checks.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$faultline" run scenarios/raft/three_node_leader_crash.yaml --seeds 4 --jobs 2 \
  --check-determinism --junit "$work/pass.xml" >"$work/pass.txt" 2>&1
check "a clean sweep exits 0" 0 $?
contains "the determinism line" "$work/pass.txt" '^determinism +every seed ran twice with the same fingerprint'
contains "JUnit: one passing case" "$work/pass.xml" '^<testsuite name="faultline run" tests="1" failures="0" errors="0">'
contains "JUnit: the case names the scenario and seeds" "$work/pass.xml" 'name="three_node_leader_crash \(seeds 1..4\)" classname="faultline.run.raft"/>'

"$faultline" run scenarios/raft/five_node_nemesis.yaml --set bug=vote_without_log_check \
  --seeds 3 --junit "$work/fail.xml" >"$work/fail.txt" 2>&1
code=$?
check "a failing sweep exits 2" 2 $code
contains "JUnit: the failure counts" "$work/fail.xml" 'failures="1" errors="0"'
contains "JUnit: the failure message counts the seeds" "$work/fail.xml" '<failure message=".* \([0-9]+ of 3 seeds\)">'
contains "JUnit: the repro command" "$work/fail.xml" 'repro: faultline replay scenarios/raft/five_node_nemesis.yaml --seed [0-9]+ --set bug=vote_without_log_check --fingerprint [0-9a-f]{16}'

"$faultline" run scenarios/raft/three_node_leader_crash.yaml --check-determinism >"$work/one.txt" 2>&1
check "a single seed checks too" 0 $?
contains "the single-seed determinism line" "$work/one.txt" '^determinism +the seed ran twice with the same fingerprint'

"$faultline" run scenarios/raft/three_node_leader_crash.yaml --junit "$work/no/such/dir/x.xml" >"$work/bad.txt" 2>&1
check "an unwritable JUnit path is exit 1" 1 $?
contains "it names the path" "$work/bad.txt" '^error: --junit .*/no/such/dir/x.xml: cannot write'

echo "$failures failed"
[ "$failures" -eq 0 ]
