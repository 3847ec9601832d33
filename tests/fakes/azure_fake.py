#!/usr/bin/python3
"""azure_fake.py - a small Azure Key Vault (secrets) plus the Entra ID token endpoint.

Faithful to what real clients send and expect (reference/backends.md §5, §8; checked by
tests/integration/test_fake_clients.sh with @azure/keyvault-secrets from npm):
  GET  [/VAULT]/secrets/NAME[/VERSION][/]?api-version=...   (query keys are %-decoded:
       the JS SDK sends api%2Dversion).  Without a token: 401 with
       WWW-Authenticate: Bearer authorization="AUTHORITY/TENANT", resource="https://vault.azure.net"
       (or scope="https://vault.azure.net/.default" when the config says "challenge": "scope").
       With a token issued for the vault scope: the SecretBundle {"value", "id",
       "attributes", "tags"}; 403 Forbidden (ForbiddenByRbac, SecretDisabled), 404
       SecretNotFound as Key Vault's {"error": {"code", "message", "innererror"}}.
       The vault is the first path segment when it names a configured vault, else
       "default_vault".
  POST /TENANT/oauth2/v2.0/token   grant_type=client_credentials, client_id, scope and
       client_secret or client_assertion(_type) (workload identity) ->
       {"token_type": "Bearer", "expires_in", "ext_expires_in", "access_token"};
       errors as Entra's {"error", "error_description" ("AADSTS..."), "error_codes"}.

Config (JSON):
  {"tenant": "TENANT", "authority": "http://127.0.0.1:{port}", "default_vault": "my-keyvault",
   "vaults": {"my-keyvault": {"secrets": {"my-app-api-key": ["abc123xyz987"]}}},
   "clients": {"CLIENT_ID": {"secret": "S", "federated_token": "JWT", "vaults": ["my-keyvault"]}},
   "tokens": {"STATIC": ["my-keyvault"]}}
A version is a string or {"value": "...", "enabled": false}.  "{port}" in "authority" is
replaced by the fake's port.  POST /__fake/control {"revoke_all": true} invalidates
issued tokens.
"""
import hashlib
import json
import os
import secrets
import sys
import time
import uuid
from urllib.parse import parse_qsl

sys.path.insert(0, os.path.dirname(__file__))
import fakelib  # noqa: E402

SCOPE = "https://vault.azure.net/.default"


def version_id(vault, name, i):
    return hashlib.md5(("%s/%s/%d" % (vault, name, i)).encode()).hexdigest()


class AzureHandler(fakelib.FakeHandler):
    logged_headers = ("authorization", "content-type", "x-ms-client-request-id")

    @staticmethod
    def setup_server(srv):
        srv.issued = {}  # token -> (vaults, expires)

    def kv_error(self, status, code, message, inner=None, headers=None):
        err = {"code": code, "message": message}
        if inner:
            err["innererror"] = {"code": inner}
        self.send_json(status, {"error": err}, headers)

    def aad_error(self, status, error, code, desc):
        self.send_json(status, {"error": error, "error_description": "AADSTS%d: %s" % (code, desc),
                                "error_codes": [code],
                                "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
                                "trace_id": str(uuid.uuid4()),
                                "correlation_id": str(uuid.uuid4())})

    def control(self, req):
        with self.server.lock:
            if req.get("revoke_all"):
                self.server.issued.clear()
        self.send_json(200, {})

    def authority(self):
        a = self.server.config.get("authority", "https://login.microsoftonline.com")
        return a.replace("{port}", str(self.server.server_address[1]))

    def challenge(self):
        cfg = self.server.config
        auth = "%s/%s" % (self.authority(), cfg.get("tenant", "tenant"))
        if cfg.get("challenge") == "scope":
            return 'Bearer authorization="%s", scope="%s"' % (auth, SCOPE)
        return 'Bearer authorization="%s", resource="https://vault.azure.net"' % auth

    def token_endpoint(self, tenant, body):
        cfg = self.server.config
        form = dict(parse_qsl(body.decode(), keep_blank_values=True))
        if tenant != cfg.get("tenant"):
            return self.aad_error(400, "invalid_request", 90002,
                                  "Tenant '%s' not found." % tenant)
        if form.get("grant_type") != "client_credentials":
            return self.aad_error(400, "unsupported_grant_type", 70003,
                                  "The app requested an unsupported grant type.")
        client = cfg.get("clients", {}).get(form.get("client_id", ""))
        if client is None:
            return self.aad_error(400, "unauthorized_client", 700016,
                                  "Application with identifier was not found in the directory.")
        if "client_secret" in form:
            if form["client_secret"] != client.get("secret"):
                return self.aad_error(401, "invalid_client", 7000215,
                                      "Invalid client secret provided.")
        elif form.get("client_assertion_type") == \
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
            if form.get("client_assertion") != client.get("federated_token"):
                return self.aad_error(400, "invalid_client", 700211,
                                      "No matching federated identity record found.")
        else:
            return self.aad_error(400, "invalid_request", 7000218,
                                  "The request body must contain the following parameter: "
                                  "'client_assertion' or 'client_secret'.")
        if form.get("scope") != SCOPE:
            return self.aad_error(400, "invalid_scope", 1002012,
                                  "The provided value for scope is not valid.")
        tok = "eyJ0eXAiOiJKV1QifQ.fake-" + secrets.token_urlsafe(24)
        with self.server.lock:
            self.server.issued[tok] = (client.get("vaults", []), time.time() + 3599)
        self.send_json(200, {"token_type": "Bearer", "expires_in": 3599,
                             "ext_expires_in": 3599, "access_token": tok})

    def vaults_of(self):
        a = self.headers.get("Authorization") or ""
        if not a.startswith("Bearer "):
            return None
        tok = a[7:]
        if tok in self.server.config.get("tokens", {}):
            return self.server.config["tokens"][tok]
        with self.server.lock:
            issued = self.server.issued.get(tok)
        return issued[0] if issued and issued[1] > time.time() else None

    def route(self, body):
        cfg = self.server.config
        seg = [s for s in self.upath.split("/") if s]
        if self.command == "POST" and len(seg) == 4 and seg[1:] == ["oauth2", "v2.0", "token"]:
            return self.token_endpoint(seg[0], body)
        if seg and seg[0] in cfg.get("vaults", {}):
            vault = seg.pop(0)
        else:
            vault = cfg.get("default_vault")
        if self.command != "GET" or len(seg) not in (2, 3) or seg[0] != "secrets":
            return self.kv_error(400, "BadParameter", "The request URI contains an invalid name")
        if "api-version" not in self.q:
            return self.kv_error(400, "BadParameter", "api-version is required")
        allowed = self.vaults_of()
        if allowed is None:
            msg = ("AKV10000: Request is missing a Bearer or PoP token."
                   if not self.headers.get("Authorization") else
                   "AKV10032: Invalid issuer. Expected one of https://sts.windows.net/...")
            return self.kv_error(401, "Unauthorized", msg, headers={
                "WWW-Authenticate": self.challenge()})
        if vault not in allowed and "*" not in allowed:
            return self.kv_error(403, "Forbidden", "Caller is not authorized to perform action "
                                 "on resource. Action: 'Microsoft.KeyVault/vaults/secrets/"
                                 "getSecret/action'", "ForbiddenByRbac")
        name = seg[1]
        versions = cfg.get("vaults", {}).get(vault, {}).get("secrets", {}).get(name)
        if not versions:
            return self.kv_error(404, "SecretNotFound", "A secret with (name/id) %s was not "
                                 "found in this key vault. If you recently deleted this secret "
                                 "you may be able to recover it using the correct recovery "
                                 "command." % name)
        if len(seg) == 3:
            ids = [version_id(vault, name, i) for i in range(len(versions))]
            if seg[2] not in ids:
                return self.kv_error(404, "SecretNotFound", "A secret with (name/id) %s/%s was "
                                     "not found in this key vault." % (name, seg[2]))
            i = ids.index(seg[2])
        else:
            i = len(versions) - 1
        v = versions[i]
        if isinstance(v, str):
            v = {"value": v}
        if v.get("enabled", True) is False:
            return self.kv_error(403, "Forbidden", "Operation get is not allowed on a disabled "
                                 "secret.", "SecretDisabled")
        # ids always name the vault by its DNS name, as Key Vault does
        return self.send_json(200, {
            "value": v["value"],
            "id": "https://%s.vault.azure.net/secrets/%s/%s" % (vault, name,
                                                                version_id(vault, name, i)),
            "attributes": {"enabled": True, "created": 1767225600, "updated": 1767225600,
                           "recoveryLevel": "Recoverable+Purgeable", "recoverableDays": 90},
            "tags": {}})


if __name__ == "__main__":
    sys.exit(fakelib.serve(AzureHandler, "a fake Azure Key Vault + Entra ID token endpoint"))
