#!/usr/bin/env bash
# test_bench_resolve_smoke.sh - the benchmark still works: bench_resolve runs one tiny
# round against a private valsd and bench_floor, every response checked (value and
# msgid) and valsd's cache.stats showing a single fetch.  No timing is asserted here;
# figures belong in BENCHMARKS.md.
set -u
B=${BUILD_DIR:-build}
if [ ! -x "$B/bench_resolve" ] || [ ! -x "$B/bench_floor" ]; then
    echo "bench_resolve/bench_floor not built (VALS_BENCH=OFF)"
    exit 77
fi
out=$("$B/bench_resolve" --rounds 1 --samples 300 --warmup 50 --seconds 0.1 \
    --lat-cpus any --tp-cpus any 2>&1)
rc=$?
echo "$out"
[ $rc -eq 0 ] || { echo "bench_resolve failed (exit $rc)"; exit 1; }
echo "$out" | grep -q '^valsd cache.stats: .*fetches 1$' || { echo "no cache.stats line"; exit 1; }
echo "$out" | grep -q '^throughput (resolves/s)' || { echo "no throughput figure"; exit 1; }
echo "OK"
