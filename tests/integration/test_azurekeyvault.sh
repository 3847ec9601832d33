#!/usr/bin/env bash
# test_azurekeyvault.sh - valsd's azurekeyvault backend against the Azure fake (itself
# checked with @azure/keyvault-secrets in test_fake_azure_sdk.sh), through valsctl and
# `rmk template render`:
#  - the RMK page's refs (ref+azurekeyvault://my-keyvault/my-app-api-key,
#    ref+azurekeyvault://my-vault/storage-key), a given version, #fragments of a JSON
#    secret before or after the query;
#  - the Key Vault handshake: the first request per vault without a token, the 401
#    challenge's tenant and resource/scope (both spellings), the token from the Entra
#    endpoint (AZURE_AUTHORITY_HOST) with client credentials or workload identity; one
#    token for many secrets; a revoked token answered with one new token;
#  - errors with exit 1 naming the ref: not found, denied (RBAC, disabled secret), a wrong
#    client secret, no credentials;
#  - credential isolation: another client never gets the first one's cached values;
#  - no value or token in valsd's log.
. "$(dirname "$0")/cloud_lib.sh"

tenant=11111111-2222-3333-4444-555555555555
start_fake azure "$SRC_DIR/tests/data/cloud/azure.json"
az=http://127.0.0.1:$fake_port
start_valsd AZURE_CLIENT_ID=rmk-client AZURE_CLIENT_SECRET=rmk-client-secret AZURE_TENANT_ID=$tenant \
  AZURE_KEYVAULT_ENDPOINT="$az/{vault}" AZURE_AUTHORITY_HOST="$az"

export AZURE_KEYVAULT_ENDPOINT="$az/{vault}" AZURE_AUTHORITY_HOST=$az
# --- no credentials in the client's context: denied, not valsd's own ---------------------
expect_error 'ref+azurekeyvault://my-keyvault/my-app-api-key' "no Azure credentials"

export AZURE_CLIENT_ID=rmk-client AZURE_CLIENT_SECRET=rmk-client-secret AZURE_TENANT_ID=$tenant
# --- the RMK page's refs ----------------------------------------------------------------
expect_value 'ref+azurekeyvault://my-keyvault/my-app-api-key' abc123xyz987
expect_value 'ref+azurekeyvault://my-vault/storage-key' az-storage-key
expect_value 'ref+azurekeyvault://my-keyvault/rotated' second
v0=$(/usr/bin/python3 -c 'import hashlib; print(hashlib.md5(b"my-keyvault/rotated/0").hexdigest())')
expect_value "ref+azurekeyvault://my-keyvault/rotated/$v0" first
expect_value 'ref+azurekeyvault://my-keyvault/app-json#db.password' az-db-pass
expect_value 'ref+azurekeyvault://my-keyvault/app-json#/db/password?x=1' az-db-pass
expect_value 'ref+azurekeyvault://my-keyvault/app-json?x=2#db/password' az-db-pass
# the handshake: one unauthenticated request per vault, one token for everything
unauth=$(fake_log "$az" | /usr/bin/python3 -c '
import json, sys
print(sum(1 for e in json.load(sys.stdin) if e["method"] == "GET" and e["authorization"] is None))')
[ "$unauth" = 2 ] || fail "unauthenticated requests: $unauth, want 2 (one per vault)"
ok
[ "$(fake_count "$az" POST "/$tenant/oauth2/v2.0/token")" = 1 ] || fail "token requests, want 1"
ok
# the tenant comes from the challenge when AZURE_TENANT_ID is not set
AZURE_TENANT_ID= expect_value 'ref+azurekeyvault://my-keyvault/my-app-api-key?t=challenge' abc123xyz987

# --- errors: exit 1, the ref named -----------------------------------------------------------
expect_error 'ref+azurekeyvault://my-keyvault/nope' "SecretNotFound" "HTTP 404"
expect_error 'ref+azurekeyvault://my-keyvault/disabled' "Forbidden" "HTTP 403"
expect_error 'ref+azurekeyvault://my-keyvault/app-json#db.nope' "no value found for key db.nope"
expect_error 'ref+azurekeyvault://my-keyvault' "VAULT/NAME"
expect_error 'ref+azurekeyvault://my-keyvault/bad_name' "secret names"
AZURE_CLIENT_SECRET=wrong expect_error 'ref+azurekeyvault://my-keyvault/my-app-api-key' "invalid_client" "AADSTS7000215"

# --- credential isolation ---------------------------------------------------------------------
reads() { fake_count "$az" GET /secrets/storage-key; }
r1=$(reads)
AZURE_CLIENT_ID=no-access AZURE_CLIENT_SECRET=no-access-secret \
  expect_error 'ref+azurekeyvault://my-vault/storage-key' "Forbidden" "HTTP 403"
[ "$(reads)" = $((r1 + 1)) ] || fail "another client was served from the first one's cache"
ok
expect_value 'ref+azurekeyvault://my-vault/storage-key' az-storage-key
[ "$(reads)" = $((r1 + 1)) ] || fail "the first client's cache entry was lost"
ok

# --- a revoked token: 401, one new token, the value ---------------------------------------------
curl -s -X POST -d '{"revoke_all": true}' "$az/__fake/control" >/dev/null
t0=$(fake_count "$az" POST /oauth2/v2.0/token)
expect_value 'ref+azurekeyvault://my-keyvault/my-app-api-key?x=revoked' abc123xyz987
[ "$(fake_count "$az" POST /oauth2/v2.0/token)" = $((t0 + 1)) ] || fail "no new token after a 401"
ok

# --- workload identity ------------------------------------------------------------------------------
printf 'federated.jwt.token\n' > "$work/fed-token"
AZURE_CLIENT_SECRET= AZURE_FEDERATED_TOKEN_FILE=$work/fed-token \
  expect_value 'ref+azurekeyvault://my-vault/storage-key?x=wi' az-storage-key
printf 'stale.jwt\n' > "$work/fed-bad"
AZURE_CLIENT_SECRET= AZURE_FEDERATED_TOKEN_FILE=$work/fed-bad \
  expect_error 'ref+azurekeyvault://my-vault/storage-key?x=wi2' "AADSTS700211"

# --- a challenge with scope= instead of resource= -------------------------------------------------
/usr/bin/python3 -c '
import json, sys
c = json.load(open(sys.argv[1])); c["challenge"] = "scope"; json.dump(c, open(sys.argv[2], "w"))
' "$SRC_DIR/tests/data/cloud/azure.json" "$work/azure-scope.json"
start_fake azure "$work/azure-scope.json"
AZURE_KEYVAULT_ENDPOINT="http://127.0.0.1:$fake_port/{vault}" AZURE_AUTHORITY_HOST=http://127.0.0.1:$fake_port \
  expect_value 'ref+azurekeyvault://my-keyvault/my-app-api-key' abc123xyz987

# --- rmk template render with fetchSecretValue -------------------------------------------------------
cat > "$work/az.tmpl" <<'EOF'
# Azure-provided secrets (requires AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_TENANT_ID)
azure:
  apiKey: '{{ fetchSecretValue "ref+azurekeyvault://my-keyvault/my-app-api-key" }}'
  storageKey: {{ fetchSecretValue "ref+azurekeyvault://my-vault/storage-key" }}
  dbPassword: {{ fetchSecretValue "ref+azurekeyvault://my-keyvault/app-json#db.password" }}
EOF
"$RMK" template render "$work/az.tmpl" > "$work/render.out" 2>"$work/err" || fail "render: $(cat "$work/err")"
cat > "$work/want" <<'EOF'
# Azure-provided secrets (requires AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_TENANT_ID)
azure:
  apiKey: 'abc123xyz987'
  storageKey: az-storage-key
  dbPassword: az-db-pass
EOF
diff -u "$work/want" "$work/render.out" || fail "render output"
ok
printf 'x: {{ fetchSecretValue "ref+azurekeyvault://my-keyvault/nope" }}\n' > "$work/bad.tmpl"
rc=0
"$RMK" template render "$work/bad.tmpl" > "$work/render.out" 2>"$work/err" || rc=$?
[ "$rc" = 1 ] && grep -qF 'ref+azurekeyvault://my-keyvault/nope' "$work/err" || fail "render error: exit $rc: $(cat "$work/err")"
ok

no_secret_in_log abc123xyz987 az-storage-key az-db-pass rmk-client-secret federated.jwt.token eyJ0eXAiOiJKV1QifQ
echo "ok: $checks checks"
