#!/usr/bin/env bash
# Every mutant still applies to the tree, so the mutation score (run.sh) measures today's code:
# a refactoring that moves the mutated lines must move the mutant too.
# Usage: apply_test.sh SOURCE_DIR
set -u
root=${1:?usage: apply_test.sh SOURCE_DIR}
failed=0
count=0
for patch in "$root"/tests/mutants/*/*.patch; do
  count=$((count + 1))
  if ! git -C "$root" apply --check "$patch" 2>/dev/null; then
    echo "FAIL: $patch no longer applies: regenerate it against the moved code"
    failed=$((failed + 1))
  fi
done
echo "mutants: $count patches, $failed stale"
[ "$count" -ge 16 ] && [ "$failed" -eq 0 ]
