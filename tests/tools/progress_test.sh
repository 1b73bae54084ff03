#!/usr/bin/env bash
# `run --seeds N` shows one updating progress line on a terminal and nothing extra otherwise:
# under `script` (a pseudo-terminal) the output carries the line ("seeds N/N ... failed ...
# left", redrawn with carriage returns, erased at the end); through a pipe stderr stays empty
# and stdout is the usual summary.
# usage: progress_test.sh FAULTLINE SOURCE_DIR
set -u
faultline=$(realpath "${1:?usage: progress_test.sh FAULTLINE SOURCE_DIR}")
cd "${2:?}" || exit 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
scenario=scenarios/ping/lossy_ring.yaml

"$faultline" run "$scenario" --seeds 30 --jobs 1 >"$work/out" 2>"$work/err"
[ -s "$work/err" ] && fail "not a terminal: stderr was not empty: $(head -c 200 "$work/err")"
grep -q $'\r' "$work/out" && fail "not a terminal: stdout carries a carriage return"
grep -q "30 passed" "$work/out" || fail "not a terminal: no summary on stdout"

if ! command -v script >/dev/null; then
  echo "SKIP: no 'script' to make a pseudo-terminal (util-linux)"; exit 77
fi
script -qec "$faultline run $scenario --seeds 30 --jobs 1" /dev/null >"$work/tty" 2>&1
grep -q "seeds 30/30" "$work/tty" || fail "terminal: no final progress line"
grep -Eq "seeds [0-9]+/30  [0-9]+/s  0 failed  [0-9]+s left" "$work/tty" ||
  fail "terminal: the line does not read 'seeds D/N  R/s  F failed  Ts left'"
grep -q $'\r' "$work/tty" || fail "terminal: the line is not redrawn in place"
grep -q "30 passed" "$work/tty" || fail "terminal: no summary after the line"

[ "$failures" -eq 0 ] && echo "progress line: shown on a terminal, absent through a pipe"
exit $((failures > 0))
