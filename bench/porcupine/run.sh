#!/usr/bin/env bash
# Builds bench/porcupine (main.go + models.go) against a Porcupine checkout and prints, per shared
# history, Porcupine's best-of-ROUNDS parse and check times. Called by `faultline bench lin`;
# also runs on its own:
#   bench/porcupine/run.sh [HISTORIES_DIR] [ROUNDS]
# The Porcupine checkout is $FAULTLINE_PORCUPINE_DIR, else bench/porcupine/checkout (which
# bench/porcupine/fetch.sh fills). Offline: the Go build uses no module proxy (Porcupine has no
# dependencies). Output lines are machine-readable:
#   porcupine_file=jepsen/etcd_000.log parse_ms=0.2635 check_ms=0.0412 linearizable=false
# Exit 1, with one line saying why, when Go or the checkout is missing or the build fails.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
histories=$(cd "${1:-$here/../../../shared/histories}" && pwd)
rounds=${2:-10}
checkout=${FAULTLINE_PORCUPINE_DIR:-$here/checkout}
command -v go > /dev/null ||
  { echo "porcupine: Go is not installed (Debian: apt-get install golang-go)"; exit 1; }
[ -f "$checkout/checker.go" ] ||
  { echo "porcupine: no Porcupine checkout at $checkout" \
      "(run bench/porcupine/fetch.sh, or set FAULTLINE_PORCUPINE_DIR)"; exit 1; }
checkout=$(cd "$checkout" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here/main.go" "$here/models.go" "$work/"
cat > "$work/go.mod" <<MOD
module faultline/bench/porcupine

go 1.16

require github.com/anishathalye/porcupine v0.0.0

replace github.com/anishathalye/porcupine => $checkout
MOD
export GOPROXY=off GOFLAGS=-mod=mod GOTOOLCHAIN=local GOWORK=off
export GOCACHE=${GOCACHE:-$work/gocache}
if ! (cd "$work" && go build -o porcupine-bench . > build.log 2>&1); then
  echo "porcupine: the Go build failed ($(go version)):"
  sed 's/^/  /' "$work/build.log"
  exit 1
fi
revision=$(git -C "$checkout" rev-parse --short HEAD 2> /dev/null || echo "$checkout")
echo "porcupine: $(go version | cut -d' ' -f3), checkout $revision," \
  "GOMAXPROCS default ($(nproc) cores)"
"$work/porcupine-bench" -histories "$histories" -rounds "$rounds"
