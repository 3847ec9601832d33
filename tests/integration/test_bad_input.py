#!/usr/bin/python3
"""test_bad_input.py - valsd against hostile and broken clients: random bytes, a truncated
message then close, oversized messages (refused from their headers, before the body is
sent), envelope and type errors, wrong parameter types, unknown methods, a msgid reused
while the first request is in flight, 500 concurrent connections, clients that disconnect
with thousands of requests in flight, and a peer with another uid.  After every case the
daemon must still answer a new client correctly.

The whole file runs against $BUILD_DIR/valsd and, when BUILD_DIR_ASAN is set, again
against an AddressSanitizer + UBSan build there (configured and built on demand with
-DVALS_SANITIZE=ON); any sanitizer report in valsd's log fails the test.
"""
import os
import random
import shutil
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from valsd_harness import (Runner, Valsd, build_dir, expect, expect_eq, src_dir)  # noqa: E402

import msgpack  # noqa: E402

MAX_MESSAGE = 1 << 20


def pack(obj):
    return msgpack.packb(obj, use_bin_type=True)


def check_alive(d):
    """A fresh client gets correct answers."""
    c = d.client(timeout=20)
    tag = "alive/%d" % time.time_ns()
    expect_eq(c.call("ping"), "pong", "ping after the case")
    expect_eq(c.call("resolve", "ref+echo://" + tag), tag, "resolve after the case")
    s = c.call("cache.stats")
    c.close()
    return s


def wait_connections(d, n, timeout=20.0):
    """Wait until valsd counts n connections besides the asking one."""
    deadline = time.time() + timeout
    while True:
        c = d.client()
        got = c.call("cache.stats")["connections"] - 1
        c.close()
        if got == n:
            return
        if time.time() > deadline:
            raise AssertionError("valsd still counts %d other connections, expected %d"
                                 % (got, n))
        time.sleep(0.05)


def expect_closed_with_error(c, code, msgid=None, what=""):
    """The daemon answers with one error (a response, or a notification when it could not
    read a msgid) and closes the connection."""
    msgs = c.read_until_eof()
    expect(len(msgs) >= 1, "%s: no error before the close" % what)
    m = msgs[0]
    if msgid is not None:
        expect_eq(m[0], 1, what + ": a response")
        expect_eq(m[1], msgid, what + ": its msgid")
        text = m[2][1]
        expect(m[3] is None, what + ": no result")
    else:
        expect_eq(m[:2], [2, "error"], what + ": an error notification")
        text = m[2][0]
    expect(text.startswith(code + ": "), "%s: %r does not start with %s" % (what, text, code))
    expect(len(msgs) == 1, "%s: one error, got %r" % (what, msgs))
    return text


def t_random_bytes(d):
    rng = random.Random(20240501)
    for round_ in range(40):
        c = d.client(timeout=5)
        data = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 6000)))
        try:
            c.send_raw(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # closed already: it read enough to refuse
        c.sock.settimeout(0.3)
        try:
            msgs = []
            while True:
                m = c.read_message()
                if m is None:
                    break
                msgs.append(m)
        except (socket.timeout, ConnectionResetError):
            pass
        for m in msgs:
            # whatever came back is a well-formed reply or error notification
            expect(isinstance(m, list) and m[0] in (1, 2), "round %d: %r" % (round_, m))
        c.close()
    wait_connections(d, 0)
    check_alive(d)


def t_truncated_then_close(d):
    full = pack([0, 1, "resolve", ["ref+echo://truncated/message", {"meta": True}]])
    for cut in (1, 3, 7, len(full) // 2, len(full) - 1):
        c = d.client()
        c.send_raw(full[:cut])
        time.sleep(0.02)
        c.close()
    # a header announcing a large body, then close without sending it
    c = d.client()
    c.send_raw(bytes([0x94, 0x00, 0x01, 0xa4]) + b"ping" + bytes([0x91, 0xdb, 0, 0x0f, 0, 0]))
    c.close()
    wait_connections(d, 0)
    check_alive(d)


def t_oversized(d):
    # params announce a 2 GiB string: refused after the header, the body is never sent
    c = d.client(timeout=10)
    c.send_raw(bytes([0x94, 0x00, 0x07, 0xa7]) + b"resolve" + bytes([0x91, 0xdb, 0x7f, 0xff,
                                                                       0xff, 0xff]))
    text = expect_closed_with_error(c, "too_large", 7, "str32 of 2 GiB")
    expect("exceeds" in text, text)
    c.close()
    # an array header of 4 billion items
    c = d.client(timeout=10)
    c.send_raw(bytes([0x94, 0x00, 0xcd, 0x01, 0x00, 0xa4]) + b"eval" + bytes([0xdd, 0xff, 0xff,
                                                                            0xff, 0xff]))
    expect_closed_with_error(c, "too_large", 256, "array32 of 4 billion")
    c.close()
    # a message whose msgid cannot be read: an error notification
    c = d.client(timeout=10)
    c.send_raw(bytes([0xdb, 0x7f, 0xff, 0xff, 0xff]))
    expect_closed_with_error(c, "too_large", None, "top-level str32")
    c.close()
    # many small items summing over the limit: refused once the limit is crossed, and the
    # rest of the stream is never read
    c = d.client(timeout=10)
    item = pack("x" * 200)
    body = bytes([0x94, 0x00, 0x09, 0xa4]) + b"eval" + bytes([0x91, 0xdc, 0x27, 0x10])
    body += item * 10000  # 2 MB in total
    try:
        c.send_raw(body)
    except (BrokenPipeError, ConnectionResetError):
        pass
    expect_closed_with_error(c, "too_large", 9, "2 MB of small strings")
    c.close()
    # nested array16 headers announcing more items than 1 MiB can hold: refused at the
    # header that crosses the limit, after some 60 bytes
    c = d.client(timeout=10)
    c.send_raw(bytes([0x94, 0x00, 0x0a, 0xa4]) + b"eval" + bytes([0x91]) +
               bytes([0xdc, 0xff, 0xff]) * 17)
    expect_closed_with_error(c, "too_large", 10, "17 nested array16 of 65535")
    c.close()
    # just under the limit is served
    c = d.client(timeout=30)
    s = "y" * (MAX_MESSAGE - 100)
    expect_eq(c.call("eval", s), s, "a message just under the limit")
    c.close()
    check_alive(d)


def t_envelopes(d):
    cases = [
        ("msgid is a string", pack([0, "1", "ping", []]), "bad_request", None),
        ("unknown message type", pack([5, 1, "ping", []]), "bad_request", None),
        ("not an array", pack({"method": "ping"}), "bad_request", None),
        ("params not an array", pack([0, 3, "ping", {}]), "bad_request", 3),
        ("method not a string", pack([0, 4, 17, []]), "bad_request", 4),
        ("method too long", pack([0, 5, "m" * 65, []]), "bad_request", 5),
        ("request of 3", pack([0, 6, "ping"]), "bad_request", None),
        ("ext type (timestamp)", bytes([0x94, 0x00, 0x08, 0xa4]) + b"eval"
         + bytes([0x91, 0xd6, 0xff, 0, 0, 0, 1]), "bad_request", 8),
        ("0xc1", bytes([0x94, 0x00, 0x09, 0xa4]) + b"eval" + bytes([0x91, 0xc1]),
         "bad_request", 9),
        ("nesting of 33", bytes([0x94, 0x00, 0x0b, 0xa4]) + b"eval" + bytes([0x91] * 32)
         + bytes([0xc0]), "too_large", 11),
    ]
    for what, data, code, msgid in cases:
        c = d.client(timeout=10)
        c.send_raw(data)
        expect_closed_with_error(c, code, msgid, what)
        c.close()
    # nesting of exactly 32 (the envelope, params, and 30 more) is served
    c = d.client()
    deep = "leaf"
    for _ in range(30):
        deep = [deep]
    expect_eq(c.call("eval", deep), deep, "nesting of 32")
    # a stray response is ignored, the connection stays
    c.send_raw(pack([1, 99, None, "whatever"]))
    expect_eq(c.call("ping"), "pong", "after a stray response")
    c.close()
    check_alive(d)


def t_wrong_params(d):
    c = d.client()
    cases = [
        ("resolve", [42], "argument 1 must be a string, got int"),
        ("resolve", [None], "argument 1 must be a string, got nil"),
        ("resolve", [["ref+echo://a/b"]], "argument 1 must be a string, got array"),
        ("resolve", ["ref+echo://a/b", "opts"], "argument 2 must be a map, got string"),
        ("resolve", ["ref+echo://a/b", {}, 3], "takes 1 to 2 arguments, got 3"),
        ("resolve", [], "takes 1 to 2 arguments, got 0"),
        ("resolve", ["ref+echo://a/b", {"timeout_ms": 1.5}], "timeout_ms"),
        ("resolve", ["ref+echo://a/b", {"refresh": "yes"}], "refresh"),
        ("resolve", ["ref+echo://a/b", {7: True}], "option names"),
        ("resolve_many", ["ref+echo://a/b"], "argument 1 must be an array of strings"),
        ("resolve_many", [["ok", 1]], "argument 1 must be an array of strings"),
        ("resolve_many", [{"a": 1}], "argument 1 must be an array of strings"),
        ("eval", [], "takes 1 to 2 arguments"),
        ("eval", [{}, []], "argument 2 must be a map"),
        ("context.set", ["AWS_REGION=x"], "argument 1 must be a map"),
        ("context.set", [{"A": ["x"]}], "string"),
        ("context.set", [{"A": "x"}, {}], "takes 1 to 1 arguments"),
        ("cache.clear", [1], "argument 1 must be a map"),
        ("cache.clear", [{"ref": 1}], "expected {ref: STRING}"),
        ("cache.stats", [{}], "takes 0 to 0 arguments"),
        ("hello", [[1]], "argument 1 must be a map"),
        ("shutdown", [True], "takes 0 to 0 arguments"),
    ]
    for method, params, words in cases:
        err, res = c.wait(c.send(method, params))
        expect(err is not None and res is None, "%s %r: no error" % (method, params))
        expect(err[1].startswith("bad_request: "), "%s %r: %r" % (method, params, err))
        expect(words in err[1], "%s %r: %r lacks %r" % (method, params, err[1], words))
    # bad keys inside documents: eval of a map with a non-string key is fine or refused,
    # never a crash
    err, res = c.wait(c.send("eval", [{1: "ref+echo://k/v", "b": [1, 2]}]))
    expect(err is None or err[1].startswith("bad_request"), repr(err))
    expect_eq(c.call("ping"), "pong", "the connection survived")
    c.close()
    check_alive(d)


def t_unknown_method(d):
    c = d.client()
    for name in ("nope", "resolve ", "RESOLVE", "cache.", "x" * 64, "\u00e9t\u00e9"):
        e = c.call_err(name)
        expect_eq(e.code, "unknown_method", name)
    # bin method names are accepted as strings
    c.send_raw(pack([0, 77, b"ping", []]))
    expect_eq(c.wait(77), (None, "pong"), "a bin method name")
    expect_eq(c.call("ping"), "pong", "the connection survived")
    c.close()
    check_alive(d)


def t_msgid_reused(d):
    c = d.client()
    with open(os.path.join(d.dir, "reuse.yaml"), "w") as f:
        f.write("k: reused\n")
    c.call("cache.clear")
    # a cache miss (answered later) and a ping (answered at once), both with msgid 7
    c.send_raw(pack([0, 7, "resolve", ["ref+file://%s/reuse.yaml#/k" % d.dir]])
               + pack([0, 7, "ping", []]) + pack([0, 7, "resolve", ["ref+echo://x/y#/zz"]]))
    got = sorted([repr(c.wait(7)), repr(c.wait(7)), repr(c.wait(7))])
    want = sorted([repr((None, "reused")), repr((None, "pong")),
                   repr(([1, "missing_key: ref+echo://x/y#/zz: no value found for key zz"],
                         None))])
    expect_eq(got, want, "every request with the reused id is answered once")
    c.close()
    check_alive(d)


def t_many_connections(d):
    n = 500
    barrier = threading.Barrier(n)
    errors = []
    results = [None] * n

    def worker(i):
        try:
            c = d.client(timeout=60)
            barrier.wait(60)
            results[i] = c.call("resolve", "ref+echo://conn/%d" % i)
            # hold the connection until everyone has been answered once
            barrier.wait(60)
            c.close()
        except Exception as e:  # collected and reported below
            errors.append("%d: %r" % (i, e))
            try:
                barrier.abort()
            except Exception:
                pass

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    expect(not errors, "connection errors: %s" % errors[:5])
    for i in range(n):
        expect_eq(results[i], "conn/%d" % i, "connection %d" % i)
    wait_connections(d, 0)
    check_alive(d)


def t_disconnect_in_flight(d):
    with open(os.path.join(d.dir, "inflight.yaml"), "w") as f:
        f.write("".join("k%d: v%d\n" % (i, i) for i in range(2000)))
    for variant in range(3):
        c = d.client()
        c.call("cache.clear")
        buf = bytearray()
        for i in range(5000):
            if i % 2:
                ref = "ref+echo://inflight/%d/%d" % (variant, i)
            else:
                ref = "ref+file://%s/inflight.yaml#/k%d" % (d.dir, i % 2000)
            buf += pack([0, i, "resolve", [ref]])
            if i % 500 == 0:
                buf += pack([0, 100000 + i, "eval", [{"a": [ref, ref], "b": ref}]])
        try:
            c.send_raw(bytes(buf))
        except (BrokenPipeError, ConnectionResetError):
            pass
        if variant == 1:
            c.read_message()  # read one reply, leave the rest
        if variant == 2:
            c.sock.shutdown(socket.SHUT_WR)
            time.sleep(0.01)
        c.close()
    wait_connections(d, 0)
    check_alive(d)


def t_half_close(d):
    """A client may send its requests, shut down its writing side and read every reply."""
    c = d.client()
    buf = bytearray()
    for i in range(2000):
        buf += pack([0, i, "resolve", ["ref+echo://half/%d" % i]])
    c.send_raw(bytes(buf))
    c.sock.shutdown(socket.SHUT_WR)
    msgs = c.read_until_eof(timeout=30)
    expect_eq(len(msgs), 2000, "replies after a half-close")
    expect_eq(sorted(m[1] for m in msgs), list(range(2000)), "every msgid once")
    for m in msgs:
        expect_eq(m[3], "half/%d" % m[1], "msgid %d" % m[1])
    c.close()
    check_alive(d)


def run_as_nobody(code, env=None):
    """Run python code as uid/gid 65534; returns (rc, output)."""
    if os.getuid() != 0:
        return None
    tool = shutil.which("setpriv")
    if tool is None:
        return None
    argv = [tool, "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", code]
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60,
                       env=env)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def t_other_uid(d):
    if os.getuid() != 0 or shutil.which("setpriv") is None:
        print("  (skipped: needs root and setpriv to act as another uid)")
        return
    code = r"""
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
try:
    s.connect(sys.argv[1] if len(sys.argv) > 1 else %r)
except OSError as e:
    print("connect-failed", e.errno); sys.exit(0)
try:
    s.sendall(b"\x94\x00\x01\xa4ping\x90")
    data = s.recv(100)
    print("eof" if data == b"" else "data", data.hex())
except OSError as e:
    print("closed", e.errno)
"""
    # 1. the private directory alone keeps other users out
    rc, out = run_as_nobody(code % d.sock)
    expect_eq(rc, 0, "nobody's client ran: " + out)
    expect(out.startswith("connect-failed 13"), "the 0700 directory refuses nobody: " + out)
    # 2. even with the socket reachable, SO_PEERCRED refuses the other uid at accept
    shared = Valsd(name="shared", env=dict(os.environ, VALSD_ALLOW_SHARED_DIR="1"),
                   binary=d.binary)
    if d.asan:
        shared.env.update({k: v for k, v in d.env.items() if k.endswith("SAN_OPTIONS")})
    try:
        os.chmod(shared.dir, 0o711)
        shared.start()
        os.chmod(shared.sock, 0o666)
        rc, out = run_as_nobody(code % shared.sock)
        expect_eq(rc, 0, "nobody's client ran: " + out)
        expect(out.startswith("eof") or out.startswith("closed"),
               "valsd closed the other uid's connection without an answer: " + out)
        expect("refused a connection from uid 65534" in shared.log(), "logged the refusal")
        check_alive(shared)
        shared.stop()
        shared.check_sanitizers()
    finally:
        shared.cleanup()
    check_alive(d)


CASES = [("random bytes", t_random_bytes), ("truncated then close", t_truncated_then_close),
         ("oversized messages", t_oversized), ("bad envelopes", t_envelopes),
         ("wrong param types", t_wrong_params), ("unknown method", t_unknown_method),
         ("msgid reused in flight", t_msgid_reused),
         ("500 concurrent connections", t_many_connections),
         ("disconnect with requests in flight", t_disconnect_in_flight),
         ("half-close then read", t_half_close), ("peer with another uid", t_other_uid)]


def run_all(r, binary, asan, label):
    d = Valsd(binary=binary, asan=asan, name="badinput")
    try:
        d.start()
        for name, fn in CASES:
            r.run("%s: %s" % (label, name), fn, d)
        r.run("%s: exits 0 on SIGTERM" % label, d.stop)
        if asan:
            r.run("%s: no sanitizer report" % label, d.check_sanitizers)
    finally:
        if d.alive():
            d.stop(expect_rc=None)
        if r.failed:
            print("---- valsd log (tail) ----\n" + d.log()[-8000:])
        d.cleanup()


def asan_build(path):
    """valsd built with -DVALS_SANITIZE=ON in `path` (configured and built when missing)."""
    binary = os.path.join(path, "valsd")
    if not os.path.exists(os.path.join(path, "CMakeCache.txt")):
        subprocess.run(["cmake", "-S", src_dir(), "-B", path, "-DVALS_SANITIZE=ON",
                        "-DVALS_BENCH=OFF"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", path, "-j2", "--target", "valsd"], check=True,
                   stdout=subprocess.DEVNULL)
    cache = open(os.path.join(path, "CMakeCache.txt")).read()
    expect("VALS_SANITIZE:BOOL=ON" in cache, "%s is not a VALS_SANITIZE build" % path)
    return binary


def main():
    r = Runner()
    run_all(r, os.path.join(build_dir(), "valsd"), False, "valsd")
    asan = os.environ.get("BUILD_DIR_ASAN")
    if asan:
        run_all(r, asan_build(asan), True, "valsd+asan")
    else:
        print("note: BUILD_DIR_ASAN is not set; the ASan+UBSan pass was not run")
    r.finish()


if __name__ == "__main__":
    main()
