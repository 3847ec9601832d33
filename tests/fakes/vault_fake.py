#!/usr/bin/python3
"""vault_fake.py - a small HashiCorp Vault for tests: KV v1 and v2 mounts, namespaces,
token policies, approle and userpass logins, the CLI's mount preflight.

Faithful to what real clients send and expect (reference/backends.md §6, §8; checked by
tests/integration/test_fake_clients.sh with python3-hvac):
  GET  /v1/sys/internal/ui/mounts/PATH   mount path, type and options.version (403 when the
                                         token has no access or no mount matches, as Vault)
  GET  /v1/MOUNT/data/PATH[?version=N]   KV v2 read: {"data": {"data": ..., "metadata": ...}}
                                         (404 with metadata for deleted/destroyed versions)
  GET  /v1/MOUNT/metadata/PATH           KV v2 metadata
  GET  /v1/MOUNT/PATH                    KV v1 read: {"data": ...}
  POST /v1/auth/approle/login            {"role_id", "secret_id"} -> {"auth": {...}}
  POST /v1/auth/userpass/login/NAME      {"password"} -> {"auth": {...}}
  GET  /v1/auth/token/lookup-self
Every call needs X-Vault-Token (or Authorization: Bearer) valid in the namespace named by
X-Vault-Namespace; a token's policies are path prefixes ("*": everything).  Errors are
Vault's {"errors": [...]}.

Config (JSON):
  {"namespaces": {"": {"mounts": {"secret/": 2, "kv/": 1},
                       "secrets": {"secret/app": [{"k": "v1"}, {"k": "v2"}],   # v2: versions
                                   "kv/app": {"k": "v"}},                      # v1: the data
                       "tokens": {"root-token": ["*"], "kv-only": ["kv/"]},
                       "approle": {"ROLE_ID": {"secret_id": "SID", "policies": ["*"], "ttl": 60}},
                       "userpass": {"alice": {"password": "pw", "policies": ["*"]}}}}}
A v2 version may be {"__deleted__": true} or {"__destroyed__": true}.
POST /__fake/control {"revoke": TOKEN} revokes an issued token.
"""
import json
import secrets
import sys
import time
import uuid

sys.path.insert(0, __import__("os").path.dirname(__file__))
import fakelib  # noqa: E402


def envelope(data=None, auth=None, lease=0):
    return {"request_id": str(uuid.uuid4()), "lease_id": "", "renewable": False,
            "lease_duration": lease, "data": data, "wrap_info": None, "warnings": None,
            "auth": auth, "mount_type": "kv" if data is not None else ""}


class VaultHandler(fakelib.FakeHandler):
    logged_headers = ("x-vault-token", "x-vault-namespace", "x-vault-request", "authorization",
                      "content-type")

    @staticmethod
    def setup_server(srv):
        srv.issued = {}  # token -> (namespace, policies, expires)

    def errors(self, status, *msgs):
        self.send_json(status, {"errors": list(msgs)})

    def ns(self):
        name = (self.headers.get("X-Vault-Namespace") or "").strip("/")
        return name, self.server.config["namespaces"].get(name)

    def token(self):
        t = self.headers.get("X-Vault-Token")
        if not t:
            a = self.headers.get("Authorization") or ""
            if a.startswith("Bearer "):
                t = a[7:]
        return t

    def policies(self, nsname, ns):
        """The policies of the request's token, or None."""
        t = self.token()
        if not t or ns is None:
            return None
        if t in ns.get("tokens", {}):
            return ns["tokens"][t]
        with self.server.lock:
            issued = self.server.issued.get(t)
        if issued and issued[0] == nsname and issued[2] > time.time():
            return issued[1]
        return None

    @staticmethod
    def allowed(pols, path):
        return pols is not None and any(p == "*" or path.startswith(p) for p in pols)

    @staticmethod
    def mount_of(ns, path):
        best = None
        for m in ns.get("mounts", {}):
            if (path + "/").startswith(m) and (best is None or len(m) > len(best)):
                best = m
        return best

    def issue(self, nsname, pols, ttl):
        tok = "hvs." + secrets.token_urlsafe(18)
        with self.server.lock:
            self.server.issued[tok] = (nsname, pols, time.time() + ttl)
        auth = {"client_token": tok, "accessor": secrets.token_hex(8), "policies": ["default"],
                "token_policies": ["default"], "metadata": {}, "lease_duration": ttl,
                "renewable": True, "entity_id": str(uuid.uuid4()), "token_type": "service",
                "orphan": True, "mfa_requirement": None, "num_uses": 0}
        self.send_json(200, envelope(auth=auth))

    def control(self, req):
        with self.server.lock:
            if "revoke" in req:
                self.server.issued.pop(req["revoke"], None)
            if req.get("revoke_all"):
                self.server.issued.clear()
        self.send_json(200, {})

    def route(self, body):
        p = self.upath
        if not p.startswith("/v1/"):
            return self.errors(404)
        p = p[4:]
        nsname, ns = self.ns()
        if ns is None:
            return self.errors(403, "permission denied")
        if self.command == "POST" and p.startswith("auth/approle/login"):
            req = json.loads(body or b"{}")
            role = ns.get("approle", {}).get(req.get("role_id", ""))
            if role is None or role.get("secret_id") != req.get("secret_id"):
                return self.errors(400, "invalid role or secret ID")
            return self.issue(nsname, role.get("policies", []), role.get("ttl", 3600))
        if self.command in ("POST", "PUT") and p.startswith("auth/userpass/login/"):
            req = json.loads(body or b"{}")
            user = ns.get("userpass", {}).get(p[len("auth/userpass/login/"):])
            if user is None or user.get("password") != req.get("password"):
                return self.errors(400, "invalid username or password")
            return self.issue(nsname, user.get("policies", []), user.get("ttl", 3600))
        pols = self.policies(nsname, ns)
        if pols is None:
            return self.errors(403, "permission denied")
        if p == "auth/token/lookup-self":
            return self.send_json(200, envelope(data={"policies": ["default"], "ttl": 0,
                                                      "namespace_path": nsname}))
        if self.command != "GET":
            return self.errors(405)
        if p.startswith("sys/internal/ui/mounts/"):
            path = p[len("sys/internal/ui/mounts/"):].strip("/")
            m = self.mount_of(ns, path)
            if m is None or not self.allowed(pols, m):
                return self.errors(403, "preflight capability check returned 403, please "
                                   "ensure client's policies grant access to the path \"%s/\""
                                   % path)
            v = ns["mounts"][m]
            return self.send_json(200, envelope(data={
                "accessor": "kv_" + secrets.token_hex(4), "config": {
                    "default_lease_ttl": 0, "force_no_cache": False, "max_lease_ttl": 0},
                "description": "key/value secret storage", "external_entropy_access": False,
                "local": False, "options": {"version": str(v)}, "path": m,
                "plugin_version": "", "running_plugin_version": "v0.16.1+builtin",
                "running_sha256": "", "seal_wrap": False, "type": "kv",
                "uuid": str(uuid.uuid4())}))
        m = self.mount_of(ns, p)
        if m is None:
            return self.errors(404, "no handler for route \"%s\". route entry not found." % p)
        if not self.allowed(pols, p):
            return self.errors(403, "1 error occurred:\n\t* permission denied\n\n")
        rest = p[len(m):]
        store = ns.get("secrets", {})
        if ns["mounts"][m] == 1:
            data = store.get(m + rest)
            if data is None:
                return self.errors(404)
            return self.send_json(200, envelope(data=data, lease=2764800))
        if rest.startswith("data/"):
            versions = store.get(m + rest[5:])
            if not versions:
                return self.errors(404)
            want = int(self.q.get("version") or 0) or len(versions)
            if want > len(versions):
                return self.errors(404)
            v = versions[want - 1]
            meta = {"created_time": "2026-01-01T00:00:00.000000Z", "custom_metadata": None,
                    "deletion_time": "", "destroyed": False, "version": want}
            if v.get("__deleted__") or v.get("__destroyed__"):
                if v.get("__deleted__"):
                    meta["deletion_time"] = "2026-01-02T00:00:00.000000Z"
                meta["destroyed"] = bool(v.get("__destroyed__"))
                return self.send_json(404, envelope(data={"data": None, "metadata": meta}))
            return self.send_json(200, envelope(data={"data": v, "metadata": meta}))
        if rest.startswith("metadata/"):
            versions = store.get(m + rest[9:])
            if not versions:
                return self.errors(404)
            return self.send_json(200, envelope(data={
                "current_version": len(versions), "oldest_version": 1, "max_versions": 0,
                "versions": {str(i + 1): {"destroyed": False, "deletion_time": ""}
                             for i in range(len(versions))}}))
        return self.errors(404)


if __name__ == "__main__":
    sys.exit(fakelib.serve(VaultHandler, "a fake HashiCorp Vault (KV v1/v2)"))
