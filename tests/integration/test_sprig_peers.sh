#!/usr/bin/env bash
# Sprig functions checked by real peers: Apache's htpasswd (bcrypt both ways), the openssl
# CLI (keys, certificates, chain verification) and, when Go is installed, Go's own
# crypto/x509 and crypto/aes (the libraries Sprig uses).
set -u
call="$BUILD_DIR/sprig_call"
verify="$BUILD_DIR/bcrypt_verify"
for tool in htpasswd openssl; do
  command -v "$tool" >/dev/null || { echo "skip: $tool not installed (apt-get install apache2-utils openssl)"; exit 77; }
done
[ -x "$call" ] && [ -x "$verify" ] || { echo "FAIL: build sprig_call and bcrypt_verify first"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }

# --- bcrypt / htpasswd ---
for pw in 'myPassword' "special<j7+3p#6-.Jx2U:m8G;kGypassword" 'päss wörd'; do
  line=$("$call" -r -a htpasswd "[\"alice\", $(printf '%s' "$pw" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')]")
  printf '%s\n' "$line" > "$tmp/htpasswd"
  if htpasswd -vb "$tmp/htpasswd" alice "$pw" >/dev/null 2>&1; then ok "htpasswd -vb accepts our hash ($pw)"; else bad "htpasswd -vb rejects our hash for '$pw': $line"; fi
  if htpasswd -vb "$tmp/htpasswd" alice "x$pw" >/dev/null 2>&1; then bad "htpasswd -vb accepts a wrong password"; else ok "htpasswd -vb rejects a wrong password"; fi
  apache=$(htpasswd -nbB bob "$pw")
  if "$verify" "$apache" "$pw"; then ok "htpasswd -nbB hash verifies with libxcrypt"; else bad "htpasswd -nbB hash does not verify: $apache"; fi
done
hash=$("$call" -r bcrypt '"s3cret"')
printf 'carol:%s\n' "$hash" > "$tmp/htpasswd"
htpasswd -vb "$tmp/htpasswd" carol s3cret >/dev/null 2>&1 && ok "bcrypt output verifies with htpasswd" || bad "bcrypt output: $hash"

# --- private keys ---
for t in rsa ecdsa ed25519 dsa; do
  "$call" -r genPrivateKey "\"$t\"" > "$tmp/$t.pem"
  if openssl pkey -in "$tmp/$t.pem" -noout -text >"$tmp/$t.txt" 2>&1; then ok "openssl pkey parses $t key ($(head -c 40 "$tmp/$t.pem" | head -1))"; else bad "openssl pkey $t: $(cat "$tmp/$t.txt")"; fi
done
openssl rsa -in "$tmp/rsa.pem" -check -noout >/dev/null 2>&1 && ok "openssl rsa -check" || bad "openssl rsa -check"
grep -q "4096 bit" "$tmp/rsa.txt" && ok "RSA key is 4096 bits" || bad "RSA key size"
grep -q "P-256" "$tmp/ecdsa.txt" && ok "EC key on P-256" || bad "EC curve"

# --- certificates ---
"$call" -j genCA '"rmk-test-ca"' 30 > "$tmp/ca.json" || bad "genCA"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); open(sys.argv[2],"w").write(d["Cert"]); open(sys.argv[3],"w").write(d["Key"])' "$tmp/ca.json" "$tmp/ca.pem" "$tmp/ca.key"
openssl x509 -in "$tmp/ca.pem" -noout -text > "$tmp/ca.txt" && ok "openssl x509 parses genCA" || bad "openssl x509 genCA"
grep -q "CA:TRUE" "$tmp/ca.txt" && grep -q "Certificate Sign" "$tmp/ca.txt" && ok "CA has CA:TRUE and keyCertSign" || bad "CA extensions: $(cat "$tmp/ca.txt")"
grep -q "Subject: CN = rmk-test-ca" "$tmp/ca.txt" && ok "CA subject" || bad "CA subject"
"$call" -j -a genSignedCert "[\"svc.example\", [\"10.0.0.1\", \"2001:db8::1\"], [\"svc.example\", \"alt.example\"], 30, $(cat "$tmp/ca.json")]" > "$tmp/leaf.json" || bad "genSignedCert"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); open(sys.argv[2],"w").write(d["Cert"]); open(sys.argv[3],"w").write(d["Key"])' "$tmp/leaf.json" "$tmp/leaf.pem" "$tmp/leaf.key"
if openssl verify -CAfile "$tmp/ca.pem" -purpose sslserver "$tmp/leaf.pem" >"$tmp/v.txt" 2>&1; then ok "openssl verify: genSignedCert chains to genCA"; else bad "openssl verify: $(cat "$tmp/v.txt")"; fi
openssl x509 -in "$tmp/leaf.pem" -noout -text > "$tmp/leaf.txt"
grep -q "DNS:svc.example, DNS:alt.example, IP Address:10.0.0.1, IP Address:2001:DB8:0:0:0:0:0:1" "$tmp/leaf.txt" && ok "SANs" || bad "SANs: $(grep -A1 'Alternative' "$tmp/leaf.txt")"
grep -q "TLS Web Server Authentication, TLS Web Client Authentication" "$tmp/leaf.txt" && ok "extended key usage" || bad "EKU"
[ -s "$tmp/leaf.key" ] && [ "$(openssl x509 -in "$tmp/leaf.pem" -noout -pubkey)" = "$(openssl pkey -in "$tmp/leaf.key" -pubout)" ] && ok "leaf key matches its certificate" || bad "leaf key/cert mismatch"
"$call" -r -a genSelfSignedCert '["self.example", [], ["self.example"], 1]' >/dev/null && ok "genSelfSignedCert" || bad "genSelfSignedCert"
key=$(python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$tmp/ecdsa.pem")
"$call" -j -a genSelfSignedCertWithKey "[\"ec.example\", [], [\"ec.example\"], 1, $key]" > "$tmp/ec.json" || bad "genSelfSignedCertWithKey"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); open(sys.argv[2],"w").write(d["Cert"])' "$tmp/ec.json" "$tmp/ec.pem"
openssl x509 -in "$tmp/ec.pem" -noout -text | grep -q "ecdsa-with-SHA256" && ok "EC self-signed certificate signed with ecdsa-with-SHA256" || bad "EC signature algorithm"

# --- Go's own crypto (optional) ---
if command -v go >/dev/null 2>&1; then
  peer() { (cd "$SRC_DIR/tests/integration" && GOFLAGS=-mod=mod GO111MODULE=off go run go_sprig_peer.go "$@"); }
  ct=$("$call" -r encryptAES '"pässword"' '"multi\nline secret ✓"')
  out=$(peer aes-decrypt "pässword" "$ct") && [ "$out" = $'multi\nline secret ✓' ] && ok "Go decrypts encryptAES output" || bad "Go decryptAES: '$out'"
  res=$(peer cert "$tmp/ca.pem" "$tmp/leaf.pem" "$tmp/leaf.key") && ok "Go crypto/x509 verifies the chain: $res" || bad "Go x509: $res"
  [ "$res" = "cn=svc.example ca=false dns=svc.example,alt.example ips=10.0.0.1,2001:db8::1 key=*rsa.PrivateKey 2048" ] || bad "Go x509 view: $res"
  for t in rsa ecdsa ed25519 dsa; do
    res=$(peer key "$tmp/$t.pem") && ok "Go parses $t key: $res" || bad "Go key $t: $res"
  done
else
  echo "note: go not installed, Go peer checks skipped"
fi

# --- DNS (localhost only; no network needed) ---
ip=$("$call" -r getHostByName '"localhost"') && case "$ip" in 127.0.0.1|::1) ok "getHostByName localhost = $ip";; *) bad "getHostByName localhost = $ip";; esac
err=$(timeout 20 "$call" getHostByName '"no-such-host.invalid"' 2>&1) && bad "lookup of a .invalid name succeeded: $err" ||
  case "$err" in *"lookup no-such-host.invalid: "*) ok "getHostByName failure is a clear error ($err)";; *) bad "lookup error: $err";; esac

[ $fails -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "all peer checks passed"
