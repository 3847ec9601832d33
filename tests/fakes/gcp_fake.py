#!/usr/bin/python3
"""gcp_fake.py - a small Google Secret Manager plus the OAuth 2 token endpoint, for tests.

Faithful to what real clients send and expect (reference/backends.md §4, §7.1, §8;
checked by tests/integration/test_fake_clients.sh with gcloud, which verifies dataCrc32c):
  POST /token   grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=JWT: the
                JWT's RS256 signature is VERIFIED with the service account's public key
                (python3-cryptography), and iss, aud, scope, iat/exp are checked;
                grant_type=refresh_token with client_id/client_secret/refresh_token.
                -> {"access_token", "expires_in", "token_type": "Bearer"} (plus "id_token"
                when the JWT asks for one with target_audience, as gcloud does)
  GET  /v1/projects/P/secrets/S/versions/V:access   (V: a number or "latest")
                -> {"name": "projects/NUMBER/secrets/S/versions/N",
                    "payload": {"data": BASE64, "dataCrc32c": "DECIMAL"}}
Errors are Google's {"error": {"code", "message", "status"}}: 401 UNAUTHENTICATED, 403
PERMISSION_DENIED, 404 NOT_FOUND, 400 FAILED_PRECONDITION (disabled/destroyed version).

Config (JSON):
  {"service_accounts": {"EMAIL": {"private_key_file": "sa.pem", "key_id": "KID",
                                   "projects": ["my-project"]}},
   "users": {"REFRESH_TOKEN": {"client_id": "...", "client_secret": "...", "projects": [...]}},
   "tokens": {"STATIC_TOKEN": ["my-project"]},
   "projects": {"my-project": {"number": "123456789012",
                               "secrets": {"my-secret": ["v1 value", "v2 value"]}}}}
A version is a string (UTF-8), {"b64": "..."} (bytes) or {"state": "DISABLED"|"DESTROYED"}.
POST /__fake/control {"corrupt_crc": true} sends wrong checksums; {"revoke_all": true}
invalidates every issued access token; {"token_ttl": N} sets expires_in.
"""
import base64
import json
import os
import secrets
import sys
import time
from urllib.parse import parse_qsl

sys.path.insert(0, os.path.dirname(__file__))
import fakelib  # noqa: E402

GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
SCOPE = "https://www.googleapis.com/auth/cloud-platform"


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


class GcpHandler(fakelib.FakeHandler):
    logged_headers = ("authorization", "content-type", "x-goog-user-project",
                      "x-goog-api-client")

    @staticmethod
    def setup_server(srv):
        from cryptography.hazmat.primitives import serialization
        srv.issued = {}  # access token -> (projects, expires)
        srv.corrupt_crc = False
        srv.token_ttl = 3599
        base = os.path.dirname(os.path.abspath(srv.args.config))
        srv.sa_keys = {}
        for email, sa in srv.config.get("service_accounts", {}).items():
            with open(os.path.join(base, sa["private_key_file"]), "rb") as f:
                key = serialization.load_pem_private_key(f.read(), password=None)
            srv.sa_keys[email] = key.public_key()

    def gerror(self, code, status, message, headers=None):
        self.send_json(code, {"error": {"code": code, "message": message, "status": status}},
                       headers)

    def control(self, req):
        with self.server.lock:
            if "corrupt_crc" in req:
                self.server.corrupt_crc = bool(req["corrupt_crc"])
            if req.get("revoke_all"):
                self.server.issued.clear()
            if "token_ttl" in req:
                self.server.token_ttl = int(req["token_ttl"])
        self.send_json(200, {})

    def issue(self, projects, id_token=None):
        tok = "ya29.fake-" + secrets.token_urlsafe(24)
        with self.server.lock:
            ttl = self.server.token_ttl
            self.server.issued[tok] = (projects, time.time() + ttl)
        out = {"access_token": tok, "expires_in": ttl, "token_type": "Bearer"}
        if id_token is not None:  # gcloud decodes (without verifying) exp, email, aud
            now = int(time.time())
            enc = lambda o: base64.urlsafe_b64encode(json.dumps(o).encode()).rstrip(b"=").decode()
            out["id_token"] = ".".join([enc({"alg": "RS256", "typ": "JWT"}), enc(
                {"iss": "https://accounts.google.com", "aud": id_token[1], "sub": "1",
                 "email": id_token[0], "email_verified": True, "iat": now,
                 "exp": now + ttl}), enc({"sig": "fake"})])
        self.send_json(200, out)

    def oauth_error(self, error, desc):
        self.send_json(400, {"error": error, "error_description": desc})

    def token_endpoint(self, body):
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding
        form = dict(parse_qsl(body.decode(), keep_blank_values=True))
        grant = form.get("grant_type")
        if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            parts = form.get("assertion", "").split(".")
            if len(parts) != 3:
                return self.oauth_error("invalid_grant", "malformed assertion")
            try:
                hdr = json.loads(b64url_decode(parts[0]))
                claims = json.loads(b64url_decode(parts[1]))
                sig = b64url_decode(parts[2])
            except ValueError:
                return self.oauth_error("invalid_grant", "malformed assertion")
            email = claims.get("iss")
            pub = self.server.sa_keys.get(email)
            sa = self.server.config.get("service_accounts", {}).get(email)
            if hdr.get("alg") != "RS256" or pub is None:
                return self.oauth_error("invalid_grant", "Invalid JWT: unknown issuer or alg")
            if sa.get("key_id") and hdr.get("kid") not in (None, sa["key_id"]):
                return self.oauth_error("invalid_grant", "Invalid JWT: unknown key id")
            try:
                pub.verify(sig, (parts[0] + "." + parts[1]).encode(), padding.PKCS1v15(),
                           hashes.SHA256())
            except InvalidSignature:
                return self.oauth_error("invalid_grant", "Invalid JWT Signature.")
            now = time.time()
            if claims.get("aud") not in (GOOGLE_TOKEN_URI, self.server.token_uri()):
                return self.oauth_error("invalid_grant", "Invalid JWT: bad audience")
            iat, exp = claims.get("iat", 0), claims.get("exp", 0)
            if not (iat - 300 <= now <= exp + 300) or exp - iat > 3600:
                return self.oauth_error("invalid_grant", "Invalid JWT: Token must be a "
                                        "short-lived token (60 minutes) and in a reasonable "
                                        "timeframe.")
            if "target_audience" in claims:
                return self.issue(sa.get("projects", []),
                                  id_token=(email, claims["target_audience"]))
            if SCOPE not in (claims.get("scope") or "").split():
                return self.oauth_error("invalid_scope", "the cloud-platform scope is missing")
            return self.issue(sa.get("projects", []))
        if grant == "refresh_token":
            user = self.server.config.get("users", {}).get(form.get("refresh_token", ""))
            if user is None or user.get("client_id") != form.get("client_id") or \
                    user.get("client_secret") != form.get("client_secret"):
                return self.oauth_error("invalid_grant", "Bad Request")
            return self.issue(user.get("projects", []))
        return self.oauth_error("unsupported_grant_type", "Invalid grant_type: %s" % grant)

    def projects_of(self):
        a = self.headers.get("Authorization") or ""
        if not a.startswith("Bearer "):
            return None
        tok = a[7:]
        if tok in self.server.config.get("tokens", {}):
            return self.server.config["tokens"][tok]
        with self.server.lock:
            issued = self.server.issued.get(tok)
        if issued and issued[1] > time.time():
            return issued[0]
        return None

    def route(self, body):
        p = self.upath
        if self.command == "POST" and p == "/token":
            return self.token_endpoint(body)
        if self.command != "GET" or not p.startswith("/v1/projects/") or \
                not p.endswith(":access"):
            return self.gerror(404, "NOT_FOUND", "Method not found.")
        seg = p[len("/v1/"):-len(":access")].split("/")
        if len(seg) != 6 or seg[2] != "secrets" or seg[4] != "versions":
            return self.gerror(400, "INVALID_ARGUMENT", "Invalid resource field value.")
        project, secret, version = seg[1], seg[3], seg[5]
        allowed = self.projects_of()
        if allowed is None:
            return self.gerror(401, "UNAUTHENTICATED", "Request had invalid authentication "
                               "credentials. Expected OAuth 2 access token, login cookie or "
                               "other valid authentication credential.",
                               {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'})
        proj = self.server.config.get("projects", {}).get(project)
        if proj is None or (project not in allowed and "*" not in allowed):
            return self.gerror(403, "PERMISSION_DENIED", "Permission 'secretmanager.versions."
                               "access' denied for resource 'projects/%s/secrets/%s/versions/%s'"
                               " (or it may not exist)." % (project, secret, version))
        num = proj.get("number", "123456789012")
        versions = proj.get("secrets", {}).get(secret)
        rname = "projects/%s/secrets/%s" % (num, secret)
        if not versions:
            return self.gerror(404, "NOT_FOUND", "Secret [%s] not found or has no versions."
                               % rname)
        if version == "latest":
            n = max((i + 1 for i, v in enumerate(versions)
                     if not (isinstance(v, dict) and v.get("state"))), default=0)
            if n == 0:
                return self.gerror(400, "FAILED_PRECONDITION", "Secret [%s] has no enabled "
                                   "versions." % rname)
        elif version.isdigit() and 0 < int(version) <= len(versions):
            n = int(version)
        else:
            return self.gerror(404, "NOT_FOUND", "Secret Version [%s/versions/%s] not found."
                               % (rname, version))
        v = versions[n - 1]
        if isinstance(v, dict) and v.get("state"):
            return self.gerror(400, "FAILED_PRECONDITION", "Secret Version [%s/versions/%d] is "
                               "in %s state." % (rname, n, v["state"]))
        data = base64.b64decode(v["b64"]) if isinstance(v, dict) else v.encode()
        crc = crc32c(data)
        if self.server.corrupt_crc:
            crc ^= 1
        payload = {"dataCrc32c": str(crc)}
        if data:
            payload["data"] = base64.b64encode(data).decode()
        return self.send_json(200, {"name": "%s/versions/%d" % (rname, n), "payload": payload})


def main():
    def token_uri(srv):
        return "http://127.0.0.1:%d/token" % srv.server_address[1]
    fakelib.ThreadingHTTPServer.token_uri = lambda self: token_uri(self)
    return fakelib.serve(GcpHandler, "a fake Google Secret Manager + OAuth token endpoint")


if __name__ == "__main__":
    sys.exit(main())
