#!/usr/bin/env bash
# The demo: a private valsd on a private socket resolves echo, envsubst and file refs in
# examples/demo.yaml, then shows the cache counters.  Usage: examples/demo.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
dir=$(mktemp -d /tmp/valsd-demo.XXXXXX)
chmod 700 "$dir"
sock="$dir/valsd.sock"
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
"$build/valsd" --socket "$sock" --log-file "$dir/valsd.log" &
pid=$!
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
export VALSD_SOCKET="$sock" DEMO_USER="${USER:-demo}"
cd "$here"
echo "== input (examples/demo.yaml)"
cat demo.yaml
echo
echo "== valsctl eval -f demo.yaml"
"$build/valsctl" --no-start eval -f demo.yaml
echo
echo "== valsctl eval --inline -f demo.yaml -o json"
"$build/valsctl" --no-start eval --inline -f demo.yaml -o json
echo
echo "== valsctl get 'user ref+envsubst://\$DEMO_USER+ owns ref+echo://my-app'"
"$build/valsctl" --no-start get 'user ref+envsubst://$DEMO_USER+ owns ref+echo://my-app'
echo
echo
echo "== valsctl stats (the file was fetched once for three fragments)"
"$build/valsctl" --no-start stats
