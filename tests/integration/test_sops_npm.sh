#!/usr/bin/env bash
# test_sops_npm.sh - a third, independent reader: the npm package sops-age (pinned 4.0.2,
# TypeScript, uses the age author's age-encryption) decrypts SOPS files written by lib/sops
# (YAML with comments, JSON, dotenv); the values must equal the plaintext.  sops-age does not
# check the MAC (test_sops_independent.sh does).  Skipped when node/npm or the registry are
# not available.
set -u
: "${BUILD_DIR:?}" "${SRC_DIR:?}"
command -v node >/dev/null && command -v npm >/dev/null || { echo "skip: node/npm not installed"; exit 77; }
command -v age-keygen >/dev/null || { echo "skip: Debian age not installed"; exit 77; }
/usr/bin/python3 -c 'import yaml' 2>/dev/null || { echo "skip: python3-yaml missing"; exit 77; }
T="$BUILD_DIR/sops_tool"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/npm"
if ! timeout 180 npm install --prefix "$tmp/npm" --cache "$tmp/npm-cache" --no-audit --no-fund \
     sops-age@4.0.2 >"$tmp/npm.log" 2>&1; then
  echo "skip: npm install sops-age@4.0.2 failed (registry unreachable?)"; exit 77
fi
cat >"$tmp/npm/dec.mjs" <<'J'
import { decryptSops } from "sops-age";
const [, , path, secretKey] = process.argv;
const out = await decryptSops({ path, secretKey });
process.stdout.write(JSON.stringify(out));
J
age-keygen -o "$tmp/key.txt" 2>/dev/null
sk=$(grep '^AGE-SECRET-KEY-' "$tmp/key.txt")
r=$(age-keygen -y "$tmp/key.txt")
printf '# comment\ndb:\n    user: admin # inline\n    port: 5432\n    ratio: 0.5\n    enabled: true\n    hosts:\n        - a\n        - b\nplain_unencrypted: x\n' >"$tmp/a.yaml"
printf '{\n\t"a": "x",\n\t"n": 3,\n\t"l": [\n\t\ttrue,\n\t\t"y"\n\t]\n}\n' >"$tmp/b.json"
printf 'KEY=value\nOTHER=two words\n' >"$tmp/c.env"
fail=0 n=0
for f in a.yaml b.json c.env; do
  "$T" encrypt -r "$r" "$tmp/$f" >"$tmp/enc.$f" || { echo "FAIL: encrypt $f"; fail=1; continue; }
  if ! node "$tmp/npm/dec.mjs" "$tmp/enc.$f" "$sk" >"$tmp/out.json" 2>"$tmp/err"; then
    echo "FAIL: sops-age could not decrypt $f: $(head -c 400 "$tmp/err")"; fail=1; continue
  fi
  if /usr/bin/python3 - "$tmp/$f" "$tmp/out.json" <<'P'; then n=$((n + 1)); else echo "FAIL: $f differs: $(cat "$tmp/out.json")"; fail=1; fi
import json, sys, yaml
plain, got = sys.argv[1], json.load(open(sys.argv[2]))
if plain.endswith(".env"):
    want = dict(l.split("=", 1) for l in open(plain).read().splitlines() if l)
elif plain.endswith(".json"):
    want = json.load(open(plain))
else:
    want = yaml.safe_load(open(plain))
sys.exit(0 if got == want else 1)
P
done
echo "$n passed, $fail failed"
exit $fail
