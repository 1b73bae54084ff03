#!/usr/bin/env bash
# One hostile input to the command line (tests/hostile/README.md lists every case): the command
# gets its documented exit code and message, and ends (CTest's timeout guards against a hang; no
# case asserts a duration). Usage: hostile_test.sh FAULTLINE SOURCE_DIR CASE
set -u
faultline=${1:?usage: hostile_test.sh FAULTLINE SOURCE_DIR CASE}
cd "${2:?}" || exit 2
case_name=${3:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source tests/support/cli_checks.sh  # the source directory is the working directory

demo=scenarios/raft/three_node_leader_crash.yaml
raft='name: x\nprotocol: raft\ncluster: { nodes: 3 }\n'  # lines 1-3
tpc='name: x\nprotocol: two_phase_commit\n'               # lines 1-2

# expect EXIT PATTERN COMMAND...: COMMAND exits EXIT and prints a line (stdout or stderr)
# matching the extended regex PATTERN.
expect() {
  local code=$1 pattern=$2
  shift 2
  "$@" >"$work/out.txt" 2>&1
  check "$case_name: exits $code" "$code" $?
  contains "$case_name: message" "$work/out.txt" "$pattern"
}

scenario() {  # scenario TEXT: writes TEXT (printf format) to $work/case.yaml
  # shellcheck disable=SC2059  # the cases are printf formats on purpose
  printf "$1" >"$work/case.yaml"
}

case "$case_name" in
  # Values lint refuses are refused by run too, before anything runs.
  run-2pc-predict-interval-1us)
    scenario "${tpc}cluster: { nodes: 1 }\nworkload: { predict_interval: 1us }\n"
    expect 1 'workload\.predict_interval \(line 4\): must be at least 100us, got 1us' \
      "$faultline" run "$work/case.yaml" ;;
  run-flap-period-1ns)
    scenario "${raft}faults:\n  - { at: 1s, flap: { groups: [[n0], [rest]], period: 1ns, for: 1s } }\n"
    expect 1 'faults\[0\]\.flap\.period \(line 5\): period 1ns is below the floor of 1ms' \
      "$faultline" run "$work/case.yaml" ;;
  run-nemesis-interval-1ns)
    scenario "${raft}nemesis: { kinds: [crash], interval: [1ns, 1ns] }\n"
    expect 1 'nemesis\.interval \(line 4\): the shortest interval 1ns is below the floor of 1ms' \
      "$faultline" run "$work/case.yaml" ;;
  run-raft-request-timeout-1ns)
    scenario "${raft}workload:\n  request_timeout: 1ns\n"
    expect 1 'workload\.request_timeout \(line 5\): must be at least 1ms' \
      "$faultline" run "$work/case.yaml" ;;
  run-raft-heartbeat-1ns)
    scenario 'name: x\nprotocol: raft\ncluster:\n  nodes: 3\n  config: { heartbeat_interval: 1ns }\n'
    expect 1 'heartbeat_interval \(line [0-9]+\): must be at least 1ms' \
      "$faultline" run "$work/case.yaml" ;;
  run-2pc-decision-retry-1ns)
    scenario "${tpc}cluster:\n  nodes: 3\n  config: { decision_retry: 1ns }\n"
    expect 1 'cluster\.config\.decision_retry \(line 5\): must be at least 1ms' \
      "$faultline" run "$work/case.yaml" ;;
  run-a-million-raft-clients)
    scenario "${raft}workload: { clients: 1000000 }\n"
    expect 1 'workload\.clients \(line 4\): must be at most 1000, got 1000000' \
      "$faultline" run "$work/case.yaml" ;;
  run-converge-within-1000h)
    scenario "${raft}run: { until: 10s, converge_within: 1000h }\n"
    expect 1 'run\.converge_within \(line 4\): converge_within 3600000s is more than 100 times' \
      "$faultline" run "$work/case.yaml" ;;
  run-misspelt-metric)
    scenario "${raft}faults:\n  - { at: 1s, crash: leader }\nexpect:\n  failovr: { max: \"< 1s\" }\n"
    expect 1 "expect\.failovr \(line 7\): unknown metric 'failovr'; did you mean 'failover'\?" \
      "$faultline" run "$work/case.yaml" ;;
  run-unknown-protocol)
    scenario 'name: x\nprotocol: paxos\ncluster: { nodes: 3 }\n'
    expect 1 "protocol \(line 2\): unknown protocol 'paxos'" "$faultline" run "$work/case.yaml" ;;
  run-unknown-check)
    scenario "${raft}checks: [log_matching, linearisable]\n"
    expect 1 "checks\[1\] \(line 4\): unknown check 'linearisable'; did you mean 'linearizable'\?" \
      "$faultline" run "$work/case.yaml" ;;
  run-truncated-scenario)
    head -c 150 scenarios/raft/five_node_nemesis.yaml >"$work/case.yaml"
    expect 1 "^error: $work/case.yaml" "$faultline" run "$work/case.yaml" ;;
  run-1024-nodes)
    # The largest cluster lint accepts runs to its end and is judged (scale: sim/core/monitor.h).
    # At the default election timeouts it elects no leader: 1,024 timeouts drawn from a 150 ms
    # range fall 0.15 ms apart, well inside one message latency, so every term splits its votes.
    scenario 'name: x\nprotocol: raft\ncluster: { nodes: 1024 }\nworkload: { clients: 4, duration: 1s }\nrun: { until: 1s, converge_within: 2s }\n'
    expect 3 '^  FAIL leader_elected +eventually no node is a leader' "$faultline" run "$work/case.yaml" ;;
  run-runaway-at-default-budgets)
    # Raft's timers at their 1 ms floors for a day, lint-accepted: the default event budget ends it.
    scenario 'name: x\nprotocol: raft\ncluster:\n  nodes: 3\n  config: { heartbeat_interval: 1ms, election_timeout: [4ms, 5ms] }\nworkload: { clients: 0 }\nrun: { until: 24h }\n'
    expect 4 '^failure +(events|pending events) budget: ' "$faultline" run "$work/case.yaml" ;;
  run-wall-time-budget)
    # A day of virtual time under load: about 25 million events, so 1 s of wall time ends it.
    scenario "${raft}workload: { clients: 4, duration: 24h }\nrun: { until: 24h }\n"
    expect 4 '^failure +wall time budget: passed 1s \(not reproducible' \
      "$faultline" run "$work/case.yaml" --max-wall-time 1s ;;
  run-memory-budget)
    expect 4 '^failure +memory budget: resident memory [0-9]+ MiB passed 1 MiB' \
      "$faultline" run "$demo" --max-memory 1MiB ;;
  run-seeds-continue-after-a-budget)
    expect 4 '^result +0 passed, 0 failed, 3 stopped at a budget' \
      "$faultline" run "$demo" --seeds 3 --jobs 1 --max-events 300 ;;
  # Seeds are whole numbers in range.
  seeds-zero)
    expect 1 "--seeds: expected a whole number from 1 to 10,000,000, got '0'" \
      "$faultline" run "$demo" --seeds 0 ;;
  seeds-too-many)
    expect 1 "--seeds: expected a whole number from 1 to 10,000,000, got '10000001'" \
      "$faultline" run "$demo" --seeds 10000001 ;;
  seed-negative)
    expect 1 "--seed: expected a whole number from 0 to 2\^64-1, got '-1'" \
      "$faultline" run "$demo" --seed -1 ;;
  seed-hex)
    expect 1 "--seed: expected a whole number from 0 to 2\^64-1, got '0x10'" \
      "$faultline" replay "$demo" --seed 0x10 ;;
  seed-too-large)
    expect 1 "--seed: expected a whole number from 0 to 2\^64-1, got '18446744073709551616'" \
      "$faultline" run "$demo" --seed 18446744073709551616 ;;
  seed-range-wraps)
    expect 1 '--seed-start 18446744073709551615 with --seeds 2 passes the last seed, 2\^64-1' \
      "$faultline" run "$demo" --seed-start 18446744073709551615 --seeds 2 ;;
  check-seed-negative)
    expect 1 "--seed: expected a whole number from 0 to 2\^64-1, got '-5'" \
      "$faultline" check --protocol ping --nodes 2 --strategy random --seed -5 ;;
  version)
    expect 0 '^faultline [0-9]+\.[0-9]+\.[0-9]+ \(build ([0-9a-f]{12}(-dirty)?|unknown), ' \
      "$faultline" --version ;;
  # The model checker stops at wall time and memory like a run, with exit 4.
  check-wall-time-budget)
    expect 4 'STOPPED at the wall time budget: passed 1s' \
      "$faultline" check --protocol two_phase_commit --nodes 4 --max-wall-time 1s --out "$work/c.json" ;;
  check-memory-budget)
    expect 4 'STOPPED at the memory budget: resident memory [0-9]+ MiB passed 1 MiB' \
      "$faultline" check --protocol two_phase_commit --nodes 4 --max-memory 1MiB --out "$work/c.json" ;;
  # Truncated and garbage files name the file.
  replay-truncated-counterexample)
    printf '{"protocol": "raft", "nodes": 3, "steps": [' >"$work/cut.json"
    expect 1 "^error: $work/cut.json: " "$faultline" replay "$work/cut.json" ;;
  cluster-file-garbage)
    head -c 300 /dev/urandom | tr -d '\0' >"$work/cluster.yaml"
    expect 1 "$work/cluster.yaml" "$faultline" cluster up "$work/cluster.yaml" ;;
  *) echo "unknown case $case_name"; exit 2 ;;
esac
echo "$failures failed"
[ "$failures" -eq 0 ]
