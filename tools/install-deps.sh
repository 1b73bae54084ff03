#!/usr/bin/env bash
# Installs the Debian 12 packages faultline builds with. Idempotent and quick: it asks dpkg
# first and calls apt only for what is missing.
set -euo pipefail
packages=(g++ cmake ninja-build ccache pkg-config
  libyaml-cpp-dev catch2 librapidcheck-dev libboost-dev libboost-graph-dev
  nlohmann-json3-dev libcli11-dev libfmt-dev libxxhash-dev libssl-dev spin jq clang-format)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
