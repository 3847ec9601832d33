# cloud_lib.sh - sourced by test_vault.sh, test_gcpsecrets.sh, test_azurekeyvault.sh:
# a private work directory, a fake cloud server (tests/fakes/*_fake.py), a private valsd
# on its own socket, and small assertions.  Processes are ended by their pid on exit.
# shellcheck shell=bash
set -euo pipefail
SRC_DIR=${SRC_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD_DIR=${BUILD_DIR:-$SRC_DIR/build}
VALSD=$BUILD_DIR/valsd
VALSCTL=$BUILD_DIR/valsctl
RMK=$BUILD_DIR/rmk
for b in "$VALSD" "$VALSCTL" "$RMK"; do
  [ -x "$b" ] || { echo "$b is not built"; exit 77; }
done

work=$(mktemp -d /tmp/valsd-cloud.XXXXXX)
chmod 700 "$work"
pids=()
checks=0
cloud_cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -n "${KEEP:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cloud_cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  [ -f "$work/valsd.log" ] && tail -n 20 "$work/valsd.log" >&2
  exit 1
}
ok() { checks=$((checks + 1)); }

# A clean client environment: nothing of the caller's cloud settings leaks in.
for v in $(env | sed -n 's/^\(\(VAULT\|GOOGLE\|GCLOUD\|GCP\|CLOUDSDK\|AZURE\|VALS\|AWS\)_[A-Za-z0-9_]*\)=.*/\1/p'); do
  unset "$v"
done
export HOME=$work/home
mkdir -p "$HOME"
export VALSD_SOCKET=$work/run/valsd.sock

# start_fake NAME CONFIG [ARGS...]: start tests/fakes/NAME_fake.py; sets fake_port.
start_fake() {
  local name=$1 cfg=$2
  shift 2
  rm -f "$work/$name.port"
  /usr/bin/python3 "$SRC_DIR/tests/fakes/${name}_fake.py" --config "$cfg" \
    --port-file "$work/$name.port" "$@" 2>>"$work/$name-fake.log" &
  pids+=($!)
  for _ in $(seq 200); do [ -s "$work/$name.port" ] && break; sleep 0.05; done
  [ -s "$work/$name.port" ] || fail "the $name fake did not start: $(cat "$work/$name-fake.log")"
  fake_port=$(cat "$work/$name.port")
}

# start_valsd [VAR=value ...]: a private valsd; the variables go into ITS OWN environment
# (the tests prove it never uses them for a client).
start_valsd() {
  mkdir -p "$work/run"
  chmod 700 "$work/run"
  env "$@" "$VALSD" --socket "$VALSD_SOCKET" --log-level debug 2>>"$work/valsd.log" &
  pids+=($!)
  for _ in $(seq 200); do "$VALSCTL" --no-start ping >/dev/null 2>&1 && return 0; sleep 0.05; done
  fail "valsd did not start"
}

# get REF -> the value (valsctl get, exit status checked by the callers).
get() { "$VALSCTL" --no-start get "$1"; }

# expect_value REF VALUE: valsctl get REF prints exactly VALUE.
expect_value() {
  local out
  out=$(get "$1" 2>"$work/err") || fail "$1: exit $?: $(cat "$work/err")"
  [ "$out" = "$2" ] || fail "$1: got '$out', want '$2'"
  ok
}

# expect_error REF TEXT...: valsctl get REF exits 1 and stderr names the ref and each TEXT.
expect_error() {
  local ref=$1 rc=0
  shift
  get "$ref" >"$work/out" 2>"$work/err" || rc=$?
  [ "$rc" = 1 ] || fail "$ref: exit $rc (want 1), out: $(cat "$work/out")"
  grep -qF -- "$ref" "$work/err" || fail "$ref: the error does not name the ref: $(cat "$work/err")"
  for t in "$@"; do
    grep -qF -- "$t" "$work/err" || fail "$ref: the error lacks '$t': $(cat "$work/err")"
  done
  ok
}

# fake_count URL_BASE METHOD PATH_SUBSTRING: requests the fake logged.
fake_count() {
  curl -s "$1/__fake/requests" | /usr/bin/python3 -c '
import json, sys
m, p = sys.argv[1], sys.argv[2]
print(sum(1 for e in json.load(sys.stdin) if e["method"] == m and p in e["path"]))' "$2" "$3"
}

# fake_log URL_BASE: the whole request log (JSON).
fake_log() { curl -s "$1/__fake/requests"; }

# no_secret_in_log VALUE...: valsd's log never shows a value or token.
no_secret_in_log() {
  for v in "$@"; do
    if grep -qF -- "$v" "$work/valsd.log"; then fail "valsd's log contains a secret"; fi
  done
  ok
}

# mkcert NAME: a self-signed certificate for 127.0.0.1 ($work/NAME.pem, $work/NAME.key).
mkcert() {
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1" -keyout "$work/$1.key" -out "$work/$1.pem" 2>/dev/null
}
