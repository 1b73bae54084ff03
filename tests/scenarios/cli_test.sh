#!/usr/bin/env bash
# End-to-end checks of the `faultline` command line: typed exit codes, the repro line that ends
# every failing run, replay reproducing a fingerprint, --seeds aggregation, --trace JSON lines,
# --json, and lint errors that name the path and line.
set -u
faultline=${1:?usage: cli_test.sh FAULTLINE SOURCE_DIR}
cd "${2:?}" || exit 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source tests/support/cli_checks.sh  # the source directory is the working directory
demo=scenarios/two_phase_commit/canary_rollout.yaml

"$faultline" run "$demo" --seed 7 >"$work/pass.txt"; check "passing run exits 0" 0 $?
contains "summary names the seed" "$work/pass.txt" '^seed +7$'
contains "summary has decision latency" "$work/pass.txt" 'decision_latency'
contains "summary lists checker verdicts" "$work/pass.txt" '^  ok +atomicity +always'

"$faultline" run scenarios/two_phase_commit/participant_votes_no.yaml --seed 1 --set bug=commit_on_majority >"$work/fail.txt"
check "safety violation exits 2" 2 $?
contains "failure names the checker" "$work/fail.txt" '^failure +(atomicity|validity) violated'
repro=$(tail -n 1 "$work/fail.txt")
contains "output ends with the repro command" <(echo "$repro") '^repro: faultline replay .* --seed 1 --set bug=commit_on_majority --fingerprint [0-9a-f]{16}$'
replay=${repro#repro: faultline }
# shellcheck disable=SC2086
"$faultline" $replay >"$work/replay.txt"; check "replay of a failing seed exits 2" 2 $?
contains "replay reproduces the fingerprint" "$work/replay.txt" '^reproduced +fingerprint [0-9a-f]{16} matches'
"$faultline" replay "$demo" --seed 7 --fingerprint 0123456789abcdef >"$work/mismatch.txt" 2>&1
check "replay with a wrong fingerprint exits 1" 1 $?
contains "replay says it did not reproduce" "$work/mismatch.txt" 'NOT REPRODUCED'

"$faultline" run scenarios/two_phase_commit/participant_votes_no.yaml --seeds 30 --set bug=commit_on_majority >"$work/seeds.txt"
check "--seeds with failures exits 2" 2 $?
contains "--seeds counts passes and failures" "$work/seeds.txt" '^result +[0-9]+ passed, [0-9]+ failed'
contains "--seeds lists failing seeds" "$work/seeds.txt" '^failing seeds 1 '
contains "--seeds ends with a repro" <(tail -n 1 "$work/seeds.txt") '^repro: faultline replay '

sed 's/decision_latency: { p50: "< 50ms", max: "< 100ms" }/decision_latency: { p50: "< 1ms" }/' "$demo" >"$work/tight.yaml"
grep -q '"< 1ms"' "$work/tight.yaml" || { echo "FAIL: could not tighten the demo's bound"; failures=$((failures + 1)); }
"$faultline" run "$work/tight.yaml" >"$work/tight.txt"; check "a missed timing bound exits 3" 3 $?
contains "missed bound is named" "$work/tight.txt" 'FAIL +expect decision_latency.p50'

"$faultline" run "$demo" --seed 2 --trace "$work/trace.jsonl" >/dev/null; check "--trace run exits 0" 0 $?
contains "trace lines are JSON with time, node, kind and text" "$work/trace.jsonl" '^\{"kind":"[a-z_]+","node":"[^"]*","peer":"[^"]*","text":".*","time":"[^"]+","time_ns":[0-9]+\}$'
contains "trace has message deliveries" "$work/trace.jsonl" '"kind":"deliver".*"text":"Prepare\{'

"$faultline" run "$demo" --json >"$work/run.json"; check "--json exits 0" 0 $?
contains "--json has the status" "$work/run.json" '"status": "passed"'
contains "--json has metrics" "$work/run.json" '"decision_latency": \{'

printf 'name: x\nprotocol: two_phase_commit\ncluster: { nodes: 3 }\nfaults:\n  - { at: soon, crash: n1 }\n' >"$work/bad.yaml"
"$faultline" lint "$work/bad.yaml" 2>"$work/lint.txt"; check "lint of a malformed scenario exits 1" 1 $?
contains "lint names the key path and line" "$work/lint.txt" 'faults\[0\]\.at \(line 5\): expected a duration'
printf 'name: x\nprotocol: two_phase_commit\ncluster: { nodes: 3, config: { bug: sometimes } }\n' >"$work/badcfg.yaml"
"$faultline" run "$work/badcfg.yaml" 2>"$work/badcfg.txt"; check "run of a bad protocol config exits 1" 1 $?
contains "protocol config errors name the path and line" "$work/badcfg.txt" 'cluster\.config\.bug \(line 3\): unknown value'
head -c 3000 /dev/urandom >"$work/garbage.yaml"
"$faultline" lint "$work/garbage.yaml" 2>/dev/null; check "lint of random bytes exits 1" 1 $?
"$faultline" run /nonexistent.yaml 2>/dev/null; check "missing file exits 1" 1 $?
"$faultline" run 2>/dev/null; check "missing argument exits 1" 1 $?
"$faultline" lint scenarios/*/*.yaml >/dev/null; check "every bundled scenario lints" 0 $?

"$faultline" replay "$demo" 2>/dev/null; check "replay of a scenario without --seed exits 1" 1 $?
"$faultline" check --protocol two_phase_commit --nodes 3 --set 'stages=[1/2]' --set on_abort=halt \
  --set bug=commit_on_majority --out "$work/cx.json" >"$work/check.txt"
check "check finds commit_on_majority (exit 2)" 2 $?
contains "check prints the shortest counterexample" "$work/check.txt" '=> validity'
"$faultline" replay "$work/cx.json" >"$work/cxreplay.txt"; check "replay of a counterexample file exits 2" 2 $?
contains "the counterexample reproduces in replay" "$work/cxreplay.txt" '^result: reproduced'

# Budgets: a run that reaches one stops with exit 4 and says which budget and what drove it; with
# --seeds the sweep goes on and reports every seed as stopped.
"$faultline" run "$demo" --max-events 300 >"$work/budget.txt"
check "a run at its event budget exits 4" 4 $?
contains "the budget stop names the budget" "$work/budget.txt" '^failure +events budget: handled 300'
contains "the result says it was not judged" "$work/budget.txt" 'STOPPED \(a budget ran out'
"$faultline" run "$demo" --seeds 3 --jobs 1 --max-events 300 --json >"$work/budget.json"
check "a sweep of stopped seeds exits 4" 4 $?
contains "the sweep counts the stopped seeds" "$work/budget.json" '"stopped_at_budget": 3'
contains "the sweep lists every seed's fingerprint" "$work/budget.json" '"fingerprint": "[0-9a-f]{16}"'
"$faultline" run "$demo" --max-pending 0 2>/dev/null; check "a zero budget is a usage error" 1 $?
"$faultline" run "$demo" --max-memory 4XB 2>/dev/null; check "a bad size is a usage error" 1 $?

# The model checker states the chance its fingerprints hid a state (n(n-1)/2 over 2^64).
"$faultline" check --protocol two_phase_commit --nodes 3 --set 'stages=[1/2]' --set on_abort=halt \
  >"$work/check.txt"
check "the 2PC model check passes" 0 $?
contains "check prints its collision risk" "$work/check.txt" \
  '^  collision risk +[0-9]\.[0-9]e-[0-9]+ \(any two of the unique states'

# --exact stores whole states: no collision risk to state, the same count; not with --symmetry.
"$faultline" check --protocol two_phase_commit --nodes 3 --set 'stages=[1/2]' --set on_abort=halt \
  --exact >"$work/exact.txt"
check "the 2PC model check passes with --exact" 0 $?
contains "--exact finds the pinned count" "$work/exact.txt" '^  unique states +74404$'
contains "--exact has no collision risk" "$work/exact.txt" \
  '^  collision risk +none \(--exact: states stored whole, [0-9.]+ bytes a state'
"$faultline" check --protocol two_phase_commit --nodes 3 --exact --symmetry >"$work/exact_sym.txt"
check "--exact with --symmetry is a usage error" 1 $?
contains "the usage error says why" "$work/exact_sym.txt" '^error: --exact: not with --symmetry'

echo "$failures failed"
[ "$failures" -eq 0 ]
