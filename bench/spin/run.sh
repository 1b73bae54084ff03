#!/usr/bin/env bash
# Builds the SPIN verifier for bench/spin/two_phase_commit.pml with gcc and prints SPIN's states
# per second on it (exhaustive safety search). Called by `faultline bench check` and
# `faultline bench 2pc-check-large`; also runs on its own:
#   bench/spin/run.sh [PARTICIPANTS] [ROUNDS] [REDUCTION]
# REDUCTION: `none` (default: -DNOREDUCE) or `por` (SPIN's partial-order reduction, its default;
# the model is one process, so it has little to reduce). The last lines are machine-readable:
# spin_seconds_per_run=<s>, spin_states_per_second=<rate> (SPIN's own "states, stored" count over
# the time of its fastest run, as faultline reports its best of three: on a shared machine the
# mean measures the neighbours), spin_states_stored=<n> and spin_bytes_per_state=<b> (SPIN's
# "actual memory usage for states" plus its hash table, over the states stored).
set -euo pipefail
participants=${1:-2}
rounds=${2:-20}
reduction=${3:-none}
case "$reduction" in
  none) reduce_flag=-DNOREDUCE ;;
  por) reduce_flag= ;;
  *) echo "spin: REDUCTION must be none or por, not '$reduction'"; exit 1 ;;
esac
# The hash table: 2^20 slots for 2 participants (65 k states), 2^26 for 3 (16 M states).
if [ "$participants" -ge 3 ]; then hash_bits=26; else hash_bits=20; fi
here=$(cd "$(dirname "$0")" && pwd)
command -v spin > /dev/null || { echo "spin: not installed (apt-get install spin)"; exit 1; }
command -v gcc > /dev/null || { echo "spin: gcc not installed"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
spin -DNP="$participants" -a "$here/two_phase_commit.pml" > /dev/null
gcc -O2 -DSAFETY -DNOFAIR $reduce_flag -DMEMLIM=16384 -o pan pan.c
./pan -m100000 -w$hash_bits > first.txt 2>&1
grep -q "errors: 0" first.txt || { cat first.txt; echo "spin: the model has errors"; exit 1; }
stored=$(awk '/states, stored/ {print $1}' first.txt)
state_mb=$(awk '/actual memory usage for states/ {print $1}' first.txt)
hash_mb=$(awk '/memory used for hash table/ {print $1}' first.txt)
best_ns=0
total_ns=0
for _ in $(seq "$rounds"); do
  start=$(date +%s%N)
  ./pan -m100000 -w$hash_bits > /dev/null 2>&1
  end=$(date +%s%N)
  elapsed_ns=$((end - start))
  total_ns=$((total_ns + elapsed_ns))
  if [ "$best_ns" -eq 0 ] || [ "$elapsed_ns" -lt "$best_ns" ]; then best_ns=$elapsed_ns; fi
done
rate=$(awk -v s="$stored" -v ns="$best_ns" 'BEGIN { printf "%.0f", s / (ns / 1e9) }')
seconds=$(awk -v ns="$best_ns" 'BEGIN { printf "%.4f", ns / 1e9 }')
mean=$(awk -v ns="$total_ns" -v r="$rounds" 'BEGIN { printf "%.4f", ns / 1e9 / r }')
bytes=$(awk -v s="$stored" -v a="$state_mb" -v h="$hash_mb" \
  'BEGIN { printf "%.1f", (a + h) * 1048576 / s }')
echo "spin       2PC $participants participants (pan -DSAFETY, reduction $reduction, best of $rounds runs)  $stored states stored, $seconds s (mean $mean s; process start included), $bytes bytes a state"
echo "spin_seconds_per_run=$seconds"
echo "spin_states_per_second=$rate"
echo "spin_states_stored=$stored"
echo "spin_bytes_per_state=$bytes"
