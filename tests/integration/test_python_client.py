#!/usr/bin/python3
"""test_python_client.py - every method of proto/PROTOCOL.md driven by an independent
msgpack-RPC client (Debian's python3-msgpack, no code of ours): hello, ping, resolve
(opts.meta, opts.env, timeout_ms), resolve_many with mixed good and bad refs, eval (with
and without inline), context.set isolation between connections, cache.stats counters,
cache.clear variants, shutdown; pipelining with out-of-order responses matched by msgid;
notifications that get no reply.
"""
import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from valsd_harness import (Runner, RpcError, Valsd, expect, expect_eq)  # noqa: E402

import msgpack  # noqa: E402

CONFIG = """\
# a private daemon for this test
negative_ttl: 30s
limits:
  max_inflight: 300
"""


def stats(c):
    return c.call("cache.stats")


def t_hello(d):
    c = d.client()
    h = c.call("hello")
    expect(h["server"].startswith("valsd "), "server %r" % h["server"])
    expect_eq(h["proto"], 1, "proto")
    expect_eq(h["pid"], d.proc.pid, "pid")
    expect_eq(h["uid"], os.getuid(), "peer uid")
    lim = h["limits"]
    expect_eq(lim["max_inflight"], 300, "configured max_inflight")
    expect_eq(lim["max_message_bytes"], 1 << 20, "max_message_bytes")
    expect_eq(lim["max_depth"], 32, "max_depth")
    expect_eq(lim["max_array"], 65536, "max_array")
    expect_eq(lim["max_connections"], 1024, "max_connections")
    expect_eq(lim["timeout_ms"], 30000, "timeout_ms")
    expect_eq(sorted(h["methods"]),
              sorted(["hello", "ping", "resolve", "resolve_many", "eval", "context.set",
                      "cache.stats", "cache.clear", "shutdown"]), "methods")
    h2 = c.call("hello", {"client": "test_python_client", "proto": 1})
    expect_eq(h2["pid"], h["pid"], "hello with a map")
    e = c.call_err("hello", "not a map")
    expect_eq(e.code, "bad_request", "hello with a string")
    c.close()


def t_ping(d):
    c = d.client()
    expect_eq(c.call("ping"), "pong", "ping")
    e = c.call_err("ping", 1)
    expect_eq(e.code, "bad_request", "ping with an argument")
    expect("ping takes 0 to 0 arguments, got 1" in e.text, e.text)
    c.close()


def t_resolve(d):
    c = d.client()
    expect_eq(c.call("resolve", "ref+echo://foo/bar"), "foo/bar", "echo string")
    expect_eq(c.call("resolve", "ref+echo://foo/bar/baz#/foo"), {"bar": "baz"}, "echo map")
    expect_eq(c.call("resolve", "ref+echo://foo/bar/baz#/foo/bar"), "baz", "echo key")
    expect_eq(c.call("resolve", "secretref+echo://s/t"), "s/t", "secretref")
    expect_eq(c.call("resolve", b"ref+echo://as/bin"), "as/bin", "a bin ref")
    expect_eq(c.call("resolve", "x ref+echo://in/side+ y"), "x in/side y", "ref in a string")
    e = c.call_err("resolve", "ref+echo://x/y#/nope")
    expect_eq(e.code, "missing_key", "missing key")
    expect("ref+echo://x/y#/nope" in e.text and "nope" in e.text.split(":", 2)[-1], e.text)
    e = c.call_err("resolve", "ref+nope://x/y")
    expect_eq(e.code, "unsupported_backend", "unknown scheme")
    expect('"nope"' in e.text and "ref+nope://x/y" in e.text, e.text)
    e = c.call_err("resolve", "just text")
    expect_eq(e.code, "bad_ref", "no ref")
    expect("just text" in e.text, e.text)
    e = c.call_err("resolve", "ref+echo://%zz/x")
    expect_eq(e.code, "bad_ref", "bad escape")
    many = "ref+echo://a/b?" + "&".join("p%d=%d" % (i, i) for i in range(64))
    expect_eq(c.call("resolve", many), "a/b", "64 query parameters")
    e = c.call_err("resolve", many + "&one=more")
    expect_eq(e.code, "too_large", "65 query parameters")
    expect("more than 64 query parameters" in e.text and "echo://a/b?p0=0" in e.text, e.text)
    e = c.call_err("resolve", 42)
    expect_eq(e.code, "bad_request", "int ref")
    expect("argument 1 must be a string, got int" in e.text, e.text)
    e = c.call_err("resolve")
    expect_eq(e.code, "bad_request", "no arguments")
    e = c.call_err("resolve", "ref+echo://a/b", {"colour": "blue"})
    expect_eq(e.code, "bad_request", "unknown option")
    expect('unknown option "colour"' in e.text, e.text)
    c.close()


def t_resolve_meta(d):
    c = d.client()
    ref = "ref+echo://meta/%d" % time.time_ns()
    m1 = c.call("resolve", ref, {"meta": True})
    expect_eq(m1["value"], ref[len("ref+echo://"):], "meta value")
    expect_eq(m1["cached"], False, "first is fetched")
    expect_eq(m1["stale"], False, "not stale")
    expect(isinstance(m1["age_ms"], int) and m1["age_ms"] >= 0, "age_ms %r" % m1["age_ms"])
    time.sleep(0.05)
    m2 = c.call("resolve", ref, {"meta": True})
    expect_eq(m2["cached"], True, "second is cached")
    expect(m2["age_ms"] >= 40, "age grows: %r" % m2["age_ms"])
    m3 = c.call("resolve", ref, {"meta": True, "refresh": True})
    expect_eq(m3["cached"], False, "refresh bypasses the cache")
    m4 = c.call("resolve", ref, {"meta": True, "max_age_s": 0})
    expect_eq(m4["cached"], True, "max_age_s 0 is no limit")
    expect_eq(c.call("resolve", ref, {"meta": False}), m1["value"], "meta false")
    e = c.call_err("resolve", ref, {"meta": 1})
    expect_eq(e.code, "bad_request", "meta must be a bool")
    c.close()


def t_resolve_env(d):
    c = d.client()
    # the daemon was started with VALSD_TEST_LEAK in its own environment: never used
    expect_eq(c.call("resolve", "ref+envsubst://[$VALSD_TEST_LEAK]"), "[]", "daemon env unused")
    expect_eq(c.call("resolve", "ref+envsubst://$FOO", {"env": {"FOO": "inline"}}), "inline",
              "opts.env")
    expect_eq(c.call("resolve", "ref+envsubst://v/${FOO:-unset}"), "v/unset",
              "opts.env is for one request only")
    c.call("context.set", {"FOO": "from-context"})
    expect_eq(c.call("resolve", "ref+envsubst://$FOO"), "from-context", "context")
    expect_eq(c.call("resolve", "ref+envsubst://$FOO", {"env": {"FOO": "inline"}}), "inline",
              "opts.env replaces the context")
    expect_eq(c.call("resolve", "ref+envsubst://$FOO"), "from-context", "context again")
    e = c.call_err("resolve", "ref+envsubst://$FOO", {"env": {"FOO": 1}})
    expect_eq(e.code, "bad_request", "non-string env value")
    e = c.call_err("resolve", "ref+envsubst://$FOO", {"env": "FOO=1"})
    expect_eq(e.code, "bad_request", "env not a map")
    # relative file refs use PWD from the context
    sub = os.path.join(d.dir, "pwd")
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, "v.yaml"), "w") as f:
        f.write("k: from-pwd\n")
    expect_eq(c.call("resolve", "ref+file://v.yaml#/k", {"env": {"PWD": sub}}), "from-pwd",
              "relative file")
    e = c.call_err("resolve", "ref+file://v.yaml#/k")
    expect_eq(e.code, "bad_ref", "relative file without PWD")
    expect("PWD" in e.text, e.text)
    c.close()


def t_resolve_timeout(d):
    c = d.client()
    big = os.path.join(d.dir, "big.bin")
    with open(big, "wb") as f:
        f.write(b"x" * (40 << 20))
    ok = c.call("resolve", "ref+echo://t/o", {"timeout_ms": 5000})
    expect_eq(ok, "t/o", "a generous timeout")
    # the file backend reads on the loop: a 1 ms deadline expires before it is delivered
    e = c.call_err("resolve", "ref+file://" + big, {"timeout_ms": 1})
    expect_eq(e.code, "timeout", "1 ms deadline")
    expect("no answer within 1 ms" in e.text and "ref+file://" + big in e.text, e.text)
    # the fetch still completed and was cached: the next resolve is a hit
    m = c.call("resolve", "ref+file://" + big, {"meta": True, "timeout_ms": 0})
    expect_eq(m["cached"], True, "the timed-out fetch filled the cache")
    expect_eq(len(m["value"]), 40 << 20, "big value")
    e = c.call_err("resolve", "ref+echo://x", {"timeout_ms": -1})
    expect_eq(e.code, "bad_request", "negative timeout")
    e = c.call_err("resolve", "ref+echo://x", {"timeout_ms": "1s"})
    expect_eq(e.code, "bad_request", "string timeout")
    c.close()


def t_resolve_many(d):
    c = d.client()
    with open(os.path.join(d.dir, "many.yaml"), "w") as f:
        f.write("user: alice\npass: s3cret\nlist: [a, b]\n")
    path = os.path.join(d.dir, "many.yaml")
    before = stats(c)
    refs = ["ref+echo://a/b",
            "ref+nope://x/y",
            "ref+file://%s#/user" % path,
            "ref+file://%s#/pass" % path,
            "ref+file://%s#/list/1" % path,
            "ref+file://%s#/absent" % path,
            "not a ref at all",
            "ref+echo://%zz",
            "ref+echo://a/b",
            "pre ref+echo://mid/dle+ post"]
    out = c.call("resolve_many", refs)
    expect_eq(len(out), len(refs), "one answer per ref")
    expect_eq(out[0], [None, "a/b"], "good echo")
    expect(out[1][1] is None and out[1][0].startswith("unsupported_backend: ref+nope://x/y"),
           "bad scheme: %r" % out[1])
    expect_eq(out[2], [None, "alice"], "file user")
    expect_eq(out[3], [None, "s3cret"], "file pass")
    expect_eq(out[4], [None, "b"], "list index")
    expect(out[5][1] is None and out[5][0].startswith("missing_key: ") and "absent" in out[5][0],
           "missing key: %r" % out[5])
    expect_eq(out[6], [None, "not a ref at all"], "plain text is itself")
    expect(out[7][0] is not None and out[7][0].startswith("bad_ref: "), "bad escape: %r" % out[7])
    expect_eq(out[8], [None, "a/b"], "duplicate")
    expect_eq(out[9], [None, "pre mid/dle post"], "embedded ref")
    after = stats(c)
    # four fragments of one file cost one fetch (the others join it)
    expect_eq(after["fetches"] - before["fetches"], 3, "fetches (echo a/b, echo mid/dle, file)")
    expect(after["coalesced"] - before["coalesced"] >= 3, "coalesced %r" % after)
    expect_eq(c.call("resolve_many", []), [], "no refs")
    e = c.call_err("resolve_many", ["ref+echo://a/b", 7])
    expect_eq(e.code, "bad_request", "non-string item")
    e = c.call_err("resolve_many", "ref+echo://a/b")
    expect_eq(e.code, "bad_request", "not a list")
    c.close()


def t_eval(d):
    c = d.client()
    doc = {"user": "ref+echo://app", "url": "pg://u:ref+echo://pw+@db",
           "n": 42, "f": 1.5, "t": True, "z": None,
           "list": ["ref+echo://a/b/c#/a", 3, "plain"],
           "nested": {"deep": "ref+echo://x/y#/x"}}
    out = c.call("eval", doc)
    expect_eq(list(out.keys()), list(doc.keys()), "key order kept")
    expect_eq(out["user"], "app", "standalone ref")
    expect_eq(out["url"], "pg://u:ref+echo://pw+@db", "inline ref left alone")
    expect_eq(out["n"], 42, "int kept")
    expect_eq(out["f"], 1.5, "float kept")
    expect_eq(out["t"], True, "bool kept")
    expect_eq(out["z"], None, "nil kept")
    expect_eq(out["list"], [{"b": "c"}, 3, "plain"], "native type from a standalone ref")
    expect_eq(out["nested"], {"deep": "y"}, "nested map")
    out = c.call("eval", doc, {"inline": True})
    expect_eq(out["url"], "pg://u:pw@db", "inline expanded")
    expect_eq(c.call("eval", "ref+echo://top"), "top", "a scalar document")
    expect_eq(c.call("eval", ["x", "ref+echo://yy"]), ["x", "yy"], "a list document")
    expect_eq(c.call("eval", ["ref+echo://y"]), ["ref+echo://y"],
              "one character after :// is no ref (vals' regex)")
    e = c.call_err("eval", {"a": "ref+echo://ok", "b": "ref+echo://x/y#/missing"})
    expect_eq(e.code, "missing_key", "the failing ref fails the eval")
    expect("ref+echo://x/y#/missing" in e.text, e.text)
    e = c.call_err("eval", {"a": 1}, {"inline": "yes"})
    expect_eq(e.code, "bad_request", "inline must be a bool")
    c.close()


def t_context_isolation(d):
    a, b = d.client(), d.client()
    ida = a.call("context.set", {"FOO": "for-a", "PWD": "/a"})
    idb = b.call("context.set", {"FOO": "for-b", "PWD": "/b"})
    expect(re.fullmatch(r"[0-9a-f]{16}", ida) is not None, "context id %r" % ida)
    expect(ida != idb, "different contexts, different ids")
    expect_eq(a.call("resolve", "ref+envsubst://$FOO"), "for-a", "a sees its own")
    expect_eq(b.call("resolve", "ref+envsubst://$FOO"), "for-b", "b sees its own")
    third = d.client()
    expect_eq(third.call("context.set", {"PWD": "/a", "FOO": "for-a"}), ida,
              "the same variables give the same id")
    expect_eq(third.call("resolve", "ref+envsubst://v/${FOO:-none}"), "v/for-a", "third")
    # a refused context.set keeps the previous context
    e = a.call_err("context.set", {"FOO": 5})
    expect_eq(e.code, "bad_request", "int value")
    e = a.call_err("context.set", {"": "x"})
    expect_eq(e.code, "bad_request", "empty name")
    expect_eq(a.call("resolve", "ref+envsubst://$FOO"), "for-a", "context kept")
    # an empty context clears it
    a.call("context.set", {})
    expect_eq(a.call("resolve", "ref+envsubst://v/${FOO:-cleared}"), "v/cleared", "cleared")
    expect_eq(b.call("resolve", "ref+envsubst://$FOO"), "for-b", "b unaffected")
    for x in (a, b, third):
        x.close()


def t_cache_stats(d):
    c = d.client()
    keys = ["hits", "misses", "coalesced", "stale_served", "evictions", "negative_hits",
            "fetches", "errors", "entries", "bytes", "max_bytes", "contexts", "connections",
            "uptime_ms"]
    s0 = stats(c)
    expect_eq(sorted(s0.keys()), sorted(keys), "stats keys")
    ref = "ref+echo://stats/%d" % time.time_ns()
    c.call("resolve", ref)
    s1 = stats(c)
    expect_eq(s1["misses"] - s0["misses"], 1, "a miss")
    expect_eq(s1["fetches"] - s0["fetches"], 1, "a fetch")
    expect_eq(s1["entries"] - s0["entries"], 1, "an entry")
    expect(s1["bytes"] > s0["bytes"], "bytes grow")
    c.call("resolve", ref)
    s2 = stats(c)
    expect_eq(s2["hits"] - s1["hits"], 1, "a hit")
    expect_eq(s2["fetches"], s1["fetches"], "no fetch on a hit")
    missing = "ref+file://%s/absent-%d.yaml" % (d.dir, time.time_ns())
    expect_eq(c.call_err("resolve", missing).code, "not_found", "not found")
    s3 = stats(c)
    expect_eq(s3["errors"] - s2["errors"], 1, "an error")
    expect_eq(c.call_err("resolve", missing).code, "not_found", "not found again")
    s4 = stats(c)
    expect_eq(s4["negative_hits"] - s3["negative_hits"], 1, "a negative hit")
    expect_eq(s4["fetches"], s3["fetches"], "the negative entry answered")
    other = d.client()
    s5 = stats(other)
    expect(s5["connections"] >= 2, "connections %r" % s5["connections"])
    expect(s5["contexts"] >= 1, "contexts")
    expect(s5["uptime_ms"] >= s0["uptime_ms"], "uptime")
    expect_eq(s5["max_bytes"], 64 << 20, "max_bytes")
    other.close()
    c.close()


def t_cache_clear(d):
    c = d.client()
    c.call("cache.clear")
    expect_eq(stats(c)["entries"], 0, "cleared")
    for r in ("ref+echo://cc/one", "ref+echo://cc/one#/cc", "ref+echo://cc/two",
              "ref+echo://dd/x"):
        c.call("resolve", r)
    expect_eq(stats(c)["entries"], 4, "four entries")
    expect_eq(c.call("cache.clear", {"ref": "ref+echo://cc/one#/whatever"}), 2,
              "a ref's locator (both modes)")
    expect_eq(c.call("cache.clear", {"ref": "ref+echo://cc/one"}), 0, "already gone")
    expect_eq(c.call("cache.clear", {"prefix": "ref+echo://cc/"}), 1, "prefix with ref+")
    expect_eq(c.call("cache.clear", {"prefix": "echo://"}), 1, "prefix without ref+")
    c.call("resolve", "ref+echo://cc/again")
    expect_eq(c.call("cache.clear", {}), 1, "an empty map clears all")
    m = c.call("resolve", "ref+echo://cc/again", {"meta": True})
    expect_eq(m["cached"], False, "fetched again after the clear")
    e = c.call_err("cache.clear", {"ref": "ref+echo://a", "prefix": "echo://"})
    expect_eq(e.code, "bad_request", "both")
    e = c.call_err("cache.clear", {"colour": "x"})
    expect_eq(e.code, "bad_request", "unknown option")
    e = c.call_err("cache.clear", {"ref": "ref+nope://x"})
    expect_eq(e.code, "unsupported_backend", "unknown scheme")
    e = c.call_err("cache.clear", {"ref": 5})
    expect_eq(e.code, "bad_request", "non-string")
    c.close()


def t_unknown_method(d):
    c = d.client()
    e = c.call_err("frobnicate")
    expect_eq(e.code, "unknown_method", "unknown method")
    expect('"frobnicate"' in e.text, e.text)
    expect_eq(c.call("ping"), "pong", "still served")
    c.close()


def t_pipelining(d):
    c = d.client()
    with open(os.path.join(d.dir, "pipe.yaml"), "w") as f:
        f.write("k: v\n")
    c.call("cache.clear")
    # a miss (answered from the loop later) then a ping (answered at once), in one write
    first = msgpack.packb([0, 1000, "resolve", ["ref+file://%s/pipe.yaml#/k" % d.dir]])
    second = msgpack.packb([0, 1001, "ping", []])
    c.send_raw(first + second)
    m1 = c.read_message()
    m2 = c.read_message()
    expect_eq([m1[1], m2[1]], [1001, 1000], "the ping overtakes the resolve")
    expect_eq(m2[3], "v", "the resolve's value")
    # many requests before reading anything
    want = {}
    buf = bytearray()
    for i in range(600):
        msgid = 5000 + i
        if i % 3 == 0:
            buf += msgpack.packb([0, msgid, "ping", []])
            want[msgid] = (None, "pong")
        elif i % 3 == 1:
            buf += msgpack.packb([0, msgid, "resolve", ["ref+echo://p/%d" % i]])
            want[msgid] = (None, "p/%d" % i)
        else:
            buf += msgpack.packb([0, msgid, "resolve", ["ref+echo://p/%d#/zz" % i]])
            want[msgid] = ("missing_key", None)
    c.send_raw(bytes(buf))
    got = {}
    while len(got) < len(want):
        m = c.read_message()
        expect(m is not None, "connection closed after %d replies" % len(got))
        expect_eq(m[0], 1, "a response")
        expect(m[1] not in got, "one reply per msgid (%d twice)" % m[1])
        got[m[1]] = m
    for msgid, (err, res) in want.items():
        m = got[msgid]
        if err is None:
            expect_eq((m[2], m[3]), (None, res), "msgid %d" % msgid)
        else:
            expect(m[3] is None and m[2][1].startswith(err + ": "), "msgid %d: %r" % (msgid, m))
    c.close()


def t_notifications(d):
    c = d.client()
    before = stats(c)
    ref = "ref+echo://notified/%d" % time.time_ns()
    c.notify("ping", [])
    c.notify("resolve", [ref])
    c.notify("frobnicate", [])
    c.notify("resolve", [42])
    c.notify("cache.stats", [])
    msgid = c.send("ping", [])
    m = c.read_message()
    expect_eq(m, [1, msgid, None, "pong"], "the first message is the ping's reply")
    # the notified resolve ran (its entry is there) though nobody was answered
    c.sock.settimeout(0.3)
    try:
        extra = c.read_message()
    except socket.timeout:
        extra = None
    expect(extra is None, "nothing else was sent: %r" % (extra,))
    c.sock.settimeout(30)
    m = c.call("resolve", ref, {"meta": True})
    expect_eq(m["cached"], True, "the notification's resolve filled the cache")
    expect(stats(c)["misses"] > before["misses"], "it counted as a miss")
    c.close()


def t_shutdown(d):
    c = d.client()
    expect_eq(c.call("shutdown"), True, "shutdown")
    rest = c.read_until_eof()
    expect_eq(rest, [], "nothing after the reply")
    rc = d.proc.wait(20)
    expect_eq(rc, 0, "exit status")
    expect(not os.path.exists(d.sock), "socket removed")
    expect("shutdown requested by a client" in d.log(), "logged")


def main():
    r = Runner()
    env = dict(os.environ)
    env["VALSD_TEST_LEAK"] = "daemon-side-secret"
    d = Valsd(config=CONFIG, env=env, name="pyclient")
    try:
        d.start()
        for name, fn in [("hello", t_hello), ("ping", t_ping), ("resolve", t_resolve),
                         ("resolve opts.meta", t_resolve_meta),
                         ("resolve opts.env", t_resolve_env),
                         ("resolve timeout_ms", t_resolve_timeout),
                         ("resolve_many", t_resolve_many), ("eval", t_eval),
                         ("context.set isolation", t_context_isolation),
                         ("cache.stats", t_cache_stats), ("cache.clear", t_cache_clear),
                         ("unknown method", t_unknown_method), ("pipelining", t_pipelining),
                         ("notifications", t_notifications), ("shutdown", t_shutdown)]:
            r.run(name, fn, d)
        if any(v in d.log() for v in ("daemon-side-secret", "s3cret", "from-context", "for-b")):
            r.failed.append("no value in the log")
            print("FAIL a value reached the log")
    finally:
        if d.alive():
            d.stop(expect_rc=None)
        if r.failed:
            print("---- valsd log (tail) ----\n" + d.log()[-6000:])
        d.cleanup()
    r.finish()


if __name__ == "__main__":
    main()
