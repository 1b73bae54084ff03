#!/usr/bin/env bash
# The CloudCart incidents (scenarios/quorum_kv/incidents): each incident scenario fails its named
# check under the misconfiguration that reproduces it and passes with the fixed configuration
# (the files carry it); `faultline grade` scores the seed's broken config 40/100 and the fixed
# one 100/100, prints a repro line that reproduces each lost row, is deterministic across
# workers, and rejects bad config files with a clear error.
#
# usage: incidents_test.sh FAULTLINE SOURCE_DIR
set -u
faultline=$(realpath "${1:?usage: incidents_test.sh FAULTLINE SOURCE_DIR}")
cd "${2:?}" || exit 2
dir=scenarios/quorum_kv/incidents
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# incident FILE CHECK SET...: seeds 1..3 with the overrides fail, and CHECK is among the failures.
incident() {
  local file=$1 check=$2
  shift 2
  local args=() s
  for s in "$@"; do args+=(--set "$s"); done
  for seed in 1 2 3; do
    "$faultline" run "$dir/$file.yaml" --seed "$seed" "${args[@]}" --json >"$work/out.json" 2>/dev/null
    jq -e --arg c "$check" '[.checks[] | select(.passed == false) | .name] | index($c) != null' \
      "$work/out.json" >/dev/null || fail "$file seed $seed with $* does not fail $check"
  done
  "$faultline" run "$dir/$file.yaml" --seeds 5 >/dev/null 2>&1 || fail "$file fails when fixed"
}
incident inc0_basic_operations "expect rate_limited.count" rate_limit_max=1
incident inc1_gateway_flood "expect rate_limited.count" rate_limit_window=100ms
incident inc2_ghost_nodes one_identity auto_spawn_delay=1s
incident inc3_stale_cart "expect stale_read.count" read_quorum=1
incident inc4_write_outage "expect write_failed.count" write_quorum=3
incident inc5_right_sizing "expect surplus_replica_time.count" followers=4

# grade CONFIG EXIT TOTAL: the exit code and the total line.
grade() {
  "$faultline" grade "$1" >"$work/grade.txt" 2>&1
  local code=$?
  [ "$code" = "$2" ] || { fail "grade $1 exited $code, not $2"; cat "$work/grade.txt"; }
  grep -q "^total    $3$" "$work/grade.txt" || { fail "grade $1: no 'total $3'"; cat "$work/grade.txt"; }
}
grade "$dir/fixed_config.json" 0 100/100
grade "$dir/student_config.json" 3 40/100
for expected in "INC-1 .* 0/15  LOST" "rate_limited.count" "INC-4 .* 0/25  LOST" \
  "write_failed.count" "INC-2/5 .* 0/20  LOST" "one_identity violated" \
  "surplus_replica_time.count" "INC-0 .* 15/15  passed" "INC-3 .* 25/25  passed"; do
  grep -Eq "$expected" "$work/grade.txt" || fail "student grade lacks '$expected'"
done
# Every repro line reproduces its failure.
grep -o 'repro: .*' "$work/grade.txt" | sed 's/^repro: faultline //' | while read -r line; do
  # shellcheck disable=SC2086
  if "$faultline" $line >/dev/null 2>&1; then echo "FAIL: repro passed: $line"; fi
done | grep -q FAIL && fail "a repro line did not reproduce"
# Deterministic: one worker and two give the same report.
"$faultline" grade "$dir/student_config.json" --jobs 1 >"$work/one.txt" 2>&1
"$faultline" grade "$dir/student_config.json" --jobs 2 >"$work/two.txt" 2>&1
cmp -s "$work/one.txt" "$work/two.txt" || fail "grade differs between --jobs 1 and --jobs 2"
# Fixing W alone (W=2 of N=5 with R=1) wins INC-4 and loses INC-3: R + W <= N.
jq '.write_quorum = 2' "$dir/student_config.json" >"$work/partial.json"
grade "$work/partial.json" 3 40/100
grep -Eq "INC-3 .* 0/25  LOST" "$work/grade.txt" || fail "W fixed alone does not expose INC-3"
grep -Eq "INC-4 .* 25/25  passed" "$work/grade.txt" || fail "W fixed alone does not fix INC-4"

# Bad files: a clear error, exit 1.
bad() {  # bad JSON_TEXT EXPECTED_MESSAGE
  printf '%s' "$1" >"$work/bad.json"
  "$faultline" grade "$work/bad.json" >"$work/err.txt" 2>&1
  local code=$?
  [ "$code" = 1 ] || fail "bad config '$1' exited $code, not 1"
  grep -q "$2" "$work/err.txt" || { fail "bad config '$1': no '$2'"; cat "$work/err.txt"; }
}
bad 'not json' "is not valid JSON"
bad '[1]' "must hold a JSON object"
bad "$(jq -c '.foo = 1' "$dir/fixed_config.json")" "unknown key 'foo'"
bad "$(jq -c 'del(.read_quorum)' "$dir/fixed_config.json")" "misses the key 'read_quorum'"
bad "$(jq -c '.rate_limit_window = -1' "$dir/fixed_config.json")" "number of seconds"
bad "$(jq -c '.followers = "three"' "$dir/fixed_config.json")" "must be a whole number"
printf '%s' "$(jq -c '.write_quorum = 9' "$dir/fixed_config.json")" >"$work/w9.json"
"$faultline" grade "$work/w9.json" >"$work/w9.txt" 2>&1
grep -q "configuration is rejected: .*write_quorum" "$work/w9.txt" || fail "W=9 not rejected by name"

[ "$failures" = 0 ] && echo "incidents: every incident reproduced and fixed; grade 40/100 and 100/100"
exit $((failures > 0))
