#!/usr/bin/env bash
# test_valsctl.sh - valsctl against a private valsd: get/eval/ping/stats/flush with echo,
# file and envsubst refs; exit codes 0/1/2 and error texts that name the ref and the
# reason; `eval -o json`; multi-document input with comment-only documents dropped and
# comments and key order kept; vals' IO rows E07-E10 from tests/data/vals-cases.tsv;
# relative file refs resolved against the client's working directory; file edits seen at
# once; --help on every command.
# shellcheck disable=SC2016,SC2119 source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

DATA=${VALS_TEST_DATA:-$SRC_DIR/tests/data}
export VALSD_SOCKET=$SOCK
# valsd's own environment must never be used for a client
DAEMON_ONLY=daemon-side-value start_valsd
VC=("$VALSCTL" --no-start)
V() { "${VC[@]}" "$@"; }

# --- ping, --version, --help
run V ping
eq "ping" "$RC:$OUT" "0:pong
"
run "$VALSCTL" --version
contains "--version" "$RC:$OUT" "0:valsctl "
run "$VALSCTL" --help
eq "--help exit status" "$RC" 0
HELP=$OUT
for cmd in get eval ping stats flush; do
    contains "--help lists $cmd" "$HELP" "  $cmd"
    run V "$cmd" --help
    contains "$cmd --help" "$RC:$OUT" "0:Usage: valsctl $cmd"
    run V "$cmd" -h
    contains "$cmd -h" "$RC:$OUT" "0:Usage: valsctl $cmd"
done

# --- get
run V get 'ref+echo://foo/bar'
eq "get echo" "$RC:$OUT" "0:foo/bar"
run V get 'ref+echo://foo/bar/baz#/foo'
eq "get echo map (Go %v)" "$RC:$OUT" "0:map[bar:baz]"
run V get 'ref+echo://foo/bar/baz#/foo/bar'
eq "get echo key" "$RC:$OUT" "0:baz"
run V get 'x ref+echo://in/side+ y ref+echo://two/refs'
eq "get expands refs inside a string" "$RC:$OUT" "0:x in/side y two/refs"
run "$VALSCTL" --no-start --socket "$T/nothing-here.sock" get 'plain text'
eq "get without refs needs no daemon" "$RC:$OUT" "0:plain text"
run env FOO=bar "${VC[@]}" get 'ref+envsubst://$FOO'
eq "get envsubst uses the client's environment" "$RC:$OUT" "0:bar"
run env -u DAEMON_ONLY "$VALSCTL" --no-start get 'ref+envsubst://v/${DAEMON_ONLY:-unset}'
eq "get envsubst never reads valsd's environment" "$RC:$OUT" "0:v/unset"

# --- exit codes and error texts
run V get 'ref+echo://x/y#/nope'
eq "missing key: exit 1" "$RC" 1
eq "missing key: nothing on stdout" "$OUT" ""
eq "missing key: names ref and key" "$ERR" "valsctl get: ref+echo://x/y#/nope: no value found for key nope"
run V get 'ref+nope://x/y'
eq "unknown backend: exit 1" "$RC" 1
contains "unknown backend: names the ref" "$ERR" "ref+nope://x/y"
contains "unknown backend: names the scheme" "$ERR" 'no provider registered for scheme "nope"'
run V get 'ref+file:///nonexistent/secret.yaml#/k'
eq "missing file: exit 1" "$RC" 1
contains "missing file: names the ref" "$ERR" "ref+file:///nonexistent/secret.yaml#/k"
contains "missing file: says why" "$ERR" "No such file or directory"
run V get 'ref+echo://%zz/x'
eq "bad escape: exit 1" "$RC" 1
contains "bad escape: says why" "$ERR" 'invalid URL escape "%zz"'
run V get
eq "get without STRING: exit 2" "$RC" 2
run V get a b
eq "get with two STRINGs: exit 2" "$RC" 2
run V frobnicate
eq "unknown command: exit 2" "$RC" 2
contains "unknown command: named" "$ERR" '"frobnicate"'
run "$VALSCTL" --bogus ping
eq "unknown option: exit 2" "$RC" 2
run "$VALSCTL"
eq "no command: exit 2" "$RC" 2
run V eval
eq "eval without -f: exit 2" "$RC" 2
run V eval -f - -o xml
eq "eval -o xml: exit 2" "$RC" 2
run V eval -f - extra
eq "eval with an extra argument: exit 2" "$RC" 2
run V flush --ref ref+echo://a/b --prefix echo://
eq "flush --ref and --prefix: exit 2" "$RC" 2
run V ping extra
eq "ping with an argument: exit 2" "$RC" 2
run "$VALSCTL" --no-start --socket "$T/nothing-here.sock" ping
eq "no daemon: exit 1" "$RC" 1
contains "no daemon: names the socket" "$ERR" "cannot connect to valsd at $T/nothing-here.sock"

# --- eval: multi-document input, comment-only documents dropped, comments and order kept
cat >"$T/in.yaml" <<'EOF'
# head comment
zeta: ref+echo://x/y#/x
alpha: 1
list:
  # about the list
  - ref+echo://l/m
  - "quoted ref+echo://q/r+ inline"
  - 2.5
nested:
  deep: ref+echo://m/n/o#/m
---
# a comment-only document
---
env: ref+envsubst://$FOO
---
EOF
run env FOO=bar "${VC[@]}" eval -f "$T/in.yaml"
eq "eval yaml" "$RC:$OUT" '0:# head comment
zeta: "y"
alpha: 1
list:
  # about the list
  - l/m
  - "quoted ref+echo://q/r+ inline"
  - 2.5
nested:
  deep:
    "n": o
---
env: bar
'
run env FOO=bar "${VC[@]}" eval -o json -f "$T/in.yaml"
eq "eval -o json" "$RC:$OUT" '0:{"zeta":"y","alpha":1,"list":["l/m","quoted ref+echo://q/r+ inline",2.5],"nested":{"deep":{"n":"o"}}}
---
{"env":"bar"}
'
run env FOO=bar "${VC[@]}" eval --inline -f - <"$T/in.yaml"
contains "eval --inline from stdin expands inline refs" "$RC:$OUT" '  - quoted q/r inline'
contains "eval --inline keeps comments" "$OUT" '# about the list'
printf 'a: ref+echo://ok/1\nb: ref+echo://x/y#/missing\n' >"$T/bad.yaml"
run V eval -f "$T/bad.yaml"
eq "eval with a failing ref: exit 1" "$RC" 1
eq "eval with a failing ref: nothing on stdout" "$OUT" ""
contains "eval with a failing ref: names it" "$ERR" "ref+echo://x/y#/missing"
run V eval -f "$T/absent.yaml"
eq "eval of a missing file: exit 1" "$RC" 1
contains "eval of a missing file: names it" "$ERR" "$T/absent.yaml"
printf 'a: [1, 2\n' >"$T/broken.yaml"
run V eval -f "$T/broken.yaml"
eq "eval of broken YAML: exit 1" "$RC" 1
contains "eval of broken YAML: names file and line" "$ERR" "$T/broken.yaml:"

# --- vals' IO rows (vals-cases.tsv E07-E10): documents in, documents out
for id in E07 E08 E09 E10; do
    row=$(awk -F'\t' -v id="$id" '$1 == id' "$DATA/vals-cases.tsv")
    if [ -z "$row" ]; then
        fail "row $id is in vals-cases.tsv"
        continue
    fi
    input=$(printf '%s' "$row" | cut -f3)
    opts=$(printf '%s' "$row" | cut -f4)
    expected=$(printf '%s' "$row" | cut -f5)
    printf '%b' "$input" >"$T/$id.yaml"
    # shellcheck disable=SC2086
    run V eval $opts -f "$T/$id.yaml"
    case $expected in
    "0 documents"*) want="" ;;
    *) want=$(printf '%b' "$expected"; printf x) && want=${want%x} ;;
    esac
    eq "vals row $id ($opts)" "$RC:$OUT" "0:$want"
done

# --- relative file refs are resolved against the client's working directory
mkdir -p "$T/a/sub" "$T/b"
printf 'k: from-a\n' >"$T/a/v.yaml"
printf 'k: from-b\n' >"$T/b/v.yaml"
printf 'k: from-sub\n' >"$T/a/sub/v.yaml"
run bash -c "cd '$T/a' && '$VALSCTL' --no-start get 'ref+file://v.yaml#/k'"
eq "relative file in a/" "$RC:$OUT" "0:from-a"
run bash -c "cd '$T/b' && '$VALSCTL' --no-start get 'ref+file://v.yaml#/k'"
eq "the same ref in b/" "$RC:$OUT" "0:from-b"
run bash -c "cd '$T/a' && '$VALSCTL' --no-start get 'ref+file://sub/v.yaml#/k'"
eq "relative file in a subdirectory" "$RC:$OUT" "0:from-sub"
run bash -c "cd '$T/a/sub' && '$VALSCTL' --no-start get 'ref+file://../../b/v.yaml#/k'"
eq "relative file with .." "$RC:$OUT" "0:from-b"
run V get "ref+file://$T/b/v.yaml#/k"
eq "absolute file" "$RC:$OUT" "0:from-b"
printf 'x: ref+file://v.yaml#/k\n' >"$T/a/doc.yaml"
run bash -c "cd '$T/a' && '$VALSCTL' --no-start eval -f doc.yaml"
eq "eval resolves relative refs against the cwd" "$RC:$OUT" "0:x: from-a
"

# --- file edits are seen at once (revalidation on every hit)
printf 'one' >"$T/edit.txt"
run V get "ref+file://$T/edit.txt"
eq "file before the edit" "$OUT" "one"
printf 'two' >"$T/edit.txt" # same size, same inode
run V get "ref+file://$T/edit.txt"
eq "same-size edit seen" "$OUT" "two"
printf 'three!' >"$T/edit.txt"
run V get "ref+file://$T/edit.txt"
eq "longer edit seen" "$OUT" "three!"
printf 'four' >"$T/edit.new" && mv "$T/edit.new" "$T/edit.txt"
run V get "ref+file://$T/edit.txt"
eq "replacement by rename seen" "$OUT" "four"
rm "$T/edit.txt"
run V get "ref+file://$T/edit.txt"
eq "deleted file: exit 1" "$RC" 1
printf 'k: v1\n' >"$T/edit.yaml"
run V get "ref+file://$T/edit.yaml#/k"
eq "map-mode file" "$OUT" "v1"
for i in 2 3 4 5 6; do
    printf 'k: v%s\n' "$i" >"$T/edit.yaml"
    run V get "ref+file://$T/edit.yaml#/k"
    eq "rapid edit $i seen" "$OUT" "v$i"
done

# --- stats and flush
run V stats
eq "stats exit status" "$RC" 0
for key in hits misses coalesced stale_served evictions negative_hits fetches errors entries \
    bytes max_bytes contexts connections uptime_ms; do
    contains "stats shows $key" "
$OUT" "
$key: "
done
hits_before=$(printf '%s' "$OUT" | awk '/^hits:/ {print $2}')
V get 'ref+echo://stats/probe' >/dev/null
V get 'ref+echo://stats/probe' >/dev/null
run V stats
hits_after=$(printf '%s' "$OUT" | awk '/^hits:/ {print $2}')
eq "a repeated get is a cache hit" "$((hits_after - hits_before))" 1
run V flush --ref 'ref+echo://stats/probe'
eq "flush --ref" "$RC:$OUT" "0:1 entries dropped
"
run V flush --ref 'ref+echo://stats/probe'
eq "flush --ref again" "$RC:$OUT" "0:0 entries dropped
"
V get 'ref+echo://pfx/a' >/dev/null
V get 'ref+echo://pfx/b' >/dev/null
run V flush --prefix 'echo://pfx/'
eq "flush --prefix" "$RC:$OUT" "0:2 entries dropped
"
run V flush
contains "flush everything" "$RC:$OUT" "0:"
contains "flush everything counts" "$OUT" " entries dropped"
run V stats
contains "no entries after flush" "$OUT" "
entries: 0
"
run V flush --ref 'ref+nope://x'
eq "flush of an unsupported ref: exit 1" "$RC" 1
contains "flush of an unsupported ref: says why" "$ERR" 'scheme "nope"'

# --- --timeout
run "$VALSCTL" --no-start --timeout 5000 get 'ref+echo://with/timeout'
eq "--timeout" "$RC:$OUT" "0:with/timeout"

# nothing secret in the daemon's log
if grep -q -e daemon-side-value -e from-a -e from-sub "$LOG"; then
    fail "a value reached valsd's log"
fi
stop_valsd
eq "valsd exits 0" "$STOP_RC" 0
finish
