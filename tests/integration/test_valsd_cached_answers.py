#!/usr/bin/python3
"""test_valsd_cached_answers.py - valsd answers the same from its cache as from a fetch.

Starts a private valsd, sends a fixed list of requests (resolve with and without
fragments, nested and embedded refs, errors, resolve_many, eval, credential contexts,
meta/refresh/max_age options) twice on one connection: the first pass fetches, the
second is served from the cache.  Every answer of the second pass must equal the first
byte for byte (meta's age_ms aside), and the answers with a known value must have it
(values from vals' behaviour, tests/data/vals-cases.tsv rows G01, G05, G07, G09, G37,
G27; errors by their code).  With VALSD_BASELINE=/path/to/other/valsd the same requests
also go to that binary and all answers must be identical (used to prove an optimisation
changed nothing).
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

try:
    import msgpack
except ImportError:
    print("python3-msgpack is not installed")
    sys.exit(77)

BUILD_DIR = os.environ.get("BUILD_DIR", "build")


def requests(tmp):
    """(method, params, expected) - expected None: only compared across passes."""
    yml = os.path.join(tmp, "data.yaml")
    return [
        ("resolve", ["ref+echo://foo/bar"], ("ok", "foo/bar")),
        ("resolve", ["ref+echo://foo/bar/baz#/foo/bar"], ("ok", "baz")),
        ("resolve", ["ref+echo://foo/bar/baz#/foo"], ("ok", {"bar": "baz"})),
        ("resolve", ["ref+echo://ref+echo://ref+echo://deep/value"], ("ok", "deep/value")),
        ("resolve", ["ref+echo://a/bref+echo://c/d"], ("ok", "a/bc/d")),
        ("resolve", ["ref+echo://foo/bar/baz#/nope"], ("err", "missing_key")),
        ("resolve", ["ref+echo://foo/bar/baz#/foo/bar/baz"], None),
        ("resolve", ["ref+nope://x/y"], ("err", "unsupported_backend")),
        ("resolve", ["no ref here"], ("err", "bad_ref")),
        ("resolve", ["ref+echo://foo%zz/bar"], ("err", "bad_ref")),
        ("resolve", ["say ref+echo://x/y and ref+echo://p/q#/p"], ("ok", "say x/y and q")),
        ("resolve", ["ref+echo://foo/bar?z=1&a=2#/foo"], ("ok", "bar")),
        ("resolve", ["secretref+echo://s/t"], ("ok", "s/t")),
        ("resolve", ["ref+echo://foo/bar+"], ("ok", "foo/bar")),
        ("resolve", ["ref+echo://foo/bar", {"meta": True}], None),
        ("resolve", ["ref+echo://foo/bar", {"refresh": True}], ("ok", "foo/bar")),
        ("resolve", ["ref+echo://foo/bar", {"max_age_s": 3600}], ("ok", "foo/bar")),
        ("resolve", ["ref+envsubst://$TEST_NESTED_VAR/path",
                     {"env": {"TEST_NESTED_VAR": "resolved"}}], ("ok", "resolved/path")),
        ("resolve", ["ref+echo://ref+envsubst://$TEST_NESTED_VAR/path",
                     {"env": {"TEST_NESTED_VAR": "resolved"}}], ("ok", "resolved/path")),
        ("resolve", ["ref+file://" + yml + "#/a/b"], ("ok", "from-file")),
        ("resolve", ["ref+file://" + yml + "#/a/missing"], ("err", "missing_key")),
        ("resolve_many", [["ref+echo://m/1", "bad", "ref+echo://m/2/x#/m/2", "ref+nope://qq"]],
         None),
        ("eval", [{"k": "ref+echo://e/v", "l": ["ref+echo://x/y/z#/x/y", 3, True, None],
                   "keep": "user:ref+echo://a/b@host", "n": {"deep": "ref+echo://d/e#/d"}}],
         ("ok", {"k": "e/v", "l": ["z", 3, True, None], "keep": "user:ref+echo://a/b@host",
                 "n": {"deep": "e"}})),
        ("eval", [{"s": "x ref+echo://i/j y"}, {"inline": True}], ("ok", {"s": "x i/j y"})),
        ("context.set", [{"TEST_NESTED_VAR": "ctx"}], None),
        ("resolve", ["ref+envsubst://$TEST_NESTED_VAR/path"], ("ok", "ctx/path")),
        ("resolve", ["ref+echo://foo/bar"], ("ok", "foo/bar")),
        ("context.set", [{"AWS_PROFILE": "p1", "VAULT_ADDR": "v"}], None),
        ("resolve", ["ref+echo://foo/bar/baz#/foo/bar"], ("ok", "baz")),
    ]


class Server:
    def __init__(self, binary, tmp, name):
        self.sock = os.path.join(tmp, name + ".sock")
        cfg = os.path.join(tmp, name + ".yaml")
        with open(cfg, "w") as f:
            f.write("default_ttl: 1d\nlog_level: error\n")
        self.proc = subprocess.Popen([binary, "--socket", self.sock, "--config", cfg],
                                     stderr=subprocess.DEVNULL)
        for _ in range(500):
            if os.path.exists(self.sock):
                try:
                    s = socket.socket(socket.AF_UNIX)
                    s.connect(self.sock)
                    s.close()
                    return
                except OSError:
                    pass
            time.sleep(0.01)
        raise SystemExit("valsd did not start")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def run(server, reqs, passes=2):
    """Send every request `passes` times on one connection; answers per pass."""
    s = socket.socket(socket.AF_UNIX)
    s.connect(server.sock)
    unp = msgpack.Unpacker(raw=False)
    out, msgid = [], 0
    for _ in range(passes):
        answers = []
        for method, params, _exp in reqs:
            msgid += 1
            s.sendall(msgpack.packb([0, msgid, method, params]))
            while True:
                msg = next(unp, None)
                if msg is not None:
                    break
                data = s.recv(65536)
                if not data:
                    raise SystemExit("valsd closed the connection")
                unp.feed(data)
            assert msg[0] == 1 and msg[1] == msgid, msg
            err, res = msg[2], msg[3]
            if isinstance(res, dict) and "age_ms" in res:
                res = dict(res, age_ms="*")  # the one field that may differ
            answers.append((err, res))
        out.append(answers)
    s.close()
    return out


def main():
    tmp = tempfile.mkdtemp(prefix="valsd-cached.")
    os.chmod(tmp, 0o700)
    with open(os.path.join(tmp, "data.yaml"), "w") as f:
        f.write("a:\n  b: from-file\n")
    reqs = requests(tmp)
    failures = 0
    servers = [("valsd", os.path.join(BUILD_DIR, "valsd"))]
    if os.environ.get("VALSD_BASELINE"):
        servers.append(("baseline", os.environ["VALSD_BASELINE"]))
    results = {}
    try:
        for name, binary in servers:
            srv = Server(binary, tmp, name)
            try:
                results[name] = run(srv, reqs)
            finally:
                srv.stop()
        cold, warm = results["valsd"]
        for (method, params, exp), a, b in zip(reqs, cold, warm):
            if a != b:
                print(f"FAIL cached answer differs: {method} {params!r}\n  fetch: {a!r}\n"
                      f"  cache: {b!r}")
                failures += 1
            if exp is None:
                continue
            err, res = a
            if exp[0] == "ok" and (err is not None or res != exp[1]):
                print(f"FAIL {method} {params!r}: want {exp[1]!r}, got {a!r}")
                failures += 1
            if exp[0] == "err" and (err is None or not str(err[1]).startswith(exp[1] + ":")):
                print(f"FAIL {method} {params!r}: want error {exp[1]}, got {a!r}")
                failures += 1
        if "baseline" in results:
            for i, (x, y) in enumerate(zip(results["valsd"], results["baseline"])):
                for (method, params, _), a, b in zip(reqs, x, y):
                    if a != b:
                        print(f"FAIL differs from the baseline (pass {i + 1}): {method} "
                              f"{params!r}\n  valsd:    {a!r}\n  baseline: {b!r}")
                        failures += 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    n = len(reqs)
    if failures:
        print(f"{failures} failure(s)")
        return 1
    print(f"OK: {n} requests x 2 passes, cached answers identical"
          + (", identical to the baseline" if "baseline" in results else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
