#!/usr/bin/env bash
# test_sops_independent.sh - SOPS files written by lib/sops are read by tools we did not
# write: the real `age -d` recovers the data key from each sops.age[].enc, and
# sops_verify.py (Python `cryptography`, PyYAML, json) decrypts every value and comment with
# AES-GCM and recomputes the MAC.  The verifier is first shown to accept the files written by
# real sops in tests/data/sops.  Needs: age, python3-cryptography, python3-yaml.
set -u
: "${BUILD_DIR:?}" "${SRC_DIR:?}"
PY=/usr/bin/python3
command -v age >/dev/null && command -v age-keygen >/dev/null ||
  { echo "skip: Debian age not installed"; exit 77; }
$PY -c 'import cryptography, yaml' 2>/dev/null ||
  { echo "skip: python3-cryptography / python3-yaml not installed"; exit 77; }
V="$SRC_DIR/tests/integration/sops_verify.py"
T="$BUILD_DIR/sops_tool"
D="$SRC_DIR/tests/data/sops"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0 n=0
ok() { n=$((n + 1)); }
bad() { echo "FAIL: $*"; fail=1; }

# 1. the verifier against files written by real sops
for f in tg_file.enc.yaml:tg_keys.txt helm_secrets.age.yaml:helm_key.txt \
         kc_algorithms_age.yaml:kc_age.txt kc_global_secret.yaml:kc_age_global.txt \
         kc_patches_merge1.yaml:kc_age.txt kc_patches_merge2.yaml:kc_age.txt \
         kc_envs_env.env:kc_age.txt kc_component_env.env:kc_age.txt kc_files_file.txt:kc_age.txt; do
  $PY "$V" "$D/${f%%:*}" "$D/${f##*:}" >/dev/null && ok || bad "verifier rejects real sops file ${f%%:*}"
done

# 2. our files
age-keygen -o "$tmp/k1.txt" 2>/dev/null; age-keygen -o "$tmp/k2.txt" 2>/dev/null
r1=$(age-keygen -y "$tmp/k1.txt"); r2=$(age-keygen -y "$tmp/k2.txt")
cat "$tmp/k1.txt" "$tmp/k2.txt" >"$tmp/both.txt"
cat >"$tmp/app.yaml" <<'Y'
# database settings
db:
    user: admin # who
    password: s3cr3t
    port: 5432
    ratio: 0.25
    enabled: true
    hosts:
        - a.example.com
        - b.example.com
    # end of db
token_unencrypted: visible
empty: ""
nothing: null
unicode: "h\u00e9llo w\u00f6rld"
multi: |
    line one
    line two
Y
printf '{\n\t"name": "svc",\n\t"n": 3,\n\t"nested": {\n\t\t"list": [\n\t\t\t1.5,\n\t\t\tfalse\n\t\t]\n\t}\n}\n' >"$tmp/app.json"
printf '# a comment\nDB_URL=postgres://u:p@h/db\nMULTI=a\\nb\n' >"$tmp/app.env"
head -c 3000 /dev/urandom >"$tmp/blob.bin"
for f in app.yaml app.json app.env blob.bin; do
  if ! "$T" encrypt -r "$r1,$r2" "$tmp/$f" >"$tmp/enc.$f" 2>"$tmp/err"; then bad "encrypt $f: $(cat "$tmp/err")"; continue; fi
  for k in k1 k2; do
    $PY "$V" "$tmp/enc.$f" "$tmp/$k.txt" "$tmp/$f" >"$tmp/out" 2>&1 && ok || { bad "$f with $k"; cat "$tmp/out"; }
  done
  # each sops.age[].enc is a file the real age decrypts to 32 bytes
  $PY - "$tmp/enc.$f" "$tmp/both.txt" <<'P' && ok || bad "age -d of the $f entries"
import json, re, subprocess, sys, yaml
p, keys = sys.argv[1], sys.argv[2]
t = open(p).read()
if p.endswith(".yaml"):
    entries = yaml.safe_load(t)["sops"]["age"]
elif p.endswith(".env"):
    entries = [{"enc": v.replace("\\n", "\n")} for k, v in (l.split("=", 1) for l in t.split("\n") if l.startswith("sops_age__list_") and "__map_enc=" in l)]
else:
    entries = json.loads(t)["sops"]["age"]
assert len(entries) == 2
for e in entries:
    out = subprocess.run(["age", "-d", "-i", keys], input=e["enc"].encode(), capture_output=True, check=True).stdout
    assert len(out) == 32
P
done

# 3. rules, mac_only_encrypted and key groups through .sops.yaml
mkdir -p "$tmp/proj/secrets"
cat >"$tmp/proj/.sops.yaml" <<Y
creation_rules:
  - path_regex: secrets/k8s-.*\.yaml\$
    encrypted_regex: ^(data|stringData)\$
    mac_only_encrypted: true
    age: >-
      $r1,
      $r2
  - path_regex: secrets/split-.*
    shamir_threshold: 2
    key_groups:
      - age: [$r1]
      - age: [$r2]
  - age: $r1
Y
printf 'apiVersion: v1\nkind: Secret\nstringData:\n    password: pw\n' >"$tmp/proj/secrets/k8s-a.yaml"
printf 'secret: value\nother: 2\n' >"$tmp/proj/secrets/split-a.yaml"
printf 'plain: 1\n' >"$tmp/proj/secrets/other.yaml"
for f in k8s-a.yaml split-a.yaml other.yaml; do
  if ! "$T" encrypt -c "$tmp/proj/secrets/$f" >"$tmp/proj/enc-$f" 2>"$tmp/err"; then bad "encrypt -c $f: $(cat "$tmp/err")"; continue; fi
  $PY "$V" "$tmp/proj/enc-$f" "$tmp/both.txt" "$tmp/proj/secrets/$f" >"$tmp/out" 2>&1 && ok || { bad "config $f"; cat "$tmp/out"; }
done
grep -q 'kind: Secret' "$tmp/proj/enc-k8s-a.yaml" && grep -q 'mac_only_encrypted: true' "$tmp/proj/enc-k8s-a.yaml" && ok || bad "encrypted_regex / mac_only_encrypted not applied"
grep -q 'shamir_threshold: 2' "$tmp/proj/enc-split-a.yaml" && ok || bad "key groups not applied"
echo "$n passed, $fail failed"
exit $fail
