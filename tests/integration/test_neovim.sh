#!/usr/bin/env bash
# test_neovim.sh - a real msgpack-RPC client, unmodified: headless Neovim connects with
# sockconnect('pipe', path, {'rpc': v:true}) and calls valsd with rpcrequest()/rpcnotify()
# from Lua and from Vim script; an error reply surfaces as a Vim error carrying the
# "code: message" text.
# shellcheck disable=SC2016,SC2119 source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

NVIM=$(command -v nvim) || {
    echo "SKIP: Neovim (Debian package neovim) is not installed"
    exit 77
}

start_valsd
printf 'k: from-file\n' >"$T/secret.yaml"

cat >"$T/test.lua" <<'EOF'
-- Each check writes "PASS name" or "FAIL name: detail" to $OUT.
local out = assert(io.open(os.getenv('OUT'), 'w'))
local function check(name, cond, detail)
  out:write((cond and 'PASS ' or 'FAIL ') .. name .. (cond and '' or (': ' .. vim.inspect(detail, {newline = ' ', indent = ''}))) .. '\n')
end
local function call(...)
  return pcall(vim.fn.rpcrequest, ...)
end

local ch = vim.fn.sockconnect('pipe', os.getenv('SOCK'), {rpc = true})
check('sockconnect', ch > 0, ch)

local ok, r = call(ch, 'ping')
check('ping', ok and r == 'pong', r)

ok, r = call(ch, 'hello', {client = 'nvim', proto = 1})
check('hello', ok and r.proto == 1 and type(r.limits) == 'table' and r.uid == tonumber(os.getenv('UID_NUM')), r)

ok, r = call(ch, 'resolve', 'ref+echo://foo/bar')
check('resolve string', ok and r == 'foo/bar', r)

ok, r = call(ch, 'resolve', 'ref+echo://a/b/c#/a')
check('resolve map', ok and type(r) == 'table' and r.b == 'c', r)

ok, r = call(ch, 'resolve', 'ref+file://' .. os.getenv('DIR') .. '/secret.yaml#/k')
check('resolve file', ok and r == 'from-file', r)

ok, r = call(ch, 'resolve', 'ref+echo://m/e', {meta = true})
check('resolve meta', ok and r.value == 'm/e' and r.cached == false and r.stale == false, r)

ok, r = call(ch, 'resolve_many', {'ref+echo://a/b', 'ref+nope://x/y', 'ref+echo://x/y#/zz'})
check('resolve_many length', ok and #r == 3, r)
check('resolve_many good', ok and r[1][1] == vim.NIL and r[1][2] == 'a/b', r)
check('resolve_many bad backend', ok and r[2][2] == vim.NIL and
  vim.startswith(r[2][1], 'unsupported_backend: ref+nope://x/y'), r)
check('resolve_many missing key', ok and r[3][2] == vim.NIL and
  vim.startswith(r[3][1], 'missing_key: ref+echo://x/y#/zz'), r)

ok, r = call(ch, 'eval', {user = 'ref+echo://app', n = 3, list = {'ref+echo://l/m', true}})
check('eval', ok and r.user == 'app' and r.n == 3 and r.list[1] == 'l/m' and r.list[2] == true, r)

ok, r = call(ch, 'eval', {url = 'pg://u:ref+echo://pw+@db'}, {inline = true})
check('eval inline', ok and r.url == 'pg://u:pw@db', r)

ok, r = call(ch, 'context.set', {FOO = 'from-nvim'})
check('context.set', ok and type(r) == 'string' and #r == 16, r)
ok, r = call(ch, 'resolve', 'ref+envsubst://$FOO')
check('context used', ok and r == 'from-nvim', r)

-- errors are Vim errors with the "code: message" text
ok, r = call(ch, 'resolve', 'ref+echo://x/y#/nope')
check('missing key is an error', not ok, r)
check('error text', type(r) == 'string' and
  r:find('missing_key: ref+echo://x/y#/nope: no value found for key nope', 1, true) ~= nil, r)
ok, r = call(ch, 'resolve', 'ref+nope://x/y')
check('unsupported backend error', not ok and r:find('unsupported_backend: ', 1, true) ~= nil, r)
ok, r = call(ch, 'frobnicate')
check('unknown method error', not ok and r:find('unknown_method: unknown method "frobnicate"', 1, true) ~= nil, r)
ok, r = call(ch, 'resolve', 42)
check('bad argument error', not ok and r:find('bad_request: resolve: argument 1 must be a string, got int', 1, true) ~= nil, r)

-- a notification gets no reply (not even for an unknown method); it does run: the
-- request that follows shares its fetch instead of starting another
local _, before = call(ch, 'cache.stats')
vim.fn.rpcnotify(ch, 'resolve', 'ref+echo://notified/by/nvim')
vim.fn.rpcnotify(ch, 'frobnicate')
ok, r = call(ch, 'resolve', 'ref+echo://notified/by/nvim')
check('the request after the notifications', ok and r == 'notified/by/nvim', r)
local _, after = call(ch, 'cache.stats')
check('notification ran (one fetch for both)', after.fetches - before.fetches == 1 and
  after.misses - before.misses == 1 and
  (after.hits + after.coalesced) - (before.hits + before.coalesced) == 1, {before, after})

ok, r = call(ch, 'cache.stats')
check('cache.stats', ok and type(r.hits) == 'number' and r.connections >= 1, r)
ok, r = call(ch, 'cache.clear', {prefix = 'echo://'})
check('cache.clear', ok and type(r) == 'number' and r >= 1, r)

vim.fn.chanclose(ch)
out:close()
vim.cmd('qall!')
EOF

cat >"$T/test.vim" <<'EOF'
" Vim script: rpcrequest() inside try/catch, the error in v:exception
let s:ch = sockconnect('pipe', $SOCK, {'rpc': v:true})
let s:lines = []
call add(s:lines, 'value ' . rpcrequest(s:ch, 'resolve', 'ref+echo://from/vimscript'))
try
  call rpcrequest(s:ch, 'resolve', 'ref+echo://x/y#/nope')
  call add(s:lines, 'no error')
catch
  call add(s:lines, 'caught ' . substitute(v:exception, '\n', ' ', 'g'))
endtry
call add(s:lines, 'after ' . rpcrequest(s:ch, 'ping'))
call writefile(s:lines, $OUT)
qall!
EOF

run env SOCK="$SOCK" DIR="$T" OUT="$T/lua.out" UID_NUM="$(id -u)" timeout 60 \
    "$NVIM" --headless -u NONE -i NONE -n -c "luafile $T/test.lua"
eq "nvim (Lua) exit status" "$RC" 0
if [ -s "$T/lua.out" ]; then
    while IFS= read -r line; do
        CHECKS=$((CHECKS + 1))
        case $line in
        PASS*) ok "nvim lua: ${line#PASS }" ;;
        *) fail "nvim lua: ${line#FAIL }" ;;
        esac
    done <"$T/lua.out"
    eq "every Lua check ran" "$(grep -c '' "$T/lua.out")" 24
else
    fail "the Lua script wrote no results: $OUT $ERR"
fi

run env SOCK="$SOCK" OUT="$T/vim.out" timeout 60 "$NVIM" --headless -u NONE -i NONE -n \
    -S "$T/test.vim"
eq "nvim (Vim script) exit status" "$RC" 0
eq "Vim script results" "$(cat "$T/vim.out" 2>/dev/null)" "value from/vimscript
caught Vim(call):Error invoking 'resolve' on channel 3: missing_key: ref+echo://x/y#/nope: no value found for key nope
after pong"

stop_valsd
eq "valsd exits 0" "$STOP_RC" 0
finish
