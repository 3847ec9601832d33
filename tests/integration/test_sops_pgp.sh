#!/usr/bin/env bash
# test_sops_pgp.sh - the PGP-keyed files written by real sops (tests/data/sops/sops_*):
# Debian gnupg recovers each file's data key from its first pgp entry with the sops
# functional-test key, then lib/sops (through sops_tool -K) decrypts every value and
# comment, verifies the MAC, and writes the file back with the same data key: the bytes must
# equal the original for every file in go-yaml v3 / encoding/json layout (sops >= 3.7).  The
# two files from sops 3.3.1 and 3.6.1 use the older yaml.v2 layout ("-   key:", single
# quotes), which we do not write: they are decrypted and MAC-checked only.
set -u
: "${BUILD_DIR:?}" "${SRC_DIR:?}"
command -v gpg >/dev/null || { echo "skip: Debian gnupg not installed"; exit 77; }
D="$SRC_DIR/tests/data/sops"
T="$BUILD_DIR/sops_tool"
tmp=$(mktemp -d)
export GNUPGHOME="$tmp/gnupg"
mkdir -m 700 "$GNUPGHOME"
trap 'gpgconf --kill gpg-agent >/dev/null 2>&1; rm -rf "$tmp"' EXIT
gpg --batch --quiet --import "$D/pgp_key.asc" 2>/dev/null || { echo "gpg import failed"; exit 1; }
fail=0 n=0
for f in sops_example.yaml:exact sops_example.json:exact sops_ft_format.enc.yaml:exact \
         sops_ft_format.enc.json:exact sops_ft_format.enc.env:exact \
         sops_ft_comments.enc.yaml:v2 sops_ft_multiple_keys.yaml:v2; do
  file=${f%%:*} mode=${f##*:}
  /usr/bin/python3 - "$D/$file" >"$tmp/msg.asc" <<'P'
import re, sys
t = open(sys.argv[1]).read().replace("\\n", "\n")
m = re.search(r"-----BEGIN PGP MESSAGE-----.*?-----END PGP MESSAGE-----", t, re.S)
print("\n".join(l.strip() for l in m.group(0).split("\n")))
P
  key=$(gpg --batch --quiet --decrypt "$tmp/msg.asc" 2>/dev/null | od -An -tx1 | tr -d ' \n')
  if [ ${#key} -ne 64 ]; then echo "FAIL: $file: gpg gave no 32-byte data key"; fail=1; continue; fi
  if ! "$T" decrypt -K "$key" "$D/$file" >"$tmp/plain" 2>"$tmp/err"; then
    echo "FAIL: $file: $(cat "$tmp/err")"; fail=1; continue
  fi
  if grep -q 'ENC\[' "$tmp/plain"; then echo "FAIL: $file: a value stayed encrypted"; fail=1; continue; fi
  n=$((n + 1))
  if [ "$mode" = exact ]; then
    "$T" reencrypt -K "$key" "$D/$file" >"$tmp/re" 2>"$tmp/err"
    if cmp -s "$tmp/re" "$D/$file"; then n=$((n + 1)); else
      echo "FAIL: $file written back differently"; diff "$tmp/re" "$D/$file" | head; fail=1
    fi
  fi
done
# a wrong data key is refused
if "$T" decrypt -K 0000000000000000000000000000000000000000000000000000000000000000 \
     "$D/sops_example.yaml" >/dev/null 2>&1; then echo "FAIL: wrong key accepted"; fail=1; else n=$((n + 1)); fi
echo "$n passed, $fail failed"
exit $fail
