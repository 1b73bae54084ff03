#!/usr/bin/env bash
# The tidy test (DESIGN.md 4): fails on constructs that can make a seed stop reproducing its
# run, in the code that must be deterministic: sim/core, sim/engine, sim/explore, protocols/.
# A line may opt out with a trailing `// tidy: allow <reason>` comment that says why.
set -u
root=${1:?usage: tidy_test.sh SOURCE_DIR}
cd "$root" || exit 2
dirs=()
for d in sim/core sim/engine sim/explore protocols; do [ -d "$d" ] && dirs+=("$d"); done
pattern='std::unordered_(map|set|multimap|multiset)|[^_a-z:]s?rand\(|std::rand|random_device|system_clock|steady_clock|high_resolution_clock|std::thread|std::async|_distribution<|time\(NULL\)|time\(nullptr\)|getenv|std::cout|std::cerr|printf\(|\bfloat\b|\bdouble\b|\bstatic\s+[a-zA-Z_:<>]+\s+[a-z_]+\s*=|thread_local'
hits=$(grep -rnE "$pattern" --include='*.h' --include='*.hpp' --include='*.cc' --include='*.cpp' "${dirs[@]}" \
  | grep -v 'tidy: allow' \
  | grep -vE '^[^:]+:[0-9]+:\s*//' )
if [ -n "$hits" ]; then
  echo "tidy: banned constructs in deterministic code (add '// tidy: allow <why>' only with a real reason):"
  echo "$hits"
  exit 1
fi
# catch_discover_tests cuts a test name at ';', so such a test case would run no assertions under
# CTest and still be reported as passing.
cut=$(grep -rnE 'TEST_CASE\("[^"]*;' tests)
if [ -n "$cut" ]; then
  echo "tidy: a TEST_CASE name with ';' never runs under CTest (catch_discover_tests splits it):"
  echo "$cut"
  exit 1
fi
echo "tidy: ${#dirs[@]} folders clean; no test name CTest would cut"
