#!/usr/bin/env bash
# `faultline fuzz` end to end: --emit prints a scenario that lints and that `replay` reproduces
# (the repro line's fingerprint is fuzz's), --jobs 1 and --jobs 2 print the same summary byte for
# byte, a bug switch is found with its signature and repro, a malformed profile is named by key
# path and line, --time stops starting seeds and says which ran, and exit codes.
set -u
faultline=${1:?usage: fuzz_test.sh FAULTLINE SOURCE_DIR}
cd "${2:?}" || exit 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source tests/support/cli_checks.sh  # the source directory is the working directory
raft=$PWD/scenarios/raft/swarm.yaml
bin=$(cd "$(dirname "$faultline")" && pwd)

"$faultline" fuzz "$raft" --emit 7 >"$work/s7.yaml"; check "--emit exits 0" 0 $?
contains "--emit says how it was drawn" "$work/s7.yaml" '^#   faultline fuzz .*/scenarios/raft/swarm.yaml --emit 7$'
contains "the drawn scenario's run seed is the fuzz seed" "$work/s7.yaml" '^  seed: 7$'
"$faultline" lint "$work/s7.yaml" >/dev/null; check "the drawn scenario lints" 0 $?
"$faultline" fuzz "$raft" --emit 7 | cmp -s - "$work/s7.yaml"; check "--emit prints the same text every time" 0 $?
"$faultline" fuzz "$raft" --emit 7 --no-swarm >"$work/all.yaml"
contains "--no-swarm enables every kind" "$work/all.yaml" 'Fault kinds: crash, restart, pause, isolate, partition, one_way, clog, flap, network, input, nemesis.crash, nemesis.restart, nemesis.partition, nemesis.isolate, nemesis.heal, nemesis.pause, nemesis.resume, nemesis.clog\. Operation kinds: get, cas, put\.'

# A bug switch from the command line: found, with its signature and a repro that reproduces.
bug=vote_without_log_check
caps=$work/caps
"$faultline" fuzz "$raft" --seeds 12 --jobs 1 --bug $bug --capsules "$caps" \
  --junit "$work/fuzz.xml" >"$work/j1.txt" 2>"$work/j1.err"
check "fuzz that finds a safety failure exits 2" 2 $?
cp -r "$caps" "$work/caps1"
"$faultline" fuzz "$raft" --seeds 12 --jobs 2 --bug $bug --capsules "$caps" >"$work/j2.txt" 2>/dev/null
cmp "$work/j1.txt" "$work/j2.txt"; check "--jobs 1 and --jobs 2 print the same summary" 0 $?
diff -r "$work/caps1" "$caps" >/dev/null; check "--jobs 1 and --jobs 2 write the same capsules" 0 $?
contains "the summary counts the seeds" "$work/j1.txt" '^seeds +1\.\.12 \(12 runs\)$'
contains "the summary counts failures" "$work/j1.txt" '^result +[0-9]+ passed, [1-9][0-9]* failed$'
contains "the summary names the bug" "$work/j1.txt" "; bug $bug\$"
contains "a signature is normalised" "$work/j1.txt" '^  \[1\] [0-9]+ seeds?, safety: leader_completeness violated at D: leader nN \(term N\)'
contains "a signature has its first seed" "$work/j1.txt" '^      first seed [0-9]+: leader_completeness violated at [0-9.]+m?s: leader n[0-9]'
contains "a signature has a repro" "$work/j1.txt" "^      repro: faultline fuzz $raft --emit [0-9]+ --bug $bug > seed_[0-9]+\\.yaml && faultline replay seed_[0-9]+\\.yaml --seed [0-9]+ --fingerprint [0-9a-f]{16}\$"
contains "stderr ends with the rate" "$work/j1.err" '^fuzz: 12 seeds in [0-9.]+s, [0-9.]+ seeds/s with 1 job'
contains "the first seed of a signature is shrunk to a capsule" "$work/j1.txt" \
  "^      capsule: $caps/raft_swarm\\.seed[0-9]+\\.capsule\\.yaml \\(events [0-9,]+ -> [0-9,]+, faults [0-9]+ -> [0-9]+, nodes [0-9]+ -> [0-9]+, client calls [0-9,]+ -> [0-9,]+, [0-9]+ runs\\)\$"
contains "stderr says how long the shrink took" "$work/j1.err" '^fuzz: seed [0-9]+ shrunk in [0-9.]+s: events '
capsule_repro=$(grep -m1 '^      capsule repro: ' "$work/j1.txt")
(cd "$work" && PATH="$bin:$PATH" && eval "${capsule_repro#      capsule repro: }") >"$work/capsule.txt"
check "the capsule's repro command exits 2" 2 $?
contains "the capsule reproduces its fingerprint" "$work/capsule.txt" '^reproduced +fingerprint [0-9a-f]{16} matches'
signature=$(sed -n 's/^  \[1\] [0-9]* seeds*, safety: //p' "$work/j1.txt" | head -1)
contains "the capsule's header gives the fuzz signature" "$(ls "$caps"/*.yaml | head -1)" \
  "^# signature: +safety_violation leader_completeness: "
contains "--junit writes a failing case per signature" "$work/fuzz.xml" '<testcase name="raft_swarm: leader_completeness violated at D'
contains "--junit's failure text has the capsule" "$work/fuzz.xml" 'capsule repro: faultline replay '
[ -n "$signature" ]; check "the summary gives the first signature" 0 $?
repro=$(grep -m1 '^      repro: ' "$work/j1.txt")
(cd "$work" && PATH="$bin:$PATH" && eval "${repro#      repro: }") >"$work/repro.txt"
check "the repro command exits 2" 2 $?
contains "the repro reproduces fuzz's fingerprint" "$work/repro.txt" '^reproduced +fingerprint [0-9a-f]{16} matches'

# On a terminal the progress line updates in place and is cleared before the last line.
if command -v script >/dev/null; then
  script -qc "'$faultline' fuzz scenarios/ping/swarm.yaml --seeds 5 --jobs 1 >/dev/null" /dev/null \
    >"$work/tty.txt"
  contains "on a terminal the progress line is cleared in place" "$work/tty.txt" \
    $'\r\x1b\\[Kfuzz: 5 seeds in [0-9.]+s'
fi

# The correct protocol passes; the 2PC, write_concern and ping profiles run too.
"$faultline" fuzz scenarios/two_phase_commit/swarm.yaml --seeds 10 --seed-start 100 --jobs 2 \
  >"$work/2pc.txt" 2>/dev/null
check "fuzz of the correct 2PC exits 0" 0 $?
contains "every seed passed" "$work/2pc.txt" '^result +10 passed, 0 failed$'
contains "no signature" "$work/2pc.txt" '^signatures +none$'
contains "--seed-start shifts the seeds" "$work/2pc.txt" '^seeds +100\.\.109 \(10 runs\)$'
"$faultline" fuzz scenarios/write_concern/swarm.yaml --seeds 40 --jobs 2 --check-determinism \
  >"$work/wc.txt" 2>/dev/null
check "fuzz of the correct write_concern, twice each, exits 0" 0 $?
contains "every write_concern seed passed" "$work/wc.txt" '^result +40 passed, 0 failed$'
"$faultline" fuzz scenarios/ping/swarm.yaml --seeds 25 --bug forget_on_restart --no-shrink \
  >"$work/ping.txt" 2>/dev/null
check "ping's bug switch is found" 2 $?
contains "ping's signature" "$work/ping.txt" '^  \[1\] [0-9]+ seeds?, safety: count_durable violated at D: nN counts N tokens but persisted N$'

! grep -q 'capsule' "$work/ping.txt"; check "--no-shrink gives no capsule" 0 $?
[ ! -e fuzz-capsules ]; check "--no-shrink writes nothing in the working directory" 0 $?

# --stop-on-failure stops starting seeds after a failure; the seeds run are a prefix.
"$faultline" fuzz "$raft" --seeds 100000 --jobs 2 --bug $bug --stop-on-failure --no-shrink \
  >"$work/stop.txt" 2>"$work/stop.err"
check "fuzz --stop-on-failure exits 2" 2 $?
contains "--stop-on-failure says why it stopped" "$work/stop.txt" '^seeds +[0-9,]+ of the 100,000 seeds 1\.\.100000 ran \(1\.\.[0-9]+; stopped starting seeds at the first failure\)$'
contains "--stop-on-failure names the first failure's seed and time" "$work/stop.err" '^fuzz: first failure at seed [0-9]+, found after [0-9.]+s$'

# --check-determinism runs every seed twice and says so; the correct protocol passes it.
"$faultline" fuzz scenarios/two_phase_commit/swarm.yaml --seeds 6 --check-determinism \
  --junit "$work/pass.xml" >"$work/det.txt" 2>/dev/null
check "fuzz --check-determinism of the correct 2PC exits 0" 0 $?
contains "the summary says every seed ran twice" "$work/det.txt" '^determinism  every seed ran twice and compared$'
contains "--junit writes one passing case when nothing failed" "$work/pass.xml" '<testcase name="two_phase_commit_swarm \(seeds 1\.\.6\)"'

# --time stops starting seeds; the seeds that ran are a prefix, and the summary says so.
"$faultline" fuzz scenarios/ping/swarm.yaml --time 1s --seeds 10000000 --jobs 2 >"$work/time.txt" 2>/dev/null
check "fuzz --time exits 0" 0 $?
contains "--time reports the prefix that ran" "$work/time.txt" '^seeds +[0-9,]+ of the 10,000,000 seeds 1\.\.10000000 ran \(1\.\.[0-9]+; stopped starting seeds when --time ran out\)$'
"$faultline" fuzz scenarios/ping/swarm.yaml --time soon 2>/dev/null; check "--time soon exits 1" 1 $?
"$faultline" fuzz scenarios/ping/swarm.yaml --time 0 2>/dev/null; check "--time 0 exits 1" 1 $?
"$faultline" fuzz scenarios/ping/swarm.yaml --emit -1 2>/dev/null; check "--emit -1 exits 1" 1 $?

# A malformed profile: the key path and line, from fuzz and from lint; a profile is not a scenario.
printf 'name: bad\nprotocol: raft\ncluster:\n  nodes: 3\n  config:\n    pre_vot: { one_of: [false, true] }\n' \
  >"$work/bad.swarm.yaml"
"$faultline" fuzz "$work/bad.swarm.yaml" 2>"$work/bad.txt"; check "fuzz of a malformed profile exits 1" 1 $?
contains "fuzz names the key path and line" "$work/bad.txt" "bad\\.swarm\\.yaml: cluster\\.config\\.pre_vot\\.one_of\\[0\\] \\(line 6\\): unknown key 'pre_vot'"
"$faultline" lint "$work/bad.swarm.yaml" 2>"$work/lint.txt"; check "lint of a malformed profile exits 1" 1 $?
contains "lint names the key path and line" "$work/lint.txt" 'cluster\.config\.pre_vot\.one_of\[0\] \(line 6\)'
"$faultline" lint scenarios/*/swarm.yaml >"$work/lint_ok.txt"; check "the bundled profiles lint" 0 $?
contains "lint says it checked a profile" "$work/lint_ok.txt" '^ok  scenarios/raft/swarm\.yaml: swarm profile raft_swarm \(raft, '
"$faultline" run "$raft" 2>"$work/run.txt"; check "run of a profile exits 1" 1 $?
contains "run says to fuzz a profile" "$work/run.txt" 'is a swarm profile, not a scenario: fuzz it with'
"$faultline" fuzz scenarios/raft/crash_restart_storm.yaml 2>"$work/scenario.txt"
check "fuzz of a scenario exits 1" 1 $?
contains "fuzz says to run a scenario" "$work/scenario.txt" 'is a scenario, not a swarm profile: run its seeds with'

[ "$failures" -eq 0 ] && echo "fuzz: all checks passed"
exit "$failures"
