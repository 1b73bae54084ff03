#!/usr/bin/env bash
# Schedule shrinking against the model checker's shortest counterexample. For each capsule in
# tests/fuzz/schedule/ (a failing swarm or scenario run, one per bug switch), it runs
# `faultline shrink CAPSULE --seed N --schedule OUT.json`, checks that `faultline replay
# OUT.json` reproduces the violation, runs `faultline check CAPSULE` with the arguments of the
# table to get the explorer's counterexample for the same config and node count, and requires
# the shrunk schedule to be at most 1.5 times as long. Both lengths are pinned: they are
# deterministic, so a change that moves either is seen here and the README's table is updated.
#
# Usage: tests/fuzz/schedule_ratio.sh FAULTLINE SOURCE_DIR WORK_DIR
set -u
faultline=${1:?usage: schedule_ratio.sh FAULTLINE SOURCE_DIR WORK_DIR}
source_dir=${2:?source directory}
work=${3:?work directory}
rm -rf "$work" && mkdir -p "$work" || exit 2
capsules=$source_dir/tests/fuzz/schedule

# capsule stem | seed | shrunk steps | explorer steps | explorer arguments
table='
raft_vote_without_log_check|8|8|8|--crashes-max 1 --depth-max 12
raft_accept_stale_append_entries|34|7|7|--crashes-max 0 --depth-max 10
raft_forget_vote_on_restart|1935|12|12|--crashes-max 1 --depth-max 12
raft_commit_previous_term_by_count|1629|23|18|--strategy guided --set model.requests=0 --timers-max 4 --states-max 5000000
raft_read_without_quorum|3|15|11|--set model.requests=1 --set model.reads=1 --timers-max 3 --depth-max 12
two_phase_commit_commit_on_majority|1|5|5|
two_phase_commit_forget_vote_on_restart|2|5|5|--crashes-max 1
'

failures=0
fail() {
  echo "FAIL $1: $2"
  failures=$((failures + 1))
}

# one STEM SEED SHRUNK EXPLORER ARGS...
one() {
  local stem=$1 seed=$2 want_shrunk=$3 want_explorer=$4
  shift 4
  local capsule=$capsules/$stem.seed$seed.capsule.yaml out=$work/$stem
  "$faultline" shrink "$capsule" --seed "$seed" --out "$out.capsule.yaml" \
    --schedule "$out.schedule.json" >"$out.shrink.txt" 2>&1
  local shrunk
  shrunk=$(sed -n 's/^schedule *[0-9]* steps -> \([0-9]*\) .*/\1/p' "$out.shrink.txt")
  [ -n "$shrunk" ] || { fail "$stem" "no schedule line: $(tail -3 "$out.shrink.txt")"; return; }
  "$faultline" replay "$out.schedule.json" >"$out.replay.txt" 2>&1
  grep -q "result: reproduced" "$out.replay.txt" ||
    fail "$stem" "the shrunk schedule does not reproduce: $(tail -3 "$out.replay.txt")"
  "$faultline" check "$capsule" "$@" --out "$out.explorer.json" >"$out.check.txt" 2>&1
  local explorer
  explorer=$(sed -n 's/^counterexample: .* violated after \([0-9]*\) steps .*/\1/p' "$out.check.txt")
  [ -n "$explorer" ] || { fail "$stem" "the explorer found nothing: $(tail -3 "$out.check.txt")"; return; }
  echo "$stem seed $seed: shrunk $shrunk steps, explorer $explorer (faultline check ... $*)"
  [ "$shrunk" = "$want_shrunk" ] || fail "$stem" "shrunk to $shrunk steps, pinned $want_shrunk"
  [ "$explorer" = "$want_explorer" ] || fail "$stem" "explorer $explorer steps, pinned $want_explorer"
  [ $((2 * shrunk)) -le $((3 * explorer)) ] ||
    fail "$stem" "ratio $shrunk/$explorer is above 1.5"
}

while IFS='|' read -r stem seed shrunk explorer args; do
  [ -n "$stem" ] || continue
  # shellcheck disable=SC2086  # the arguments are words
  one "$stem" "$seed" "$shrunk" "$explorer" $args
done <<<"$table"

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s); outputs in $work"
  exit 1
fi
echo "every shrunk schedule reproduces, within 1.5x of the explorer's"
