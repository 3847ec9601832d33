#!/usr/bin/env bash
# End-to-end: a throwaway RMK project (git repository with an origin remote, develop
# branch) goes through project generate -> secret keys create -> a spec using randAlphaNum,
# htpasswd, requiredEnv, fetchSecretValue on echo, file and sops refs, and a bare ref+ kept
# as is -> generate --encrypt -> secret view shows the expected plaintext -> a second
# generate skips everything -> --force regenerates.  A private valsd is started by rmk
# itself (autostart) on a private socket.
set -euo pipefail
BUILD_DIR=${BUILD_DIR:-$(cd "$(dirname "$0")/../../build" && pwd)}
RMK=$BUILD_DIR/rmk
VALSCTL=$BUILD_DIR/valsctl
work=$(mktemp -d /tmp/rmk-e2e.XXXXXX)
chmod 700 "$work"
export HOME=$work/home VALSD_SOCKET=$work/run/valsd.sock RMK_OFFLINE=1
unset XDG_CONFIG_HOME XDG_RUNTIME_DIR SOPS_AGE_KEY SOPS_AGE_KEY_FILE SOPS_AGE_KEY_CMD || true
mkdir -p "$HOME"
cleanup() {
  "$VALSCTL" --no-start --socket "$VALSD_SOCKET" ping >/dev/null 2>&1 &&
    python3 - "$VALSD_SOCKET" <<'EOF' || true
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(bytes([0x94, 0, 1, 0xa8]) + b"shutdown" + bytes([0x90])); s.recv(100)
EOF
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

proj=$work/rmk-test.bootstrap.infra
mkdir -p "$proj" && cd "$proj"
git init -q -b develop
git -c user.email=t@e -c user.name=t commit -q --allow-empty -m init
git remote add origin git@github.com:edenlabllc/rmk-test.bootstrap.infra.git

# 1. project generate (and its files), never overwriting
"$RMK" project generate -e develop.root-domain='*.example.dev' -s rmk-test -o gh-user1 \
  --sops-age-key 'ref+file:///keys/rmk-test-deps' --sops-age-key 'ref+file:///keys/rmk-test-rmk-test' >/dev/null
test -f project.yaml || fail "no project.yaml"
grep -q "root-domain: '\*.example.dev'" project.yaml || fail "root-domain not written"
grep -q "ref+file:///keys/rmk-test-deps" project.yaml || fail "sops-age-keys not written"
test -f etc/rmk-test/develop/secrets/.spec.yaml.gotmpl || fail "no spec"
test -f etc/deps/develop/secrets/.sops.yaml || fail "no deps .sops.yaml"
grep -q '^\* @gh-user1$' docs/CODEOWNERS || fail "CODEOWNERS"
echo "keep me" > README.md
"$RMK" project generate | grep -q "already exists" || fail "second project generate should only report existing files"
grep -q "keep me" README.md || fail "project generate overwrote a file"

# 2. keys: one per scope, 0600 in a 0700 dir, recipients in .sops.yaml; idempotent
"$RMK" secret keys create >/dev/null
keys=$HOME/.rmk/sops-age-keys/rmk-test
test "$(stat -c %a "$keys")" = 700 || fail "key dir mode"
test "$(stat -c %a "$keys/rmk-test-rmk-test.txt")" = 600 || fail "key mode"
pub=$(grep -o 'age1[0-9a-z]*' "$keys/rmk-test-rmk-test.txt" | head -1)
grep -q "$pub" etc/rmk-test/develop/secrets/.sops.yaml || fail "recipient not in .sops.yaml"
before=$(sha256sum "$keys/rmk-test-rmk-test.txt")
"$RMK" secret keys create | grep -q "reusing key for scope rmk-test" || fail "keys create not idempotent"
test "$before" = "$(sha256sum "$keys/rmk-test-rmk-test.txt")" || fail "key changed"
test "$(grep -c "$pub" etc/rmk-test/develop/secrets/.sops.yaml)" = 1 || fail "recipient added twice"
# the real age tools accept our key
if command -v age >/dev/null; then
  echo hi | age -r "$pub" | age -d -i "$keys/rmk-test-rmk-test.txt" | grep -q hi || fail "age interop"
fi

# 3. inputs for fetchSecretValue: a plain file and a SOPS file of scope deps
mkdir -p "$work/data"
printf 'db:\n  user: app-user\n  password: file-pass\n' > "$work/data/app.yaml"
printf 'upstream:\n  token: sops-token-123\n' > etc/deps/develop/secrets/upstream.yaml
"$RMK" secret manager encrypt -s deps >/dev/null
grep -q 'ENC\[AES256_GCM' etc/deps/develop/secrets/upstream.yaml || fail "deps file not encrypted"
export SOPS_AGE_KEY_FILE=$keys/rmk-test-deps.txt
export APP_ENV_NAME=from-env

cat > etc/rmk-test/develop/secrets/.spec.yaml.gotmpl <<'EOF'
generation-rules:
  - name: rmk-test-app
    template: |
      envSecret:
        USERNAME: {{ fetchSecretValue "ref+file://WORK/data/app.yaml#db/user" }}
        PASSWORD: {{ randAlphaNum 16 }}
        ECHO: {{ fetchSecretValue "ref+echo://echoed/value" }}
        TOKEN: {{ fetchSecretValue "ref+sops://etc/deps/develop/secrets/upstream.yaml#/upstream/token" }}
        ENVNAME: {{ requiredEnv "APP_ENV_NAME" }}
        HTPASSWD: {{ htpasswd "admin" "admin-pass" | quote }}
        # resolved later by Helmfile
        API_TOKEN: ref+awssecrets://my-app#token?region=us-east-1
  - name: second
    template: |
      password: '{{ fetchSecretValue "ref+file://WORK/data/app.yaml#db.password" }}'
EOF
sed -i "s|WORK|$work|g" etc/rmk-test/develop/secrets/.spec.yaml.gotmpl

# 4. generate --encrypt (rmk starts valsd itself)
"$RMK" secret manager generate --encrypt > "$work/gen1.log"
grep -q "generating: .*rmk-test-app.yaml (encrypted)" "$work/gen1.log" || fail "not generated: $(cat "$work/gen1.log")"
f=etc/rmk-test/develop/secrets/rmk-test-app.yaml
test "$(stat -c %a "$f")" = 600 || fail "secret file mode"
grep -q 'ENC\[AES256_GCM' "$f" || fail "not encrypted"
grep -q 'file-pass\|app-user\|sops-token' "$f" && fail "plaintext leaked into the encrypted file"

# 5. view shows the expected plaintext
"$RMK" secret view "$f" > "$work/view1.yaml"
grep -q '^    USERNAME: app-user$' "$work/view1.yaml" || fail "USERNAME: $(cat "$work/view1.yaml")"
grep -q '^    ECHO: echoed/value$' "$work/view1.yaml" || fail "ECHO"
grep -q '^    TOKEN: sops-token-123$' "$work/view1.yaml" || fail "TOKEN"
grep -q '^    ENVNAME: from-env$' "$work/view1.yaml" || fail "ENVNAME"
grep -q '^    API_TOKEN: ref+awssecrets://my-app#token?region=us-east-1$' "$work/view1.yaml" || fail "bare ref not kept"
grep -q '# resolved later by Helmfile' "$work/view1.yaml" || fail "comment lost"
pw1=$(sed -n 's/^    PASSWORD: \(.*\)$/\1/p' "$work/view1.yaml")
[[ "$pw1" =~ ^[A-Za-z0-9]{16}$ ]] || fail "randAlphaNum: '$pw1'"
ht=$(sed -n 's/^    HTPASSWD: "\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$work/view1.yaml")
[[ "$ht" == admin:\$2a\$* ]] || fail "htpasswd: '$ht'"
if command -v htpasswd >/dev/null; then
  printf '%s\n' "$ht" > "$work/htfile"
  htpasswd -vb "$work/htfile" admin admin-pass >/dev/null 2>&1 || fail "htpasswd hash does not verify: $ht"
fi
"$RMK" secret view etc/rmk-test/develop/secrets/second.yaml | grep -Eq "^password: '?file-pass'?$" || fail "dotted fragment"

# 6. a second generate skips everything: no prompt (there is no terminal here) and no
#    fetchSecretValue for skipped rules (valsd's request counters do not move)
cat >> etc/rmk-test/develop/secrets/.spec.yaml.gotmpl <<'EOF'
  - name: interactive
    template: |
      typed: {{ prompt "ADMIN_TOKEN" }}
      fetched: {{ fetchSecretValue "ref+echo://only/if/generated" }}
EOF
printf 'typed: x\n' > etc/rmk-test/develop/secrets/interactive.yaml
counts() { "$VALSCTL" --no-start stats | awk '/^(hits|misses):/ {n += $2} END {print n}'; }
c1=$(counts)
setsid "$RMK" secret manager generate --encrypt > "$work/gen2.log" </dev/null 2>&1 ||
  fail "second run (prompt must not run for a skipped rule): $(cat "$work/gen2.log")"
c2=$(counts)
[ "$c1" = "$c2" ] || fail "skipped rules still asked valsd ($c1 -> $c2 lookups)"
test "$(grep -c 'was skipped' "$work/gen2.log")" = 3 || fail "second run: $(cat "$work/gen2.log")"
sed -i '/name: interactive/,$d' etc/rmk-test/develop/secrets/.spec.yaml.gotmpl
rm etc/rmk-test/develop/secrets/interactive.yaml
"$RMK" secret manager generate --encrypt > "$work/gen2.log"
test "$(grep -c 'was skipped' "$work/gen2.log")" = 2 || fail "second run: $(cat "$work/gen2.log")"
cmp -s <("$RMK" secret view "$f") "$work/view1.yaml" || fail "skipped file changed"

# 7. --force regenerates: new random password, same fetched values
"$RMK" secret manager generate --encrypt --force > "$work/gen3.log"
test "$(grep -c 'generating:' "$work/gen3.log")" = 2 || fail "force: $(cat "$work/gen3.log")"
"$RMK" secret view "$f" > "$work/view2.yaml"
pw2=$(sed -n 's/^    PASSWORD: \(.*\)$/\1/p' "$work/view2.yaml")
[ "$pw1" != "$pw2" ] || fail "--force did not regenerate"
grep -q '^    USERNAME: app-user$' "$work/view2.yaml" || fail "USERNAME after force"

# 8. a failing rule names the spec, the rule and the position, and writes nothing
before=$(sha256sum "$f")
cat >> etc/rmk-test/develop/secrets/.spec.yaml.gotmpl <<'EOF'
  - name: broken
    template: |
      x: {{ fetchSecretValue "ref+echo://a/b#/nope" }}
EOF
if "$RMK" secret manager generate --force --encrypt 2> "$work/err.log"; then fail "broken rule succeeded"; fi
grep -q ".spec.yaml.gotmpl: rule broken" "$work/err.log" || fail "error does not name the rule: $(cat "$work/err.log")"
grep -q "no value found for key nope" "$work/err.log" || fail "error does not name the key"
test "$before" = "$(sha256sum "$f")" || fail "a failed run changed a file"
test ! -e etc/rmk-test/develop/secrets/broken.yaml || fail "broken file written"
# 9. secret edit: plaintext only in a private dir, removed afterwards (signals included)
export TMPDIR=$work/tmp
mkdir -p "$TMPDIR"
cat > "$work/editor.sh" <<'EOF'
#!/bin/sh
test "$(stat -c %a "$(dirname "$1")")" = 700 || exit 3
test "$(stat -c %a "$1")" = 600 || exit 4
sed -i 's/app-user/edited-user/' "$1"
EOF
chmod +x "$work/editor.sh"
EDITOR=$work/editor.sh "$RMK" secret edit "$f" | grep -q updated || fail "edit did not update"
"$RMK" secret view "$f" | grep -q '^    USERNAME: edited-user$' || fail "edit lost"
test -z "$(ls -A "$TMPDIR")" || fail "edit left plaintext behind: $(ls -A "$TMPDIR")"
before=$(sha256sum "$f")
EDITOR=true "$RMK" secret edit "$f" | grep -q unchanged || fail "unchanged edit re-encrypted"
test "$before" = "$(sha256sum "$f")" || fail "unchanged edit rewrote the file"
cat > "$work/killer.sh" <<'EOF'
#!/bin/sh
kill -TERM $(pgrep -f "rmk secret edit") 2>/dev/null
sleep 1
EOF
chmod +x "$work/killer.sh"
EDITOR=$work/killer.sh "$RMK" secret edit "$f" && fail "edit survived SIGTERM"
test -z "$(ls -A "$TMPDIR")" || fail "SIGTERM left plaintext behind: $(ls -A "$TMPDIR")"
test "$before" = "$(sha256sum "$f")" || fail "interrupted edit changed the file"
printf '#!/bin/sh\necho "created: yes" > "$1"\n' > "$work/create.sh"
chmod +x "$work/create.sh"
EDITOR=$work/create.sh "$RMK" secret edit etc/rmk-test/develop/secrets/new.yaml | grep -q created || fail "edit did not create"
"$RMK" secret view etc/rmk-test/develop/secrets/new.yaml | grep -q 'created' || fail "created file unreadable"
echo "rmk e2e: ok"
