# Sourced by the command-line test scripts (tests/**/*_test.sh): named checks of an exit status
# and of an output file, each printing "ok: NAME" or "FAIL: NAME: why" and counting failures in
# $failures, and a loopback cluster file for the socket runtime. A script sources it, runs its
# checks, and exits non-zero unless $failures is 0.

failures=0

check() {  # check NAME EXPECTED_EXIT ACTUAL_EXIT
  if [ "$2" = "$3" ]; then echo "ok: $1"; return; fi
  echo "FAIL: $1: exit $3, expected $2"
  failures=$((failures + 1))
}

contains() {  # contains NAME FILE PATTERN: FILE has a line matching the extended regex PATTERN
  if grep -qE -- "$3" "$2"; then echo "ok: $1"; return; fi
  echo "FAIL: $1: no /$3/ in output:"
  cat "$2"
  failures=$((failures + 1))
}

# loopback_cluster FILE PROTOCOL CONFIG: writes a cluster file of three nodes, n0..n2, on
# 127.0.0.1 from a random base port (concurrent tests rarely collide), seed 1, data under data/
# beside FILE, and CONFIG as the protocol's config (a YAML flow map).
loopback_cluster() {
  local port=$((20000 + RANDOM % 20000))
  cat >"$1" <<YAML
protocol: $2
seed: 1
data_dir: data
nodes:
  - { id: n0, address: 127.0.0.1:$port }
  - { id: n1, address: 127.0.0.1:$((port + 1)) }
  - { id: n2, address: 127.0.0.1:$((port + 2)) }
config: $3
YAML
}
