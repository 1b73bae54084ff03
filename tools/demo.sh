#!/usr/bin/env bash
# The README's first command: install, build, and run the bundled canary-rollout scenario.
# Extra arguments go to `faultline run` (e.g. --seeds 1000, --json, --trace out.jsonl).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/tools/build.sh" --target faultline
cd "$root"
exec ./build/tools/faultline/faultline run scenarios/two_phase_commit/canary_rollout.yaml "$@"
