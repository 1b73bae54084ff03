#!/usr/bin/env bash
# Pins what every bundled scenario does: for seeds 1..20 of every file under scenarios/<protocol>/
# (swarm profiles aside, which are not scenarios), the run fingerprint (a hash of every event the
# simulator processed) and the outcome must equal the lines in
# tests/protocols/<protocol>/fingerprints.txt. A refactoring that changes no behaviour leaves them
# all equal; a change that means to alter behaviour (or a new scenario) regenerates the files for
# review with --rewrite:
#   tests/scenarios/fingerprints_test.sh build/tools/faultline/faultline . --rewrite
set -u
faultline=${1:?usage: fingerprints_test.sh FAULTLINE SOURCE_DIR [--rewrite]}
cd "${2:?}" || exit 2
seeds=20
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

one_line() {  # one_line FILE SEED: "FILE SEED FINGERPRINT STATUS"
  local json
  json=$("$faultline" run "$1" --seed "$2" --json 2>/dev/null)
  echo "$1 $2 $(jq -r '.fingerprint + " " + .status' <<<"$json")"
}
export -f one_line
export faultline

status=0
runs=0
for dir in scenarios/*/; do
  protocol=$(basename "$dir")
  golden=tests/protocols/$protocol/fingerprints.txt
  find "$dir" -name '*.yaml' ! -name swarm.yaml ! -name '*.swarm.yaml' | LC_ALL=C sort | while read -r file; do
    for seed in $(seq 1 "$seeds"); do echo "$file $seed"; done
  done | xargs -P "$(nproc)" -n 2 bash -c 'one_line "$0" "$1"' | LC_ALL=C sort -k1,1 -k2,2n \
    >"$work/$protocol.txt"
  runs=$((runs + $(wc -l <"$work/$protocol.txt")))
  if [ "${3:-}" = --rewrite ]; then
    mkdir -p "$(dirname "$golden")"
    cp "$work/$protocol.txt" "$golden"
    echo "fingerprints: wrote $(wc -l <"$golden") lines to $golden"
  elif ! diff -u "$golden" "$work/$protocol.txt" >"$work/diff.txt"; then
    echo "fingerprints: runs differ from $golden (- pinned, + now):"
    cat "$work/diff.txt"
    status=1
  fi
done
[ "${3:-}" = --rewrite ] && exit 0
[ "$status" -eq 0 ] && echo "fingerprints: $runs runs (every scenario, seeds 1..$seeds) match"
exit "$status"
