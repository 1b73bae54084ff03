#!/usr/bin/env bash
# Finding every known bug from the swarm profile alone: for each bug switch of each protocol
# (tests/protocols/<protocol>/bug_switches.txt, simulator rows), fuzz scenarios/<protocol>/
# swarm.yaml with that switch on until the first failure or --time runs out, once with swarm
# selection (each seed a random subset of fault and operation kinds) and once with --no-swarm
# (every kind in every seed), and print a Markdown table: the first failing seed (a property of
# the profile, the same on every machine), the seeds run by the time it was found (the other job
# finishes the seed it started) and wall seconds to it (this machine).
#
# Usage: tests/fuzz/bug_table.sh FAULTLINE [--time 60s] [--jobs 2]   (from the source directory)
# Exit 0 when every switch was found with swarm selection, 1 otherwise.
set -u
faultline=${1:?usage: bug_table.sh FAULTLINE [--time 60s] [--jobs 2]}
shift
time=60s
jobs=2
while [ $# -gt 0 ]; do
  case $1 in
    --time) time=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    *) echo "bug_table.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# one PROFILE BUG [--no-swarm]: "seed | seeds | seconds" of the first failure, or "not found".
one() {
  "$faultline" fuzz "$1" --bug "$2" ${3:-} --time "$time" --seeds 10000000 --jobs "$jobs" \
    --stop-on-failure --no-shrink >"$work/out.txt" 2>"$work/err.txt"
  local code=$? seed seconds
  seed=$(sed -n 's/^fuzz: first failure at seed \([0-9]*\), found after \([0-9.]*\)s$/\1/p' "$work/err.txt")
  seconds=$(sed -n 's/^fuzz: first failure at seed \([0-9]*\), found after \([0-9.]*\)s$/\2/p' "$work/err.txt")
  if [ "$code" -eq 1 ] || [ -z "$seed" ]; then
    local ran
    ran=$(sed -n 's/^fuzz: \([0-9,]*\) seeds* in .*/\1/p' "$work/err.txt")
    echo "not found | ${ran:-?} | $time | "
    return 1
  fi
  local check ran
  check=$(sed -n 's/^  \[1\] [0-9,]* seeds*, \([a-z]*\): \([a-z_]*\).*/\1 \2/p' "$work/out.txt")
  ran=$(sed -n 's/^fuzz: \([0-9,]*\) seeds* in .*/\1/p' "$work/err.txt")
  echo "$seed | $ran | $seconds | $check"
}

status=0
echo "| protocol | bug switch | swarm: first failing seed | seeds run | seconds | check | no swarm: first failing seed | seeds run | seconds | check |"
echo "|---|---|---:|---:|---:|---|---:|---:|---:|---|"
for table in tests/protocols/*/bug_switches.txt; do
  protocol=$(basename "$(dirname "$table")")
  profile=scenarios/$protocol/swarm.yaml
  [ -f "$profile" ] || continue
  for bug in $(awk '$1 == "simulator" { print $2 }' "$table" | sort -u); do
    echo "bug_table: $protocol $bug" >&2
    swarm=$(one "$profile" "$bug") || status=1
    all=$(one "$profile" "$bug" --no-swarm)
    echo "| $protocol | \`$bug\` | $swarm | $all |"
  done
done
exit $status
