#!/usr/bin/env bash
# Differential test of the template engine against Go's own text/template.
#
# Renders every case of tests/data/tmpl/*.cases with Go (tests/go/tmploracle, built here
# with the stdlib only) and with rmk's engine (tests/tools/tmplcases), then compares, case
# by case, the output bytes or, when rendering fails, that both fail with the same error
# text.  Cases marked go=VERSION use features newer than the installed Go (range over an
# integer, {{else with}}); they are checked against the expectation written in the case
# file and reported separately.  A case marked msg=differs only needs both to fail; one
# marked rmk=rejects is a documented deviation (complex numbers): rmk must fail on it.
# Skips (exit 77) when go is not installed.
set -u
SRC_DIR=${SRC_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD_DIR=${BUILD_DIR:-$SRC_DIR/build}
DATA=$SRC_DIR/tests/data/tmpl

if ! command -v go >/dev/null 2>&1; then
  echo "go is not installed (Debian golang-go); cannot run the Go oracle"
  exit 77
fi
if [ ! -x "$BUILD_DIR/tmplcases" ]; then
  echo "FAIL: $BUILD_DIR/tmplcases is missing (build the tests first)"
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/go" "$work/c" "$work/expect" "$BUILD_DIR/go-cache" "$BUILD_DIR/go-path"
export GOCACHE="$BUILD_DIR/go-cache" GOPATH="$BUILD_DIR/go-path" GO111MODULE=off GOPROXY=off
if ! go build -o "$work/tmploracle" "$SRC_DIR/tests/go/tmploracle/main.go"; then
  echo "FAIL: cannot build the Go oracle"
  exit 1
fi
cases=("$DATA"/*.cases)
"$work/tmploracle" "$DATA/data.json" "$work/go" "${cases[@]}" >"$work/go.log" || {
  echo "FAIL: the Go oracle failed"; cat "$work/go.log"; exit 1; }
"$BUILD_DIR/tmplcases" "$DATA/data.json" "$work/c" "$work/expect" "${cases[@]}" >"$work/c.log" || {
  echo "FAIL: tmplcases failed"; cat "$work/c.log"; exit 1; }

# Cases whose error text may differ (msg=differs on the === line).
loose=$(grep -h '^=== .*msg=differs' "${cases[@]}" 2>/dev/null | awk '{print $2}')
is_loose() { local n=${1#*.}; grep -qx -- "$n" <<<"$loose"; }
rejects=$(grep -h '^=== .*rmk=rejects' "${cases[@]}" 2>/dev/null | awk '{print $2}')
is_rejected() { local n=${1#*.}; grep -qx -- "$n" <<<"$rejects"; }

total=0 same_out=0 same_err=0 loose_err=0 rejected=0 newer=0 newer_ok=0 fail=0
show() { # label, file a, file b
  echo "  $1"
  echo "    go/expected: $(head -c 400 "$2" 2>/dev/null | cat -v)"
  echo "    rmk:         $(head -c 400 "$3" 2>/dev/null | cat -v)"
}
for f in "$work"/c/*; do
  stem=$(basename "$f"); stem=${stem%.*}
  total=$((total + 1))
  if grep -q "^newer $stem go=" "$work/c.log"; then
    newer=$((newer + 1)); ref=$work/expect
  else
    ref=$work/go
  fi
  if is_rejected "$stem"; then
    if [ -e "$work/c/$stem.err" ]; then
      rejected=$((rejected + 1))
    else
      fail=$((fail + 1)); echo "  rmk should reject $stem"
    fi
  elif [ -e "$ref/$stem.out" ] && [ -e "$work/c/$stem.out" ]; then
    if cmp -s "$ref/$stem.out" "$work/c/$stem.out"; then
      [ "$ref" = "$work/expect" ] && newer_ok=$((newer_ok + 1)) || same_out=$((same_out + 1))
    else
      fail=$((fail + 1)); show "DIFF output $stem" "$ref/$stem.out" "$work/c/$stem.out"
    fi
  elif [ -e "$ref/$stem.err" ] && [ -e "$work/c/$stem.err" ]; then
    if cmp -s "$ref/$stem.err" "$work/c/$stem.err"; then
      [ "$ref" = "$work/expect" ] && newer_ok=$((newer_ok + 1)) || same_err=$((same_err + 1))
    elif is_loose "$stem"; then
      loose_err=$((loose_err + 1))
    else
      fail=$((fail + 1)); show "DIFF error $stem" "$ref/$stem.err" "$work/c/$stem.err"
    fi
  else
    fail=$((fail + 1))
    if [ -e "$ref/$stem.err" ]; then
      show "go fails, rmk renders: $stem" "$ref/$stem.err" "$work/c/$stem.out"
    elif [ -e "$ref/$stem.out" ]; then
      show "go renders, rmk fails: $stem" "$ref/$stem.out" "$work/c/$stem.err"
    else
      echo "  no reference result for $stem"
    fi
  fi
done
go_total=$(ls "$work/go" | wc -l)
echo "template corpus: $total cases ($(go version | awk '{print $3}') oracle: $go_total)"
echo "  identical output:        $same_out"
echo "  identical error text:    $same_err"
echo "  both fail, text differs: $loose_err (marked msg=differs)"
echo "  rejected by rmk on purpose (rmk=rejects): $rejected"
echo "  newer-Go cases (checked against the case file): $newer_ok/$newer"
echo "  mismatches:              $fail"
if [ $fail -ne 0 ] || [ $total -eq 0 ] || [ $((total - newer)) -ne "$go_total" ]; then
  echo "FAIL: $fail mismatches"
  exit 1
fi
echo "PASS"
