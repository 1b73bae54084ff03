#!/usr/bin/env bash
# The bug-switch runner (bug_switches_test.sh) must fail when a row is wrong: a "bug" nothing
# catches, a check that is not the one that fails, a wrong counterexample length.
set -u
runner=$(dirname "$0")/bug_switches_test.sh
faultline=${1:?usage: bug_switches_selftest.sh FAULTLINE SOURCE_DIR}
source_dir=${2:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
expect_failure() {  # expect_failure DRIVER ROW
  echo "$2" >"$work/table.txt"
  if "$runner" "$faultline" "$source_dir" ping "$1" "$work/table.txt" >"$work/out.txt" 2>&1; then
    echo "FAIL: the runner passed a wrong row: $2"; failures=$((failures + 1))
  else
    echo "ok: fails on: $2 ($(grep -m1 FAIL "$work/out.txt"))"
  fi
}
expect_failure simulator "simulator none crash_restart 2 2 count_durable"
expect_failure simulator "simulator forget_on_restart crash_restart 1 2 counts_monotone"
expect_failure simulator "simulator forget_on_restart crash_restart 1 2 count_durable,+counts_monotone"
expect_failure model_checker "model_checker forget_on_restart count_durable 5 --nodes 3 --set hops_max=3 --set model.reports=1 --crashes-max 1"
expect_failure model_checker "model_checker forget_on_restart counts_monotone 4 --nodes 3 --set hops_max=3 --set model.reports=1 --crashes-max 1"
expect_failure model_checker "model_checker none count_durable 4 --nodes 3 --set hops_max=3 --set model.reports=1 --crashes-max 1"
[ "$failures" -eq 0 ] && echo "bug-switch runner: fails on every wrong row" && exit 0
exit 1
