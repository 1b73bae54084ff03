#!/usr/bin/env bash
# Reproduces the leader-election experiment of the Raft paper (Ongaro & Ousterhout, "In Search of
# an Understandable Consensus Algorithm", USENIX ATC 2014, section 9.3, Figure 16): every line of
# this folder with the paper's trial count (100 for 150-150ms, 1000 for the others), through
# `faultline run FILE --seeds N --jobs J --json`, then one table of the time to elect a new leader
# beside what the paper reports, and the wall time. README.md in this folder explains the setup
# and the differences.
#
# usage: run.sh [--faultline PATH] [--jobs J] [--trials N] [--latency MODEL]
#   --faultline PATH  the binary (default: build/tools/faultline/faultline in the repository if
#                     it exists, else faultline on the PATH)
#   --jobs J          simulations at a time (default 2)
#   --trials N        N trials for every line instead of the paper's counts
#   --latency MODEL   run copies of the files with another one-way latency, for example
#                     '{ uniform: [2ms, 4ms] }' (a sensitivity check; the files keep 5-9ms)
# Needs jq. Exits 1 if a trial breaks a safety check or a run cannot start.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
faultline="$root/build/tools/faultline/faultline"
[ -x "$faultline" ] || faultline="$(command -v faultline || echo "$faultline")"
jobs=2
trials=""
latency=""
while [ $# -gt 0 ]; do
  case "$1" in
    --faultline) faultline="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --trials) trials="$2"; shift 2 ;;
    --latency) latency="$2"; shift 2 ;;
    -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (see --help)" >&2; exit 1 ;;
  esac
done
command -v jq >/dev/null || { echo "run.sh: needs jq (apt-get install jq)" >&2; exit 1; }
[ -x "$faultline" ] || { echo "run.sh: no faultline binary at $faultline (build it, or pass --faultline)" >&2; exit 1; }

dir="$here"
if [ -n "$latency" ]; then
  dir="$(mktemp -d)"
  trap 'rm -rf "$dir"' EXIT
  for f in "$here"/timeout_*.yaml; do
    sed "s|^  latency: .*|  latency: $latency|" "$f" >"$dir/$(basename "$f")"
  done
fi

# line, file, paper's trials, what the paper reports (its text; the other lines are only curves).
lines=(
  "150-150|timeout_150_150ms|100|no randomness: always > 10s (split votes)"
  "150-151|timeout_150_151ms|1000|curve only"
  "150-155|timeout_150_155ms|1000|median 287ms"
  "150-175|timeout_150_175ms|1000|curve only"
  "150-200|timeout_150_200ms|1000|max 513ms"
  "150-300|timeout_150_300ms|1000|curve only"
  "12-24|timeout_012_024ms|1000|mean 35ms, max 152ms"
  "25-50|timeout_025_050ms|1000|curve only"
  "50-100|timeout_050_100ms|1000|curve only"
  "100-200|timeout_100_200ms|1000|curve only"
)

# Nanoseconds as text: 12.3ms below 100ms, 123ms below 1s, then 1.23s.
ms() { awk -v ns="$1" 'BEGIN { m = ns / 1e6; if (m < 100) printf "%.1fms", m; else if (m < 1000) printf "%.0fms", m; else printf "%.2fs", m / 1000 }'; }

start=$(date +%s.%N)
status=0
printf '%-8s %6s %8s %9s %9s %9s %9s  %s\n' "timeout" "trials" "elected" "min" "median" "p99" "max" "paper (Figure 16, section 9.3)"
for entry in "${lines[@]}"; do
  IFS='|' read -r name file paper_trials paper <<<"$entry"
  n="${trials:-$paper_trials}"
  json="$("$faultline" run "$dir/$file.yaml" --seeds "$n" --jobs "$jobs" --json)" || true
  # One jq call per line, as jq is slow to start: the trials that broke a safety check (trials
  # fail only on safety or history checks; liveness is what is measured), the first one's repro,
  # and the election metric's count and percentiles.
  if ! summary="$(jq -r '[.failing[] | select(.status == "safety_violation")] as $bad
      | [($bad | length), ($bad[0].repro // "-"), (.metrics.election.count // 0),
         (.metrics.election.min_ns // 0), (.metrics.election.p50_ns // 0),
         (.metrics.election.p99_ns // 0), (.metrics.election.max_ns // 0)]
      | map(tostring) | join("|")' 2>/dev/null <<<"$json")"; then
    echo "run.sh: $file.yaml did not run" >&2
    exit 1
  fi
  IFS='|' read -r unsafe repro elected min p50 p99 max <<<"$summary"
  if [ "$unsafe" != 0 ]; then
    echo "run.sh: $file.yaml: $unsafe trials broke a safety check, first: $repro" >&2
    status=1
  fi
  if [ "$elected" = 0 ]; then
    printf '%-8s %6s %8s %9s %9s %9s %9s  %s\n' "$name" "$n" 0 - - - - "$paper"
    continue
  fi
  mark=""
  [ "$elected" -lt "$n" ] && mark="*"
  printf '%-8s %6s %8s %9s %9s %9s %9s  %s\n' "$name" "$n" "$elected$mark" "$(ms "$min")" "$(ms "$p50")" "$(ms "$p99")" "$(ms "$max")" "$paper"
done
end=$(date +%s.%N)
echo
shown_latency="$latency"
[ -n "$shown_latency" ] || shown_latency="$(sed -n 's/^  latency: //p' "$here/timeout_150_300ms.yaml") (as in the files)"
echo "elected: trials with a new leader within the bound after the crash (10s for 150-x, 2s for the"
echo "others); * the statistics are over those trials only. One-way latency: $shown_latency."
awk -v s="$start" -v e="$end" -v j="$jobs" 'BEGIN { printf "wall time %.1fs (--jobs %d)\n", e - s, j }'
exit "$status"
