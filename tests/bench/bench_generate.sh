#!/usr/bin/env bash
# Benchmark of `rmk secret manager generate` (issue 4): 100 rules with 300 fetchSecretValue
# refs (file and echo backends) against a warm private valsd, whole process, median of
# several runs; in the same run two baselines: `rmk version` (process start) and the same
# 100 rules without refs.  Not a test: it prints figures for BENCHMARKS.md.
#
# Usage: tests/bench/bench_generate.sh [BUILD_DIR] [RUNS]
set -euo pipefail
build=$(cd "${1:-$(dirname "$0")/../../build}" && pwd)
runs=${2:-21}
# tmpfs when available: fsync there costs nothing, so the figures are rmk's own cost and
# not the flush latency of a shared disk (set BENCH_DIR to measure on a real disk)
base=${BENCH_DIR:-$( [ -d /dev/shm ] && echo /dev/shm || echo /tmp)}
work=$(mktemp -d "$base/bench-gen.XXXXXX")
chmod 700 "$work"
export HOME=$work/home VALSD_SOCKET=$work/run/valsd.sock RMK_OFFLINE=1
mkdir -p "$HOME" "$work/run"
chmod 700 "$work/run"
"$build/valsd" --socket "$VALSD_SOCKET" --log-file "$work/valsd.log" &
vpid=$!
trap 'kill $vpid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do [ -S "$VALSD_SOCKET" ] && break; sleep 0.1; done

mkproject() { # dir, with_refs
  mkdir -p "$1" && cd "$1"
  git init -q -b develop
  git -c user.email=b@e -c user.name=b commit -q --allow-empty -m init
  git remote add origin https://example.com/bench.infra.git
  "$build/rmk" project generate -e develop -s bench >/dev/null 2>&1
  {
    echo "generation-rules:"
    for i in $(seq 1 100); do
      echo "  - name: rule-$i"
      echo "    template: |"
      if [ "$2" = 1 ]; then
        echo "      user: {{ fetchSecretValue \"ref+file://$work/data/app-$((i % 10)).yaml#db/user\" }}"
        echo "      password: {{ fetchSecretValue \"ref+file://$work/data/app-$((i % 10)).yaml#db/password-$i\" }}"
        echo "      echo: {{ fetchSecretValue \"ref+echo://rule/$i\" }}"
      else
        echo "      user: app-user"
        echo "      password: static-$i"
        echo "      echo: rule/$i"
      fi
      echo "      random: {{ randAlphaNum 16 }}"
    done
  } > etc/bench/develop/secrets/.spec.yaml.gotmpl
}
mkdir -p "$work/data"
for f in $(seq 0 9); do
  { echo "db:"; echo "  user: app-user"; for i in $(seq 1 100); do echo "  password-$i: pass-$i"; done; } > "$work/data/app-$f.yaml"
done
mkproject "$work/refs" 1
mkproject "$work/norefs" 0

# warm up: the daemon's cache, the page cache
(cd "$work/refs" && "$build/rmk" secret manager generate --force --stats | tail -1)
(cd "$work/norefs" && "$build/rmk" secret manager generate --force >/dev/null)

now_us() { date +%s%6N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
measure() { # label dir cmd...
  local label=$1 dir=$2; shift 2
  local t
  for _ in $(seq "$runs"); do
    t=$(now_us); (cd "$dir" && "$@" >/dev/null); echo $(( $(now_us) - t ))
  done | median
}
v=$(measure version "$work" "$build/rmk" version)
n=$(measure norefs "$work/norefs" "$build/rmk" secret manager generate --force)
r=$(measure refs "$work/refs" "$build/rmk" secret manager generate --force)
cat <<EOF
machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -r)
directory: $base; runs: $runs (median, microseconds, whole process)
rmk version (process start, baseline):        $v us
generate, 100 rules, no refs (baseline):     $n us
generate, 100 rules, 300 refs, warm daemon:   $r us  (target < 50000)
ratio refs / no-refs: $(awk "BEGIN{printf \"%.2f\", $r/$n}")
EOF
