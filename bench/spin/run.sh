#!/usr/bin/env bash
# Builds the SPIN verifier for bench/spin/two_phase_commit.pml with gcc and prints SPIN's states
# per second on it (exhaustive safety search, no partial-order reduction: one process has none to
# offer). Called by `faultline bench check`; also runs on its own:
#   bench/spin/run.sh [PARTICIPANTS] [ROUNDS]
# The last two lines are machine-readable: spin_seconds_per_run=<s>, spin_states_per_second=<rate>
# (SPIN's own "states, stored" count over the time of its fastest run, as faultline reports its
# best of three: on a shared machine the mean measures the neighbours).
set -euo pipefail
participants=${1:-2}
rounds=${2:-20}
here=$(cd "$(dirname "$0")" && pwd)
command -v spin > /dev/null || { echo "spin: not installed (apt-get install spin)"; exit 1; }
command -v gcc > /dev/null || { echo "spin: gcc not installed"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
spin -DNP="$participants" -a "$here/two_phase_commit.pml" > /dev/null
gcc -O2 -DSAFETY -DNOFAIR -DNOREDUCE -o pan pan.c
./pan -m100000 -w20 > first.txt 2>&1
grep -q "errors: 0" first.txt || { cat first.txt; echo "spin: the model has errors"; exit 1; }
stored=$(awk '/states, stored/ {print $1}' first.txt)
best_ns=0
total_ns=0
for _ in $(seq "$rounds"); do
  start=$(date +%s%N)
  ./pan -m100000 -w20 > /dev/null 2>&1
  end=$(date +%s%N)
  elapsed_ns=$((end - start))
  total_ns=$((total_ns + elapsed_ns))
  if [ "$best_ns" -eq 0 ] || [ "$elapsed_ns" -lt "$best_ns" ]; then best_ns=$elapsed_ns; fi
done
rate=$(awk -v s="$stored" -v ns="$best_ns" 'BEGIN { printf "%.0f", s / (ns / 1e9) }')
seconds=$(awk -v ns="$best_ns" 'BEGIN { printf "%.4f", ns / 1e9 }')
mean=$(awk -v ns="$total_ns" -v r="$rounds" 'BEGIN { printf "%.4f", ns / 1e9 / r }')
echo "spin       2PC $participants participants (pan -DSAFETY, best of $rounds runs)  $stored states stored, $seconds s (mean $mean s; process start included)"
echo "spin_seconds_per_run=$seconds"
echo "spin_states_per_second=$rate"
