#!/usr/bin/env bash
# profile_valsd.sh - instructions per cached `resolve` in valsd, counted by callgrind
# (a noise-free figure on a shared machine; BENCHMARKS.md "valsd cached resolve").
#
# Starts a private valsd under valgrind --tool=callgrind, warms its cache, then counts
# the instructions valsd executes for N requests sent one at a time (the latency path:
# one loop turn, one read and one write per request) and for N requests pipelined on
# 8 connections x 32 in flight (the throughput path), using callgrind_control to zero
# and dump the counters around each phase.  Prints instructions per request.
#
# Usage: tests/bench/profile_valsd.sh [BUILD_DIR] [N]     (defaults: build, 20000)
#        KEEP=1 keeps the callgrind dumps (callgrind_annotate DIR/cg.out.2 for the
#        throughput phase) and prints their directory.
set -eu
BUILD_DIR=${1:-build}
N=${2:-20000}
command -v valgrind >/dev/null && command -v callgrind_control >/dev/null || {
    echo "profile_valsd.sh: needs valgrind (callgrind, callgrind_control)" >&2
    exit 77
}
dir=$(mktemp -d /tmp/profile_valsd.XXXXXX)
vpid=
cleanup() {
    if [ -n "$vpid" ]; then kill "$vpid" 2>/dev/null || true; wait "$vpid" 2>/dev/null || true; fi
    if [ "${KEEP:-0}" = 1 ]; then echo "callgrind dumps kept in $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
printf 'default_ttl: 1d\nlog_level: error\nidle_exit: 0\n' >"$dir/valsd.yaml"
valgrind --tool=callgrind --callgrind-out-file="$dir/cg.out" \
    "$BUILD_DIR/valsd" --socket "$dir/valsd.sock" --config "$dir/valsd.yaml" \
    >"$dir/valgrind.log" 2>&1 &
vpid=$!
for _ in $(seq 300); do [ -S "$dir/valsd.sock" ] && break; sleep 0.1; done
bench="$BUILD_DIR/bench_resolve --connect $dir/valsd.sock --rounds 1 --lat-cpus any --tp-cpus any"
# warm-up: the first request misses and fetches; the rest are cache hits
$bench --only latency --samples 1000 --warmup 0 >/dev/null

# Zero the counters, run one phase, dump; print instructions per request.
phase() {
    local name=$1 n before
    shift
    callgrind_control -z "$vpid" >/dev/null 2>&1
    $bench "$@" >/dev/null
    n=$(ls "$dir"/cg.out.* 2>/dev/null | wc -l)
    callgrind_control -d "$vpid" >/dev/null 2>&1
    for _ in $(seq 100); do
        [ "$(ls "$dir"/cg.out.* 2>/dev/null | wc -l)" -gt "$n" ] && break
        sleep 0.1
    done
    before=$(ls -t "$dir"/cg.out.* | head -1)
    awk -v n="$N" -v name="$name" '/^summary:/ {
        printf "%-40s %8.0f instructions/request (%d requests)\n", name, $2 / n, n }' "$before"
}
phase "one request at a time (latency path):" --only latency --samples "$N" --warmup 0
phase "8 conns x 32 pipelined (throughput path):" --only throughput --requests "$N" \
    --conns 8 --depth 32
