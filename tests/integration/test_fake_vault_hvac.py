#!/usr/bin/python3
"""test_fake_vault_hvac.py - the Vault fake (tests/fakes/vault_fake.py) is faithful enough
for a real Vault client: python3-hvac (Debian) reads KV v2 and v1 secrets, sends the
namespace header, logs in with approle and userpass, and gets the exceptions it raises for
Vault's real error answers (Forbidden for 403, InvalidPath for 404, InvalidRequest for a
refused login).  The mount preflight the vault CLI and valsd use is read through hvac's
generic read and must carry data.path / data.options.version as Vault does.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

try:
    import hvac
    import hvac.exceptions
except ImportError:
    print("python3-hvac is not installed (apt-get install python3-hvac)")
    sys.exit(77)

SRC = os.environ.get("SRC_DIR") or os.path.join(os.path.dirname(__file__), "..", "..")
FAKE = os.path.join(SRC, "tests", "fakes", "vault_fake.py")
CONFIG = os.path.join(SRC, "tests", "data", "cloud", "vault.json")

checks = 0


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        print("FAIL:", what)
        sys.exit(1)


def expect_raise(exc, fn, what):
    try:
        fn()
    except exc:
        check(True, what)
        return
    except Exception as e:  # noqa: BLE001
        check(False, "%s: raised %r instead of %s" % (what, e, exc.__name__))
    check(False, "%s: no exception" % what)


def main():
    tmp = tempfile.mkdtemp(prefix="vault-hvac.")
    port_file = os.path.join(tmp, "port")
    fake = subprocess.Popen(["/usr/bin/python3", FAKE, "--config", CONFIG, "--port-file",
                             port_file])
    try:
        for _ in range(100):
            if os.path.exists(port_file):
                break
            time.sleep(0.05)
        url = "http://127.0.0.1:" + open(port_file).read()

        c = hvac.Client(url=url, token="root-token")
        r = c.secrets.kv.v2.read_secret_version(path="observability", mount_point="secret")
        check(r["data"]["data"] == {"token": "obs-token-123", "port": 9090}, "kv v2 latest")
        check(r["data"]["metadata"]["version"] == 2, "kv v2 metadata.version")
        r = c.secrets.kv.v2.read_secret_version(path="observability", version=1,
                                                mount_point="secret")
        check(r["data"]["data"] == {"token": "obs-token-v1"}, "kv v2 ?version=1")
        r = c.secrets.kv.v1.read_secret(path="app", mount_point="kv")
        check(r["data"]["user"] == "kv1-user" and r["data"]["nested"]["deep"] == "kv1-deep",
              "kv v1 read")
        r = c.secrets.kv.v2.read_secret_metadata(path="observability", mount_point="secret")
        check(r["data"]["current_version"] == 2, "kv v2 metadata")
        r = c.read("sys/internal/ui/mounts/secret/observability")
        check(r["data"]["path"] == "secret/" and r["data"]["options"]["version"] == "2" and
              r["data"]["type"] == "kv", "preflight of a v2 mount")
        r = c.read("sys/internal/ui/mounts/kv/app")
        check(r["data"]["path"] == "kv/" and r["data"]["options"]["version"] == "1",
              "preflight of a v1 mount")
        r = c.read("sys/internal/ui/mounts/team/kv2/svc")
        check(r["data"]["path"] == "team/kv2/", "preflight finds a two-segment mount")

        # errors as hvac knows them
        expect_raise(hvac.exceptions.InvalidPath,
                     lambda: c.secrets.kv.v2.read_secret_version(path="nope",
                                                                 mount_point="secret"),
                     "404 for a missing secret")
        expect_raise(hvac.exceptions.InvalidPath,
                     lambda: c.secrets.kv.v2.read_secret_version(path="gone",
                                                                 mount_point="secret"),
                     "404 for a deleted version")
        limited = hvac.Client(url=url, token="kv-only")
        expect_raise(hvac.exceptions.Forbidden,
                     lambda: limited.secrets.kv.v2.read_secret_version(path="observability",
                                                                       mount_point="secret"),
                     "403 outside the token's policy")
        expect_raise(hvac.exceptions.Forbidden,
                     lambda: limited.read("sys/internal/ui/mounts/secret/observability"),
                     "preflight 403 outside the token's policy")
        bad = hvac.Client(url=url, token="no-such-token")
        expect_raise(hvac.exceptions.Forbidden, lambda: bad.secrets.kv.v1.read_secret(
            path="app", mount_point="kv"), "403 for an unknown token")

        # namespaces: the header selects the namespace's data and tokens
        ns = hvac.Client(url=url, token="ns-token", namespace="team-a")
        r = ns.secrets.kv.v2.read_secret_version(path="observability", mount_point="secret")
        check(r["data"]["data"]["token"] == "team-a-token", "namespace read")
        expect_raise(hvac.exceptions.Forbidden,
                     lambda: hvac.Client(url=url, token="ns-token").secrets.kv.v2
                     .read_secret_version(path="observability", mount_point="secret"),
                     "a namespace token is not valid in the root namespace")

        # logins
        a = hvac.Client(url=url)
        r = a.auth.approle.login(role_id="role-1", secret_id="sid-1")
        check(r["auth"]["client_token"] and r["auth"]["lease_duration"] == 120,
              "approle login answer")
        check(a.is_authenticated(), "approle token is valid (lookup-self)")
        r = a.secrets.kv.v2.read_secret_version(path="my-app", mount_point="secret")
        check(r["data"]["data"]["username"] == "app-user", "read with the approle token")
        expect_raise(hvac.exceptions.InvalidRequest,
                     lambda: hvac.Client(url=url).auth.approle.login(role_id="role-1",
                                                                     secret_id="wrong"),
                     "approle login with a wrong secret_id is refused (400)")
        u = hvac.Client(url=url)
        u.auth.userpass.login(username="alice", password="alice-pw")
        check(u.is_authenticated(), "userpass login")

        # what hvac sent, as the fake logged it
        log = json.load(urllib.request.urlopen(url + "/__fake/requests"))
        reads = [e for e in log if e["path"] == "/v1/secret/data/observability"]
        check(reads and all(e["x-vault-token"] == "present" for e in reads),
              "hvac sent X-Vault-Token")
        check(any(e["x-vault-namespace"] == "team-a" for e in reads),
              "hvac sent X-Vault-Namespace")
        check(any(e["query"].get("version") == "1" for e in reads), "?version=1 was sent")
    finally:
        fake.kill()
        fake.wait()
    print("ok: %d checks" % checks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
