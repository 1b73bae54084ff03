#!/usr/bin/env bash
# `faultline check-history` and `faultline lin` on recorded histories (sim/real/history_io.h),
# one CTest test per case (CMakeLists.txt lists them): each case records or forges a history,
# runs the commands and checks the exit codes and the messages. The histories come from
# `faultline run --history` (deterministic, the same format a client records) and, in
# real-cluster, from `faultline client --history` against three Raft processes. A checker is
# trusted only after it caught a broken history: the doctored cases forge a read of a value no
# write wrote and a read that lost an acknowledged write, and bug-switch records a run of a
# broken Raft (reads answered without a quorum).
#   usage: check_history_cli_test.sh FAULTLINE SOURCE_DIR CASE
set -u
faultline=$(realpath "${1:?usage: check_history_cli_test.sh FAULTLINE SOURCE_DIR CASE}")
cd "${2:?}" || exit 2
case_name=${3:?}
work=$(mktemp -d)
trap '"$faultline" cluster down "$work/kv.yaml" >/dev/null 2>&1; rm -rf "$work"' EXIT
source tests/support/cli_checks.sh  # the source directory is the working directory

# expect EXIT PATTERN COMMAND ARGS...: runs `faultline COMMAND ARGS`, checks the exit code and
# that stdout + stderr has a line matching PATTERN.
expect() {
  local expected=$1 pattern=$2
  shift 2
  "$faultline" "$@" >"$work/out.txt" 2>&1
  check "$case_name: $1 exits $expected" "$expected" $?
  contains "$case_name: $1 says /$pattern/" "$work/out.txt" "$pattern"
}

# A simulated Raft run's history (3 nodes, a leader crash, 3 clients; it passes).
record_raft() {
  "$faultline" run scenarios/raft/three_node_leader_crash.yaml --seed 1 --history "$1" >/dev/null
  check "$case_name: run --history" 0 $?
}

# ---- forging Raft replies: the codec of ClientReply (protocols/raft/types.h), field by field.
varint() {  # LEB128
  local n=$1 out=""
  while ((n >= 128)); do
    out+=$(printf '%02x' $(((n & 127) | 128)))
    n=$((n >> 7))
  done
  printf '%s%02x' "$out" "$n"
}
# reply_codec CLIENT SEQ [VALUE]: an ok reply to a read (index 0, no leader hint) returning VALUE,
# or nil without one: variant 0, client, seq, status ok (0), result {ok 1, optional value}, hint
# none, index 0.
reply_codec() {
  local value=""
  if [ $# -ge 3 ]; then
    value="01$(varint ${#3})$(printf '%s' "$3" | od -An -tx1 | tr -d ' \n')"
  else
    value="00"
  fi
  printf '00%s%s0001%s0000' "$(varint "$1")" "$(varint "$2")" "$value"
}

# The ok replies to client requests, in file order, as "LINE CLIENT SEQ OP KEY INVOKE_NS
# REPLY_NS CALL_LINE" (lines 1-based): each request's first attempt with its first ok reply.
read_replies() {
  jq -rs '
    (to_entries | map(.value + {line: (.key + 1)})) as $lines
    | ($lines | map(select(.event == "invocation")
        | (.text | capture("client=(?<c>[0-9]+), seq=(?<s>[0-9]+), attempt=0, operation=(?<op>[A-Za-z]+)\\{key=\"(?<k>[^\"]+)\"")?) as $m
        | select($m != null) | {key: "\($m.c)-\($m.s)", value: ($m + {t: .time_ns, l: .line})})
        | from_entries) as $calls
    | $lines[] | select(.event == "emission")
    | (.text | capture("^ClientReply\\{client=(?<c>[0-9]+), seq=(?<s>[0-9]+), status=ok")?) as $r
    | select($r != null) | $calls["\($r.c)-\($r.s)"] as $call
    | select($call != null)
    | "\(.line) \($r.c) \($r.s) \($call.op) \($call.k) \($call.t) \(.time_ns) \($call.l)"' "$1" |
    awk '!seen[$2 " " $3]++'  # the first ok reply to each request
}

# forge FILE LINE CODEC TEXT: replaces the codec and text of line LINE of FILE.
forge() {
  local line
  line=$(sed -n "$2p" "$1" | jq -c --arg codec "$3" --arg text "$4" '.codec = $codec | .text = $text')
  FORGED=$line awk -v n="$2" 'NR == n { print ENVIRON["FORGED"]; next } { print }' "$1" \
    >"$1.new" && mv "$1.new" "$1"
}

# A read that returns a value no write ever wrote: the first read with an ok reply. Prints the
# read's invocation line, which the checkers' messages name.
forge_unwritten_read() {
  local line client seq call_line
  read -r line client seq _ _ _ _ call_line < <(read_replies "$1" | awk '$4 == "Get"' | head -1)
  forge "$1" "$line" "$(reply_codec "$client" "$seq" never-written)" \
    "ClientReply{client=$client, seq=$seq, status=ok, doctored: value=\"never-written\"}"
  echo "$call_line"
}

# A lost acknowledged write: a read invoked after a Put to its key was acknowledged returns nil,
# the value before any write.
forge_lost_write() {
  local line client seq call_line
  read -r line client seq _ _ _ _ call_line < <(read_replies "$1" | awk '
    $4 == "Put" && !($5 in acked) { acked[$5] = $7 }
    $4 == "Get" && ($5 in acked) && $6 > acked[$5] { print; exit }')
  forge "$1" "$line" "$(reply_codec "$client" "$seq")" \
    "ClientReply{client=$client, seq=$seq, status=ok, doctored: value=none}"
  echo "$call_line"
}

# Three Raft processes under a closed-loop client for 2 s, recorded to $1.
record_real_cluster() {
  loopback_cluster "$work/kv.yaml" raft '{ election_timeout: [150ms, 300ms], heartbeat_interval: 50ms }'
  echo 'workload: { clients: 8, duration: 2s, keys: 4, read_percent: 40, cas_percent: 20 }' \
    >>"$work/kv.yaml"
  (cd "$work" && "$faultline" cluster up kv.yaml) >"$work/up.txt" 2>&1
  check "$case_name: cluster up" 0 $?
  (cd "$work" && "$faultline" client kv.yaml --history "$1" --max-time 60) >"$work/client.txt" 2>&1
  check "$case_name: client --history" 0 $?
  (cd "$work" && "$faultline" cluster down kv.yaml) >/dev/null 2>&1
}

h=$work/h.jsonl
case "$case_name" in
  simulated-passes)
    record_raft "$h"
    contains "$case_name: the header line" "$h" '^\{"format":"faultline-history","version":1,"protocol":"raft","nodes":3,'
    expect 0 '^result +PASSED$' check-history "$h"
    contains "$case_name: linearizable held" "$work/out.txt" '^  ok +linearizable +history +[0-9,]+ operations on 3 keys'
    contains "$case_name: one_leader_per_term held" "$work/out.txt" '^  ok +one_leader_per_term +history'
    contains "$case_name: what a history cannot judge is said" "$work/out.txt" \
      "^  -- +acknowledged_writes_durable +history +not evaluated: it compares each acknowledged write with the nodes' final logs"
    contains "$case_name: latencies on the history's clock" "$work/out.txt" '^timing \(virtual time\)'
    expect 0 'h.jsonl: linearizable \(model kv, [0-9]+ operations' lin "$h"
    expect 0 '"exit_code": 0' check-history "$h" --json ;;
  unwritten-read)
    record_raft "$h"
    line=$(forge_unwritten_read "$h")
    expect 2 '^result +FAILED \(safety violated\)$' check-history "$h"
    contains "$case_name: the table names the check" "$work/out.txt" '^  FAIL linearizable +history +not linearizable'
    contains "$case_name: the message names the forged read and its line" "$work/out.txt" \
      "read -> \"never-written\" \(line $line\)"
    expect 2 "read -> \"never-written\" \(line $line\)" lin "$h" ;;
  lost-write)
    record_raft "$h"
    line=$(forge_lost_write "$h")
    expect 2 '^  FAIL linearizable +history +not linearizable' check-history "$h"
    contains "$case_name: the message names the read that missed the write" "$work/out.txt" \
      "read -> nil \(line $line\)"
    expect 2 "read -> nil \(line $line\)" lin "$h" ;;
  bug-switch)
    "$faultline" run scenarios/raft/split_brain_old_leader.yaml --seed 1 \
      --set bug=read_without_quorum --history "$h" >"$work/run.txt"
    check "$case_name: the simulator catches the bug" 2 $?
    expect 2 '^  FAIL linearizable +history +not linearizable' check-history "$h"
    contains "$case_name: the bug is in the recorded config" "$h" '"config":\{"bug":"read_without_quorum"\}'
    expect 2 'could not be placed next' lin "$h" ;;
  real-cluster)
    record_real_cluster "$h"
    contains "$case_name: the header names the command" "$h" '"recorded_by":"[^"]*client kv.yaml --history'
    expect 0 '^result +PASSED$' check-history "$h"
    contains "$case_name: linearizable held" "$work/out.txt" '^  ok +linearizable +history'
    contains "$case_name: on the wall clock" "$work/out.txt" '^events .*\(wall clock\)$'
    expect 0 'linearizable \(model kv' lin "$h"
    line=$(forge_lost_write "$h")
    expect 2 "read -> nil \(line $line\)" check-history "$h" ;;
  two-phase-commit)
    "$faultline" run scenarios/two_phase_commit/canary_rollout.yaml --history "$h" >/dev/null
    expect 0 '^  ok +routing_fidelity +history' check-history "$h"
    expect 1 'a two_phase_commit history holds no register operations .*check-history' lin "$h" ;;
  wrong-protocol)
    "$faultline" run scenarios/two_phase_commit/canary_rollout.yaml --history "$h" >/dev/null
    expect 1 'h.jsonl \(line 1\): the header says this is a two_phase_commit history, not raft$' \
      check-history --protocol raft "$h"
    expect 1 'the header says this is a two_phase_commit history, not raft$' lin --protocol raft "$h" ;;
  truncated)
    record_raft "$h"
    head -c 5000 "$h" >"$work/cut.jsonl"
    n=$(wc -l <"$work/cut.jsonl")
    expect 1 "cut.jsonl \(line $((n + 1))\): the line is cut short: the file ends inside it" \
      check-history "$work/cut.jsonl"
    expect 1 "cut.jsonl \(line $((n + 1))\): the line is cut short" lin "$work/cut.jsonl" ;;
  garbage-line)
    record_raft "$h"
    sed -i '3s/.*/{"event": "invocation", "time_ns": 1, "node_index": 9, "codec": "00"}/' "$h"
    expect 1 'h.jsonl \(line 3\): node_index 9 is beyond the header.s 3 nodes$' check-history "$h"
    sed -i '3s/.*/not json/' "$h"
    expect 1 'h.jsonl \(line 3\): not a JSON object: not json$' check-history "$h" ;;
  no-header)
    record_raft "$h"
    tail -n +2 "$h" >"$work/old.jsonl"
    expect 1 'old.jsonl: no header line names the protocol .*give --protocol$' check-history "$work/old.jsonl"
    expect 0 '^header +none' check-history --protocol raft "$work/old.jsonl"
    expect 0 'linearizable \(model kv' lin "$work/old.jsonl" ;;
  directory)
    mkdir "$work/histories"
    expect 1 'histories: is a directory; expected a history file$' check-history "$work/histories" ;;
  empty-file)
    : >"$work/empty.jsonl"
    expect 1 'empty.jsonl: no events to check: the file is empty$' check-history "$work/empty.jsonl"
    expect 1 'empty.jsonl: no operations to check: the file is empty$' lin "$work/empty.jsonl" ;;
  header-only)
    record_raft "$h"
    head -1 "$h" >"$work/header.jsonl"
    expect 1 'header.jsonl: no events to check: the file holds only its header$' \
      check-history "$work/header.jsonl" ;;
  *) echo "unknown case $case_name"; exit 2 ;;
esac
exit $((failures > 0))
