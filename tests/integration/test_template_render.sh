#!/usr/bin/env bash
# "rmk template render": flags, exit codes, data formats (JSON, YAML, none, stdin) and
# Go-like error texts on stderr with nothing on stdout.
set -u
SRC_DIR=${SRC_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD_DIR=${BUILD_DIR:-$SRC_DIR/build}
RMK=$BUILD_DIR/rmk
[ -x "$RMK" ] || { echo "FAIL: $RMK is missing"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0 checks=0

# check NAME WANT_RC WANT_STDOUT WANT_STDERR_SUBSTRING -- ARGS...
check() {
  local name=$1 want_rc=$2 want_out=$3 want_err=$4
  shift 5
  "$RMK" "$@" >"$work/out" 2>"$work/err" <"${STDIN:-/dev/null}"
  local rc=$?
  checks=$((checks + 1))
  if [ "$rc" != "$want_rc" ] || [ "$(cat "$work/out")" != "$want_out" ] ||
     { [ -n "$want_err" ] && ! grep -qF -- "$want_err" "$work/err"; }; then
    fails=$((fails + 1))
    echo "FAIL $name: rc=$rc (want $want_rc)"
    echo "  stdout: $(head -c 300 "$work/out")"
    echo "  stderr: $(head -c 300 "$work/err")"
  fi
}

cat >"$work/hello.tmpl" <<'T'
Hello, {{.name}}!{{range .items}} [{{.}}]{{end}} {{printf "%T" .count}}
T
printf '{"name": "JSON", "items": [1, "b"], "count": 2.0}' >"$work/d.json"
printf 'name: YAML\nitems:\n  - 1\n  - b\ncount: 2\n' >"$work/d.yaml"
printf '{{.x.y}}' >"$work/missing.tmpl"
printf 'line 1\n{{if}}\n' >"$work/bad.tmpl"
printf '{{index .items 5}}' >"$work/exec.tmpl"

check help 0 "$("$RMK" template render --help)" "" -- template render --help
"$RMK" template render --help | grep -q -- '--data FILE' || { echo "FAIL help text"; fails=$((fails + 1)); }
check json 0 "Hello, JSON! [1] [b] float64" "" -- template render "$work/hello.tmpl" --data "$work/d.json"
check yaml 0 "Hello, YAML! [1] [b] int" "" -- template render --data "$work/d.yaml" "$work/hello.tmpl"
check short-flag 0 "Hello, YAML! [1] [b] int" "" -- template render -d "$work/d.yaml" "$work/hello.tmpl"
check nodata 0 "Hello, <no value>! <nil>" "" -- template render "$work/hello.tmpl"
STDIN=$work/hello.tmpl check stdin 0 "Hello, JSON! [1] [b] float64" "" -- template render - --data "$work/d.json"
check parse-error 1 "" "template: bad.tmpl:2: missing value for if" -- template render "$work/bad.tmpl"
check exec-error 1 "" 'template: exec.tmpl:1:2: executing "exec.tmpl" at <index .items 5>: error calling index: index out of range: 5' \
  -- template render "$work/exec.tmpl" --data "$work/d.json"
check missingkey-default 0 "<no value>" "" -- template render "$work/missing.tmpl" --data "$work/d.json"
check missingkey-error 1 "" 'map has no entry for key "x"' -- template render --missingkey error "$work/missing.tmpl" --data "$work/d.json"
check missingkey-bad 2 "" "unrecognized option: missingkey=bogus" -- template render --missingkey=bogus "$work/missing.tmpl"
check no-file 2 "" "expected one template file" -- template render
check two-files 2 "" "expected one template file" -- template render "$work/a" "$work/b"
check bad-flag 2 "" "" -- template render --nope "$work/hello.tmpl"
check missing-file 1 "" "open $work/nope.tmpl" -- template render "$work/nope.tmpl"
check missing-data 1 "" "open $work/nope.json" -- template render "$work/hello.tmpl" --data "$work/nope.json"
printf '{"a": ' >"$work/broken.json"
check broken-json 1 "" "broken.json" -- template render "$work/hello.tmpl" --data "$work/broken.json"
printf 'a: [1\n' >"$work/broken.yaml"
check broken-yaml 1 "" "broken.yaml" -- template render "$work/hello.tmpl" --data "$work/broken.yaml"
# RMK's secret generation rules use Sprig (randAlphaNum); Sprig's set changes a dict in
# place while values read before keep theirs, as in Go.
cat >"$work/spec.tmpl" <<'T'
{{- $pw := randAlphaNum 16 -}}
{{ len $pw }} {{ regexMatch "^[A-Za-z0-9]{16}$" $pw }}
{{- $d := dict "a" 1 }}{{ $old := $d.a }}{{ $_ := set $d "a" 2 }} {{ $old }}{{ $d.a }} {{ printf "%T" (add 1 2) }}
T
check sprig 0 "16 true 12 int64" "" -- template render "$work/spec.tmpl"
printf '{{ toYaml . }}' >"$work/helm.tmpl"
check helm-only 1 "" 'template: helm.tmpl:1: function "toYaml" not defined' -- template render "$work/helm.tmpl"
echo "$checks checks, $fails failures"
[ $fails -eq 0 ] && echo PASS || exit 1
