#!/usr/bin/env bash
# The style checker's self-test: on a scratch tree it must catch a 71-line function, a
# 101-column line, a stale allowlist entry, an allowlist longer (or shorter) than its
# max-entries line and an entry without a reason, and pass a 70-line function and a 100-column
# line of multi-byte characters (more than 100 bytes). Usage: style_check_selftest.sh STYLE_CHECK
set -u
checker=${1:?usage: style_check_selftest.sh STYLE_CHECK}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

# function NAME LINES: a definition whose body spans LINES lines, brace to brace.
function_of() {
  echo "int $1() {"
  for ((i = 0; i < $2 - 2; ++i)); do echo "  x += $i;"; done
  echo "}"
}
# expect CODE TEXT ARGS...: the checker exits CODE and prints TEXT (a fixed string).
expect() {
  local code=$1 text=$2
  shift 2
  local out
  out=$("$checker" "$@" 2>&1)
  local got=$?
  if [ "$got" -ne "$code" ] || ! grep -qF -- "$text" <<<"$out"; then
    echo "FAIL: style_check $* exited $got (want $code) without '$text':"
    echo "$out" | sed 's/^/    /'
    failures=$((failures + 1))
  fi
}
allow() { printf '%s\n' "$@" >"$tmp/allow.txt"; }

mkdir -p "$tmp/tree/sim" "$tmp/tree/tests/build-x" "$tmp/tree/tools"
eacute=$(printf '\303\251')
long_utf8="// $(for ((i = 0; i < 97; ++i)); do printf '%s' "$eacute"; done)"
[ "${#long_utf8}" -eq 100 ] || echo "FAIL: the multi-byte line should be 100 characters"
[ "$(printf '%s' "$long_utf8" | wc -c)" -gt 100 ] || echo "FAIL: it should be more than 100 bytes"
{ function_of just_fits 70; echo "$long_utf8"; } >"$tmp/tree/sim/ok.cc"
function_of ignored_in_build_dir 200 >"$tmp/tree/tests/build-x/gen.cc"

allow 'max-entries: 0'
expect 0 "longest function sim/ok.cc:1 just_fits (70 lines)" --allowlist "$tmp/allow.txt" "$tmp/tree"

# A 71-line function and a 101-column line.
function_of too_long 71 >"$tmp/tree/sim/long.cc"
printf '// %s\n' "$(printf 'x%.0s' {1..98})" >"$tmp/tree/tools/wide.h"
expect 1 "sim/long.cc:1: function too_long is 71 lines (limit 70)" --allowlist "$tmp/allow.txt" "$tmp/tree"
expect 1 "tools/wide.h:1: line is 101 columns (limit 100)" --allowlist "$tmp/allow.txt" "$tmp/tree"

# Both allowlisted: clean.
allow 'max-entries: 2' 'sim/long.cc too_long  # test' 'tools/wide.h:// xxxx  # test'
expect 0 "2 allowlisted violations (2 entries)" --allowlist "$tmp/allow.txt" "$tmp/tree"

# A stale entry: its function is no longer long.
allow 'max-entries: 3' 'sim/long.cc too_long  # test' 'tools/wide.h:// xxxx  # test' \
  'sim/ok.cc just_fits  # fixed since'
expect 1 "stale entry, no violation matches it (remove it): sim/ok.cc just_fits" \
  --allowlist "$tmp/allow.txt" "$tmp/tree"

# More entries than max-entries, every one matching; and fewer.
{
  echo 'TEST_CASE("a test", "[tag]") {'
  for ((i = 0; i < 70; ++i)); do echo "  CHECK($i);"; done
  echo "}"
} >"$tmp/tree/sim/case.cc"
allow 'max-entries: 2' 'sim/long.cc too_long  # test' 'tools/wide.h:// xxxx  # test' \
  'sim/case.cc TEST_CASE("a test")  # test'
expect 1 "3 entries but max-entries: 2 (the allowlist may only shrink" \
  --allowlist "$tmp/allow.txt" "$tmp/tree"
allow 'max-entries: 4' 'sim/long.cc too_long  # test' 'tools/wide.h:// xxxx  # test' \
  'sim/case.cc TEST_CASE("a test")  # test'
expect 1 "3 entries but max-entries: 4 (lower max-entries" --allowlist "$tmp/allow.txt" "$tmp/tree"

# An entry without a reason.
allow 'max-entries: 3' 'sim/long.cc too_long' 'tools/wide.h:// xxxx  # test' \
  'sim/case.cc TEST_CASE("a test")  # test'
expect 1 "entry without a reason" --allowlist "$tmp/allow.txt" "$tmp/tree"

# Usage and I/O errors.
expect 2 "usage:"
expect 2 "not a directory" --allowlist "$tmp/allow.txt" "$tmp/no-such-tree"
expect 2 "cannot read the allowlist" --allowlist "$tmp/no-such-file" "$tmp/tree"
allow '# no max-entries line' 'sim/long.cc too_long  # test'
expect 2 "max-entries: N" --allowlist "$tmp/allow.txt" "$tmp/tree"

if [ "$failures" -ne 0 ]; then
  echo "style_check self-test: $failures failures"
  exit 1
fi
echo "style_check self-test: every case caught, the 70-line function and 100-column line pass"
