#!/usr/bin/env bash
# test_rmk_secret.sh - `rmk secret encrypt|decrypt|view|edit FILE` end to end (behaviour, not
# message wording): in-place
# encryption with the .sops.yaml above the file (checked by the independent Python reader
# and the real age), decryption in place, view to stdout, edit with a scripted $EDITOR
# (re-encrypt only on change, unchanged values keep their ciphertext, a missing file is
# created), modes kept, the original untouched on errors, and no plaintext left in the
# private temporary directory on any exit path, SIGTERM included.
set -u
: "${BUILD_DIR:?}" "${SRC_DIR:?}"
command -v age-keygen >/dev/null || { echo "skip: Debian age not installed"; exit 77; }
/usr/bin/python3 -c 'import cryptography, yaml' 2>/dev/null || { echo "skip: python3-cryptography/yaml missing"; exit 77; }
RMK="$BUILD_DIR/rmk"
V="$SRC_DIR/tests/integration/sops_verify.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0 n=0
ok() { n=$((n + 1)); }
bad() { echo "FAIL: $*"; fail=1; }
export HOME="$tmp/home" XDG_RUNTIME_DIR="$tmp/run" TMPDIR="$tmp/run"
mkdir -p "$HOME" "$XDG_RUNTIME_DIR" "$tmp/p/secrets"
chmod 700 "$XDG_RUNTIME_DIR"
unset SOPS_AGE_KEY SOPS_AGE_KEY_CMD XDG_CONFIG_HOME
age-keygen -o "$tmp/key.txt" 2>/dev/null
export SOPS_AGE_KEY_FILE="$tmp/key.txt"
r=$(age-keygen -y "$tmp/key.txt")
printf 'creation_rules:\n  - path_regex: .+\\.yaml$\n    age: %s\n' "$r" >"$tmp/p/.sops.yaml"
cd "$tmp/p"
f=secrets/app.yaml
printf '# app secrets\nuser: admin\npassword: hunter2 # rotate me\nport: 5432\n' >$f
cp $f "$tmp/plain.yaml"
chmod 640 $f
leftovers() { [ -z "$(ls -A "$XDG_RUNTIME_DIR")" ]; }

# encrypt in place
"$RMK" secret encrypt $f && ok || bad "encrypt"
grep -q 'hunter2' $f && bad "plaintext left after encrypt" || ok
[ "$(stat -c %a $f)" = 640 ] && ok || bad "mode not kept by encrypt ($(stat -c %a $f))"
/usr/bin/python3 "$V" $f "$tmp/key.txt" "$tmp/plain.yaml" >/dev/null && ok || bad "independent check of the encrypted file"
cp $f "$tmp/enc1.yaml"
"$RMK" secret encrypt $f >"$tmp/err" 2>&1; grep -qi 'already encrypted' "$tmp/err" && ok || bad "second encrypt does not say the file is already encrypted"
cmp -s $f "$tmp/enc1.yaml" && ok || bad "skipped encrypt changed the file"

# view
"$RMK" secret view $f >"$tmp/view" && cmp -s "$tmp/view" "$tmp/plain.yaml" && ok || bad "view"

# edit: no change -> file untouched
EDITOR=true "$RMK" secret edit $f >"$tmp/err" 2>&1 && ok || bad "edit without change: $(cat "$tmp/err")"
cmp -s $f "$tmp/enc1.yaml" && ok || bad "unchanged edit rewrote the file"
grep -q 'unchanged\|not changed' "$tmp/err" && ok || bad "no note that nothing changed"
leftovers && ok || bad "plaintext left after edit"

# edit: change one value; the others keep their ciphertext
cat >"$tmp/ed.sh" <<'S'
#!/bin/sh
[ "$(stat -c %a "$1")" = 600 ] || exit 3
[ "$(stat -c %a "$(dirname "$1")")" = 700 ] || exit 4
sed -i 's/^port: 5432/port: 6543/' "$1"
S
chmod +x "$tmp/ed.sh"
EDITOR="$tmp/ed.sh" "$RMK" secret edit $f && ok || bad "edit with change"
grep '^user:' $f | cmp -s - <(grep '^user:' "$tmp/enc1.yaml") && ok || bad "unchanged value got a new ciphertext"
grep '^port:' $f | cmp -s - <(grep '^port:' "$tmp/enc1.yaml") && bad "changed value kept its ciphertext" || ok
"$RMK" secret view $f | grep -q '^port: 6543$' && ok || bad "edit result"
[ "$(stat -c %a $f)" = 640 ] && ok || bad "mode not kept by edit"
leftovers && ok || bad "plaintext left after edit"

# edit: editor fails, or writes invalid YAML -> original untouched
cp $f "$tmp/enc2.yaml"
EDITOR=false "$RMK" secret edit $f 2>/dev/null && bad "failed editor accepted" || ok
cmp -s $f "$tmp/enc2.yaml" && ok || bad "failed edit changed the file"
printf '#!/bin/sh\nprintf "a: [unclosed\\n" >"$1"\n' >"$tmp/badyaml.sh"; chmod +x "$tmp/badyaml.sh"
EDITOR="$tmp/badyaml.sh" "$RMK" secret edit $f 2>"$tmp/err" && bad "invalid YAML accepted" || ok
grep -q 'did not find expected' "$tmp/err" && ok || bad "the YAML error is not reported: $(cat "$tmp/err")"
cmp -s $f "$tmp/enc2.yaml" && ok || bad "invalid edit changed the file"
leftovers && ok || bad "plaintext left after failed edits"

# edit: SIGTERM while the editor runs -> temporary plaintext removed, file untouched
printf '#!/bin/sh\nkill -TERM $PPID 2>/dev/null; kill -TERM $(ps -o ppid= -p $PPID) 2>/dev/null; sleep 5\n' >"$tmp/kill.sh"; chmod +x "$tmp/kill.sh"
EDITOR="$tmp/kill.sh" "$RMK" secret edit $f 2>/dev/null
rc=$?
[ $rc -ne 0 ] && ok || bad "rmk survived SIGTERM"
leftovers && ok || bad "plaintext left after SIGTERM: $(ls -R "$XDG_RUNTIME_DIR")"
cmp -s $f "$tmp/enc2.yaml" && ok || bad "SIGTERM changed the file"

# edit: a missing file is created
new=secrets/new.yaml
printf '#!/bin/sh\nprintf "fresh: value\\n" >"$1"\n' >"$tmp/new.sh"; chmod +x "$tmp/new.sh"
EDITOR="$tmp/new.sh" "$RMK" secret edit $new && ok || bad "edit creating a file"
grep -q 'fresh: ENC\[' $new && ok || bad "new file not encrypted"
"$RMK" secret view $new | grep -q '^fresh: value$' && ok || bad "new file content"
EDITOR=true "$RMK" secret edit secrets/none.yaml 2>/dev/null; [ ! -e secrets/none.yaml ] && ok || bad "empty edit created a file"

# decrypt in place
"$RMK" secret decrypt $f && ok || bad "decrypt"
grep -q '^port: 6543$' $f && grep -q '^password: hunter2 # rotate me$' $f && ok || bad "decrypted content: $(cat $f)"
[ "$(stat -c %a $f)" = 640 ] && ok || bad "mode not kept by decrypt"
cp $f "$tmp/dec1.yaml"
"$RMK" secret decrypt $f >"$tmp/err" 2>&1; grep -q 'not encrypted' "$tmp/err" && ok || bad "second decrypt does not say the file is not encrypted"
cmp -s $f "$tmp/dec1.yaml" && ok || bad "second decrypt changed the file"
"$RMK" secret view $f 2>/dev/null && bad "view of a plaintext file succeeded" || ok

# errors: missing file, wrong key
"$RMK" secret encrypt secrets/missing.yaml 2>"$tmp/err"; grep -q 'does not exist' "$tmp/err" && ok || bad "missing file message"
age-keygen -o "$tmp/other.txt" 2>/dev/null
cp $new "$tmp/new.enc"
SOPS_AGE_KEY_FILE="$tmp/other.txt" "$RMK" secret decrypt $new 2>"$tmp/err" && bad "decrypted with a wrong key" || ok
grep -q "$r" "$tmp/err" && ok || bad "error does not name the recipient: $(cat "$tmp/err")"
cmp -s $new "$tmp/new.enc" && ok || bad "failed decrypt changed the file"
echo "$n passed, $fail failed"
exit $fail
