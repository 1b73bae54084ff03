#!/usr/bin/env bash
# Configures and builds faultline into build/ (or build-asan/ with FAULTLINE_SANITIZE=1).
# Usage: tools/build.sh [cmake --build args...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/tools/install-deps.sh"
if [ "${FAULTLINE_SANITIZE:-0}" = 1 ]; then
  build="$root/build-asan"
  flags=(-DFAULTLINE_SANITIZE=ON)
else
  build="$root/build"
  flags=()
fi
cmake -S "$root" -B "$build" -G Ninja -DFAULTLINE_WERROR=ON "${flags[@]}" >/dev/null
cmake --build "$build" "$@"
