#!/usr/bin/env bash
# test_aws_moto.sh - the awssecrets and awsssm backends of valsd against a real AWS
# implementation: moto_server (with IAM signature checking turned on, so every request
# valsd signs is verified by moto's botocore-based SigV4 code), driven through valsctl.
#
# Set-up (secrets, parameters, an IAM user with an access key, a role) is done with
# boto3 from a Python that has it; values are cross-checked with the AWS CLI when one is
# installed.  Request counts come from moto's request recorder.
# Exit 0 pass, 77 skip (moto_server or boto3 missing), 1 fail.
set -u
SRC_DIR=${SRC_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD_DIR=${BUILD_DIR:-$SRC_DIR/build}
VALSD=$BUILD_DIR/valsd
VALSCTL=$BUILD_DIR/valsctl

if ! command -v moto_server >/dev/null 2>&1; then
  echo "moto_server is not installed (it comes with this machine image's Python)"
  exit 77
fi
PY=
# AWS_TEST_PYTHON picks the Python that runs the boto3 set-up (default: the first with boto3)
for p in ${AWS_TEST_PYTHON:-} python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import boto3' >/dev/null 2>&1; then PY=$p; break; fi
done
if [ -z "$PY" ]; then
  echo "no Python with boto3 to create the test secrets (install python3-boto3)"
  exit 77
fi
[ -x "$VALSD" ] && [ -x "$VALSCTL" ] || { echo "build valsd and valsctl first ($BUILD_DIR)"; exit 1; }

TMP=$(mktemp -d /tmp/test_aws_moto.XXXXXX)
chmod 700 "$TMP"
MOTO_PID=
VALSD_PID=
cleanup() {
  [ -n "$VALSD_PID" ] && kill "$VALSD_PID" 2>/dev/null
  [ -n "$MOTO_PID" ] && kill "$MOTO_PID" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
EP=http://127.0.0.1:$PORT
MOTO_ENABLE_RECORDING=True MOTO_RECORDER_FILEPATH=$TMP/recording.jsonl \
  moto_server -H 127.0.0.1 -p "$PORT" >"$TMP/moto.log" 2>&1 &
MOTO_PID=$!
for _ in $(seq 1 100); do
  curl -fs "$EP/moto-api/" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs "$EP/moto-api/" >/dev/null || { echo "moto_server did not start:"; tail -20 "$TMP/moto.log"; exit 1; }

# --- set-up with boto3 (unauthenticated), then turn signature checking on ----------------
"$PY" - "$EP" "$TMP" <<'EOF' || { echo "set-up failed"; exit 1; }
import json, sys, urllib.request
import boto3
ep, tmp = sys.argv[1], sys.argv[2]
kw = dict(endpoint_url=ep, region_name="us-east-1", aws_access_key_id="setup", aws_secret_access_key="setup")
iam = boto3.client("iam", **kw)
iam.create_user(UserName="valsd")
key = iam.create_access_key(UserName="valsd")["AccessKey"]
allow = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
pol = iam.create_policy(PolicyName="all", PolicyDocument=allow)["Policy"]["Arn"]
iam.attach_user_policy(UserName="valsd", PolicyArn=pol)
def trust(who):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": who}, "Action": "sts:AssumeRole"}]})
role = iam.create_role(RoleName="reader", AssumeRolePolicyDocument=trust(
    "arn:aws:iam::123456789012:user/valsd"))["Role"]["Arn"]
iam.attach_role_policy(RoleName="reader", PolicyArn=pol)
# a role that trusts someone else: AssumeRole must be refused
iam.create_role(RoleName="locked", AssumeRolePolicyDocument=trust("arn:aws:iam::123456789012:user/other"))

sm = boto3.client("secretsmanager", **kw)
arn = sm.create_secret(Name="my-app", SecretString=json.dumps(
    {"username": "app-user", "password": "app-pass", "port": 5432, "enabled": True, "ratio": 0.5}))["ARN"]
sm.create_secret(Name="production/my-app/api", SecretString=json.dumps({"credentials": {"token": "abcd-1234-xyz"}}))
sm.create_secret(Name="plain", SecretString="just a string")
sm.create_secret(Name="blob", SecretBinary=b"binary\xff\x01data")
sm.create_secret(Name="rotated", SecretString="old-value")
sm.put_secret_value(SecretId="rotated", SecretString="new-value")
sm.create_secret(Name="yamlish", SecretString="a: 1\nb:\n  c: deep\n")

ssm = boto3.client("ssm", **kw)
ssm.put_parameter(Name="/app/db/password", Value="db-s3cret", Type="SecureString")
ssm.put_parameter(Name="/app/db/user", Value="dbuser", Type="String")
for i in range(1, 13):
    ssm.put_parameter(Name="/app/cfg/k%02d" % i, Value="v%02d" % i, Type="String")
ssm.put_parameter(Name="/foo/bar", Value='{"BAR":"VALUE"}', Type="String")
ssm.put_parameter(Name="/foo/bar/a", Value="A", Type="String")
ssm.put_parameter(Name="/foo/bar/b", Value="B", Type="SecureString")
ssm.put_parameter(Name="/versioned", Value="first", Type="String")
ssm.put_parameter(Name="/versioned", Value="second", Type="String", Overwrite=True)

with open(tmp + "/facts", "w") as f:
    f.write("AK=%s\nSK=%s\nROLE=%s\nARN=%s\n" % (key["AccessKeyId"], key["SecretAccessKey"], role, arn))
# from now on every request must carry a valid SigV4 signature of the IAM user
req = urllib.request.Request(ep + "/moto-api/reset-auth", data=b"0", method="POST",
                             headers={"Content-Type": "text/plain"})
assert json.loads(urllib.request.urlopen(req).read())["status"] == "ok"
EOF
# shellcheck disable=SC1091
. "$TMP/facts"

mkdir -m 700 "$TMP/run"
SOCK=$TMP/run/valsd.sock
"$VALSD" -s "$SOCK" -l "$TMP/valsd.log" -L info &
VALSD_PID=$!
for _ in $(seq 1 100); do [ -S "$SOCK" ] && break; sleep 0.05; done

fails=0
checks=0
ok() { checks=$((checks + 1)); }
bad() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }

# Run valsctl with only the given AWS settings (a clean environment plus HOME/PATH).
vctl() { env -i PATH="$PATH" HOME="${XHOME:-$TMP/nohome}" "$@"; }
keys() { echo AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="$SK" AWS_ENDPOINT_URL="$EP"; }

# expect_get NAME WANT REF [VAR=VALUE...]: valsctl get prints exactly WANT, exit 0.
expect_get() {
  local name=$1 want=$2 ref=$3 got rc
  shift 3
  # shellcheck disable=SC2046
  got=$(vctl $(keys) "$@" "$VALSCTL" --socket "$SOCK" --no-start get "$ref" 2>"$TMP/err")
  rc=$?
  if [ $rc -eq 0 ] && [ "$got" = "$want" ]; then ok; else
    bad "$name: $ref -> rc=$rc got [$got] want [$want] $(cat "$TMP/err")"; fi
}
# expect_fail NAME REF PATTERN... [-- VAR=VALUE...]: exit 1, stderr names the ref and matches.
expect_fail() {
  local name=$1 ref=$2 rc
  shift 2
  local pats=() envs=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do pats+=("$1"); shift; done
  [ "${1:-}" = "--" ] && shift
  envs=("$@")
  # shellcheck disable=SC2046
  vctl $(keys) "${envs[@]}" "$VALSCTL" --socket "$SOCK" --no-start get "$ref" >"$TMP/out" 2>"$TMP/err"
  rc=$?
  if [ $rc -ne 1 ]; then bad "$name: $ref -> exit $rc, want 1"; return; fi
  if ! grep -qF -- "$ref" "$TMP/err"; then bad "$name: the error does not name the ref: $(cat "$TMP/err")"; return; fi
  for p in "${pats[@]}"; do
    if ! grep -qE -- "$p" "$TMP/err"; then bad "$name: no /$p/ in: $(cat "$TMP/err")"; return; fi
  done
  if grep -qF -- "$SK" "$TMP/err"; then bad "$name: the secret key leaked into the error"; return; fi
  ok
}
fetches() { vctl "$VALSCTL" --socket "$SOCK" --no-start stats | awk '$1 == "fetches:" {print $2}'; }
rec_reset() { curl -fs -X POST "$EP/moto-api/recorder/reset-recording" >/dev/null; }
# rec_count TARGET: requests moto received with that X-Amz-Target (or STS Action) since the reset.
rec_count() {
  curl -fs "$EP/moto-api/recorder/download-recording" | "$PY" -c '
import base64, json, sys
want, n = sys.argv[1], 0
for line in sys.stdin:
    if not line.strip():
        continue
    e = json.loads(line)
    h = {k.lower(): v for k, v in e.get("headers", {}).items()}
    body = e.get("body") or ""
    if e.get("body_encoded"):
        body = base64.b64decode(body).decode("utf-8", "replace")
    if h.get("x-amz-target") == want or ("Action=" + want) in body:
        n += 1
print(n)' "$1"
}

R=region=us-east-1
# --- Secrets Manager: string and fragments (RMK's examples) ------------------------------
expect_get "sm string" '{"username": "app-user", "password": "app-pass", "port": 5432, "enabled": true, "ratio": 0.5}' \
  "ref+awssecrets://my-app?$R"
expect_get "sm fragment" app-user "ref+awssecrets://my-app#username?$R"
expect_get "sm rmk order" app-pass "ref+awssecrets://my-app#password?region=us-east-1"
expect_get "sm query first" app-pass "ref+awssecrets://my-app?$R#/password"
expect_get "sm nested" abcd-1234-xyz "ref+awssecrets://production/my-app/api#credentials/token?$R"
expect_get "sm dotted" abcd-1234-xyz "ref+awssecrets://production/my-app/api#credentials.token?$R"
expect_get "sm plain" "just a string" "ref+awssecrets://plain?$R"
expect_get "sm binary" "$(printf 'binary\377\001data')" "ref+awssecrets://blob?$R"
expect_get "sm yaml doc" deep "ref+awssecrets://yamlish#/b/c?$R"
expect_get "sm stage current" new-value "ref+awssecrets://rotated?$R"
expect_get "sm stage previous" old-value "ref+awssecrets://rotated?$R&version_stage=AWSPREVIOUS"
expect_get "sm arn" app-pass "ref+awssecrets://$ARN#password"
expect_get "sm region from env" app-user "ref+awssecrets://my-app#username" AWS_REGION=us-east-1
expect_get "sm VALS_REGION" app-user "ref+awssecrets://my-app#/username" VALS_REGION=us-east-1
expect_get "sm inline" "postgres://app-user@db" "postgres://ref+awssecrets://my-app#username?$R+@db"

# JSON types survive a fragment (valsctl eval keeps native types)
cat >"$TMP/doc.yaml" <<EOF
port: ref+awssecrets://my-app#/port?$R
enabled: ref+awssecrets://my-app#/enabled?$R
ratio: ref+awssecrets://my-app#/ratio?$R
user: ref+awssecrets://my-app#/username?$R
EOF
# shellcheck disable=SC2046
got=$(vctl $(keys) "$VALSCTL" --socket "$SOCK" --no-start eval -o json -f "$TMP/doc.yaml")
want='{"port":5432,"enabled":true,"ratio":0.5,"user":"app-user"}'
[ "$got" = "$want" ] && ok || bad "types: got $got want $want"

# --- errors -------------------------------------------------------------------------------
expect_fail "sm not found" "ref+awssecrets://missing-secret?$R" "ResourceNotFoundException" 'secret "missing-secret"'
expect_fail "sm missing key" "ref+awssecrets://my-app#nokey?$R" "nokey"
expect_fail "sm wrong secret key" "ref+awssecrets://my-app#password?$R" "SignatureDoesNotMatch" \
  -- AWS_SECRET_ACCESS_KEY=not-the-right-key
expect_fail "sm unknown key id" "ref+awssecrets://my-app#password?$R" "InvalidClientTokenId|UnrecognizedClient" \
  -- AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
expect_fail "sm no region" "ref+awssecrets://my-app#password" "no AWS region"
expect_fail "sm bad endpoint" "ref+awssecrets://my-app?$R" "GetSecretValue" -- AWS_ENDPOINT_URL=http://127.0.0.1:1
expect_fail "ssm not found" "ref+awsssm://app/nope?$R" "ParameterNotFound"
expect_fail "ssm empty path" "ref+awsssm://nothing/here?$R#/x" "no parameters under /nothing/here"
expect_fail "ssm no version" "ref+awsssm://versioned?$R&version=7" "no version 7"

# --- SSM ----------------------------------------------------------------------------------
expect_get "ssm secure" db-s3cret "ref+awsssm://app/db/password?$R"
expect_get "ssm leading slash" dbuser "ref+awsssm:///app/db/user?$R"
expect_get "ssm path fragment" db-s3cret "ref+awsssm://app/db?$R#/password"
expect_get "ssm rmk order" dbuser "ref+awsssm://app/db#/user?$R"
expect_get "ssm readme 1" '{"BAR":"VALUE"}' "ref+awsssm://foo/bar?$R"
expect_get "ssm readme 2" '{"BAR":"VALUE"}' "ref+awsssm://foo?$R#/bar"
expect_get "ssm readme 3" A "ref+awsssm://foo/bar/a?$R"
expect_get "ssm readme 4" A "ref+awsssm://foo/bar?$R#/a"
expect_get "ssm readme 5" A "ref+awsssm://foo?$R&recursive=true#/bar/a"
expect_get "ssm readme 6" VALUE "ref+awsssm://foo/bar?$R&mode=singleparam#/BAR"
expect_get "ssm version 1" first "ref+awsssm://versioned?$R&version=1"
expect_get "ssm version latest" second "ref+awsssm://versioned?$R"

# pagination: 12 parameters, 10 per page
vctl "$VALSCTL" --socket "$SOCK" --no-start flush >/dev/null
rec_reset
expect_get "ssm page 2" v12 "ref+awsssm://app/cfg?$R#/k12"
expect_get "ssm page 1" v01 "ref+awsssm://app/cfg?$R#/k01"
n=$(rec_count AmazonSSM.GetParametersByPath)
[ "$n" = 2 ] && ok || bad "pagination: $n GetParametersByPath calls, want 2 (two pages, then cached)"

# --- credentials from a profile: what `rmk config init --cluster-provider aws` writes ----
mkdir -p "$TMP/home/.aws"
printf '[proj-dev]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$AK" "$SK" \
  >"$TMP/home/.aws/credentials_proj-dev"
printf '[profile proj-dev]\nregion = us-east-1\noutput = text\n' >"$TMP/home/.aws/config_proj-dev"
printf '[roler]\nrole_arn = %s\nsource_profile = proj-dev\nregion = us-east-1\n' "$ROLE" \
  >>"$TMP/home/.aws/credentials_proj-dev"
printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$AK" "$SK" >"$TMP/home/.aws/credentials"
printf '[default]\nregion = us-east-1\n' >"$TMP/home/.aws/config"
chmod 600 "$TMP"/home/.aws/*
prof() { # run valsctl with profile-based credentials only
  local ref=$1 want=$2 name=$3 got
  shift 3
  got=$(env -i PATH="$PATH" HOME="$TMP/home" AWS_ENDPOINT_URL="$EP" "$@" \
    "$VALSCTL" --socket "$SOCK" --no-start get "$ref" 2>"$TMP/err")
  if [ "$got" = "$want" ]; then ok; else bad "$name: got [$got] want [$want] $(cat "$TMP/err")"; fi
}
prof "ref+awssecrets://my-app#password" app-pass "rmk profile files" AWS_PROFILE=proj-dev \
  AWS_SHARED_CREDENTIALS_FILE="$TMP/home/.aws/credentials_proj-dev" AWS_CONFIG_FILE="~/.aws/config_proj-dev"
prof "ref+awssecrets://my-app#username" app-user "default profile in ~/.aws"
prof "ref+awsssm://app/db/password?profile=proj-dev" db-s3cret "profile option" \
  AWS_SHARED_CREDENTIALS_FILE="$TMP/home/.aws/credentials_proj-dev" AWS_CONFIG_FILE="$TMP/home/.aws/config_proj-dev"
prof "ref+awssecrets://my-app#password" app-pass "profile with role_arn + source_profile" \
  AWS_PROFILE=roler AWS_SHARED_CREDENTIALS_FILE="~/.aws/credentials_proj-dev"
got=$(env -i PATH="$PATH" HOME="$TMP/home" AWS_ENDPOINT_URL="$EP" AWS_PROFILE=nosuch \
  "$VALSCTL" --socket "$SOCK" --no-start get "ref+awssecrets://my-app#password" 2>&1)
case $got in *'profile "nosuch" is not in'*) ok ;; *) bad "missing profile: $got" ;; esac

# --- the cache: two fragments of one secret cost one GetSecretValue -----------------------
vctl "$VALSCTL" --socket "$SOCK" --no-start flush >/dev/null
rec_reset
f0=$(fetches)
cat >"$TMP/two.yaml" <<EOF
user: ref+awssecrets://production/my-app/api#/credentials/token?$R
again: ref+awssecrets://production/my-app/api#credentials.token?$R
EOF
# shellcheck disable=SC2046
vctl $(keys) "$VALSCTL" --socket "$SOCK" --no-start eval -f "$TMP/two.yaml" >/dev/null || bad "eval two fragments"
expect_get "cached fragment" abcd-1234-xyz "ref+awssecrets://production/my-app/api#credentials/token?$R"
f1=$(fetches)
n=$(rec_count secretsmanager.GetSecretValue)
[ $((f1 - f0)) = 1 ] && ok || bad "cache: $((f1 - f0)) fetches for one secret, want 1"
[ "$n" = 1 ] && ok || bad "cache: moto saw $n GetSecretValue calls, want 1"
# other credentials never see the cached value: a wrong key is a new scope and fails
expect_fail "scope per credentials" "ref+awssecrets://production/my-app/api#credentials/token?$R" \
  "SignatureDoesNotMatch" -- AWS_SECRET_ACCESS_KEY=another-wrong-key

# --- what moto verified: our Authorization header ------------------------------------------
auth=$(curl -fs "$EP/moto-api/recorder/download-recording" | "$PY" -c '
import json, sys
for line in sys.stdin:
    h = {k.lower(): v for k, v in json.loads(line)["headers"].items()}
    if h.get("x-amz-target") == "secretsmanager.GetSecretValue":
        print(h["authorization"]); break')
case $auth in
  "AWS4-HMAC-SHA256 Credential=$AK/"*"/us-east-1/secretsmanager/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature="*) ok ;;
  *) bad "authorization header: $auth" ;;
esac

# --- STS AssumeRole (role_arn): one AssumeRole for several secrets, session creds used ----
rec_reset
expect_get "role 1" app-pass "ref+awssecrets://my-app#password?$R&role_arn=$ROLE"
expect_get "role 2" abcd-1234-xyz "ref+awssecrets://production/my-app/api#credentials/token?$R&role_arn=$ROLE"
expect_get "role ssm" db-s3cret "ref+awsssm://app/db/password?$R&role_arn=$ROLE"
n=$(rec_count AssumeRole)
[ "$n" = 1 ] && ok || bad "role: $n AssumeRole calls, want 1 (cached session credentials)"
tok=$(curl -fs "$EP/moto-api/recorder/download-recording" | "$PY" -c '
import json, sys
n = 0
for line in sys.stdin:
    h = {k.lower(): v for k, v in json.loads(line)["headers"].items()}
    if h.get("x-amz-target", "").endswith("GetSecretValue") and "x-amz-security-token" in h \
       and "x-amz-security-token" in h.get("authorization", ""):
        n += 1
print(n)')
[ "$tok" = 2 ] && ok || bad "role: $tok signed requests with a session token, want 2"
expect_fail "role not trusted" "ref+awssecrets://my-app#password?$R&role_arn=arn:aws:iam::123456789012:role/locked" \
  "STS AssumeRole arn:aws:iam::123456789012:role/locked" "AccessDenied"

# --- the AWS CLI reads the same value (a second real client) -------------------------------
if command -v aws >/dev/null 2>&1; then
  cli=$(AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK AWS_DEFAULT_REGION=us-east-1 \
    aws --endpoint-url "$EP" secretsmanager get-secret-value --secret-id my-app \
    --query SecretString --output text 2>&1)
  expect_get "aws cli parity" "$cli" "ref+awssecrets://my-app?$R"
else
  echo "note: no aws CLI; parity check skipped"
fi

kill "$VALSD_PID" 2>/dev/null
wait "$VALSD_PID" 2>/dev/null
VALSD_PID=
if grep -qF -- "$SK" "$TMP/valsd.log"; then bad "the secret key appears in valsd's log"; else ok; fi
if grep -qE 'app-pass|db-s3cret|abcd-1234' "$TMP/valsd.log"; then bad "a secret value appears in valsd's log"; else ok; fi

echo "$checks checks, $fails failed"
[ $fails -eq 0 ]
