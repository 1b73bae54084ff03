#!/usr/bin/env bash
# The HTML reports (`run --report`, `run --seeds N --report`, `faultline report`): every plot a
# single run and a sweep promise is there, with drawn points; two runs of one command write the
# same bytes (and --jobs does not change a sweep's); nothing is fetched from a network; a sweep
# with failures lists them with repro commands that do reproduce; every protocol's binding
# contributes client operations; and a report's size stays bounded on a long run.
# usage: report_test.sh FAULTLINE SOURCE_DIR
set -u
faultline=$(realpath "${1:?usage: report_test.sh FAULTLINE SOURCE_DIR}")
cd "${2:?}" || exit 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }
has_plot() { grep -q "data-plot=\"$2\"" "$1" || fail "$1 has no plot $2"; }

raft=scenarios/raft/three_node_leader_crash.yaml
"$faultline" run "$raft" --report "$work/run.html" >/dev/null || fail "run --report exits non-zero"
for plot in timeline latency throughput in-flight panel-term panel-commit-index; do
  has_plot "$work/run.html" "$plot"
done
grep -q '<main id="report" data-kind="run">' "$work/run.html" || fail "the run report's kind"
[ "$(grep -c '<circle' "$work/run.html")" -gt 100 ] || fail "the latency plot has few points"
grep -Eiq '(src|href)="(https?:)?//' "$work/run.html" && fail "the run report links outside"
# The same command twice (the command line is in the report: same words, other folders).
mkdir "$work/a" "$work/b"
(cd "$work/a" && "$faultline" run "$OLDPWD/$raft" --report r.html >/dev/null)
(cd "$work/b" && "$faultline" run "$OLDPWD/$raft" --report r.html >/dev/null)
cmp -s "$work/a/r.html" "$work/b/r.html" && ok "one command twice: the same bytes" ||
  fail "two runs of one command wrote different reports"

"$faultline" run "$raft" --seeds 40 --jobs 2 --report "$work/sweep.html" >/dev/null
"$faultline" run "$raft" --seeds 40 --jobs 1 --report "$work/sweep1.html" >/dev/null
without_command() { grep -v 'class="meta">written by' "$1"; }
cmp -s <(without_command "$work/sweep.html") <(without_command "$work/sweep1.html") && ok "a sweep's report does not depend on --jobs" ||
  fail "--jobs 1 and --jobs 2 wrote different sweep reports"
for plot in metric-cdf-failover metric-cdf-election metric-percentiles-commit_latency; do
  has_plot "$work/sweep.html" "$plot"
done
grep -q '<table id="checks">' "$work/sweep.html" || fail "the sweep has no checks table"
grep -q 'failover</b>: 40 samples from 40 seeds' "$work/sweep.html" ||
  fail "the failover caption does not count 40 samples from 40 seeds"

# A sweep with failures: the bug switch fails some seeds; each listed repro reproduces.
buggy=(--set bug=commit_on_majority)
"$faultline" run scenarios/two_phase_commit/participant_votes_no.yaml "${buggy[@]}" --seeds 20 \
  --report "$work/failing.html" >/dev/null
repro=$(grep -o '<code class="repro">[^<]*</code>' "$work/failing.html" | head -1 |
  sed -e 's/<[^>]*>//g' -e 's/&apos;/'"'"'/g' -e 's/&quot;/"/g')
if [ -z "$repro" ]; then
  fail "the failing sweep lists no repro command"
else
  repro=${repro/#faultline /}
  eval "\"$faultline\" $repro" >/dev/null
  [ $? -eq 2 ] && ok "the first listed repro command fails again (exit 2)" ||
    fail "the listed repro did not reproduce the failure: $repro"
fi
grep -q '<table id="failing">' "$work/failing.html" || fail "no failing-seeds table"

# fuzz --report: seeds finish in any order across workers; the report must not care.
profile=scenarios/raft/swarm.yaml
"$faultline" fuzz "$profile" --bug vote_without_log_check --seeds 60 --no-shrink --jobs 2 \
  --report "$work/fuzz2.html" >/dev/null 2>&1
"$faultline" fuzz "$profile" --bug vote_without_log_check --seeds 60 --no-shrink --jobs 1 \
  --report "$work/fuzz1.html" >/dev/null 2>&1
[ -s "$work/fuzz1.html" ] && [ -s "$work/fuzz2.html" ] &&
  cmp -s <(without_command "$work/fuzz1.html") <(without_command "$work/fuzz2.html") &&
  ok "fuzz --report does not depend on --jobs" || fail "fuzz --jobs 1 and 2 wrote different reports"
grep -q '<table id="failing">' "$work/fuzz2.html" && grep -q 'fuzz .*--emit' "$work/fuzz2.html" &&
  ok "fuzz --report lists failing seeds with their repro" ||
  fail "fuzz --report has no failing seed with a fuzz repro command"

# `faultline report`: report.html by default, -o elsewhere.
(cd "$work" && "$faultline" report "$OLDPWD/$raft" >/dev/null) || fail "faultline report failed"
[ -s "$work/report.html" ] || fail "faultline report wrote no report.html"
"$faultline" run "$raft" --report /nonexistent/dir/r.html >/dev/null 2>"$work/err"
[ $? -eq 1 ] && grep -q "/nonexistent/dir/r.html" "$work/err" && ok "an unwritable report: exit 1" ||
  fail "an unwritable --report path is not a usage error naming it"

# Every protocol's binding gives the report client operations.
for scenario in scenarios/two_phase_commit/canary_rollout.yaml \
  scenarios/write_concern/seven_nodes_loss_and_duplication.yaml \
  scenarios/quorum_kv/leader_crash_restart.yaml \
  scenarios/overlay/team_leader_crash.yaml; do
  [ -f "$scenario" ] || { fail "no scenario $scenario"; continue; }
  "$faultline" run "$scenario" --report "$work/p.html" >/dev/null
  grep -q 'reports no client operations' "$work/p.html" && fail "$scenario: no client operations"
  grep -q 'data-plot="panel-' "$work/p.html" ||
    fail "$scenario: no protocol panel"
done

# Size: the longest bundled run stays small (the drawing is capped per pixel, not per event).
"$faultline" run scenarios/raft/slow_follower.yaml --report "$work/long.html" >/dev/null
size=$(stat -c %s "$work/long.html")
[ "$size" -lt 3000000 ] && ok "slow_follower's report: $size bytes" ||
  fail "slow_follower's report is $size bytes (over 3 MB)"

[ "$failures" -eq 0 ] && echo "report: all checks passed" || echo "report: $failures failed"
[ "$failures" -eq 0 ]
