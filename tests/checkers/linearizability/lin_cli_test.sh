#!/usr/bin/env bash
# `faultline lin` on hostile or odd inputs, one CTest test per case (CMakeLists.txt lists them):
# each case writes its input, runs `lin` and checks the exit code and the message.
#   usage: lin_cli_test.sh FAULTLINE SOURCE_DIR CASE
set -u
faultline=${1:?usage: lin_cli_test.sh FAULTLINE SOURCE_DIR CASE}
cd "${2:?}" || exit 2
case_name=${3:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source tests/support/cli_checks.sh  # the source directory is the working directory
bom=$'\xef\xbb\xbf'

# lin EXPECTED_EXIT PATTERN ARGS...: runs `faultline lin ARGS`, checks the exit code and that
# stdout + stderr has a line matching PATTERN.
lin() {
  local expected=$1 pattern=$2
  shift 2
  "$faultline" lin "$@" >"$work/out.txt" 2>&1
  check "$case_name: exit $expected" "$expected" $?
  contains "$case_name: message" "$work/out.txt" "$pattern"
}

# concurrent WRITES READS: a register history whose operations all overlap, writes of 1..WRITES,
# reads of values cycling through them.
concurrent() {
  local n=$(($1 + $2))
  for ((i = 0; i < $1; i++)); do
    echo "{\"client\": $i, \"invoke\": $((i % 97)), \"return\": $((n + i % 89)), \"f\": \"write\", \"value\": $((i + 1))}"
  done
  for ((i = 0; i < $2; i++)); do
    echo "{\"client\": $(($1 + i)), \"invoke\": $((i % 83)), \"return\": $((n + i % 79)), \"f\": \"read\", \"value\": $((i % $1 + 1))}"
  done
}

write_op='{"client": 1, "invoke": 0, "return": 10, "f": "write", "value": 1}'
read_op='{"client": 2, "invoke": 20, "return": 30, "f": "read", "value": 1}'
case "$case_name" in
  directory)
    mkdir "$work/histories"
    lin 1 'histories: is a directory; expected a history file$' "$work/histories" ;;
  missing-file)
    lin 1 'nothing.jsonl: cannot open the file$' "$work/nothing.jsonl" ;;
  empty-file)
    : >"$work/empty.jsonl"
    lin 1 'empty.jsonl: no operations to check: the file is empty$' "$work/empty.jsonl" ;;
  blank-lines)
    printf '\n  \n\n' >"$work/blank.log"
    lin 1 'blank.log: no operations to check: the file holds no operation' "$work/blank.log" ;;
  only-failed-operations)
    echo '{"client": 1, "invoke": 0, "status": "fail", "f": "write", "value": 1}' >"$work/failed.jsonl"
    lin 1 'no operations to check: .*failed operations are skipped' "$work/failed.jsonl" ;;
  only-unknown-reads)
    echo '{"client": 1, "invoke": 0, "status": "info", "f": "read"}' >"$work/reads.jsonl"
    lin 1 'its only operation is a read whose outcome is unknown' "$work/reads.jsonl" ;;
  bom-jsonl)
    printf '%s%s\n%s\n' "$bom" "$write_op" "$read_op" >"$work/bom.jsonl"
    lin 0 'bom.jsonl: linearizable \(model cas-register, 2 operations' "$work/bom.jsonl" ;;
  bom-jsonl-explicit-format)
    printf '%s%s\n' "$bom" "$write_op" >"$work/bom.jsonl"
    lin 0 'bom.jsonl: linearizable' "$work/bom.jsonl" --format jsonl ;;
  bom-jepsen)
    { printf '%s' "$bom"; cat ../shared/histories/jepsen/etcd_002.log; } >"$work/bom.log"
    lin 0 'bom.log: linearizable \(model cas-register, 64 operations' "$work/bom.log" ;;
  bom-edn)
    printf '%s%s\n%s\n' "$bom" '{:process 1, :type :invoke, :f :append, :key "k", :value "x"}' \
      '{:process 1, :type :ok, :f :append, :key "k", :value "x"}' >"$work/bom.edn"
    lin 0 'bom.edn: linearizable \(model append-list, 1 operations' "$work/bom.edn" ;;
  utf16)
    printf '\xff\xfe{\x00"\x00' >"$work/utf16.jsonl"
    lin 1 'UTF-16 text \(byte-order mark\); save the history as UTF-8$' "$work/utf16.jsonl" ;;
  long-value-jsonl)
    { printf '{"client": 1, "invoke": 0, "return": 1, "f": "'; head -c 2000000 /dev/zero | tr '\0' x
      printf '", "value": 1}\n'; } >"$work/long.jsonl"
    lin 1 'unknown "f": "x{80}\.\.\. \(2000000 bytes\)"$' "$work/long.jsonl"
    contains "$case_name: message is short" <(wc -c <"$work/out.txt") '^[0-9]{2,3}$' ;;
  long-value-jepsen)
    { printf 'INFO  jepsen.util - 1\t:invoke\t:read\t'; head -c 300 /dev/zero | tr '\0' 7
      printf 'z\n'; } >"$work/long.log"
    lin 1 "long.log \(line 1\): expected nil or an integer, found '7{80}\.\.\. \(301 bytes\)'$" \
      "$work/long.log" ;;
  long-field-name)
    { printf '{"'; head -c 5000 /dev/zero | tr '\0' k; printf '": 1}\n'; } >"$work/field.jsonl"
    lin 1 'unknown field "k{80}\.\.\. \(5000 bytes\)"$' "$work/field.jsonl" ;;
  html-directory)
    printf '%s\n' "$write_op" >"$work/one.jsonl"
    mkdir "$work/out"
    lin 1 'out: is a directory; --html expects a file name$' "$work/one.jsonl" --html "$work/out" ;;
  state-budget-unknown)
    lin 3 'gave up: the state budget of 10 was exhausted \(--budget-states\)$' \
      ../shared/histories/jepsen/etcd_001.log --budget-states 10 ;;
  fully-concurrent-1000)
    concurrent 500 500 >"$work/concurrent.jsonl"
    lin 0 'linearizable \(model cas-register, 1000 operations, 1 keys checked, 0 states\)' \
      "$work/concurrent.jsonl" ;;
  fully-concurrent-unwritten-read)
    { concurrent 16 8; echo '{"client": 99, "invoke": 0, "return": 40, "f": "read", "value": 77}'; } \
      >"$work/concurrent.jsonl"
    lin 2 'reads-from check: client 99 \[0, 40\] read -> 77 \(line 25\) returns a value no write wrote' \
      "$work/concurrent.jsonl" ;;
  stale-read-explained)
    printf '%s\n%s\n%s\n' "$write_op" '{"client": 1, "invoke": 11, "return": 12, "f": "write", "value": 2}' \
      "$read_op" >"$work/stale.jsonl"
    lin 2 "^  client 1 \[11, 12\] write 2 \(line 2\) returned before$" \
      "$work/stale.jsonl"
    contains "$case_name: the search's explanation too" "$work/out.txt" \
      '^longest linearizable prefix found: 2 of 3 operations$' ;;
  *) echo "unknown case $case_name"; exit 2 ;;
esac
exit $((failures > 0))
