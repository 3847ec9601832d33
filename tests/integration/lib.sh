# shellcheck shell=bash disable=SC2034
# lib.sh - shared helpers for the shell integration tests (sourced, not a test itself).
#
# Each test gets a private 0700 temporary directory ($T), starts its own valsd on a socket
# there, and stops it (by its pid) and removes $T on exit.  Failures are counted and
# reported; the test exits 1 if any check failed.

set -u
SRC_DIR=${SRC_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD_DIR=${BUILD_DIR:-$SRC_DIR/build}
VALSD=$BUILD_DIR/valsd
VALSCTL=$BUILD_DIR/valsctl
PY=/usr/bin/python3
FAILS=0
CHECKS=0
DAEMON_PIDS=""

T=$(mktemp -d "${TMPDIR:-/tmp}/valstest.XXXXXX")
chmod 700 "$T"
SOCK=$T/valsd.sock
LOG=$T/valsd.log

cleanup() {
    for p in $DAEMON_PIDS; do
        kill -TERM "$p" 2>/dev/null
    done
    for p in $DAEMON_PIDS; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null
    done
    [ -n "${KEEP_T:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

fail() {
    FAILS=$((FAILS + 1))
    echo "FAIL: $*"
}

ok() {
    echo "ok   $*"
}

# check WHAT COND...: run the condition, count it.
check() {
    local what=$1
    shift
    CHECKS=$((CHECKS + 1))
    if "$@"; then ok "$what"; else fail "$what"; fi
}

# eq WHAT GOT WANT
eq() {
    CHECKS=$((CHECKS + 1))
    if [ "$2" == "$3" ]; then
        ok "$1"
    else
        fail "$1"
        echo "  got:  $(printf '%q' "$2")"
        echo "  want: $(printf '%q' "$3")"
    fi
}

# contains WHAT HAYSTACK NEEDLE
contains() {
    CHECKS=$((CHECKS + 1))
    case $2 in
    *"$3"*) ok "$1" ;;
    *)
        fail "$1"
        echo "  $(printf '%q' "$2")"
        echo "  does not contain $(printf '%q' "$3")"
        ;;
    esac
}

# run CMD...: sets OUT (stdout, exact bytes kept by a sentinel), ERR and RC.
run() {
    local o e
    o=$T/.out.$$
    e=$T/.err.$$
    "$@" >"$o" 2>"$e"
    RC=$?
    OUT=$(cat "$o"; printf x)
    OUT=${OUT%x}
    ERR=$(cat "$e")
    rm -f "$o" "$e"
}

# wait_socket PATH: until something accepts there (or give up after ~10 s).
wait_socket() {
    $PY - "$1" <<'EOF'
import socket, sys, time
deadline = time.time() + 10
while time.time() < deadline:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(sys.argv[1]); sys.exit(0)
    except OSError:
        time.sleep(0.02)
    finally:
        s.close()
sys.exit(1)
EOF
}

# start_valsd [ARGS...]: a daemon on $SOCK logging to $LOG; sets VALSD_PID.
start_valsd() {
    "$VALSD" --socket "$SOCK" --log-level debug "$@" >>"$LOG" 2>&1 &
    VALSD_PID=$!
    DAEMON_PIDS="$DAEMON_PIDS $VALSD_PID"
    if ! wait_socket "$SOCK"; then
        echo "valsd did not start:"
        cat "$LOG"
        exit 1
    fi
}

# stop_valsd: SIGTERM and wait; sets STOP_RC.
stop_valsd() {
    kill -TERM "$VALSD_PID" 2>/dev/null
    wait "$VALSD_PID"
    STOP_RC=$?
}

# finish: the summary line and the exit status.
finish() {
    echo "$CHECKS checks, $FAILS failed"
    if [ "$FAILS" -ne 0 ]; then
        echo "---- valsd log (tail) ----"
        tail -n 40 "$LOG" 2>/dev/null
        exit 1
    fi
    exit 0
}
