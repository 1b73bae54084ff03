#!/usr/bin/env bash
# One profile of the fuzz stage: `faultline fuzz PROFILE --seeds N --jobs 2 --check-determinism`
# with the bug switch off (a profile may name one; --bug none overrides it). Any failure fails
# the test, and the summary it prints gives each signature's first seed, its shrunk capsule and
# the one-line repro command; the capsules and a JUnit file stay in OUT_DIR for CI to upload.
set -u
faultline=${1:?usage: profile_test.sh FAULTLINE SOURCE_DIR PROFILE SEEDS OUT_DIR}
cd "${2:?}" || exit 2
profile=${3:?}
seeds=${4:?}
out=${5:?}
rm -rf "$out" && mkdir -p "$out"
"$faultline" fuzz "$profile" --seeds "$seeds" --jobs 2 --bug none --check-determinism \
  --capsules "$out/capsules" --junit "$out/junit.xml" >"$out/summary.txt" 2>"$out/progress.txt"
status=$?
cat "$out/summary.txt"
tail -n 1 "$out/progress.txt"
if [ "$status" -ne 0 ]; then
  echo "FAIL: $profile: fuzz exited $status; each signature's capsule repro command is above"
  echo "      (capsules in $out/capsules)"
  exit 1
fi
grep -q '^determinism  every seed ran twice and compared$' "$out/summary.txt" || {
  echo "FAIL: the summary does not say determinism was checked"; exit 1; }
echo "ok: $profile: $seeds seeds passed, each run twice with the same fingerprint"
