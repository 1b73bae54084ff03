#!/usr/bin/env bash
# Opens faultline's HTML reports in a real headless browser (Chromium through selenium) and
# checks what a person would see: main#report with the right data-kind, a page that is not
# blank (text, and a screenshot that is not a single colour), every expected plot as a
# figure.plot with a non-empty inline <svg>, the sweep's table#checks with rows, no SEVERE
# console message or uncaught error, and no request leaving the file. The checks themselves
# are in report_browser_check.py beside this script.
#
# Usage:
#   report_browser_test.sh FAULTLINE SOURCE_DIR   samples (below), then the real reports:
#       FAULTLINE run scenarios/raft/three_node_leader_crash.yaml --report run.html
#       FAULTLINE run scenarios/raft/three_node_leader_crash.yaml --seeds 20 --report sweep.html
#     run from SOURCE_DIR; each is checked in the browser.
#   report_browser_test.sh --self-test            samples only, no faultline needed.
#
# The samples prove the check can fail: correct run and sweep pages written here following
# the report's DOM contract must pass, and deliberately broken pages (a script that throws, a
# missing plot, an empty svg, an outside request, a page drawn in one colour, an empty checks
# table, a wrong data-kind) must each be rejected with the expected FAIL line.
#
# Needs chromium, chromium-driver and python3-selenium (Debian); missing ones are installed
# with apt-get (sudo -n when not root). When that cannot be done it prints "SKIP: ..." and
# exits 77 (register with SKIP_RETURN_CODE 77). Exit 0: all passed; 1: something failed.
# REPORT_SCREENSHOT_DIR, when set, keeps the real reports' screenshots there (else they go in
# the temporary directory, removed at exit).
set -u

prog=report_browser_test
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
check_py="$here/report_browser_check.py"
scenario=scenarios/raft/three_node_leader_crash.yaml

usage() {
  echo "usage: $0 FAULTLINE SOURCE_DIR | $0 --self-test" >&2
  exit 2
}

self_test=0
faultline=""
src=""
if [ $# -eq 1 ] && [ "$1" = "--self-test" ]; then
  self_test=1
elif [ $# -eq 2 ]; then
  faultline=$1
  src=$2
  case $faultline in /*) ;; */*) faultline="$PWD/$faultline" ;; esac
  [ -d "$src" ] || { echo "$prog: no source directory $src" >&2; exit 2; }
else
  usage
fi

skip() {
  echo "SKIP: $*"
  exit 77
}

work=$(mktemp -d "${TMPDIR:-/tmp}/report_browser.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
shot_dir=${REPORT_SCREENSHOT_DIR:-$work}
mkdir -p "$shot_dir" || exit 1

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }

# --- the browser -------------------------------------------------------------------------
python=""
find_tools() {
  python=""
  local py
  for py in /usr/bin/python3 python3; do
    if command -v "$py" >/dev/null 2>&1 && "$py" -c 'from selenium.webdriver.chrome.service import Service' >/dev/null 2>&1; then
      python=$(command -v "$py")
      break
    fi
  done
  [ -n "$python" ] || return 1
  command -v chromedriver >/dev/null 2>&1 || [ -x /usr/lib/chromium/chromedriver ] || return 1
  command -v chromium >/dev/null 2>&1 || [ -x /usr/lib/chromium/chromium ] || return 1
}

ensure_browser() {
  find_tools && return 0
  local packages=(chromium chromium-driver python3-selenium) missing=() p
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -gt 0 ] ||
    skip "chromium, chromium-driver and python3-selenium are installed but not usable" \
      "(no chromedriver/chromium on PATH, or /usr/bin/python3 cannot import selenium)"
  command -v apt-get >/dev/null 2>&1 || skip "no apt-get to install ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    sudo -n true >/dev/null 2>&1 || skip "not root and no passwordless sudo to install ${missing[*]}"
    sudo=(sudo -n)
  fi
  echo "$prog: installing ${missing[*]}"
  local log="$work/apt.log"
  if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
    if ! { "${sudo[@]}" apt-get update -qq &&
           "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
             apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >>"$log" 2>&1; then
      tail -n 5 "$log"
      skip "apt-get could not install ${missing[*]}"
    fi
  fi
  find_tools || skip "installed ${missing[*]} but the browser tools are still not usable"
}

ensure_browser
selenium_version=$("$python" -c 'import selenium; print(selenium.__version__)')
chromium_version=$(chromium --version 2>/dev/null || /usr/lib/chromium/chromium --version 2>/dev/null)
echo "$prog: $python with selenium $selenium_version; ${chromium_version:-chromium version unknown}"

# check NAME EXPECT FILE KIND SHOT [ARGS...]: runs report_browser_check.py; EXPECT is "pass",
# or a text that must appear on one of its FAIL lines (and it must exit 1).
check() {
  local name=$1 expect=$2 file=$3 kind=$4 shot=$5 out rc
  shift 5
  out="$work/$name.out"
  "$python" "$check_py" "$file" "$kind" "$shot" "$@" >"$out" 2>&1
  rc=$?
  if [ "$expect" = pass ]; then
    if [ $rc -eq 0 ]; then
      case $name in sample-*) ;; *) sed 's/^/  | /' "$out" ;; esac
      pass "$name"
    else
      sed 's/^/  | /' "$out"
      fail "$name: the check exited $rc, expected 0"
    fi
  elif [ $rc -eq 1 ] && grep -F "FAIL: " "$out" | grep -qF -- "$expect"; then
    pass "$name: rejected ($(grep -F "FAIL: " "$out" | grep -F -- "$expect" | head -n 1))"
  else
    sed 's/^/  | /' "$out"
    fail "$name: the check exited $rc without a FAIL line containing '$expect'"
  fi
}

# --- the samples ---------------------------------------------------------------------------
# A correct single-run page following the DOM contract; the broken ones are edits of it.
write_run_sample() {
  cat <<'EOF'
<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>faultline run: sample</title>
<style>body{font-family:sans-serif;margin:2em} figure.plot svg{border:1px solid #ccc}</style>
</head>
<body>
<main id="report" data-kind="run">
<h1>three_node_leader_crash, seed 1</h1>
<p>Result: <strong>pass</strong>, 3 nodes, 1 crash.</p>
<figure class="plot" data-plot="timeline">
<svg xmlns="http://www.w3.org/2000/svg" width="600" height="120" viewBox="0 0 600 120">
<line x1="40" y1="20" x2="580" y2="20" stroke="#999"/>
<rect x="40" y="12" width="200" height="16" fill="#2a7"/>
<line x1="40" y1="60" x2="580" y2="60" stroke="#999"/>
<rect x="240" y="52" width="340" height="16" fill="#27a"/>
<line x1="40" y1="100" x2="580" y2="100" stroke="#999"/>
<circle cx="240" cy="20" r="6" fill="#c33"/>
</svg>
<figcaption>Timeline: one track per node (n1 crashes at 2.0 s).</figcaption>
</figure>
<figure class="plot" data-plot="latency">
<svg xmlns="http://www.w3.org/2000/svg" width="600" height="160" viewBox="0 0 600 160">
<circle cx="60" cy="140" r="3" fill="#27a"/><circle cx="120" cy="130" r="3" fill="#27a"/>
<circle cx="260" cy="30" r="3" fill="#c33"/><circle cx="400" cy="135" r="3" fill="#27a"/>
</svg>
<figcaption>Latency of client operations.</figcaption>
</figure>
<figure class="plot" data-plot="throughput">
<svg xmlns="http://www.w3.org/2000/svg" width="600" height="160" viewBox="0 0 600 160">
<polyline points="40,40 140,42 240,150 340,60 580,45" fill="none" stroke="#27a" stroke-width="2"/>
</svg>
<figcaption>Committed operations per second.</figcaption>
</figure>
<figure class="plot" data-plot="panel-raft-terms">
<svg xmlns="http://www.w3.org/2000/svg" width="600" height="80" viewBox="0 0 600 80">
<path d="M40 60 H240 V30 H580" fill="none" stroke="#a72" stroke-width="2"/>
</svg>
<figcaption>Raft term per node.</figcaption>
</figure>
</main>
</body>
</html>
EOF
}

write_sweep_sample() {
  cat <<'EOF'
<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>faultline sweep: sample</title></head>
<body>
<main id="report" data-kind="sweep">
<h1>three_node_leader_crash, 20 seeds</h1>
<p>19 passed, 1 failed.</p>
<figure class="plot" data-plot="metric-cdf-failover_time">
<svg xmlns="http://www.w3.org/2000/svg" width="600" height="160" viewBox="0 0 600 160">
<path d="M40 150 L120 140 L200 90 L300 40 L580 20" fill="none" stroke="#27a" stroke-width="2"/>
</svg>
<figcaption>CDF of failover_time over 20 seeds.</figcaption>
</figure>
<figure class="plot" data-plot="metric-percentiles-commit_latency">
<svg xmlns="http://www.w3.org/2000/svg" width="600" height="160" viewBox="0 0 600 160">
<rect x="60" y="100" width="40" height="50" fill="#27a"/>
<rect x="140" y="70" width="40" height="80" fill="#27a"/>
<rect x="220" y="20" width="40" height="130" fill="#c33"/>
</svg>
<figcaption>commit_latency p50, p90, p99.</figcaption>
</figure>
<table id="checks">
<thead><tr><th>check</th><th>passed</th><th>failed</th></tr></thead>
<tbody>
<tr><td>linearizable</td><td>20</td><td>0</td></tr>
<tr><td>single_leader_per_term</td><td>19</td><td>1</td></tr>
</tbody>
</table>
<p>Failed seed 7: <code class="repro">faultline run scenarios/raft/three_node_leader_crash.yaml --seed 7</code></p>
</main>
</body>
</html>
EOF
}

run_samples() {
  local d="$work/samples" plots=(timeline latency throughput)
  mkdir -p "$d"
  write_run_sample >"$d/good_run.html"
  write_sweep_sample >"$d/good_sweep.html"
  # A script that throws while the page loads: a SEVERE console message.
  sed 's|</main>|<script>document.title = window.faultlineMissing.name;</script>\n</main>|' \
    "$d/good_run.html" >"$d/bad_script.html"
  # No latency plot at all.
  sed 's|data-plot="latency"|data-plot="latency-gone"|' "$d/good_run.html" >"$d/bad_missing.html"
  # The latency plot's svg has no drawn element.
  awk '/data-plot="latency"/ {f = 1} f && /<circle/ {next} /<\/figure>/ {f = 0} {print}' \
    "$d/good_run.html" >"$d/bad_empty_svg.html"
  # An image from outside the file (port 9 is one Chromium refuses: nothing is sent).
  sed 's|</main>|<img src="http://127.0.0.1:9/logo.png" alt="">\n</main>|' \
    "$d/good_run.html" >"$d/bad_network.html"
  # Everything drawn white on white: text and plots are there, the screenshot is one colour.
  sed 's|</head>|<style>*{color:#fff!important;fill:#fff!important;stroke:#fff!important;border-color:#fff!important}</style>\n</head>|' \
    "$d/good_run.html" >"$d/bad_blank.html"
  # A sweep whose checks table has no rows.
  awk '/<tbody>/ {print; skip = 1; next} /<\/tbody>/ {skip = 0} !skip {print}' \
    "$d/good_sweep.html" >"$d/bad_no_checks.html"

  # The broken samples must really differ from the good one where intended.
  if ! { grep -q 'faultlineMissing' "$d/bad_script.html" &&
         ! grep -q 'data-plot="latency"' "$d/bad_missing.html" &&
         [ "$(grep -c '<circle' "$d/bad_empty_svg.html")" -lt "$(grep -c '<circle' "$d/good_run.html")" ] &&
         grep -q '127.0.0.1:9' "$d/bad_network.html" &&
         grep -q 'color:#fff' "$d/bad_blank.html" &&
         ! grep -q '<td>' "$d/bad_no_checks.html"; }; then
    fail "writing the broken samples"
    return
  fi

  check sample-good-run pass "$d/good_run.html" run "$d/good_run.png" "${plots[@]}" 'panel-*'
  check sample-good-sweep pass "$d/good_sweep.html" sweep "$d/good_sweep.png" 'metric-*'
  check sample-script-throws "SEVERE console" "$d/bad_script.html" run "$d/x1.png" "${plots[@]}"
  check sample-missing-plot 'plot latency: no figure' "$d/bad_missing.html" run "$d/x2.png" "${plots[@]}"
  check sample-empty-svg 'plot latency: svg has no drawn element' \
    "$d/bad_empty_svg.html" run "$d/x3.png" "${plots[@]}"
  check sample-outside-request 'requests outside the file' \
    "$d/bad_network.html" run "$d/x4.png" "${plots[@]}"
  check sample-blank-screenshot 'screenshot is a single colour' \
    "$d/bad_blank.html" run "$d/x7.png" "${plots[@]}"
  check sample-empty-checks 'table#checks has no body rows' \
    "$d/bad_no_checks.html" sweep "$d/x5.png" 'metric-*'
  check sample-wrong-kind "expected 'sweep'" "$d/good_run.html" sweep "$d/x6.png" 'metric-*'
}

# --- the real reports ------------------------------------------------------------------------
# report NAME CHECK-ARGS -- FAULTLINE-ARGS...: makes a report with faultline, then checks it.
report() {
  local name=$1 kind=$2 file="$work/$1.html" log="$work/$1.faultline.log" rc
  shift 2
  local plots=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do plots+=("$1"); shift; done
  shift
  (cd "$src" && "$faultline" "$@" --report "$file") >"$log" 2>&1
  rc=$?
  echo "$prog: faultline $* --report $name.html exited $rc"
  if [ ! -s "$file" ]; then
    tail -n 20 "$log" | sed 's/^/  | /'
    fail "$name: faultline wrote no report (exit $rc)"
    return
  fi
  check "$name" pass "$file" "$kind" "$shot_dir/report_$name.png" --data-marks "${plots[@]}"
  echo "$prog: screenshot $shot_dir/report_$name.png"
}

start=$(date +%s)
run_samples
if [ $self_test -eq 0 ]; then
  if [ ! -x "$faultline" ]; then
    fail "no faultline executable at $faultline"
  else
    report run run timeline latency throughput in-flight 'panel-*' -- run "$scenario"
    report sweep sweep 'metric-*' -- run "$scenario" --seeds 20
  fi
fi
echo "$prog: $(($(date +%s) - start)) s"
echo "$prog: $passed passed, $failed failed"
[ $failed -eq 0 ]
