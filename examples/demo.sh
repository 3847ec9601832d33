#!/usr/bin/env bash
# The demo: a private valsd on a private socket resolves echo, envsubst and file refs in
# examples/demo.yaml, then shows the cache counters.  Usage: examples/demo.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
dir=$(mktemp -d /tmp/valsd-demo.XXXXXX)
chmod 700 "$dir"
sock="$dir/valsd.sock"
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
"$build/valsd" --socket "$sock" --log-file "$dir/valsd.log" &
pid=$!
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
export VALSD_SOCKET="$sock" DEMO_USER="${USER:-demo}"
cd "$here"
echo "== input (examples/demo.yaml)"
cat demo.yaml
echo
echo "== valsctl eval -f demo.yaml"
"$build/valsctl" --no-start eval -f demo.yaml
echo
echo "== valsctl eval --inline -f demo.yaml -o json"
"$build/valsctl" --no-start eval --inline -f demo.yaml -o json
echo
echo "== valsctl get 'user ref+envsubst://\$DEMO_USER+ owns ref+echo://my-app'"
"$build/valsctl" --no-start get 'user ref+envsubst://$DEMO_USER+ owns ref+echo://my-app'
echo
echo
echo "== valsctl stats (the file was fetched once for three fragments)"
"$build/valsctl" --no-start stats

echo
echo "== rmk on an example RMK project (a throwaway git repository in $dir)"
export HOME="$dir/home" RMK_OFFLINE=1 DB_PASSWORD_FROM_ENV=from-the-environment
mkdir -p "$HOME" "$dir/demo.bootstrap.infra"
cd "$dir/demo.bootstrap.infra"
git init -q -b develop
git -c user.email=demo@example -c user.name=demo commit -q --allow-empty -m init
git remote add origin https://github.com/example/demo.bootstrap.infra.git
"$build/rmk" project generate -e develop -s demo -o example-owner >/dev/null 2>&1
"$build/rmk" secret keys create
cp "$here/settings.yaml" "$dir/settings.yaml"
cat > etc/demo/develop/secrets/.spec.yaml.gotmpl <<SPEC
generation-rules:
  - name: demo-app
    template: |
      envSecret:
        DB_PASSWORD: {{ fetchSecretValue "ref+file://$dir/settings.yaml#db.password" }}
        DB_PORT: '{{ fetchSecretValue "ref+echo://5432" }}'
        FROM_ENV: {{ requiredEnv "DB_PASSWORD_FROM_ENV" }}
        ADMIN_PASSWORD: {{ randAlphaNum 16 }}
        # resolved later by Helmfile, at release time
        API_TOKEN: ref+awssecrets://demo-app#token?region=us-east-1
SPEC
echo "-- etc/demo/develop/secrets/.spec.yaml.gotmpl"
cat etc/demo/develop/secrets/.spec.yaml.gotmpl
echo "-- rmk secret manager generate --encrypt"
"$build/rmk" secret manager generate --encrypt
echo "-- the file on disk (SOPS, age)"
head -n 4 etc/demo/develop/secrets/demo-app.yaml
echo "   ..."
echo "-- rmk secret view etc/demo/develop/secrets/demo-app.yaml"
"$build/rmk" secret view etc/demo/develop/secrets/demo-app.yaml
