#!/usr/bin/env bash
# A protocol of your own, out of tree (protocols/README.md, "Test your own protocol"): installs
# this build into a scratch prefix, configures and builds the example project my_protocol/
# against it with find_package(faultline) in a CMake build directory of its own, then runs its
# command (my_ring, built from one call of faultline::cli::main<my::Binding>):
#   - token_ring's scenario passes 20 seeds, and fails (exit 2) with its bug switch, whose repro
#     line names my_ring and reproduces;
#   - lint passes; check-history refuses its recorded history (no history checks to run);
#     the model checker exhausts the correct token ring and finds the bug (exit 2),
#     and the counterexample replays;
#   - a real cluster of my_ring processes starts, answers an input and stops;
#   - a built-in protocol's scenario runs through the same command, and through the installed
#     faultline command from the installed scenarios.
# Each phase prints its wall time; the build of the example (one translation unit instantiating
# every driver for token_ring) takes most of it. Usage: install_test.sh BUILD_DIR SOURCE_DIR
set -u
build=$(cd "${1:?usage: install_test.sh BUILD_DIR SOURCE_DIR}" && pwd) || exit 2
src=$(cd "${2:?}" && pwd) || exit 2
example="$src/tests/install/my_protocol"
# A fixed scratch directory under the build tree, not mktemp: the example's compile commands
# then name the same paths from run to run, so ccache can serve a second run.
work="$build/tests/install/scratch"
rm -rf "$work" && mkdir -p "$work" || exit 2
prefix="$work/prefix"
bin="$work/build/my_ring"
trap '"$bin" cluster down "$work/cluster.yaml" >/dev/null 2>&1; rm -rf "$work"' EXIT
source "$src/tests/support/cli_checks.sh"
phase_start=$SECONDS
phase() {  # phase NAME: the wall time since the previous phase ended
  echo "time: $1 took $((SECONDS - phase_start)) s"
  phase_start=$SECONDS
}

cmake --install "$build" --prefix "$prefix" >"$work/install.txt" 2>&1
check "cmake --install into a scratch prefix" 0 $?
for file in bin/faultline lib/libfaultline_cli.a lib/cmake/faultline/faultline-config.cmake \
  include/faultline/tools/faultline/cli.h include/faultline/tools/faultline/protocols.h \
  share/faultline/scenarios/ping/crash_restart.yaml; do
  [ -e "$prefix/$file" ]
  check "installed $file" 0 $?
done
phase install

# The example builds as its user would build it, plus warnings as errors for its own code (the
# package's headers are system headers to it), and this build's sanitizers, whose runtime the
# installed libraries need. ccache, where there is one, makes a second run quick.
flags="-Wall -Wextra -Wpedantic -Werror"
if grep -q '^FAULTLINE_SANITIZE:BOOL=ON$' "$build/CMakeCache.txt"; then
  flags+=" -fsanitize=address,undefined -Wno-maybe-uninitialized"  # as CMakeLists.txt
fi
configure=(-S "$example" -B "$work/build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix"
  -DCMAKE_CXX_FLAGS="$flags")
command -v ccache >/dev/null && configure+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake "${configure[@]}" >"$work/configure.txt" 2>&1
check "the example configures with find_package(faultline)" 0 $?
contains "it found the scratch prefix's package" "$work/build/CMakeCache.txt" \
  "^faultline_DIR:PATH=$prefix/lib/cmake/faultline\$"
cmake --build "$work/build" >"$work/build.txt" 2>&1
status=$?
check "the example builds" 0 $status
if [ "$status" != 0 ]; then
  tail -n 30 "$work/build.txt"
  echo "install: $failures failures (no my_ring to run)"
  exit 1
fi
phase "configure and build of the example"

cd "$example" || exit 2
"$bin" run token_ring.yaml --seeds 20 >"$work/run.txt"
check "token_ring passes 20 seeds" 0 $?
"$bin" run token_ring.yaml --seed 1 --set bug=accept_duplicates >"$work/bug.txt"
check "bug accept_duplicates is a safety violation" 2 $?
contains "mutual_exclusion names both holders" "$work/bug.txt" \
  'mutual_exclusion violated at .*: n[0-9] and n[0-9] both hold the token'
contains "the repro line names the command it ran in" "$work/bug.txt" \
  '^repro: my_ring replay token_ring.yaml --seed 1 --set bug=accept_duplicates --fingerprint '
read -ra repro <<<"$(sed -n 's/^repro: //p' "$work/bug.txt")"
"$work/build/${repro[0]}" "${repro[@]:1}" >"$work/repro.txt"
check "the repro line replays the violation" 2 $?
"$bin" lint token_ring.yaml >"$work/lint.txt"
check "token_ring.yaml lints" 0 $?
"$bin" run token_ring.yaml --seed 1 --history "$work/ring.jsonl" >/dev/null
check "run --history records token_ring's history" 0 $?
"$bin" check-history "$work/ring.jsonl" >"$work/ring_history.txt" 2>&1
check "check-history refuses a protocol with no history checks" 1 $?
contains "it says why" "$work/ring_history.txt" 'the protocol token_ring has no history checks'

args=(--protocol token_ring --nodes 3 --set rounds_max=4 --duplicates-max 1 --copies-max 2)
(cd "$work" && "$bin" check "${args[@]}") >"$work/check.txt"
check "the model checker exhausts the correct token ring" 0 $?
contains "every state held mutual_exclusion" "$work/check.txt" \
  'mutual_exclusion: held in every explored state'
contains "the state count is pinned" "$work/check.txt" '^  unique states +29$'
(cd "$work" && "$bin" check "${args[@]}" --set bug=accept_duplicates) >"$work/check_bug.txt"
check "the model checker finds accept_duplicates" 2 $?
contains "it names mutual_exclusion" "$work/check_bug.txt" 'VIOLATION of mutual_exclusion'
contains "the shortest counterexample is pinned" "$work/check_bug.txt" \
  'mutual_exclusion violated after 6 steps'
contains "it tells how to replay with my_ring" "$work/check_bug.txt" \
  'replay it with: my_ring replay counterexample.json'
"$bin" replay "$work/counterexample.json" >"$work/replay.txt"
check "the counterexample replays" 2 $?
contains "replay reproduces it" "$work/replay.txt" '^result: reproduced'
phase "token_ring: run, lint, check, replay"

# A cluster of processes whose command line does not say faultline: `cluster down` must still
# recognise its nodes.
loopback_cluster "$work/cluster.yaml" token_ring '{ hold: 50ms }'
"$bin" cluster up "$work/cluster.yaml" >"$work/up.txt" 2>&1
check "cluster up starts three my_ring nodes" 0 $?
contains "each node listens" "$work/up.txt" 'n2 listening on 127.0.0.1'
sleep 0.5
"$bin" client "$work/cluster.yaml" --node n1 --input '{ask: {}}' --wait 0.5 \
  >"$work/client.txt" 2>&1
check "an Ask input gets its answer" 0 $?
contains "n1 answers with the round it took" "$work/client.txt" \
  '^n1: Answer\{holding=(true|false), round=[0-9]+\}'
"$bin" cluster down "$work/cluster.yaml" >"$work/down.txt" 2>&1
check "cluster down stops them" 0 $?
contains "it signals every node" "$work/down.txt" '^n2: SIGTERM to pid'
phase "token_ring: a real cluster"

cd "$src" || exit 2
"$bin" run scenarios/ping/crash_restart.yaml --seeds 3 >"$work/ping.txt"
check "a built-in protocol's scenario runs through my_ring" 0 $?
"$prefix/bin/faultline" run "$prefix/share/faultline/scenarios/ping/crash_restart.yaml" \
  >"$work/installed.txt"
check "the installed faultline runs an installed scenario" 0 $?
"$prefix/bin/faultline" lint "$example/token_ring.yaml" >"$work/unknown.txt" 2>&1
check "the installed faultline does not know token_ring" 1 $?
contains "it names the protocol" "$work/unknown.txt" "unknown protocol 'token_ring'"
phase "built-in protocols"

[ "$failures" -eq 0 ] && echo "install: all ok" || { echo "install: $failures failures"; exit 1; }
