#!/usr/bin/env bash
# The mutation score: applies each mutant (tests/mutants/<protocol>/*.patch) to a scratch copy
# of this checkout, builds faultline there, fuzzes it from the protocol's swarm profile, and
# reports whether the fuzzer caught it, with the check and the seeds and time it took.
#
# Usage: tests/mutants/run.sh [--time 60s] [--jobs 2] [--scratch DIR] [MUTANT.patch...]
#   With no patches, every mutant of every protocol. Prints a Markdown table on stdout (the one
#   in tests/mutants/README.md) and progress on stderr. Exit 0 when every mutant was caught,
#   1 when one escaped, 2 on a setup error (a patch that no longer applies, a failed build).
#
# A mutant whose patch header has a line `# Equivalent: <argument>` is fuzzed like the others but
# left out of the score: no check can catch a mutant that behaves as the correct program does,
# and the argument (with its evidence) is in its header and the README.
#
# One scratch copy serves every mutant: each is applied, built incrementally (only the mutated
# file recompiles) and reverted, so a run costs one full build plus a link and the fuzzing time
# per mutant. The copy is of the working tree (committed or not), never the checkout itself.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
fuzz_time=60s
jobs=2
scratch=${TMPDIR:-/tmp}/faultline-mutants
patches=()
while [ $# -gt 0 ]; do
  case $1 in
    --time) fuzz_time=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --scratch) scratch=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) patches+=("$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"); shift ;;
  esac
done
if [ ${#patches[@]} -eq 0 ]; then
  mapfile -t patches < <(ls "$root"/tests/mutants/*/*.patch)
fi

say() { echo "mutants: $*" >&2; }

# A scratch copy of the working tree (tracked and untracked, not ignored files), refreshed.
copy_tree() {
  mkdir -p "$scratch/src"
  (cd "$root" && git ls-files -z --cached --others --exclude-standard) |
    (cd "$root" && tar --null -T - -cf -) | tar -xf - -C "$scratch/src"
}

build() {
  cmake -S "$scratch/src" -B "$scratch/build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$scratch/build" --target faultline >"$scratch/build.log" 2>&1
}

# fuzz_one PATCH: prints one table row; returns 0 if caught.
fuzz_one() {
  local patch=$1 protocol name out code started elapsed signature seed shrunk found verdict
  protocol=$(basename "$(dirname "$patch")")
  name=$(basename "$patch" .patch)
  if ! (cd "$scratch/src" && git apply "$patch"); then
    say "$name: the patch no longer applies"
    return 2
  fi
  say "$name: building"
  if ! build; then
    say "$name: the mutant does not build (see $scratch/build.log)"
    (cd "$scratch/src" && git apply -R "$patch")
    return 2
  fi
  say "$name: fuzzing for $fuzz_time"
  out="$scratch/$name.txt"
  started=$SECONDS
  set +e
  (cd "$scratch/src" && "$scratch/build/tools/faultline/faultline" fuzz \
    "scenarios/$protocol/swarm.yaml" --time "$fuzz_time" --seeds 10000000 --jobs "$jobs" \
    --stop-on-failure --capsules "$scratch/capsules") >"$out" 2>"$out.err"
  code=$?
  set -e
  elapsed=$((SECONDS - started))
  (cd "$scratch/src" && git apply -R "$patch")
  # From the fuzz summary (tools/faultline/README.md, fuzz): the first signature's kind and
  # check, its first seed, and its capsule's sizes; from stderr the time to the first failure.
  signature=$(sed -n 's/^  \[1\] [0-9,]* seeds*, \([a-z]*: [a-z_]*\).*/\1/p' "$out" | head -1)
  seed=$(sed -n 's/^      first seed \([0-9]*\):.*/\1/p' "$out" | head -1)
  shrunk=$(sed -n 's/^      capsule: [^ ]* (\(.*\))$/\1/p' "$out" | head -1)
  found=$(sed -n 's/^fuzz: first failure at seed [0-9]*, found after \([0-9.]*s\)$/\1/p' "$out.err")
  case $code in
    0) verdict="escaped"; grep -q '^# Equivalent:' "$patch" && verdict="escaped (argued equivalent)"
       seed=$(sed -n 's/^fuzz: \([0-9,]*\) seeds* in .*/\1 seeds passed/p' "$out.err") ;;
    2|3) verdict="caught" ;;
    134) verdict="caught (assertion)"; signature=$(grep -m1 'assertion failed' "$out.err" | cut -c1-100) ;;
    *) verdict="error (exit $code)" ;;
  esac
  echo "| $protocol | $name | $verdict | ${signature:-} | ${seed:-} | ${found:-${elapsed}s} | ${shrunk:-} |"
  [ "${verdict%% *}" = caught ]
}

say "copying the tree to $scratch/src and building once"
copy_tree
(cd "$scratch/src" && git init -q . 2>/dev/null || true)  # git apply works in a plain tree too
build || { say "the unmutated tree does not build (see $scratch/build.log)"; exit 2; }
echo "| protocol | mutant | verdict | first signature | first failing seed | time to it | capsule |"
echo "|---|---|---|---|---:|---:|---|"
caught=0
total=0
equivalent=0
status=0
for patch in "${patches[@]}"; do
  if grep -q '^# Equivalent:' "$patch"; then
    equivalent=$((equivalent + 1))
    fuzz_one "$patch" || { [ $? -eq 2 ] && status=2; }
    continue
  fi
  total=$((total + 1))
  if fuzz_one "$patch"; then
    caught=$((caught + 1))
  else
    rc=$?
    [ $rc -eq 2 ] && status=2
    [ $status -eq 0 ] && status=1
  fi
done
echo
if [ "$total" -gt 0 ]; then
  echo "caught $caught of $total mutants ($((100 * caught / total))%), not counting $equivalent argued equivalent"
else
  echo "no mutant to score ($equivalent argued equivalent)"
fi
exit $status
