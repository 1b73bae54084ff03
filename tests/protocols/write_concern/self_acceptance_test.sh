#!/usr/bin/env bash
# The seed's self-acceptance test, each expected outcome asserted: runs
# scenarios/write_concern/self_acceptance.yaml with a trace and compares its outputs, crashes and
# restarts (time, node, text) with self_acceptance.expected, where a comment above each line says
# which step of the seed's test it is.
set -euo pipefail
faultline=${1:?usage: self_acceptance_test.sh FAULTLINE SOURCE_DIR}
cd "${2:?}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$faultline" run scenarios/write_concern/self_acceptance.yaml --trace "$work/trace.jsonl" >/dev/null
jq -r 'select(.kind == "output" or .kind == "crash" or .kind == "restart")
       | .time + " " + .node + " " + .text' "$work/trace.jsonl" >"$work/actual.txt"
grep -v '^#' tests/protocols/write_concern/self_acceptance.expected >"$work/expected.txt"
if ! diff -u "$work/expected.txt" "$work/actual.txt"; then
  echo "self_acceptance: the run differs from the seed's test (- expected, + actual)"
  exit 1
fi
echo "self_acceptance: $(wc -l <"$work/expected.txt") expected outcomes, in order"
