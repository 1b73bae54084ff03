#!/usr/bin/env bash
# Ping end to end through the command line, as a protocol wired by one CMake line: its scenarios
# run and lint, the model checker exhausts it and names its model keys in errors, and a real
# cluster of ping processes starts, answers a Report input and a status request, and stops. Its
# bug switch is in bug_switches.txt (tests/support/bug_switches_test.sh).
set -u
faultline=$(realpath "${1:?usage: ping_cli_test.sh FAULTLINE SOURCE_DIR}")
cd "${2:?}" || exit 2
work=$(mktemp -d)
trap '"$faultline" cluster down "$work/cluster.yaml" >/dev/null 2>&1; rm -rf "$work"' EXIT
source tests/support/cli_checks.sh  # the source directory is the working directory
scenario=scenarios/ping/crash_restart.yaml

"$faultline" run "$scenario" --seeds 10 >"$work/run.txt"; check "the correct protocol passes 10 seeds" 0 $?
"$faultline" lint scenarios/ping/*.yaml >"$work/lint.txt"; check "ping scenarios lint" 0 $?

args=(--protocol ping --nodes 3 --set hops_max=3 --set model.reports=1 --crashes-max 1)
(cd "$work" && "$faultline" check "${args[@]}") >"$work/check.txt"
check "the model checker exhausts the correct protocol" 0 $?
contains "every state held count_durable" "$work/check.txt" 'count_durable: held in every explored state'
"$faultline" check --protocol ping --nodes 3 --set model.reports=x >"$work/bad.txt" 2>&1
check "a bad model key is a usage error" 1 $?
contains "it names the key" "$work/bad.txt" 'model.reports'

loopback_cluster "$work/cluster.yaml" ping '{ tokens_per_node: 1 }'
"$faultline" cluster up "$work/cluster.yaml" >"$work/up.txt" 2>&1; check "cluster up starts three ping nodes" 0 $?
contains "each node listens" "$work/up.txt" 'n2 listening on 127.0.0.1'
sleep 0.5
"$faultline" client "$work/cluster.yaml" --node n1 --input '{report: {}}' --wait 0.5 >"$work/client.txt" 2>&1
check "a Report input gets its answer" 0 $?
contains "n1 reports the tokens it received" "$work/client.txt" '^n1: Received\{count=[0-9]+\}'
"$faultline" client "$work/cluster.yaml" --status >"$work/status.txt" 2>&1; check "every node answers status" 0 $?
contains "status names the role" "$work/status.txt" '^n0: node, '
"$faultline" cluster down "$work/cluster.yaml" >/dev/null 2>&1; check "cluster down stops them" 0 $?

[ "$failures" -eq 0 ] && echo "ping cli: all ok" || { echo "ping cli: $failures failures"; exit 1; }
