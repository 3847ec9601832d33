#!/usr/bin/env bash
# test_vault.sh - valsd's vault backend against the Vault fake (itself checked with hvac in
# test_fake_vault_hvac.py), through valsctl and through `rmk template render` with
# fetchSecretValue:
#  - the RMK page's ref+vault://secret/data/observability#data.token (KV v2, dotted
#    fragment, the explicit data/ path read as written) and vals' own forms (#key, string
#    mode PATH/FIELD, KV v1, a two-segment mount, ?version=N), with the fragment before
#    or after the query;
#  - one mount preflight per mount; token sources VAULT_TOKEN, token_env, ~/.vault-token,
#    VAULT_TOKEN_FILE; VAULT_NAMESPACE sent as X-Vault-Namespace; approle login cached and
#    redone when Vault revokes the token; userpass;
#  - errors with exit 1 naming the ref: not found, deleted version, denied, no token;
#  - credential isolation: another token never gets a value cached for the first; valsd's
#    own VAULT_TOKEN is never used for a client;
#  - TLS: VAULT_CACERT trusts a private CA, VAULT_SKIP_VERIFY skips verification;
#  - no value or token in valsd's log.
. "$(dirname "$0")/cloud_lib.sh"

start_fake vault "$SRC_DIR/tests/data/cloud/vault.json"
vault=http://127.0.0.1:$fake_port
# valsd's own environment holds a valid token: it must never be used for a client
start_valsd VAULT_ADDR="$vault" VAULT_TOKEN=root-token

# --- no token in the client's context: denied, not valsd's own token -----------------
export VAULT_ADDR=$vault
expect_error 'ref+vault://secret/data/observability#data.token' "no Vault token"

export VAULT_TOKEN=root-token
# --- the RMK page's ref and vals' spellings -------------------------------------------
expect_value 'ref+vault://secret/data/observability#data.token' obs-token-123
expect_value 'ref+vault://secret/data/observability#/data/token' obs-token-123
expect_value 'ref+vault://secret/observability#token' obs-token-123
expect_value 'ref+vault://secret/observability#/token' obs-token-123
expect_value 'ref+vault://secret/observability/token' obs-token-123
expect_value 'ref+vault://secret/data/observability/token' obs-token-123
expect_value 'ref+vault://secret/observability#port' 9090
expect_value 'ref+vault://secret/observability?version=1#token' obs-token-v1
expect_value 'ref+vault://secret/observability#token?version=1' obs-token-v1
expect_value "ref+vault://secret/data/observability#data.token?address=$vault" obs-token-123
expect_value "ref+vault://secret/data/observability?address=$vault#data.token" obs-token-123
expect_value 'ref+vault://secret/my-app/b64?decode=base64' hello
expect_value 'ref+vault://kv/app#user' kv1-user
expect_value 'ref+vault://kv/app/pass' kv1-pass
expect_value 'ref+vault://kv/app#nested.deep' kv1-deep
expect_value 'ref+vault://team/kv2/svc#key' team-value
expect_value 'ref+vault://secret/data/observability?kv_version=2#data.token' obs-token-123
# a whole document through eval keeps types
printf 'a: ref+vault://secret/observability#port\nb: ref+vault://secret/data/observability#data.token\n' > "$work/doc.yaml"
"$VALSCTL" --no-start eval -f "$work/doc.yaml" > "$work/doc.out" || fail "eval"
grep -qx 'a: 9090' "$work/doc.out" && grep -qx 'b: obs-token-123' "$work/doc.out" || fail "eval: $(cat "$work/doc.out")"
ok
# one preflight per mount (secret/, kv/, team/kv2/), whatever the number of secrets
n=$(fake_count "$vault" GET /v1/sys/internal/ui/mounts/)
[ "$n" = 3 ] || fail "mount lookups: $n, want 3"
ok
# the cache: the same ref again costs no request
before=$(fake_count "$vault" GET /v1/secret/data/observability)
expect_value 'ref+vault://secret/data/observability#data.token' obs-token-123
[ "$(fake_count "$vault" GET /v1/secret/data/observability)" = "$before" ] || fail "not cached"
ok

# --- errors: exit 1, the ref named -------------------------------------------------------
expect_error 'ref+vault://secret/nope#token' "HTTP 404" "secret/nope"
expect_error 'ref+vault://secret/gone#k' "deleted"
expect_error 'ref+vault://secret/observability#missing' "no value found for key missing"
expect_error 'ref+vault://secret/observability/missing' 'key "missing" does not exist'
expect_error 'ref+vault://kv' "names the field"
VAULT_TOKEN=kv-only expect_error 'ref+vault://secret/my-app#username' "HTTP 403"
VAULT_TOKEN=bogus expect_error 'ref+vault://kv/app#user' "permission denied"

# --- retries: a 503 is retried, persistent throttling is reported as such ------------------
before=$(fake_count "$vault" GET /v1/kv/app)
curl -s -X POST -d '{"fail_next": {"status": 503, "count": 1}}' "$vault/__fake/control" >/dev/null
expect_value 'ref+vault://kv/app#user?x=retry' kv1-user
[ "$(fake_count "$vault" GET /v1/kv/app)" = $((before + 2)) ] || fail "503 not retried once"
ok
curl -s -X POST -d '{"fail_next": {"status": 429, "count": 3}}' "$vault/__fake/control" >/dev/null
expect_error 'ref+vault://kv/app#user?x=throttle' "HTTP 429"
[ "$(fake_count "$vault" GET /v1/kv/app)" = $((before + 5)) ] || fail "429 not tried 3 times"
ok

# --- credential isolation -----------------------------------------------------------------
reads() { fake_count "$vault" GET /v1/secret/data/my-app; }
expect_value 'ref+vault://secret/my-app#username' app-user
r1=$(reads)
# a token without access is refused although the value is cached for another token
VAULT_TOKEN=kv-only expect_error 'ref+vault://secret/my-app#username' "HTTP 403"
# a second valid token fetches for itself
VAULT_TOKEN=other-token expect_value 'ref+vault://secret/my-app#username' app-user
[ "$(reads)" = $((r1 + 1)) ] || fail "another token was served from the first one's cache"
ok
expect_value 'ref+vault://secret/my-app#username' app-user
[ "$(reads)" = $((r1 + 1)) ] || fail "the first token's cache entry was lost"
ok

# --- token sources ---------------------------------------------------------------------
unset VAULT_TOKEN
MY_VAULT_TOKEN=root-token expect_value 'ref+vault://secret/my-app?token_env=MY_VAULT_TOKEN#password' app-pass
# token_env names a variable outside VAULT_*: another value there is another cache entry
MY_VAULT_TOKEN=kv-only expect_error 'ref+vault://secret/my-app?token_env=MY_VAULT_TOKEN#password' "HTTP 403"
MY_VAULT_TOKEN=root-token expect_value 'ref+vault://secret/my-app?token_env=MY_VAULT_TOKEN#password' app-pass
printf 'root-token\n' > "$HOME/.vault-token"
expect_value 'ref+vault://secret/my-app#password' app-pass
rm "$HOME/.vault-token"
printf 'root-token\n' > "$work/tokfile"
VAULT_TOKEN_FILE=$work/tokfile expect_value 'ref+vault://kv/app#pass' kv1-pass
expect_value "ref+vault://kv/app?token_file=$work/tokfile#user" kv1-user

# --- namespaces ------------------------------------------------------------------------
VAULT_TOKEN=ns-token VAULT_NAMESPACE=team-a expect_value 'ref+vault://secret/data/observability#data.token' team-a-token
VAULT_TOKEN=ns-token expect_value 'ref+vault://secret/data/observability?namespace=team-a#data.token' team-a-token
fake_log "$vault" | /usr/bin/python3 -c '
import json, sys
log = json.load(sys.stdin)
ns = [e for e in log if e.get("x-vault-namespace") == "team-a"]
assert ns and all(e["path"].startswith("/v1/") for e in ns), "no X-Vault-Namespace"
assert all(e.get("x-vault-request") == "true" for e in log if e["path"].startswith("/v1/"))
' || fail "namespace / X-Vault-Request headers"
ok

# --- approle: one login for many reads; a revoked token means one new login ---------------
export VAULT_AUTH_METHOD=approle VAULT_ROLE_ID=role-1 VAULT_SECRET_ID=sid-1
logins() { fake_count "$vault" POST /v1/auth/approle/login; }
expect_value 'ref+vault://secret/observability#port' 9090
expect_value 'ref+vault://kv/app#user' kv1-user
[ "$(logins)" = 1 ] || fail "approle logins: $(logins), want 1"
ok
curl -s -X POST -d '{"revoke_all": true}' "$vault/__fake/control" >/dev/null
expect_value 'ref+vault://secret/my-app#password' app-pass
[ "$(logins)" = 2 ] || fail "approle logins after revocation: $(logins), want 2"
ok
VAULT_SECRET_ID=wrong expect_error 'ref+vault://secret/my-app#username' "approle login" "HTTP 400"
unset VAULT_AUTH_METHOD VAULT_ROLE_ID VAULT_SECRET_ID
VAULT_AUTH_METHOD=userpass VAULT_USERNAME=alice ALICE_PW=alice-pw VAULT_PASSWORD_ENV=ALICE_PW \
  expect_value 'ref+vault://secret/my-app#username' app-user

# --- rmk template render with fetchSecretValue --------------------------------------------
export VAULT_TOKEN=root-token
cat > "$work/vault.tmpl" <<'EOF'
metrics:
  token: {{ fetchSecretValue "ref+vault://secret/data/observability#data.token" }}
  fromFragmentQuery: {{ fetchSecretValue "ref+vault://secret/observability#token?version=1" }}
  # Optional dynamic Vals references still supported
  dynamic: ref+vault://secret/data/observability#data.token
EOF
"$RMK" template render "$work/vault.tmpl" > "$work/render.out" 2>"$work/err" || fail "render: $(cat "$work/err")"
grep -qx '  token: obs-token-123' "$work/render.out" || fail "render: $(cat "$work/render.out")"
grep -qx '  fromFragmentQuery: obs-token-v1' "$work/render.out" || fail "render query order"
grep -qx '  dynamic: ref+vault://secret/data/observability#data.token' "$work/render.out" || fail "a bare ref was touched"
ok
printf 'x: {{ fetchSecretValue "ref+vault://secret/nope#token" }}\n' > "$work/bad.tmpl"
rc=0
"$RMK" template render "$work/bad.tmpl" > "$work/render.out" 2>"$work/err" || rc=$?
[ "$rc" = 1 ] || fail "render of a missing secret: exit $rc"
grep -qF 'ref+vault://secret/nope#token' "$work/err" || fail "render error does not name the ref: $(cat "$work/err")"
[ -s "$work/render.out" ] && fail "render wrote output despite the error"
ok

# --- TLS ----------------------------------------------------------------------------------
mkcert vaulttls
start_fake vault "$SRC_DIR/tests/data/cloud/vault.json" --tls-cert "$work/vaulttls.pem" --tls-key "$work/vaulttls.key"
tls=https://127.0.0.1:$fake_port
VAULT_ADDR=$tls expect_error 'ref+vault://kv/app#user' "certificate"
VAULT_ADDR=$tls VAULT_CACERT=$work/vaulttls.pem expect_value 'ref+vault://kv/app#user' kv1-user
VAULT_ADDR=$tls VAULT_SKIP_VERIFY=true expect_value 'ref+vault://kv/app#pass' kv1-pass

no_secret_in_log obs-token-123 app-pass kv1-pass root-token sid-1 alice-pw
echo "ok: $checks checks"
