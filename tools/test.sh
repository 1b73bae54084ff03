#!/usr/bin/env bash
# The README's second command: install, build everything with warnings as errors, run every
# test through CTest. FAULTLINE_SANITIZE=1 does the same in an ASan+UBSan build (build-asan/).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/tools/build.sh"
build="$root/build"
[ "${FAULTLINE_SANITIZE:-0}" = 1 ] && build="$root/build-asan"
cd "$build"
exec ctest --output-on-failure -j "$(nproc)"
