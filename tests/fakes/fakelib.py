"""fakelib.py - what the local fake cloud servers share (stdlib only, /usr/bin/python3).

A fake listens on 127.0.0.1 (an ephemeral port unless --port is given; HTTPS with
--tls-cert/--tls-key), writes its port to --port-file once it accepts connections, speaks HTTP/1.1 with keep-alive, logs every
request (method, path, query, the headers tests care about) in memory, and answers
GET /__fake/requests with that log as JSON and POST /__fake/reset by clearing it.
POST /__fake/control {"fail_next": {"status": 503, "count": N}} makes the next N requests
fail with that status (and Retry-After: 0), to test retries.  It
never logs to stdout/stderr what a request carried (tokens, secrets).
"""
import argparse
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit


class FakeHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake"
    sys_version = ""
    # headers recorded in the request log (lower-case names); values of secret ones are
    # reduced to "present"
    logged_headers = ()
    secret_headers = ("authorization", "x-vault-token")

    def log_message(self, fmt, *args):  # keep test output clean
        pass

    # --- plumbing ------------------------------------------------------------------
    def _split(self):
        parts = urlsplit(self.path)
        # decode query keys too (the Azure SDK sends api%2Dversion)
        self.q = {unquote(k): v for k, v in parse_qsl(parts.query, keep_blank_values=True)}
        self.rawpath = parts.path
        self.upath = unquote(parts.path)

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def _log(self, body):
        entry = {"method": self.command, "path": self.upath, "query": self.q}
        for h in self.logged_headers:
            v = self.headers.get(h)
            if v is not None and h in self.secret_headers:
                v = "present"
            entry[h] = v
        with self.server.lock:
            self.server.requests.append(entry)

    def send_json(self, status, obj, headers=None):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _dispatch(self):
        self._split()
        body = self._body()
        if self.upath == "/__fake/requests":
            with self.server.lock:
                return self.send_json(200, list(self.server.requests))
        if self.upath == "/__fake/reset":
            with self.server.lock:
                self.server.requests.clear()
            return self.send_json(200, {})
        if self.upath == "/__fake/control":
            req = json.loads(body or b"{}")
            if "fail_next" in req:  # {"status": 503, "count": 1}: the next requests fail
                with self.server.lock:
                    self.server.fail_next = dict(req["fail_next"])
                if len(req) == 1:
                    return self.send_json(200, {})
            return self.control(req)
        self._log(body)
        with self.server.lock:
            fn = self.server.fail_next
            if fn and fn.get("count", 0) > 0:
                fn["count"] -= 1
            else:
                fn = None
        if fn:
            return self.send_json(fn["status"], {"errors": ["injected failure"]},
                                  {"Retry-After": "0"})
        return self.route(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = lambda self: self._dispatch()

    # --- to override -----------------------------------------------------------------
    def route(self, body):
        self.send_json(404, {"error": "no route"})

    def control(self, req):
        self.send_json(400, {"error": "no control"})


def serve(handler, description, extra_args=None):
    """Parse --config/--port/--port-file, load the config, serve forever."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--config", required=True, help="JSON file with the fake's data")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", help="write the port here once listening")
    ap.add_argument("--tls-cert", help="serve HTTPS with this PEM certificate chain")
    ap.add_argument("--tls-key", help="... and this PEM private key")
    for a in extra_args or []:
        ap.add_argument(*a[0], **a[1])
    args = ap.parse_args()
    with open(args.config) as f:
        config = json.load(f)
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), handler)
    srv.daemon_threads = True
    srv.lock = threading.Lock()
    srv.requests = []
    srv.fail_next = None
    srv.config = config
    srv.args = args
    if args.tls_cert:
        import ssl
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(args.tls_cert, args.tls_key)
        srv.socket = tls.wrap_socket(srv.socket, server_side=True)
    if hasattr(handler, "setup_server"):
        handler.setup_server(srv)
    port = srv.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(port))
        os.rename(tmp, args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit("fakelib is a module")
