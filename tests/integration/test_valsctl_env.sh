#!/usr/bin/env bash
# valsctl env / exec against vals' own expectations (tests/data/vals-cases.tsv rows V01, V02:
# unquoted and shell-quoted KEY=VALUE), a non-string value refused with the key named, and
# exec passing only the resolved variables unless -i.
set -euo pipefail
BUILD_DIR=${BUILD_DIR:-$(cd "$(dirname "$0")/../../build" && pwd)}
work=$(mktemp -d /tmp/valsctl-env.XXXXXX)
chmod 700 "$work"
sock=$work/valsd.sock
"$BUILD_DIR/valsd" --socket "$sock" --log-file "$work/log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
v() { "$BUILD_DIR/valsctl" --no-start --socket "$sock" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
printf "var1: ref+echo://value\nvar2: ref+echo://val;ue\nvar3: ref+echo://val'ue\nvar4: ref+echo://'value\n" > "$work/env.yaml"
want=$(grep -P '^V02\t' "$VALS_TEST_DATA/vals-cases.tsv" | cut -f5 | sed 's/ | /\n/g')
got=$(v env -f "$work/env.yaml")
[ "$got" = "$want" ] || fail "env: got [$got] want [$want]"
v env --export -f "$work/env.yaml" | head -1 | grep -qx 'export var1=value' || fail "--export"
want1=$(grep -P '^V01\t' "$VALS_TEST_DATA/vals-cases.tsv" | cut -f5 | sed 's/ | /\n/g')
got1=$(v exec -f "$work/env.yaml" -- /usr/bin/env | sort)
[ "$got1" = "$want1" ] || fail "exec env: got [$got1] want [$want1]"
FOO=bar v exec -i -f "$work/env.yaml" -- /usr/bin/env | grep -qx FOO=bar || fail "exec -i"
printf "n: ref+echo://a/b#/a\nm: ref+echo://x/y/z#/x\n" > "$work/bad.yaml"
if v env -f "$work/bad.yaml" 2> "$work/err"; then fail "map value accepted"; fi
grep -q "m must resolve to a string, got a map" "$work/err" || fail "error: $(cat "$work/err")"
echo "valsctl env/exec: ok"
