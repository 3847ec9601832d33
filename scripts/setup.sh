#!/usr/bin/env bash
# valsd/rmk set-up for a fresh Debian 12 machine.
#
#   scripts/setup.sh demo   install what is missing, build, run the demo
#   scripts/setup.sh test   install what is missing, build, run the whole test suite
#
# Missing packages are installed with apt-get when running as root; otherwise the exact
# apt-get command is printed and the script stops.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-demo}
case "$mode" in demo|test) ;; *) echo "usage: $0 demo|test" >&2; exit 2 ;; esac

mapfile -t pkgs < <(grep -v '^#' scripts/packages.txt | sed '/^$/d')
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
  else
    echo "These Debian packages are missing. Install them with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVALS_WERROR=ON >/dev/null
cmake --build build -j"$(nproc)"

if [ "$mode" = test ]; then
  exec tests/run-all.sh build
fi
exec examples/demo.sh build
