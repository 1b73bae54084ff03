#!/usr/bin/env bash
# The table-driven bug-switch test: a check earns trust only by failing on a known-wrong variant
# of its protocol. Each protocol lists its bug switches in tests/protocols/<protocol>/
# bug_switches.txt, one row each, for two drivers, all through the real command line:
#
#   simulator BUG SCENARIO SEEDS_MAX CORRECT_SEEDS CHECKS
#     scenarios/<protocol>/SCENARIO.yaml with `--set bug=BUG` fails at some seed in 1..SEEDS_MAX,
#     and every check that fails it is in CHECKS (comma-separated; a check written +NAME must be
#     among them; a scenario's missed bound `expect M.S` is written expect_M.S); without the bug,
#     seeds 1..CORRECT_SEEDS all pass.
#   model_checker BUG PROPERTY STEPS ARGS...
#     `faultline check --protocol <protocol> --set bug=BUG ARGS` finds a violation of PROPERTY
#     with a STEPS-step counterexample, and `faultline replay` of the file reproduces it.
#
# usage: bug_switches_test.sh FAULTLINE SOURCE_DIR PROTOCOL simulator|model_checker [TABLE]
# (TABLE: another table file, for the test's own self-test)
set -u
faultline=$(realpath "${1:?usage: bug_switches_test.sh FAULTLINE SOURCE_DIR PROTOCOL DRIVER}")
cd "${2:?}" || exit 2
protocol=${3:?}
driver=${4:?}
table=${5:-tests/protocols/$protocol/bug_switches.txt}
[ -f "$table" ] || { echo "no $table"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
rows=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# The checks that failed seed SEED of the buggy scenario, comma-separated ("" if it passed);
# checks the run could not evaluate (it stopped at the violation) are not failures.
failed_checks() {  # failed_checks SCENARIO BUG SEED
  "$faultline" run "scenarios/$protocol/$1.yaml" --seed "$3" --set "bug=$2" --json 2>/dev/null |
    jq -r '[.checks[] | select(.passed == false and .evaluated != false) | .name | gsub(" "; "_")]
      | join(",")'
}

simulator_row() {  # simulator_row BUG SCENARIO SEEDS_MAX CORRECT_SEEDS CHECKS
  local bug=$1 scenario=$2 seeds_max=$3 correct=$4 allowed=",${5//+/},"
  local seed failed="" check
  for seed in $(seq 1 "$seeds_max"); do
    failed=$(failed_checks "$scenario" "$bug" "$seed")
    [ -n "$failed" ] && break
  done
  [ -n "$failed" ] || { fail "$bug on $scenario: no failure in seeds 1..$seeds_max"; return; }
  for check in ${failed//,/ }; do
    [[ $allowed == *",$check,"* ]] || fail "$bug on $scenario: seed $seed failed $check, not one of $5"
  done
  for check in $(tr ',' '\n' <<<"$5" | sed -n 's/^+//p'); do
    [[ ",$failed," == *",$check,"* ]] || fail "$bug on $scenario: $check did not catch it (seed $seed: $failed)"
  done
  local passed
  passed=$("$faultline" run "scenarios/$protocol/$scenario.yaml" --seeds "$correct" --set bug=none --json |
    jq -r '.passed')
  [ "$passed" = "$correct" ] || fail "$scenario without the bug: $passed of $correct seeds passed"
  echo "ok: $bug on $scenario: seed $seed failed $failed; correct protocol passed $correct seeds"
}

model_checker_row() {  # model_checker_row BUG PROPERTY STEPS ARGS...
  local bug=$1 property=$2 steps=$3
  shift 3
  local file="$work/$bug.json"
  (cd "$work" && "$faultline" check --protocol "$protocol" --set "bug=$bug" "$@" --out "$file") \
    >"$work/check.txt" 2>&1
  local code=$?
  [ "$code" -eq 2 ] || { fail "check $bug: exit $code, want 2"; cat "$work/check.txt"; return; }
  grep -q "^counterexample: $property violated after $steps steps" "$work/check.txt" ||
    { fail "check $bug: not a $steps-step $property counterexample"; grep counterexample "$work/check.txt"; return; }
  "$faultline" replay "$file" >"$work/replay.txt" 2>&1
  grep -q "^result: reproduced" "$work/replay.txt" || { fail "replay $bug: not reproduced"; cat "$work/replay.txt"; return; }
  echo "ok: check finds $bug: $property after $steps steps; the file replays"
}

while read -r kind rest; do
  [ "$kind" = "$driver" ] || continue
  rows=$((rows + 1))
  # shellcheck disable=SC2086
  ${driver}_row $rest
done < <(sed 's/#.*//' "$table")
[ "$rows" -gt 0 ] || { echo "FAIL: no $driver rows in $table"; exit 1; }
[ "$failures" -eq 0 ] && echo "bug switches ($protocol, $driver): $rows rows, all caught" && exit 0
echo "bug switches ($protocol, $driver): $failures failures"
exit 1
