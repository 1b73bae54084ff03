#!/usr/bin/env bash
# `run --trace-format perfetto|shiviz` and `replay --trace-format`: each file passes
# trace_validate, lines up with the JSONL trace of the same run (as many flows as sends, every
# node a track and a host, one ShiViz event per trace event), and is byte-identical across two
# runs; a bad format is a usage error. The validator is trusted only because it is shown to
# reject broken files first: small hand-written samples, each with one flaw, and real files with
# one line removed or changed.
# usage: trace_formats_test.sh FAULTLINE SOURCE_DIR TRACE_VALIDATE
set -u
usage="usage: trace_formats_test.sh FAULTLINE SOURCE_DIR TRACE_VALIDATE"
faultline=$(realpath "${1:?$usage}")
validate=$(realpath "${3:?$usage}")
cd "${2:?$usage}" || exit 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# --- the validator rejects broken files ---------------------------------------------------------

# rejects FORMAT NAME RULE: the sample on stdin fails validation, naming RULE.
rejects() {
  cat >"$work/bad-$2"
  "$validate" "$1" "$work/bad-$2" >"$work/out" 2>&1
  local rc=$?
  if [ $rc -ne 1 ]; then
    fail "validator: $2 exited $rc, not 1: $(head -c 300 "$work/out")"
  elif ! grep -qF "$3" "$work/out"; then
    fail "validator: $2 failed for another reason than '$3': $(head -c 300 "$work/out")"
  fi
}
accepts() {
  cat >"$work/good-$2"
  "$validate" "$1" "$work/good-$2" >"$work/out" 2>&1 ||
    fail "validator: the good sample $2 was rejected: $(head -c 300 "$work/out")"
}

meta='{"ph":"M","pid":1,"tid":1,"name":"thread_name","args":{"name":"n0"}},
{"ph":"M","pid":1,"tid":2,"name":"thread_name","args":{"name":"n1"}}'
accepts perfetto flow <<EOF
{"traceEvents":[$meta,
{"ph":"B","pid":1,"tid":1,"ts":1.000,"name":"timer T"},
{"ph":"s","pid":1,"tid":1,"ts":1.000,"name":"M","cat":"message","id":1},
{"ph":"E","pid":1,"tid":1,"ts":1.000,"name":"timer T"},
{"ph":"B","pid":1,"tid":2,"ts":2.000,"name":"deliver M"},
{"ph":"f","pid":1,"tid":2,"ts":2.000,"name":"M","cat":"message","id":1,"bp":"e"},
{"ph":"E","pid":1,"tid":2,"ts":2.000}]}
EOF
rejects perfetto flow-without-end "every s has exactly one f" <<EOF
{"traceEvents":[$meta,
{"ph":"B","pid":1,"tid":1,"ts":1.000,"name":"timer T"},
{"ph":"s","pid":1,"tid":1,"ts":1.000,"name":"M","cat":"message","id":1},
{"ph":"E","pid":1,"tid":1,"ts":1.000,"name":"timer T"}]}
EOF
rejects perfetto misnested "B/E nest" <<EOF
{"traceEvents":[$meta,
{"ph":"B","pid":1,"tid":1,"ts":1.000,"name":"a"},
{"ph":"B","pid":1,"tid":1,"ts":1.000,"name":"b"},
{"ph":"E","pid":1,"tid":1,"ts":1.000,"name":"a"},
{"ph":"E","pid":1,"tid":1,"ts":1.000,"name":"b"}]}
EOF
rejects perfetto unclosed "every B has its E" <<EOF
{"traceEvents":[$meta,
{"ph":"B","pid":1,"tid":1,"ts":1.000,"name":"a"}]}
EOF
rejects perfetto decreasing-ts "ts never decreases on a track" <<EOF
{"traceEvents":[$meta,
{"ph":"i","pid":1,"tid":2,"ts":5.000,"name":"crash","s":"t"},
{"ph":"i","pid":1,"tid":2,"ts":4.999,"name":"restart","s":"t"}]}
EOF
rejects perfetto flow-outside-slice "flow event lies inside an open slice" <<EOF
{"traceEvents":[$meta,
{"ph":"s","pid":1,"tid":1,"ts":1.000,"name":"M","cat":"message","id":1},
{"ph":"B","pid":1,"tid":2,"ts":2.000,"name":"deliver M"},
{"ph":"f","pid":1,"tid":2,"ts":2.000,"name":"M","cat":"message","id":1,"bp":"e"},
{"ph":"E","pid":1,"tid":2,"ts":2.000}]}
EOF
rejects perfetto flow-end-before-start "f is no earlier than its s" <<EOF
{"traceEvents":[$meta,
{"ph":"B","pid":1,"tid":1,"ts":3.000,"name":"timer T"},
{"ph":"s","pid":1,"tid":1,"ts":3.000,"name":"M","cat":"message","id":1},
{"ph":"E","pid":1,"tid":1,"ts":3.000},
{"ph":"B","pid":1,"tid":2,"ts":2.000,"name":"deliver M"},
{"ph":"f","pid":1,"tid":2,"ts":2.000,"name":"M","cat":"message","id":1,"bp":"e"},
{"ph":"E","pid":1,"tid":2,"ts":2.000}]}
EOF
rejects perfetto duplicate-flow-id "flow ids are unique among starts" <<EOF
{"traceEvents":[$meta,
{"ph":"B","pid":1,"tid":1,"ts":1.000,"name":"timer T"},
{"ph":"s","pid":1,"tid":1,"ts":1.000,"name":"M","cat":"message","id":1},
{"ph":"s","pid":1,"tid":1,"ts":1.000,"name":"M","cat":"message","id":1},
{"ph":"E","pid":1,"tid":1,"ts":1.000}]}
EOF
rejects perfetto negative-counter "counters are non-negative" <<EOF
{"traceEvents":[$meta,
{"ph":"C","pid":1,"tid":1,"ts":1.000,"name":"messages in flight","args":{"messages":-1}}]}
EOF
rejects perfetto unnamed-track "every track used has a thread_name" <<EOF
{"traceEvents":[$meta,
{"ph":"i","pid":1,"tid":7,"ts":1.000,"name":"crash","s":"t"}]}
EOF
rejects perfetto no-tid "every event has pid and tid" <<EOF
{"traceEvents":[$meta,
{"ph":"i","pid":1,"ts":1.000,"name":"crash","s":"t"}]}
EOF
rejects perfetto not-json "the file is valid JSON" <<EOF
{"traceEvents":[$meta,
EOF

regex='(?<host>\S*) (?<clock>{.*})\n(?<event>.*)'
accepts shiviz exchange <<EOF
$regex

n0 {"n0":1}
send #1 to n1: M{}
n1 {"n0":1,"n1":1}
deliver #1 from n0: M{}
EOF
rejects shiviz clock-backwards "no clock entry ever decreases" <<EOF
$regex

n0 {"n0":1}
send #1 to n1: M{}
n1 {"n0":1,"n1":1}
deliver #1 from n0: M{}
n1 {"n1":2}
timer: T
EOF
rejects shiviz receive-not-dominating "a receive's clock dominates its send's" <<EOF
$regex

n0 {"n0":1}
timer: T
n0 {"n0":2}
send #1 to n1: M{}
n1 {"n0":1,"n1":1}
deliver #1 from n0: M{}
EOF
rejects shiviz receive-before-send "the send precedes its deliver" <<EOF
$regex

n1 {"n1":1}
deliver #1 from n0: M{}
n0 {"n0":1}
send #1 to n1: M{}
EOF
rejects shiviz own-entry-skips "own entry goes up by exactly 1" <<EOF
$regex

n0 {"n0":1}
timer: T
n0 {"n0":3}
timer: T
EOF
rejects shiviz missing-own-entry "every clock has its host's entry" <<EOF
$regex

n0 {"n1":1}
timer: T
EOF
rejects shiviz no-header "the first line is the log's regex" <<EOF
n0 {"n0":1}
timer: T
EOF

# --- real runs ----------------------------------------------------------------------------------

# count PATTERN FILE: lines holding the fixed string (0 when none).
count() { grep -cF -- "$1" "$2"; }

check_scenario() {
  local scenario=$1 name
  name=$(basename "$scenario" .yaml)
  local jsonl="$work/$name.jsonl" perfetto="$work/$name.json" shiviz="$work/$name.log"
  "$faultline" run "$scenario" --trace "$jsonl" >/dev/null
  local rc=$?
  for format in perfetto shiviz; do
    local file=$perfetto
    [ $format = shiviz ] && file=$shiviz
    "$faultline" run "$scenario" --trace "$file" --trace-format $format >/dev/null
    [ $? -eq $rc ] || fail "$name: --trace-format $format changed the exit code (jsonl: $rc)"
    "$validate" $format "$file" >"$work/out" 2>&1 ||
      fail "$name: $format trace rejected: $(cat "$work/out")"
    "$faultline" run "$scenario" --trace "$file.again" --trace-format $format >/dev/null
    cmp -s "$file" "$file.again" || fail "$name: two runs wrote different $format files"
  done
  local events sends
  events=$(wc -l <"$jsonl")
  sends=$(count '"kind":"send"' "$jsonl")
  [ "$sends" -gt 0 ] || fail "$name: the JSONL trace has no sends"
  [ "$(count '"ph":"s"' "$perfetto")" = "$sends" ] || fail "$name: perfetto flows != $sends sends"
  [ "$(count '"ph":"f"' "$perfetto")" = "$sends" ] || fail "$name: perfetto flow ends != sends"
  local dropped
  dropped=$(count '"kind":"drop","message"' "$jsonl")
  [ "$(grep -c '"ph":"B".*"name":"drop ' "$perfetto")" = "$dropped" ] ||
    fail "$name: perfetto has not one drop slice per drop of a message in flight"
  [ "$sends" = "$(grep -c '^send #' "$shiviz")" ] ||
    fail "$name: shiviz sends != JSONL sends"
  [ $(($(wc -l <"$shiviz") - 2)) = $((2 * events)) ] ||
    fail "$name: shiviz has not one event per JSONL event ($events)"
  local node
  for node in $(jq -r 'select(.node != "") | .node' "$jsonl" | sort -u); do
    grep -qF "\"name\":\"thread_name\",\"args\":{\"name\":\"$node\"}" "$perfetto" ||
      fail "$name: node $node has no perfetto track"
    grep -q "^$node {" "$shiviz" || fail "$name: node $node has no shiviz host"
  done
  echo "ok  $name: $events events, $sends sends"
}

check_scenario scenarios/raft/three_node_leader_crash.yaml
check_scenario scenarios/two_phase_commit/loss_and_duplication.yaml
check_scenario scenarios/overlay/paused_team_leader_late_answers.yaml
check_scenario scenarios/raft/majority_partition.yaml
check_scenario scenarios/write_concern/seven_nodes_loss_and_duplication.yaml  # dups, drops

# The validator on real files broken by one edit: a flow end removed, a ShiViz clock set back.
leader=$work/three_node_leader_crash
sed '0,/"ph":"f"/{/"ph":"f"/d}' "$leader.json" >"$work/cut.json"
"$validate" perfetto "$work/cut.json" >"$work/out" 2>&1 &&
  fail "validator: a real file with an f removed passed"
grep -q "every s has exactly one f" "$work/out" || fail "validator: cut f: $(cat "$work/out")"
host=$(sed -n 3p "$leader.log" | cut -d' ' -f1)
awk -v h="$host" '
  index($0, h " {") == 1 && ++k == 3 {
    match($0, "\"" h "\":[0-9]+")
    own = substr($0, RSTART + length(h) + 3, RLENGTH - length(h) - 3)
    $0 = substr($0, 1, RSTART - 1) "\"" h "\":" (own - 1) substr($0, RSTART + RLENGTH)
  }
  { print }' "$leader.log" >"$work/back.log"
cmp -s "$leader.log" "$work/back.log" && fail "test: the clock edit changed nothing"
"$validate" shiviz "$work/back.log" >"$work/out" 2>&1 &&
  fail "validator: a real clock set back passed"
grep -q "own entry goes up by exactly 1" "$work/out" ||
  fail "validator: set back: $(cat "$work/out")"

# replay writes the same formats.
"$faultline" replay scenarios/raft/three_node_leader_crash.yaml --seed 1 \
  --trace "$work/replay.json" --trace-format perfetto >/dev/null ||
  fail "replay --trace-format perfetto failed"
"$validate" perfetto "$work/replay.json" >/dev/null || fail "replay's perfetto trace rejected"

# A bad format is a usage error naming the option and the formats.
"$faultline" run scenarios/raft/three_node_leader_crash.yaml --trace "$work/x" \
  --trace-format xml >"$work/out" 2>&1
rc=$?
[ $rc -eq 1 ] || fail "--trace-format xml exited $rc, not 1"
grep -q -- "--trace-format" "$work/out" && grep -q "jsonl|perfetto|shiviz" "$work/out" ||
  fail "--trace-format xml: the error does not name the option and the formats: $(cat "$work/out")"
"$faultline" replay scenarios/raft/three_node_leader_crash.yaml --seed 1 --trace-format '' \
  >/dev/null 2>&1
[ $? -eq 1 ] || fail "replay --trace-format '' is not a usage error"

"$faultline" run scenarios/raft/three_node_leader_crash.yaml --trace-format perfetto \
  >/dev/null 2>"$work/err"
[ $? -eq 1 ] && grep -q "needs --trace FILE" "$work/err" ||
  fail "--trace-format without --trace is not a usage error saying it needs --trace"

[ $failures -eq 0 ] && echo "trace formats: all checks passed"
exit $((failures > 0))
