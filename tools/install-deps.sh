#!/usr/bin/env bash
# Installs what capplan needs to build and test, from Debian 12's packages.
# Idempotent: installs only what is missing. Run as root (or with sudo).
set -euo pipefail

packages=(
  build-essential cmake ninja-build git
  libyaml-cpp-dev libfmt-dev libcli11-dev nlohmann-json3-dev librandom123-dev
  libssl-dev libboost-dev libgtest-dev
  libopenmpi-dev openmpi-bin
  libsqlite3-dev sqlite3  # the forecast ledger (docs/ledger.md); sqlite3 is the stock client its docs and tests use
  python3-yaml python3-jsonschema
  gnuplot-nox fonts-dejavu-core  # charts (capplan plot, run --plots): pngcairo and svg terminals, DejaVu Sans
  clang libclang-rt-14-dev  # the fuzz preset (tools/fuzz.sh): clang++-14, libFuzzer and its sanitizer runtimes
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if ((${#missing[@]})); then
  echo "capplan: installing ${missing[*]}"
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "capplan: all build dependencies are installed"
fi
