#!/usr/bin/env bash
# Run the whole test suite: unit tests (ctest) and every integration test.
# Usage: tests/run-all.sh [BUILD_DIR]   (default: build)
# Integration tests are executables tests/integration/test_*.{sh,py}; each gets
# BUILD_DIR, SRC_DIR and VALS_TEST_DATA in its environment and must exit 0 on success,
# 77 when skipped (it prints why).
set -u
SRC_DIR=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=$(cd "${1:-$SRC_DIR/build}" && pwd)
export SRC_DIR BUILD_DIR VALS_TEST_DATA="$SRC_DIR/tests/data"
fail=0
echo "== unit tests"
(cd "$BUILD_DIR" && ctest --output-on-failure -j2) || fail=1
echo "== integration tests"
for t in "$SRC_DIR"/tests/integration/test_*; do
  [ -x "$t" ] || continue
  name=$(basename "$t")
  log=$(mktemp)
  start=$(date +%s)
  timeout 600 "$t" >"$log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  if [ $rc -eq 0 ]; then
    echo "PASS $name (${secs}s)"
  elif [ $rc -eq 77 ]; then
    echo "SKIP $name: $(tail -n 1 "$log")"
  else
    echo "FAIL $name (exit $rc, ${secs}s)"; sed 's/^/    /' "$log" | tail -n 60; fail=1
  fi
  rm -f "$log"
done
[ $fail -eq 0 ] && echo "ALL TESTS PASSED" || echo "SOME TESTS FAILED"
exit $fail
