"""valsd_harness.py - shared helpers for the Python integration tests (not a test itself).

A private valsd on a temporary socket in its own 0700 directory, its log captured, and a
minimal msgpack-RPC client written against the wire contract (proto/PROTOCOL.md) with
Debian's python3-msgpack, independent of libvalsclient.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import msgpack

SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "Sanitizer has encountered a fatal error", "Sanitizer CHECK failed",
                   "SUMMARY: UndefinedBehaviorSanitizer", "AddressSanitizer:DEADLYSIGNAL")


def build_dir():
    return os.environ.get("BUILD_DIR") or os.path.join(src_dir(), "build")


def src_dir():
    return os.environ.get("SRC_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))


class Valsd:
    """A valsd process of its own: start(), stop(), log(), check_sanitizers()."""

    def __init__(self, binary=None, config=None, args=(), env=None, asan=False, name="valsd"):
        self.binary = binary or os.path.join(build_dir(), "valsd")
        self.dir = tempfile.mkdtemp(prefix=name + ".")
        os.chmod(self.dir, 0o700)
        self.sock = os.path.join(self.dir, "valsd.sock")
        self.logpath = os.path.join(self.dir, "valsd.log")
        self.config = None
        if config is not None:
            self.config = os.path.join(self.dir, "config.yaml")
            with open(self.config, "w") as f:
                f.write(config)
        self.args = list(args)
        self.env = dict(os.environ if env is None else env)
        self.asan = asan
        if asan:
            self.env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=1:halt_on_error=1"
            self.env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
        self.proc = None
        self.logf = None

    def start(self, wait=True):
        argv = [self.binary, "--socket", self.sock, "--log-level", "debug"]
        if self.config:
            argv += ["--config", self.config]
        argv += self.args
        self.logf = open(self.logpath, "ab")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.logf,
                                     stderr=self.logf, env=self.env)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=20.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("valsd exited with %d before it was ready:\n%s"
                                     % (self.proc.returncode, self.log()))
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(self.sock)
                s.close()
                return
            except OSError:
                time.sleep(0.02)
        raise AssertionError("valsd did not listen within %.0f s:\n%s" % (timeout, self.log()))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, expect_rc=0, timeout=30.0):
        """SIGTERM, wait, check the exit status; returns it."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("valsd did not exit within %.0f s of SIGTERM:\n%s"
                                 % (timeout, self.log()))
        self.logf.close()
        if expect_rc is not None and rc != expect_rc:
            raise AssertionError("valsd exited with %d, expected %d:\n%s"
                                 % (rc, expect_rc, self.log()))
        return rc

    def log(self):
        try:
            with open(self.logpath, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def check_sanitizers(self):
        text = self.log()
        for mark in SANITIZER_MARKS:
            if mark in text:
                raise AssertionError("sanitizer report in the valsd log:\n" + text[-20000:])

    def cleanup(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def client(self, **kw):
        return Client(self.sock, **kw)


class RpcError(Exception):
    """An error reply: `code` is the word before the colon."""

    def __init__(self, error):
        self.error = error
        text = error[1] if isinstance(error, (list, tuple)) and len(error) == 2 else error
        self.text = text if isinstance(text, str) else repr(text)
        self.code = self.text.split(":", 1)[0]
        Exception.__init__(self, self.text)


class Client:
    """A blocking msgpack-RPC client over AF_UNIX."""

    def __init__(self, path, timeout=30.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
        self.next_id = 0
        self.pending = {}  # msgid -> response, when read while waiting for another
        self.other = []  # notifications received

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send_raw(self, data):
        self.sock.sendall(data)

    def send(self, method, params, msgid=None):
        if msgid is None:
            self.next_id += 1
            msgid = self.next_id
        self.sock.sendall(msgpack.packb([0, msgid, method, params], use_bin_type=True))
        return msgid

    def notify(self, method, params):
        self.sock.sendall(msgpack.packb([2, method, params], use_bin_type=True))

    def read_message(self):
        """The next message, or None at EOF."""
        while True:
            for msg in self.unpacker:
                return msg
            data = self.sock.recv(65536)
            if not data:
                return None
            self.unpacker.feed(data)

    def wait(self, msgid):
        """The [error, result] of response msgid (others are kept for later)."""
        while msgid not in self.pending:
            msg = self.read_message()
            if msg is None:
                raise ConnectionError("valsd closed the connection while waiting for %d" % msgid)
            if msg[0] == 1:
                self.pending.setdefault(msg[1], []).append((msg[2], msg[3]))
            else:
                self.other.append(msg)
        err, res = self.pending[msgid].pop(0)
        if not self.pending[msgid]:
            del self.pending[msgid]
        return err, res

    def call(self, method, *params):
        err, res = self.wait(self.send(method, list(params)))
        if err is not None:
            raise RpcError(err)
        return res

    def call_err(self, method, *params):
        """Call, expecting an error; returns the RpcError."""
        err, res = self.wait(self.send(method, list(params)))
        if err is None:
            raise AssertionError("%s%r: expected an error, got %r" % (method, params, res))
        return RpcError(err)

    def read_until_eof(self, timeout=10.0):
        """Every message until the daemon closes the connection."""
        self.sock.settimeout(timeout)
        out = []
        while True:
            try:
                msg = self.read_message()
            except (ConnectionResetError, BrokenPipeError):
                return out
            if msg is None:
                return out
            out.append(msg)


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def expect_eq(got, want, what=""):
    if got != want:
        raise AssertionError("%s: got %r, expected %r" % (what, got, want))


class Runner:
    """Runs named cases, reports each, exits 0 / 1 / 77 like tests/run-all.sh expects."""

    def __init__(self):
        self.failed = []
        self.passed = 0

    def run(self, name, fn, *args):
        t0 = time.time()
        try:
            fn(*args)
        except Exception as e:  # report every failing case, not just the first
            import traceback
            self.failed.append(name)
            print("FAIL %s: %s" % (name, e), flush=True)
            traceback.print_exc()
            return False
        self.passed += 1
        print("ok   %s (%.2fs)" % (name, time.time() - t0), flush=True)
        return True

    def finish(self):
        print("%d passed, %d failed%s" % (self.passed, len(self.failed),
                                          (": " + ", ".join(self.failed)) if self.failed else ""))
        sys.exit(1 if self.failed else 0)


def skip(reason):
    print("SKIP: " + reason)
    sys.exit(77)
