#!/usr/bin/env bash
# Sprig inside "rmk template render": the generation rules RMK's documentation uses
# (randAlphaNum 16 in a .spec.yaml.gotmpl), plus a few pipelines mixing Sprig with the
# engine's builtins, rendered by the real rmk binary.
set -u
SRC_DIR=${SRC_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD_DIR=${BUILD_DIR:-$SRC_DIR/build}
RMK=$BUILD_DIR/rmk
[ -x "$RMK" ] || { echo "FAIL: $RMK is missing"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0

cat >"$work/spec.yaml.gotmpl" <<'T'
{{- range $name := list "postgres" "redis" }}
{{ $name }}:
  password: {{ randAlphaNum 16 }}
  htpasswd: {{ htpasswd "admin" "s3cret" | b64enc }}
{{- end }}
T
"$RMK" template render "$work/spec.yaml.gotmpl" >"$work/out1" 2>"$work/err" || { echo "FAIL render: $(cat "$work/err")"; exit 1; }
"$RMK" template render "$work/spec.yaml.gotmpl" >"$work/out2" 2>&1
n=$(grep -cE '^  password: [0-9A-Za-z]{16}$' "$work/out1")
[ "$n" = 2 ] && echo "ok   two 16-character alphanumeric passwords" || { echo "FAIL passwords: $(cat "$work/out1")"; fails=$((fails + 1)); }
[ "$(grep password "$work/out1")" != "$(grep password "$work/out2")" ] && echo "ok   passwords differ between renders" || { echo "FAIL same passwords twice"; fails=$((fails + 1)); }
grep -q '^postgres:$' "$work/out1" && grep -q '^redis:$' "$work/out1" && echo "ok   structure" || { echo "FAIL structure"; fails=$((fails + 1)); }

printf '%s' '{{ .users | keys | sortAlpha | join "," }} {{ .users.bob.age | add 1 }} {{ typeOf (add 1 2) }} {{ .when | toDate "2006-01-02" | date "Jan 2, 2006" }}' >"$work/mix.tmpl"
printf '{"users": {"bob": {"age": 41}, "alice": {"age": 30}}, "when": "2024-02-29"}' >"$work/d.json"
out=$("$RMK" template render "$work/mix.tmpl" --data "$work/d.json" 2>&1)
[ "$out" = "alice,bob 42 int64 Feb 29, 2024" ] && echo "ok   pipelines with data" || { echo "FAIL pipelines: $out"; fails=$((fails + 1)); }

printf '%s' '{{ list 1 2 | first | upper }}' >"$work/err.tmpl"
out=$("$RMK" template render "$work/err.tmpl" 2>&1)
case "$out" in *"error calling upper: wrong type for value; expected string; got int"*) echo "ok   argument type errors read like Go's";;
  *) echo "FAIL type error: $out"; fails=$((fails + 1));; esac

[ $fails -eq 0 ] && echo PASS || exit 1
