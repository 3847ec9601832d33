#!/usr/bin/env bash
# test_fake_azure_sdk.sh - the Azure fake (tests/fakes/azure_fake.py) is faithful enough for
# Microsoft's own client: @azure/keyvault-secrets from npm (installed at test time into the
# build tree; npm picks the versions that run on this node) sends its unauthenticated first
# request, accepts the fake's 401 Bearer challenge (tenant from `authorization`, scope from
# `resource`), asks its credential for that scope and tenant, retries with the token, and
# reads secrets (latest, a given version, a vault under a path) and Key Vault's errors
# (SecretNotFound 404, Forbidden 403).  The credential gets its token from the fake's Entra
# endpoint with the client-credentials grant, as EnvironmentCredential would.
set -euo pipefail
SRC_DIR=${SRC_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD_DIR=${BUILD_DIR:-$SRC_DIR/build}
command -v node >/dev/null && command -v npm >/dev/null || { echo "node/npm are not installed"; exit 77; }

npm_dir=$BUILD_DIR/npm-azure
if [ ! -d "$npm_dir/node_modules/@azure/keyvault-secrets" ]; then
  mkdir -p "$npm_dir"
  if ! (cd "$npm_dir" && timeout 300 npm install --no-audit --no-fund --loglevel=error \
        @azure/keyvault-secrets >"$npm_dir/install.log" 2>&1); then
    tail -n 3 "$npm_dir/install.log" || true
    echo "npm could not install @azure/keyvault-secrets (registry unreachable?)"
    exit 77
  fi
fi

work=$(mktemp -d /tmp/azure-sdk.XXXXXX)
fake_pid=
cleanup() {
  if [ -n "$fake_pid" ]; then kill "$fake_pid" 2>/dev/null || true; wait "$fake_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

/usr/bin/python3 "$SRC_DIR/tests/fakes/azure_fake.py" --config "$SRC_DIR/tests/data/cloud/azure.json" \
  --port-file "$work/port" 2>"$work/fake.log" &
fake_pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
port=$(cat "$work/port")

cat > "$work/check.cjs" <<'EOF'
const { SecretClient } = require("@azure/keyvault-secrets");
const crypto = require("crypto");
const port = process.argv[2];
const base = `http://127.0.0.1:${port}`;
let checks = 0;
function check(cond, what) { checks++; if (!cond) { console.error("FAIL: " + what); process.exit(1); } }
const asked = [];
// EnvironmentCredential's client-credentials grant, against the fake's Entra endpoint
const credential = {
  async getToken(scopes, opts) {
    const tenant = opts && opts.tenantId;
    asked.push({ scopes: [].concat(scopes), tenant });
    const body = new URLSearchParams({ grant_type: "client_credentials", client_id: "rmk-client",
      client_secret: "rmk-client-secret", scope: [].concat(scopes).join(" ") });
    const r = await fetch(`${base}/${tenant}/oauth2/v2.0/token`, { method: "POST", body });
    const j = await r.json();
    if (!r.ok) throw new Error("token: " + JSON.stringify(j));
    check(j.token_type === "Bearer" && j.expires_in > 0, "token response shape");
    return { token: j.access_token, expiresOnTimestamp: Date.now() + j.expires_in * 1000 };
  },
};
const opts = { allowInsecureConnection: true, disableChallengeResourceVerification: true,
  retryOptions: { maxRetries: 0 } };
const vid = (vault, name, i) => crypto.createHash("md5").update(`${vault}/${name}/${i}`).digest("hex");
(async () => {
  const client = new SecretClient(base, credential, opts);
  let s = await client.getSecret("my-app-api-key");
  check(s.value === "abc123xyz987", "latest value");
  check(s.properties.version === vid("my-keyvault", "my-app-api-key", 0), "version parsed from id");
  check(s.properties.enabled === true, "attributes");
  s = await client.getSecret("rotated", { version: vid("my-keyvault", "rotated", 0) });
  check(s.value === "first", "a given version");
  s = await client.getSecret("rotated");
  check(s.value === "second", "latest of two versions");
  try { await client.getSecret("nope"); check(false, "missing secret"); }
  catch (e) { check(e.code === "SecretNotFound" && e.statusCode === 404, "SecretNotFound: " + e.code); }
  try { await client.getSecret("disabled"); check(false, "disabled secret"); }
  catch (e) { check(e.code === "Forbidden" && e.statusCode === 403, "Forbidden: " + e.code); }
  const other = new SecretClient(`${base}/my-vault`, credential, opts);
  s = await other.getSecret("storage-key");
  check(s.value === "az-storage-key", "vault under a path");
  check(asked.length >= 1 && asked.every((a) => a.scopes.length === 1 &&
        a.scopes[0] === "https://vault.azure.net/.default"), "scope from the challenge's resource");
  check(asked.every((a) => a.tenant === "11111111-2222-3333-4444-555555555555"),
        "tenant from the challenge's authorization");
  const log = await (await fetch(`${base}/__fake/requests`)).json();
  const gets = log.filter((e) => e.method === "GET");
  check(gets[0].authorization === null, "the first request carries no token (challenge)");
  check(gets.slice(1).some((e) => e.authorization === "present"), "later requests carry the token");
  check(gets.every((e) => e.query["api-version"]), "api-version sent (percent-encoded key decoded)");
  console.log(`ok: ${checks} checks`);
})().catch((e) => { console.error("FAIL:", e); process.exit(1); });
EOF
NODE_PATH=$npm_dir/node_modules node "$work/check.cjs" "$port" || fail "the Azure SDK check failed"
