#!/usr/bin/env bash
# Sharded fuzzing end to end (tools/faultline/fuzz_results.h): the same seeds run as one process,
# as M = 1 shard and as M = 3 shards (one chosen by --shard, one by FAULTLINE_SHARD, one by a
# Kubernetes Indexed Job's JOB_COMPLETION_INDEX), and `fuzz merge` must print the single run's
# summary byte for byte. Then merge must refuse shards that do not belong together, name the
# seeds of a missing shard, and name the lost seeds of a shard killed (SIGKILL) mid-run.
set -u
faultline=${1:?usage: shard_test.sh FAULTLINE SOURCE_DIR OUT_DIR}
cd "${2:?}" || exit 2
out=${3:?}
rm -rf "$out" && mkdir -p "$out"
profile=scenarios/two_phase_commit/swarm.yaml
common=(fuzz "$profile" --seeds 300 --jobs 2 --capsules "$out/capsules")
run=("${common[@]}" --bug commit_on_majority)
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

"$faultline" "${run[@]}" >"$out/single.txt" 2>/dev/null
[ $? -eq 2 ] || fail "the single run should find commit_on_majority's violations (exit 2)"
grep -q 'capsule repro:' "$out/single.txt" || fail "the single run shrank nothing"

"$faultline" "${run[@]}" --shard 0/1 --results "$out/m1" >/dev/null 2>&1
"$faultline" fuzz merge "$out/m1" >"$out/m1.txt" 2>"$out/m1.err"
cmp -s "$out/single.txt" "$out/m1.txt" || { diff "$out/single.txt" "$out/m1.txt"; fail "M = 1: merged summary differs"; }

"$faultline" "${run[@]}" --shard 0/3 --results "$out/m3/a" >/dev/null 2>&1
FAULTLINE_SHARD=1/3 "$faultline" "${run[@]}" --results "$out/m3/b" >/dev/null 2>&1
JOB_COMPLETION_INDEX=2 FAULTLINE_TOTAL_SHARDS=3 "$faultline" "${run[@]}" --results "$out/m3/c" \
  >"$out/shard2.txt" 2>/dev/null
grep -q '^seeds        1..300, shard 2/3 (the seeds s with s mod 3 = 2): 100 runs$' "$out/shard2.txt" ||
  fail "the Indexed Job shard's summary does not say it ran shard 2/3's 100 seeds"
"$faultline" fuzz merge "$out/m3/c" "$out/m3/a" "$out/m3/b" >"$out/m3.txt" 2>"$out/m3.err"
status=$?
[ $status -eq 2 ] || fail "merge of 3 shards exited $status, not 2 as the single run"
cmp -s "$out/single.txt" "$out/m3.txt" || { diff "$out/single.txt" "$out/m3.txt"; fail "M = 3: merged summary differs"; }
grep -q '3 results files of 3 shards' "$out/m3.err" || fail "merge does not say what it read"

# Shards that do not belong together are refused, naming the field.
"$faultline" fuzz merge "$out/m1" "$out/m3" >/dev/null 2>"$out/mixed.err"
[ $? -eq 1 ] && grep -q '`shards` is' "$out/mixed.err" || fail "merge took M = 1 and M = 3 shards together"
"$faultline" "${common[@]}" --bug none --shard 0/3 --results "$out/other" >/dev/null 2>&1
"$faultline" fuzz merge "$out/other" "$out/m3/b" "$out/m3/c" >/dev/null 2>"$out/other.err"
grep -q '`bug` is' "$out/other.err" || fail "merge took shards with different bug switches"
"$faultline" fuzz merge "$out/m3/a" "$out/m3/a/shard-0-of-3.ndjson" "$out/m3/b" >/dev/null 2>&1
cp "$out/m3/a/shard-0-of-3.ndjson" "$out/dup.ndjson"
"$faultline" fuzz merge "$out/m3/a" "$out/dup.ndjson" >/dev/null 2>"$out/dup.err"
grep -q 'appears twice' "$out/dup.err" || fail "merge took one shard twice"
"$faultline" fuzz merge "$out/m3/a" "$out/m3/b" >/dev/null 2>"$out/missing.err"
[ $? -eq 2 ] || fail "merge with a shard missing should still report the failures found (exit 2)"
grep -q 'shard 2/3: no results file (100 seeds never ran)' "$out/missing.err" ||
  fail "merge does not name the missing shard"

# A shard killed mid-run: the seeds it started and never finished are lost (failures), and the
# seeds it never started are named.
killed="$out/killed"
"$faultline" fuzz scenarios/raft/swarm.yaml --seeds 100000 --jobs 1 --shard 1/2 --bug none \
  --results "$killed" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  results=$(grep -c '"type":"result"' "$killed/shard-1-of-2.ndjson" 2>/dev/null)
  [ "${results:-0}" -ge 5 ] && break
  sleep 0.2
done
kill -9 $pid
wait $pid 2>/dev/null
file="$killed/shard-1-of-2.ndjson"
started=$(grep -o '"type":"started","seed":[0-9]*' "$file" | grep -o '[0-9]*$' | sort -n)
finished=$(grep -o '"type":"result","seed":[0-9]*' "$file" | grep -o '[0-9]*$' | sort -n)
lost=$(comm -23 <(echo "$started" | sort) <(echo "$finished" | sort) | sort -n | paste -sd, | sed 's/,/, /g')
"$faultline" fuzz merge "$killed" >"$out/killed.txt" 2>"$out/killed.err"
status=$?
[ $status -ne 0 ] || fail "merge of a killed shard passed"
grep -q 'has no end line (was the shard killed?)' "$out/killed.err" ||
  fail "merge does not say the killed shard never finished"
grep -q 'shard 0/2: no results file' "$out/killed.err" || fail "merge does not name shard 0/2"
if [ -n "$lost" ]; then
  grep -q "lost seeds\? (started, never finished): $lost\$" "$out/killed.err" ||
    fail "merge does not name the lost seeds $lost"
  grep -q 'lost: started, never finished' "$out/killed.txt" || fail "the summary hides the lost seeds"
  echo "killed shard: lost seeds $lost named"
else
  echo "killed shard: killed between two seeds (no lost seed this time)"
fi

# A results file cut short inside its last line still merges, and says so.
{ cat "$out/m1/shard-0-of-1.ndjson" | head -n 5; printf '{"type":"resu'; } >"$out/cut.ndjson"
"$faultline" fuzz merge "$out/cut.ndjson" >/dev/null 2>"$out/cut.err"
grep -q 'ends inside a line' "$out/cut.err" || fail "merge does not report a line cut short"
printf 'garbage\n' >>"$out/garbage.ndjson"
"$faultline" fuzz merge "$out/garbage.ndjson" >/dev/null 2>"$out/garbage.err"
[ $? -eq 1 ] && grep -q 'garbage.ndjson (line 1)\|garbage.ndjson.*line 1' "$out/garbage.err" ||
  { cat "$out/garbage.err"; fail "garbage is not refused at its line"; }

[ $failures -eq 0 ] || exit 1
echo "ok: 300 seeds as 1 process, 1 shard and 3 shards: identical summaries; bad merges refused"
