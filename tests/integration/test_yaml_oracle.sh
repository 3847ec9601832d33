#!/usr/bin/env bash
# test_yaml_oracle.sh - our YAML reader + emitter against real go-yaml v3 (the library sops
# links): every case in tests/data/yaml-oracle and every YAML SOPS fixture is written back
# by tests/oracle/sops_yaml_oracle.go (Debian golang-gopkg-yaml.v3-dev) and by
# yaml_sops_roundtrip (lib/doc_yaml*.c); the bytes must be equal.
set -u
: "${BUILD_DIR:?}" "${SRC_DIR:?}"
command -v go >/dev/null || { echo "skip: go not installed (Debian golang-go)"; exit 77; }
[ -d /usr/share/gocode/src/gopkg.in/yaml.v3 ] ||
  { echo "skip: Debian golang-gopkg-yaml.v3-dev not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS= GOCACHE="$tmp/cache"
go build -o "$tmp/oracle" "$SRC_DIR/tests/oracle/sops_yaml_oracle.go" || { echo "oracle build failed"; exit 1; }
fail=0 n=0
check() { # file indent
  n=$((n + 1))
  "$tmp/oracle" -indent "$2" <"$1" >"$tmp/want" 2>&1
  "$BUILD_DIR/yaml_sops_roundtrip" -i "$2" <"$1" >"$tmp/got" 2>&1
  if ! cmp -s "$tmp/want" "$tmp/got"; then
    echo "FAIL: $1 (indent $2)"; diff "$tmp/want" "$tmp/got" | head -20; fail=1
  fi
}
for f in "$SRC_DIR"/tests/data/yaml-oracle/*.yaml; do check "$f" 4; check "$f" 2; done
for f in "$SRC_DIR"/tests/data/sops/*.yaml; do [ -f "$f" ] && check "$f" 4; done
echo "$n checked"
exit $fail
