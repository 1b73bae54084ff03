#!/usr/bin/env bash
# `faultline lint` knows what will go wrong: each hostile scenario below is an error (exit 1) that
# names the file, the key path and the line with the message scenarios/README.md lists, or lints
# with the documented warning (exit 0); run, replay and lint name a directory given as a file.
# Every case ends within seconds: nothing here runs a simulation that could not end.
set -u
faultline=${1:?usage: lint_test.sh FAULTLINE SOURCE_DIR}
cd "${2:?}" || exit 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source tests/support/cli_checks.sh  # the source directory is the working directory

raft='name: x\nprotocol: raft\ncluster: { nodes: 3 }\n'  # lines 1-3
tpc='name: x\nprotocol: two_phase_commit\n'               # lines 1-2

# lint_error NAME TEXT PATTERN: TEXT (printf format) fails lint with exit 1 and a matching error.
lint_error() {
  # shellcheck disable=SC2059  # the cases are printf formats on purpose
  printf "$2" >"$work/case.yaml"
  "$faultline" lint "$work/case.yaml" 2>"$work/case.txt" >/dev/null
  check "$1: exits 1" 1 $?
  contains "$1: message" "$work/case.txt" "^error: $work/case.yaml: $3"
}

# Values that cannot make sense.
lint_error "flap period 1ns" "${raft}faults:\n  - { at: 1s, flap: { groups: [[n0], [rest]], period: 1ns, for: 1s } }\n" \
  'faults\[0\]\.flap\.period \(line 5\): period 1ns is below the floor of 1ms'
lint_error "nemesis interval [1ns, 1ns]" "${raft}nemesis: { kinds: [crash], interval: [1ns, 1ns] }\n" \
  'nemesis\.interval \(line 4\): the shortest interval 1ns is below the floor of 1ms'
lint_error "raft request_timeout 1ns" "${raft}workload:\n  request_timeout: 1ns\n" \
  'workload\.request_timeout \(line 5\): must be at least 1ms \(the floor of Raft timers\), got 1ns'
lint_error "raft heartbeat 1ns" 'name: x\nprotocol: raft\ncluster:\n  nodes: 3\n  config: { heartbeat_interval: 1ns }\n' \
  'cluster\.config\.heartbeat_interval \(line 5\): must be at least 1ms'
lint_error "2pc decision_retry 1ns" "${tpc}cluster:\n  nodes: 3\n  config: { decision_retry: 1ns }\n" \
  'cluster\.config\.decision_retry \(line 5\): must be at least 1ms'
lint_error "2pc predict_interval 1us" "${tpc}cluster: { nodes: 1 }\nworkload: { predict_interval: 1us }\n" \
  'workload\.predict_interval \(line 4\): must be at least 100us, got 1us'
lint_error "2pc a million predicts" "${tpc}cluster: { nodes: 1 }\nworkload: { predict_interval: 1ms, duration: 2000s }\n" \
  'workload\.predict_interval \(line 4\): schedules 2000001 requests in 2000s; at most 1000000'
lint_error "a million raft clients" "${raft}workload: { clients: 1000000 }\n" \
  'workload\.clients \(line 4\): must be at most 1000, got 1000000'
lint_error "4,194,305 nodes" 'name: x\nprotocol: raft\ncluster: { nodes: 4194305 }\n' \
  'cluster\.nodes \(line 3\): expected a node count \(1 to 4194304\)'
lint_error "converge_within 1000h" "${raft}run: { until: 10s, converge_within: 1000h }\n" \
  'run\.converge_within \(line 4\): converge_within 3600000s is more than 100 times run\.until \(10s\)'
lint_error "an election timeout under the round trip" 'name: x\nprotocol: raft\ncluster:\n  nodes: 3\n  config: { election_timeout: [10ms, 20ms], heartbeat_interval: 5ms }\nnetwork: { latency: { fixed: 20ms } }\n' \
  'cluster\.config\.election_timeout \(line 5\): the longest election timeout 20ms is shorter than the network.s shortest round trip \(40ms\)'

# Names the protocol does not know, with "did you mean".
lint_error "a misspelt metric" "${raft}faults:\n  - { at: 1s, crash: leader }\nexpect:\n  failovr: { max: \"< 1s\" }\n" \
  "expect\.failovr \(line 7\): unknown metric 'failovr'; did you mean 'failover'\? \(raft reports: election, failover,"
lint_error "a metric with no samples" "${raft}expect:\n  failover: { max: \"< 1s\" }\n" \
  'expect\.failover\.max \(line 5\): failover can have no samples in this scenario \(no fault or nemesis kind crashes, pauses, isolates or partitions a node'
lint_error "2pc blocked_time on a fault-free network" "${tpc}cluster: { nodes: 3 }\nexpect:\n  blocked_time: { count: \">= 1\" }\n" \
  'expect\.blocked_time\.count \(line 5\): blocked_time can have no samples'
lint_error "ping has no metrics" 'name: x\nprotocol: ping\ncluster: { nodes: 3 }\nexpect: { token_count: { max: "< 1s" } }\n' \
  "expect\.token_count \(line 4\): unknown metric 'token_count' \(ping reports: convergence\)"
lint_error "a misspelt check" "${raft}checks:\n  - log_matching\n  - election_safty\n" \
  "checks\[1\] \(line 6\): unknown check 'election_safty'; did you mean 'election_safety'\?"
lint_error "a misspelt protocol" 'name: x\nprotocol: raftt\ncluster: { nodes: 3 }\n' \
  "protocol \(line 2\): unknown protocol 'raftt'; did you mean 'raft'\?"

# A bound that holds with no samples, and what run does with a misspelt metric: no seed runs.
printf "${raft}expect:\n  failover: { count: \"< 1\" }\n" >"$work/count.yaml"
"$faultline" lint "$work/count.yaml" >/dev/null 2>&1; check "a count bound 0 meets lints" 0 $?
printf "${raft}faults:\n  - { at: 1s, crash: leader }\nexpect:\n  failovr: { max: \"< 1s\" }\n" >"$work/typo.yaml"
"$faultline" run "$work/typo.yaml" >/dev/null 2>"$work/typo.txt"; check "run of a misspelt metric exits 1, not 3" 1 $?
contains "run names the misspelt metric" "$work/typo.txt" "expect\.failovr \(line 7\): unknown metric"

# Warnings: legal values the network makes pointless; lint still passes.
printf "${raft}network: { latency: { fixed: 20ms } }\nworkload: { request_timeout: 30ms }\nfaults:\n  - { at: 1s, flap: { groups: [[n0], [rest]], period: 5ms, for: 1s } }\n" >"$work/warn.yaml"
"$faultline" lint "$work/warn.yaml" >"$work/warn.out" 2>"$work/warn.txt"; check "warnings do not fail lint" 0 $?
contains "a flap faster than the latency is a warning" "$work/warn.txt" \
  "^warning: $work/warn.yaml: faults\[0\]\.flap\.period \(line 7\): period 5ms is shorter than the network's shortest one-way latency \(20ms\)"
contains "a request timeout under the round trip is a warning" "$work/warn.txt" \
  "^warning: $work/warn.yaml: workload\.request_timeout \(line 5\): request_timeout 30ms is shorter than the network's shortest round trip \(40ms\)"
contains "lint still says ok" "$work/warn.out" '^ok  '

# Overrides are checked the same way (they have no line).
"$faultline" lint scenarios/raft/three_node_leader_crash.yaml --set heartbeat_interval=1ns 2>"$work/set.txt" >/dev/null
check "an override below the floor exits 1" 1 $?
contains "the override's key is named" "$work/set.txt" 'cluster\.config\.heartbeat_interval: must be at least 1ms'

# Files: a byte-order mark is accepted; a directory, /dev/zero and long values are named briefly.
printf '\xef\xbb\xbfname: x\nprotocol: raft\ncluster: { nodes: 3 }\n' >"$work/bom.yaml"
"$faultline" lint "$work/bom.yaml" >/dev/null; check "a UTF-8 byte-order mark is accepted" 0 $?
mkdir "$work/dir"
for command in "lint" "run" "replay --seed 1"; do
  # shellcheck disable=SC2086
  "$faultline" $command "$work/dir" >/dev/null 2>"$work/dir.txt"; check "$command DIR exits 1" 1 $?
  contains "$command DIR says it is a directory" "$work/dir.txt" "^error: $work/dir: is a directory, not a scenario file$"
done
"$faultline" lint /dev/zero 2>"$work/zero.txt"; check "lint /dev/zero exits 1" 1 $?
contains "lint /dev/zero says it is too large" "$work/zero.txt" 'file is larger than 8388608 bytes'
{ printf 'name: x\nprotocol: raft\ncluster: { nodes: 3 }\nrun: { until: '; head -c 2000000 /dev/zero | tr '\0' 5; printf ' }\n'; } >"$work/long.yaml"
"$faultline" lint "$work/long.yaml" 2>"$work/long.txt"; check "a 2 MB value is an error" 1 $?
contains "the value is cut to 80 bytes and its length" "$work/long.txt" "got '5{80}\.\.\. \(2000000 bytes\)'$"
bytes=$(wc -c <"$work/long.txt")
if [ "$bytes" -lt 400 ]; then echo "ok: the message stays short"; else
  echo "FAIL: the message is $bytes bytes"; failures=$((failures + 1)); fi

echo "$failures failed"
[ "$failures" -eq 0 ]
