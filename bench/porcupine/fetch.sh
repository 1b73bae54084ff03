#!/usr/bin/env bash
# Fetches Porcupine's public repository into bench/porcupine/checkout (ignored by git), at the
# commit `faultline bench lin` was measured against, for bench/porcupine/run.sh. Needs network
# access to GitHub; without it, put any Porcupine checkout there or set FAULTLINE_PORCUPINE_DIR.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
commit=55508eb201b314c218d7e8412c3ea4b9499a5f53  # "Add state hashing to improve cache performance"
if [ ! -d "$here/checkout/.git" ]; then
  git clone --quiet https://github.com/anishathalye/porcupine "$here/checkout"
fi
git -C "$here/checkout" fetch --quiet origin
git -C "$here/checkout" checkout --quiet "$commit"
echo "Porcupine at $(git -C "$here/checkout" rev-parse --short HEAD) in $here/checkout"
