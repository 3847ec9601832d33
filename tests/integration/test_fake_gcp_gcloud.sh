#!/usr/bin/env bash
# test_fake_gcp_gcloud.sh - the Google fake (tests/fakes/gcp_fake.py) is faithful enough
# for the real gcloud CLI: gcloud activates a service-account key whose token_uri points at
# the fake, signs its JWT-bearer grant (the fake VERIFIES the RS256 signature with the
# account's public key), reads secrets with `gcloud secrets versions access` (gcloud
# checks payload.dataCrc32c itself, so a wrong checksum from the fake would fail), and gets
# Google's errors for missing secrets, other projects and disabled versions.  A key signed
# with the wrong private key is refused by the fake.
set -euo pipefail
SRC_DIR=${SRC_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v gcloud >/dev/null || { echo "gcloud is not installed"; exit 77; }
command -v openssl >/dev/null || { echo "openssl is not installed"; exit 77; }
/usr/bin/python3 -c 'import cryptography' 2>/dev/null || { echo "python3-cryptography is not installed"; exit 77; }

work=$(mktemp -d /tmp/gcp-gcloud.XXXXXX)
fake_pid=
cleanup() {
  if [ -n "$fake_pid" ]; then kill "$fake_pid" 2>/dev/null || true; wait "$fake_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
checks=0
ok() { checks=$((checks + 1)); }

cp "$SRC_DIR/tests/data/cloud/gcp.json" "$work/"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/sa.pem" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/sa2.pem" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/wrong.pem" 2>/dev/null
/usr/bin/python3 "$SRC_DIR/tests/fakes/gcp_fake.py" --config "$work/gcp.json" \
  --port-file "$work/port" 2>"$work/fake.log" &
fake_pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
port=$(cat "$work/port")

# service-account key files (what `gcloud iam service-accounts keys create` writes)
mkkey() { # PEM EMAIL KID OUT
  /usr/bin/python3 - "$@" "$port" <<'EOF'
import json, sys
pem, email, kid, out, port = sys.argv[1:]
json.dump({"type": "service_account", "project_id": "my-project", "private_key_id": kid,
           "private_key": open(pem).read(), "client_email": email, "client_id": "1",
           "auth_uri": "https://accounts.google.com/o/oauth2/auth",
           "token_uri": "http://127.0.0.1:%s/token" % port}, open(out, "w"))
EOF
}
mkkey "$work/sa.pem" rmk@my-project.iam.gserviceaccount.com 0123456789abcdef "$work/sa.json"
mkkey "$work/wrong.pem" rmk@my-project.iam.gserviceaccount.com 0123456789abcdef "$work/wrong.json"

export CLOUDSDK_CONFIG=$work/gcloud CLOUDSDK_CORE_PROJECT=my-project
export CLOUDSDK_API_ENDPOINT_OVERRIDES_SECRETMANAGER=http://127.0.0.1:$port/
export CLOUDSDK_AUTH_TOKEN_HOST=http://127.0.0.1:$port/token
export CLOUDSDK_CORE_DISABLE_PROMPTS=1 CLOUDSDK_CORE_DISABLE_USAGE_REPORTING=1
unset GOOGLE_APPLICATION_CREDENTIALS CLOUDSDK_AUTH_ACCESS_TOKEN_FILE || true

gcloud auth activate-service-account --key-file="$work/sa.json" >/dev/null 2>&1 || fail "activate-service-account"
v=$(gcloud secrets versions access latest --secret=my-secret 2>"$work/err") || fail "access: $(cat "$work/err")"
[ "$v" = "my-db-password-123" ] || fail "latest value: '$v'"; ok
v=$(gcloud secrets versions access 1 --secret=external-api-key 2>"$work/err") || fail "access v1: $(cat "$work/err")"
[ "$v" = "ext-key-v1" ] || fail "version 1: '$v'"; ok
gcloud secrets versions access latest --secret=binary --out-file="$work/bin" 2>"$work/err" || fail "binary: $(cat "$work/err")"
[ "$(od -An -tx1 "$work/bin" | tr -d ' \n')" = "00010203ff" ] || fail "binary payload"; ok
# errors, as gcloud reports Google's answers
if gcloud secrets versions access latest --secret=nope 2>"$work/err"; then fail "missing secret read"; fi
grep -q "NOT_FOUND" "$work/err" || fail "NOT_FOUND: $(cat "$work/err")"; ok
if gcloud secrets versions access latest --secret=my-secret --project=other-project 2>"$work/err"; then fail "other project read"; fi
grep -q "PERMISSION_DENIED" "$work/err" || fail "PERMISSION_DENIED: $(cat "$work/err")"; ok
if gcloud secrets versions access 2 --secret=disabled 2>"$work/err"; then fail "disabled version read"; fi
grep -q "FAILED_PRECONDITION" "$work/err" || fail "FAILED_PRECONDITION: $(cat "$work/err")"; ok
# gcloud verifies dataCrc32c: a corrupted checksum must be noticed
curl -s -X POST -d '{"corrupt_crc": true}' "http://127.0.0.1:$port/__fake/control" >/dev/null
if gcloud secrets versions access latest --secret=my-secret 2>"$work/err"; then fail "corrupt crc accepted"; fi
grep -qi "crc32c" "$work/err" || fail "crc error: $(cat "$work/err")"; ok
curl -s -X POST -d '{"corrupt_crc": false}' "http://127.0.0.1:$port/__fake/control" >/dev/null
# a key signed by the wrong private key: the fake's signature check refuses the grant
export CLOUDSDK_CONFIG=$work/gcloud-wrong
if gcloud auth activate-service-account --key-file="$work/wrong.json" >/dev/null 2>"$work/err" &&
  gcloud secrets versions access latest --secret=my-secret 2>>"$work/err"; then
  fail "a key signed with the wrong private key was accepted"
fi
grep -qi "invalid_grant\|Signature" "$work/err" || fail "wrong key error: $(cat "$work/err")"; ok
# what gcloud sent
curl -s "http://127.0.0.1:$port/__fake/requests" > "$work/log.json"
/usr/bin/python3 - "$work/log.json" <<'EOF' || fail "request log"
import json, sys
log = json.load(open(sys.argv[1]))
tok = [e for e in log if e["path"] == "/token"]
acc = [e for e in log if e["path"].endswith(":access")]
assert tok and all(e["content-type"].startswith("application/x-www-form-urlencoded") for e in tok)
assert acc and all(e["authorization"] == "present" for e in acc)
assert any(e["query"].get("alt") == "json" for e in acc)
EOF
ok
echo "ok: $checks checks"
