#!/usr/bin/env bash
# test_lifecycle.sh - valsd's life as a process: SIGTERM answers what is in flight and
# exits 0; SIGHUP reloads the configuration (log level and TTL visibly change; a broken file
# keeps the old one); a stale socket is replaced only when nothing answers and a live one
# is never stolen; directory owner/mode checks; socket mode 0600; a too-long socket path;
# systemd socket activation (systemd-socket-activate and an fd-3 launcher); NOTIFY_SOCKET
# readiness; autostart by valsctl with a lock so that simultaneous clients start exactly
# one daemon; --idle-exit; --background; --check-config.
# shellcheck disable=SC2016,SC2119 source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

HERE=$(cd "$(dirname "$0")" && pwd)
RPC() { $PY "$HERE/vrpc.py" "$@"; }
export PYTHONPATH=$HERE

# wait_gone PID [TENTHS]: until the process has exited (not a child of this shell).
wait_gone() {
    for _ in $(seq "${2:-100}"); do
        kill -0 "$1" 2>/dev/null || return 0
        sleep 0.1
    done
    return 1
}

# --- command line
run "$VALSD" --version
contains "--version" "$RC:$OUT" "0:valsd 0.1.0"
run "$VALSD" --help
contains "--help" "$RC:$OUT" "0:Usage: valsd"
run "$VALSD" --bogus
eq "unknown option: exit 2" "$RC" 2
run "$VALSD" --log-level loud
eq "unknown log level: exit 2" "$RC" 2
contains "unknown log level: named" "$ERR" '"loud"'
run "$VALSD" --idle-exit soon
eq "bad --idle-exit: exit 2" "$RC" 2
printf 'default_ttl: 5m\nlimits: {max_inflight: 8}\n' >"$T/good.yaml"
run "$VALSD" --config "$T/good.yaml" --check-config
eq "--check-config of a good file" "$RC:$OUT" "0:valsd: configuration OK
"
printf 'default_ttl: 5m\n\nbogus_key: 1\n' >"$T/bad.yaml"
run "$VALSD" --config "$T/bad.yaml" --check-config
eq "--check-config of a bad file: exit 1" "$RC" 1
contains "--check-config names file, line and key" "$ERR" "$T/bad.yaml:3: unknown key \"bogus_key\""
run "$VALSD" --config "$T/absent.yaml" --check-config
eq "--config of a missing file: exit 1" "$RC" 1
contains "--config of a missing file: named" "$ERR" "$T/absent.yaml"

# --- socket path, directory and mode
long=$T/$(printf 'x%.0s' $(seq 120))/valsd.sock
run "$VALSD" --socket "$long"
eq "socket path too long: exit 2" "$RC" 2
contains "socket path too long: clear error" "$ERR" "socket path is longer than 107 bytes"

mkdir -m 0755 "$T/open"
run timeout 10 "$VALSD" --socket "$T/open/valsd.sock"
eq "a group/world-accessible directory: exit 1" "$RC" 1
contains "a 0755 directory: why" "$ERR" "$T/open is accessible to other users (mode 755); it must be 0700"
check "nothing was created in it" test ! -e "$T/open/valsd.sock"

mkdir -m 0700 "$T/theirs"
chown 65534:65534 "$T/theirs" 2>/dev/null
if [ "$(stat -c %u "$T/theirs")" = 65534 ]; then
    run timeout 10 "$VALSD" --socket "$T/theirs/valsd.sock"
    eq "a directory owned by another user: exit 1" "$RC" 1
    contains "another owner: why" "$ERR" "$T/theirs belongs to uid 65534, not to us (uid $(id -u))"
else
    echo "note: cannot chown (not root): the owner check is not exercised"
fi

ln -s "$T/theirs" "$T/link"
run timeout 10 "$VALSD" --socket "$T/link/valsd.sock"
eq "a symlinked directory: exit 1" "$RC" 1
contains "a symlinked directory: why" "$ERR" "$T/link is not a directory"

: >"$T/plainfile"
run timeout 10 "$VALSD" --socket "$T/plainfile/valsd.sock"
eq "a file where the directory should be: exit 1" "$RC" 1

# the directory is created 0700 and the socket is 0600
SOCK=$T/made/valsd.sock
start_valsd
eq "the created directory is 0700" "$(stat -c %a "$T/made")" 700
eq "the socket is 0600" "$(stat -c %a "$SOCK")" 600
eq "the socket belongs to us" "$(stat -c %u "$SOCK")" "$(id -u)"
check "the socket is a socket" test -S "$SOCK"

# --- a live socket is never stolen
run timeout 10 "$VALSD" --socket "$SOCK"
eq "a second valsd on a live socket: exit 1" "$RC" 1
contains "a second valsd: clear message" "$ERR" "another valsd is already serving $SOCK"
run RPC "$SOCK" ping
eq "the first valsd still answers" "$RC:$OUT" '0:"pong"
'
run timeout 10 "$VALSD" --background --socket "$SOCK"
eq "--background on a live socket: exit 1" "$RC" 1
contains "--background reports why" "$ERR" "another valsd is already serving $SOCK"
stop_valsd
eq "valsd exits 0 on SIGTERM" "$STOP_RC" 0
check "the socket is removed at exit" test ! -e "$SOCK"

# --- a stale socket (nothing listening) is replaced
SOCK=$T/stale/valsd.sock
mkdir -m 0700 "$T/stale"
$PY -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.close()" "$SOCK"
check "a stale socket file exists" test -S "$SOCK"
start_valsd
run RPC "$SOCK" ping
eq "valsd replaced the stale socket" "$RC:$OUT" '0:"pong"
'
stop_valsd

# --- something that is not a socket is never removed
printf 'precious' >"$T/stale/notasocket"
run timeout 10 "$VALSD" --socket "$T/stale/notasocket"
eq "a regular file at the socket path: exit 1" "$RC" 1
contains "a regular file: clear message" "$ERR" "$T/stale/notasocket exists and is not a socket"
eq "the file is untouched" "$(cat "$T/stale/notasocket")" "precious"

# --- SIGTERM: requests in flight are answered, later ones refused, exit 0
SOCK=$T/term/valsd.sock
start_valsd
$PY - "$SOCK" "$VALSD_PID" >"$T/term.out" 2>&1 <<'EOF'
import os, signal, sys, threading
from valsd_harness import Client
import msgpack
sock, pid = sys.argv[1], int(sys.argv[2])
c = Client(sock, timeout=30)
n = 30000
data = b"".join(msgpack.packb([0, i, "resolve", ["ref+echo://term/%d" % i]]) for i in range(n))
def send():
    try:
        c.sock.sendall(data)
    except OSError:
        pass
t = threading.Thread(target=send)
t.start()
first = c.read_message()
os.kill(pid, signal.SIGTERM)  # mid-stream: requests in flight, more still unread
replies = [first] + c.read_until_eof(timeout=30)
try:
    os.kill(pid, signal.SIGTERM)  # again, while valsd tears down: must not kill it
except ProcessLookupError:
    pass
t.join(30)
values = sum(1 for m in replies if m[2] is None and m[3] == "term/%d" % m[1])
refused = sum(1 for m in replies if m[2] is not None and m[2][1].startswith("shutting_down: "))
ids = [m[1] for m in replies]
print("replies", len(replies), "values", values, "refused", refused,
      "unique", len(set(ids)) == len(ids), "wellformed", values + refused == len(replies))
EOF
stop_valsd
eq "SIGTERM (twice): exit 0" "$STOP_RC" 0
read -r _ nrep _ nval _ nref _ uniq _ wf <"$T/term.out" || cat "$T/term.out"
check "SIGTERM: requests were answered with values" test "${nval:-0}" -gt 0
check "SIGTERM: later requests were refused with shutting_down" test "${nref:-0}" -gt 0
eq "SIGTERM: one reply per request, values or shutting_down only" "${uniq:-}:${wf:-}" "True:True"
contains "SIGTERM: logged" "$(cat "$LOG")" "shutting down: SIGTERM"
echo "  (SIGTERM: $nrep replies, $nval values, $nref refused)"

# an idle client does not hold up the exit
SOCK=$T/term2/valsd.sock
start_valsd
$PY -c "
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); time.sleep(30)" "$SOCK" &
holder=$!
sleep 0.3
start=$(date +%s%N)
stop_valsd
ms=$((($(date +%s%N) - start) / 1000000))
eq "SIGTERM with an idle client: exit 0" "$STOP_RC" 0
check "SIGTERM with an idle client: prompt (${ms} ms)" test "$ms" -lt 5000
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null

# --- SIGHUP reloads: log level and TTL change; a broken file keeps the old configuration
SOCK=$T/hup/valsd.sock
mkdir -m 0700 "$T/hup"
printf 'log_level: info\ndefault_ttl: 300\n' >"$T/hup/config.yaml"
"$VALSD" --socket "$SOCK" --config "$T/hup/config.yaml" >>"$T/hup/log" 2>&1 &
VALSD_PID=$!
DAEMON_PIDS="$DAEMON_PIDS $VALSD_PID"
wait_socket "$SOCK"
RPC "$SOCK" resolve '["ref+echo://hup/one"]' >/dev/null
check "info level: no debug lines" bash -c "! grep -q 'conn .*: accepted' '$T/hup/log'"
run RPC "$SOCK" resolve '["ref+echo://hup/one", {"meta": true}]'
contains "TTL 300: cached" "$OUT" '"cached": true'
printf 'log_level: debug\nbackends:\n  echo: {ttl: 1}\n' >"$T/hup/config.yaml"
kill -HUP "$VALSD_PID"
sleep 0.3
contains "SIGHUP: reloaded" "$(cat "$T/hup/log")" "configuration reloaded"
RPC "$SOCK" resolve '["ref+echo://hup/two"]' >/dev/null
contains "debug level after SIGHUP" "$(cat "$T/hup/log")" ": accepted pid"
sleep 1.2
run RPC "$SOCK" resolve '["ref+echo://hup/two", {"meta": true}]'
contains "echo TTL 1 s after SIGHUP: expired" "$OUT" '"cached": false'
printf 'log_level: [oops\n' >"$T/hup/config.yaml"
kill -HUP "$VALSD_PID"
sleep 0.3
contains "a broken config on SIGHUP is reported" "$(cat "$T/hup/log")" "keeping the previous configuration"
run RPC "$SOCK" ping
eq "still serving after a failed reload" "$RC:$OUT" '0:"pong"
'
kill -TERM "$VALSD_PID"
wait "$VALSD_PID"
eq "exit 0 after reloads" "$?" 0

# --- NOTIFY_SOCKET: READY=1, RELOADING=1 + READY=1 on SIGHUP, STOPPING=1
for kind in path abstract; do
    SOCK=$T/notify-$kind/valsd.sock
    if [ $kind = path ]; then ns=$T/notify.sock; else ns=@valsd-test-$$-notify; fi
    $PY - "$ns" "$VALSD" "$SOCK" >"$T/notify.out" 2>&1 <<'EOF'
import os, signal, socket, subprocess, sys, time
ns, valsd, sock = sys.argv[1:4]
d = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
d.bind(("\0" + ns[1:]) if ns.startswith("@") else ns)
d.settimeout(15)
env = dict(os.environ, NOTIFY_SOCKET=ns)
p = subprocess.Popen([valsd, "--socket", sock], env=env, stderr=subprocess.DEVNULL)
got = [d.recv(4096).decode()]
os.kill(p.pid, signal.SIGHUP)
got += [d.recv(4096).decode(), d.recv(4096).decode()]
os.kill(p.pid, signal.SIGTERM)
got.append(d.recv(4096).decode())
rc = p.wait(15)
print(repr(got[0]), repr(got[1].split("\n")[0]), got[1].split("\n")[1].startswith("MONOTONIC_USEC="),
      repr(got[2]), repr(got[3]), rc)
EOF
    eq "NOTIFY_SOCKET ($kind): READY, RELOADING, READY, STOPPING, exit 0" "$(cat "$T/notify.out")" \
        "'READY=1' 'RELOADING=1' True 'READY=1' 'STOPPING=1' 0"
done

# --- systemd socket activation
if command -v systemd-socket-activate >/dev/null 2>&1; then
    mkdir -m 0700 "$T/act"
    systemd-socket-activate -l "$T/act/valsd.sock" "$VALSD" --log-level debug \
        --log-file "$T/act/log" >/dev/null 2>&1 &
    act=$!
    DAEMON_PIDS="$DAEMON_PIDS $act"
    for _ in $(seq 50); do [ -S "$T/act/valsd.sock" ] && break; sleep 0.1; done
    run RPC "$T/act/valsd.sock" hello
    contains "systemd-socket-activate: valsd answers the first connection" "$RC:$OUT" "0:"
    contains "systemd-socket-activate: it is valsd (exec'ed in place)" "$OUT" "\"pid\": $act,"
    contains "systemd-socket-activate: valsd used the passed socket" "$(cat "$T/act/log")" \
        "listening on the socket passed by systemd"
    contains "systemd-socket-activate: the log names the real socket" "$(cat "$T/act/log")" \
        "listening on $T/act/valsd.sock"
    kill -TERM "$act"
    wait "$act"
    eq "systemd-socket-activate: exit 0" "$?" 0
    check "a passed socket is not unlinked by valsd" test -S "$T/act/valsd.sock"
else
    echo "note: systemd-socket-activate not installed; only the fd-3 launcher is used"
fi

# a launcher of our own: LISTEN_FDS/LISTEN_PID with fd 3 (and the cases valsd refuses)
$PY - "$VALSD" "$T" >"$T/launch.out" 2>&1 <<'EOF'
import fcntl, os, socket, subprocess, sys, time
from valsd_harness import Client
valsd, tmp = sys.argv[1], sys.argv[2]

def launch(path, fds="1", pid_ok=True, kind=socket.SOCK_STREAM, extra_fd=False, args=()):
    s = socket.socket(socket.AF_UNIX, kind)
    s.bind(path)
    if kind == socket.SOCK_STREAM:
        s.listen(16)
    extra = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) if extra_fd else None
    log = open(path + ".log", "wb")
    pid = os.fork()
    if pid == 0:
        # move everything above the target numbers first, then place fds 2, 3 (and 4)
        high = [fcntl.fcntl(f.fileno(), fcntl.F_DUPFD, 20) for f in (log, s)]
        if extra is not None:
            high.append(fcntl.fcntl(extra.fileno(), fcntl.F_DUPFD, 20))
        for target, fd in zip((2, 3, 4), high):
            os.dup2(fd, target)
            os.set_inheritable(target, True)
        os.environ["LISTEN_FDS"] = fds
        os.environ["LISTEN_PID"] = str(os.getpid() if pid_ok else 1)
        os.execv(valsd, [valsd, "--log-level", "debug"] + list(args))
    s.close()
    return pid

def result(pid, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    return None

out = []
p = os.path.join(tmp, "launch.sock")
pid = launch(p)
c = Client(p)
out.append(c.call("ping"))
c.close()
os.kill(pid, 15)
out.append(result(pid))
out.append(os.path.exists(p))
# two sockets: refused
p2 = os.path.join(tmp, "launch2.sock")
pid = launch(p2, fds="2", extra_fd=True)
out.append(result(pid))
out.append("passed 2 sockets; valsd takes one" in open(p2 + ".log").read())
# fd 3 is a datagram socket: refused
p3 = os.path.join(tmp, "launch3.sock")
pid = launch(p3, kind=socket.SOCK_DGRAM)
out.append(result(pid))
out.append("fd 3 is not a listening AF_UNIX stream socket" in open(p3 + ".log").read())
# LISTEN_PID names another process: ignored, valsd binds its own --socket
p4 = os.path.join(tmp, "launch4.sock")
own = os.path.join(tmp, "own", "valsd.sock")
pid = launch(p4, pid_ok=False, args=["--socket", own])
for _ in range(100):
    if os.path.exists(own):
        break
    time.sleep(0.05)
c = Client(own)
out.append(c.call("ping"))
c.close()
os.kill(pid, 15)
out.append(result(pid))
print(out)
EOF
eq "fd-3 launcher: served, exit 0, socket kept; 2 fds and a datagram refused; foreign LISTEN_PID ignored" \
    "$(cat "$T/launch.out")" "['pong', 0, True, 1, True, 1, True, 'pong', 0]"

# --- --idle-exit
SOCK=$T/idle/valsd.sock
start_valsd --idle-exit 1
$PY -c "
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); time.sleep(2.5); s.close()" "$SOCK"
check "--idle-exit: a held connection keeps valsd alive" kill -0 "$VALSD_PID"
wait_gone "$VALSD_PID" 40
check "--idle-exit: exits about a second after the last client left" test $? -eq 0
wait "$VALSD_PID"
eq "--idle-exit: exit 0" "$?" 0
contains "--idle-exit: logged" "$(cat "$LOG")" "shutting down: idle"
check "--idle-exit: socket removed" test ! -e "$SOCK"

# --- --background: returns once ready; the daemon keeps serving
SOCK=$T/bg/valsd.sock
run timeout 10 "$VALSD" --background --socket "$SOCK" --log-file "$T/bg.log"
eq "--background: exit 0 when ready" "$RC" 0
run RPC "$SOCK" hello
bgpid=$(printf '%s' "$OUT" | $PY -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
DAEMON_PIDS="$DAEMON_PIDS $bgpid"
check "--background: the daemon answers" kill -0 "$bgpid"
run RPC "$SOCK" shutdown
eq "--background: shutdown" "$RC:$OUT" "0:true
"
wait_gone "$bgpid"
check "--background: gone after shutdown" test $? -eq 0

# --- autostart by valsctl when nothing answers
SOCK=$T/auto/valsd.sock
run env VALSD_IDLE_EXIT=30 "$VALSCTL" --socket "$SOCK" ping
eq "valsctl autostarts valsd" "$RC:$OUT" "0:pong
"
run RPC "$SOCK" hello
autopid=$(printf '%s' "$OUT" | $PY -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
DAEMON_PIDS="$DAEMON_PIDS $autopid"
check "the autostarted daemon runs" kill -0 "$autopid"
check "it logs next to its socket" test -s "$T/auto/valsd.log"
run "$VALSCTL" --socket "$SOCK" get 'ref+echo://auto/started'
eq "the next client uses the running daemon" "$RC:$OUT" "0:auto/started"
eq "no second daemon" "$(grep -c 'listening on' "$T/auto/valsd.log")" 1
run "$VALSCTL" --no-start --socket "$T/auto2/valsd.sock" ping
eq "--no-start does not autostart" "$RC" 1
check "--no-start created nothing" test ! -e "$T/auto2/valsd.sock"
RPC "$SOCK" shutdown >/dev/null
wait_gone "$autopid"

# two (eight) simultaneous clients start exactly one daemon
SOCK=$T/race/valsd.sock
pids=""
for i in 1 2 3 4 5 6 7 8; do
    env VALSD_IDLE_EXIT=2 "$VALSCTL" --socket "$SOCK" get "ref+echo://race/$i" >"$T/race.$i" 2>&1 &
    pids="$pids $!"
done
okc=0
for p in $pids; do wait "$p" && okc=$((okc + 1)); done
eq "simultaneous clients all succeed" "$okc" 8
for i in 1 2 3 4 5 6 7 8; do
    eq "client $i got its value" "$(cat "$T/race.$i")" "race/$i"
done
eq "exactly one daemon started" "$(grep -c 'listening on' "$T/race/valsd.log")" 1
check "no failed start" bash -c "! grep -q 'another valsd' '$T/race/valsd.log'"
run RPC "$SOCK" hello
racepid=$(printf '%s' "$OUT" | $PY -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
DAEMON_PIDS="$DAEMON_PIDS $racepid"
# and it exits by itself once idle (VALSD_IDLE_EXIT=2)
wait_gone "$racepid" 100
check "the autostarted daemon exits when idle" test $? -eq 0
contains "idle exit logged" "$(cat "$T/race/valsd.log")" "shutting down: idle"

finish
