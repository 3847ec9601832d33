#!/usr/bin/env bash
# test_gcpsecrets.sh - valsd's gcpsecrets backend against the Google fake (itself checked
# with gcloud in test_fake_gcp_gcloud.sh), through valsctl and `rmk template render`:
#  - the RMK page's refs (ref+gcpsecrets://my-secret, ref+gcpsecrets://my-api-key,
#    ref+gcpsecrets://projects/my-project/secrets/external-api-key/versions/latest), vals'
#    PROJECT/NAME, ?version=, #fragments of a JSON secret before or after the query;
#  - GOOGLE_APPLICATION_CREDENTIALS with a service-account key: valsd's RS256 JWT grant is
#    verified by the fake with the key's public half; one token for many secrets; a
#    revoked token (401) is replaced once; project from the key, GOOGLE_CLOUD_PROJECT or
#    ?project=; authorized_user (refresh token) from gcloud's ADC file;
#    GOOGLE_OAUTH_ACCESS_TOKEN;
#  - payload.dataCrc32c checked (a corrupted checksum is an error); binary payloads;
#    trim_nl, fallback_value, optional;
#  - errors with exit 1 naming the ref: not found, denied (other project), disabled
#    version, no credentials, a key signed by the wrong private key;
#  - credential isolation: a context with another key never gets the first one's values;
#  - no value or token in valsd's log.
. "$(dirname "$0")/cloud_lib.sh"
command -v openssl >/dev/null || { echo "openssl is not installed"; exit 77; }
/usr/bin/python3 -c 'import cryptography' 2>/dev/null || { echo "python3-cryptography is not installed"; exit 77; }

cp "$SRC_DIR/tests/data/cloud/gcp.json" "$work/"
for k in sa sa2 wrong; do
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/$k.pem" 2>/dev/null
done
start_fake gcp "$work/gcp.json"
gcp=http://127.0.0.1:$fake_port
mkkey() { # PEM EMAIL KID PROJECT OUT
  /usr/bin/python3 - "$@" "$gcp/token" <<'EOF'
import json, sys
pem, email, kid, project, out, uri = sys.argv[1:]
json.dump({"type": "service_account", "project_id": project, "private_key_id": kid,
           "private_key": open(pem).read(), "client_email": email, "client_id": "1",
           "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": uri},
          open(out, "w"))
EOF
}
mkkey "$work/sa.pem" rmk@my-project.iam.gserviceaccount.com 0123456789abcdef my-project "$work/sa.json"
mkkey "$work/sa2.pem" other@other-project.iam.gserviceaccount.com fedcba other-project "$work/sa2.json"
mkkey "$work/wrong.pem" rmk@my-project.iam.gserviceaccount.com 0123456789abcdef my-project "$work/wrong.json"
start_valsd GOOGLE_APPLICATION_CREDENTIALS="$work/sa.json" CLOUDSDK_API_ENDPOINT_OVERRIDES_SECRETMANAGER="$gcp/"

export CLOUDSDK_API_ENDPOINT_OVERRIDES_SECRETMANAGER=$gcp/
# --- no credentials in the client's context: denied, not valsd's own ---------------------
expect_error 'ref+gcpsecrets://my-secret' "no Google credentials"

export GOOGLE_APPLICATION_CREDENTIALS=$work/sa.json
# --- the RMK page's refs and vals' spellings -----------------------------------------------
expect_value 'ref+gcpsecrets://my-secret' my-db-password-123
expect_value 'ref+gcpsecrets://my-api-key' gcp-api-key-1
expect_value 'ref+gcpsecrets://projects/my-project/secrets/external-api-key/versions/latest' ext-key-v2
expect_value 'ref+gcpsecrets://projects/my-project/secrets/external-api-key/versions/1' ext-key-v1
expect_value 'ref+gcpsecrets://projects/my-project/secrets/external-api-key' ext-key-v2
expect_value 'ref+gcpsecrets://my-project/external-api-key?version=1' ext-key-v1
expect_value 'ref+gcpsecrets://external-api-key?version=1&project=my-project' ext-key-v1
expect_value 'ref+gcpsecrets://app-config#db.user' gcp-user
expect_value 'ref+gcpsecrets://app-config#/db/user' gcp-user
expect_value 'ref+gcpsecrets://app-config#token?project=my-project' gcp-token
expect_value 'ref+gcpsecrets://app-config?project=my-project#token' gcp-token
[ "$(get 'ref+gcpsecrets://with-newline' | od -An -c | tr -s ' ')" = " l i n e \n" ] || fail "payload kept verbatim"
ok
expect_value 'ref+gcpsecrets://with-newline?trim_nl=true' line
get 'ref+gcpsecrets://binary' > "$work/bin" || fail "binary"
[ "$(od -An -tx1 "$work/bin" | tr -d ' \n')" = "00010203ff" ] || fail "binary payload"
ok
GOOGLE_CLOUD_PROJECT=other-project GOOGLE_APPLICATION_CREDENTIALS=$work/sa2.json \
  expect_value 'ref+gcpsecrets://my-secret' other-project-value
# one token for all of these: the JWT grant happened once
[ "$(fake_count "$gcp" POST /token)" = 2 ] || fail "token requests: $(fake_count "$gcp" POST /token), want 2 (two keys)"
ok
fake_log "$gcp" | /usr/bin/python3 -c '
import json, sys
log = json.load(sys.stdin)
acc = [e for e in log if e["path"].endswith(":access")]
assert acc and all(e["authorization"] == "present" for e in acc)
tok = [e for e in log if e["path"] == "/token"]
assert all(e["content-type"] == "application/x-www-form-urlencoded" for e in tok)
' || fail "request shapes"
ok

# --- errors: exit 1, the ref named ---------------------------------------------------------
expect_error 'ref+gcpsecrets://nope' "NOT_FOUND" "HTTP 404"
expect_error 'ref+gcpsecrets://other-project/my-secret' "PERMISSION_DENIED" "HTTP 403"
expect_error 'ref+gcpsecrets://disabled?version=2' "FAILED_PRECONDITION"
expect_error 'ref+gcpsecrets://app-config#db.missing' "no value found for key db.missing"
expect_error 'ref+gcpsecrets://projects/my-project/keys/x' "expected projects/PROJECT/secrets/SECRET"
expect_error 'ref+gcpsecrets://projects/my-project/secrets/external-api-key/versions/1?version=2' "contradicts"
GOOGLE_APPLICATION_CREDENTIALS=$work/wrong.json expect_error 'ref+gcpsecrets://my-api-key' "invalid_grant" "HTTP 400"
GOOGLE_APPLICATION_CREDENTIALS=$work/none.json expect_error 'ref+gcpsecrets://my-api-key' "GOOGLE_APPLICATION_CREDENTIALS"
# vals' optional / fallback_value
expect_value 'ref+gcpsecrets://nope?fallback_value=dflt' dflt
[ "$(get 'ref+gcpsecrets://nope?optional=true')" = "" ] || fail "optional"
ok
# a corrupted checksum is refused
curl -s -X POST -d '{"corrupt_crc": true}' "$gcp/__fake/control" >/dev/null
expect_error 'ref+gcpsecrets://projects/my-project/secrets/external-api-key/versions/2?x=crc' "dataCrc32c"
curl -s -X POST -d '{"corrupt_crc": false}' "$gcp/__fake/control" >/dev/null

# --- credential isolation -------------------------------------------------------------------
reads() { fake_count "$gcp" GET /secrets/my-api-key/; }
r1=$(reads)
expect_value 'ref+gcpsecrets://my-project/my-api-key' gcp-api-key-1
GOOGLE_APPLICATION_CREDENTIALS=$work/sa2.json expect_error 'ref+gcpsecrets://my-project/my-api-key' "PERMISSION_DENIED"
[ "$(reads)" = $((r1 + 2)) ] || fail "another key was served from the first one's cache ($r1 -> $(reads))"
ok
expect_value 'ref+gcpsecrets://my-project/my-api-key' gcp-api-key-1
[ "$(reads)" = $((r1 + 2)) ] || fail "the first key's cache entry was lost"
ok

# --- a revoked access token: one new grant, then the value ----------------------------------
curl -s -X POST -d '{"revoke_all": true}' "$gcp/__fake/control" >/dev/null
t0=$(fake_count "$gcp" POST /token)
expect_value 'ref+gcpsecrets://my-secret?x=revoked' my-db-password-123
[ "$(fake_count "$gcp" POST /token)" = $((t0 + 1)) ] || fail "no new grant after a 401"
ok

# --- other credential sources -------------------------------------------------------------------
unset GOOGLE_APPLICATION_CREDENTIALS
GOOGLE_OAUTH_ACCESS_TOKEN=static-token expect_value 'ref+gcpsecrets://my-project/my-secret' my-db-password-123
mkdir -p "$work/gcloud"
printf '{"type": "authorized_user", "client_id": "user-client", "client_secret": "user-secret", "refresh_token": "refresh-1", "token_uri": "%s/token"}\n' "$gcp" \
  > "$work/gcloud/application_default_credentials.json"
CLOUDSDK_CONFIG=$work/gcloud GOOGLE_CLOUD_PROJECT=my-project expect_value 'ref+gcpsecrets://my-api-key' gcp-api-key-1
mkdir -p "$HOME/.config/gcloud"
cp "$work/gcloud/application_default_credentials.json" "$HOME/.config/gcloud/"
GCP_PROJECT=my-project expect_value 'ref+gcpsecrets://app-config#token' gcp-token

# --- rmk template render with fetchSecretValue (the page's multi-provider example) ----------
export GOOGLE_APPLICATION_CREDENTIALS=$work/sa.json
cat > "$work/gcp.tmpl" <<'EOF'
# GCP-provided secrets (requires GOOGLE_APPLICATION_CREDENTIALS)
gcp:
  apiKey: {{ fetchSecretValue "ref+gcpsecrets://my-api-key" }}
  dbPassword: '{{ fetchSecretValue "ref+gcpsecrets://my-secret" }}'
  external: {{ fetchSecretValue "ref+gcpsecrets://projects/my-project/secrets/external-api-key/versions/latest" }}
  user: {{ fetchSecretValue "ref+gcpsecrets://app-config#db.user?project=my-project" }}
EOF
"$RMK" template render "$work/gcp.tmpl" > "$work/render.out" 2>"$work/err" || fail "render: $(cat "$work/err")"
cat > "$work/want" <<'EOF'
# GCP-provided secrets (requires GOOGLE_APPLICATION_CREDENTIALS)
gcp:
  apiKey: gcp-api-key-1
  dbPassword: 'my-db-password-123'
  external: ext-key-v2
  user: gcp-user
EOF
diff -u "$work/want" "$work/render.out" || fail "render output"
ok
printf 'x: {{ fetchSecretValue "ref+gcpsecrets://nope" }}\n' > "$work/bad.tmpl"
rc=0
"$RMK" template render "$work/bad.tmpl" > "$work/render.out" 2>"$work/err" || rc=$?
[ "$rc" = 1 ] && grep -qF 'ref+gcpsecrets://nope' "$work/err" || fail "render error: exit $rc: $(cat "$work/err")"
ok

no_secret_in_log my-db-password-123 gcp-api-key-1 ext-key-v2 gcp-token ya29.fake user-secret refresh-1
echo "ok: $checks checks"
