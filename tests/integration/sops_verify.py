#!/usr/bin/python3
"""sops_verify.py - check a SOPS file with tools we did not write.

Usage: sops_verify.py ENCRYPTED KEYFILE [PLAINTEXT]

The data key is recovered by the real `age -d -i KEYFILE` from each sops.age[].enc (key
groups: each group's share, combined here with Shamir over GF(2^8)); every ENC[...] value,
including comments, is decrypted with AES-GCM from the `cryptography` package using its path
as AAD; the MAC is recomputed from the values (SHA-512, upper-case hex) and compared with
sops.mac decrypted with lastmodified as AAD.  With PLAINTEXT, the decrypted data must equal
the plaintext parsed by PyYAML / json (YAML and JSON) or byte for byte (binary, dotenv).
Written from sops-age.md; shares no code with lib/.
"""
import base64
import datetime
import decimal
import hashlib
import hmac
import json
import re
import subprocess
import sys

import yaml
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ENC = re.compile(r"^ENC\[AES256_GCM,data:(.*?),iv:(.+?),tag:(.+?),type:(.+)\]$")


def age_decrypt(armor, keyfile):
    out = subprocess.run(["age", "-d", "-i", keyfile], input=armor.encode(),
                         capture_output=True, check=True)
    return out.stdout


def gf_mul(a, b):
    p = 0
    for _ in range(8):
        if b & 1:
            p ^= a
        hi = a & 0x80
        a = (a << 1) & 0xFF
        if hi:
            a ^= 0x1B
        b >>= 1
    return p


def gf_inv(a):
    r = 1
    for _ in range(254):
        r = gf_mul(r, a)
    return r


def shamir_combine(parts):
    xs = [p[-1] for p in parts]
    secret = bytearray(len(parts[0]) - 1)
    for i, p in enumerate(parts):
        basis = 1
        for j, xj in enumerate(xs):
            if j != i:
                basis = gf_mul(basis, gf_mul(xj, gf_inv(xs[i] ^ xj)))
        for b in range(len(secret)):
            secret[b] ^= gf_mul(p[b], basis)
    return bytes(secret)


def data_key(meta, keyfile):
    groups = meta.get("key_groups") or [meta]
    parts = []
    for g in groups:
        for e in g.get("age") or []:
            try:
                parts.append(age_decrypt(e["enc"], keyfile))
                break
            except subprocess.CalledProcessError:
                continue
    if len(groups) == 1:
        assert len(parts) == 1 and len(parts[0]) == 32, "no data key"
        return parts[0]
    assert len(parts) >= int(meta.get("shamir_threshold") or len(groups)), "too few shares"
    return shamir_combine(parts)


def go_float(f):
    if f != f:
        return "NaN"
    if f in (float("inf"), float("-inf")):
        return "+Inf" if f > 0 else "-Inf"
    s = format(decimal.Decimal(repr(f)), "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def to_bytes(v):
    if isinstance(v, bool):
        return b"True" if v else b"False"
    if isinstance(v, int):
        return str(v).encode()
    if isinstance(v, float):
        return go_float(v).encode()
    if isinstance(v, bytes):
        return v
    return str(v).encode()


def typed(t, pt):
    if t in ("str", "comment"):
        try:
            return pt.decode()
        except UnicodeDecodeError:  # the binary store holds any bytes
            return pt
    if t == "int":
        return int(pt)
    if t == "float":
        return float(pt)
    if t == "bool":
        return pt in (b"True", b"true", b"1", b"t", b"T", b"TRUE")
    if t == "bytes":
        return pt
    raise ValueError("type " + t)


class Checker:
    def __init__(self, key, mac_only):
        self.key = key
        self.mac_only = mac_only
        self.count = 0

    def dec(self, s, aad):
        m = ENC.match(s)
        data, iv, tag, t = (m.group(i) for i in range(1, 5))
        pt = AESGCM(self.key).decrypt(base64.b64decode(iv), base64.b64decode(data) +
                                      base64.b64decode(tag), aad.encode())
        self.count += 1
        return t, pt

    def walk(self, v, path, h):
        if isinstance(v, dict):
            return {k: self.walk(x, path + [k], h) for k, x in v.items()}
        if isinstance(v, list):
            return [self.walk(x, path, h) for x in v]
        if v is None:
            return None
        if isinstance(v, str) and ENC.match(v):
            t, pt = self.dec(v, ":".join(path) + ":")
            h.update(pt)
            return typed(t, pt)
        if not self.mac_only:
            h.update(to_bytes(v))
        return v


def yaml_comments(text, chk):
    """Decrypt '#ENC[...]' comment lines; their AAD is the path of the enclosing map."""
    stack = []  # (indent, key)
    for line in text.split("\n"):
        m = re.match(r"^( *)#(ENC\[.*\])$", line)
        if m:
            ind = len(m.group(1))
            path = [k for (i, k) in stack if i < ind]
            chk.dec(m.group(2), ":".join(path) + ":")
            continue
        m = re.match(r"^( *)(- )?([^\s#:'\"][^:]*|\"[^\"]*\"):( |$)", line)
        if m:
            ind = len(m.group(1)) + (2 if m.group(2) else 0)
            while stack and stack[-1][0] >= ind:
                stack.pop()
            key = m.group(3)
            if key.startswith('"'):
                key = json.loads(key)
            stack.append((ind, key))
        if line.startswith("sops:"):
            break


def unflatten(flat):
    """sops_age__list_0__map_enc=... -> {"age": [{"enc": ...}]}"""
    root = {}
    for k, v in flat.items():
        tok = re.split(r"(__list_|__map_)", k)
        segs = [("map", tok[0])] + [("list" if tok[i] == "__list_" else "map", tok[i + 1])
                                    for i in range(1, len(tok), 2)]
        cur = root
        for i, (kind, name) in enumerate(segs):
            idx = int(name) if kind == "list" else name
            if kind == "list":
                while len(cur) <= idx:
                    cur.append(None)
            if i == len(segs) - 1:
                cur[idx] = v
                break
            nxt = [] if segs[i + 1][0] == "list" else {}
            if (kind == "list" and cur[idx] is None) or (kind == "map" and idx not in cur):
                cur[idx] = nxt
            cur = cur[idx]
    return root


def main():
    enc_path, keyfile = sys.argv[1], sys.argv[2]
    plain_path = sys.argv[3] if len(sys.argv) > 3 else None
    raw = open(enc_path, "rb").read()
    text = raw.decode()
    fmt = ("yaml" if enc_path.endswith((".yaml", ".yml")) else "json" if enc_path.endswith(".json")
           else "dotenv" if enc_path.endswith(".env") else "binary")
    comments = []
    if fmt == "yaml":
        docs = list(yaml.safe_load_all(text))
        meta = docs[0]["sops"]
        docs = [{k: v for k, v in d.items() if k != "sops"} for d in docs]
    elif fmt in ("json", "binary"):
        d = json.loads(text)
        meta = d.pop("sops")
        docs = [d]
    else:
        items, flat = [], {}
        for line in text.split("\n"):
            if not line:
                continue
            if line.startswith("#"):
                comments.append(line[1:])
                continue
            k, v = line.split("=", 1)
            v = v.replace("\\n", "\n")
            if k.startswith("sops_"):
                flat[k[5:]] = v
            else:
                items.append((k, v))
        meta = unflatten(flat)
        docs = [dict(items)]
    key = data_key(meta, keyfile)
    mac_only = str(meta.get("mac_only_encrypted")).lower() == "true"
    chk = Checker(key, mac_only)
    h = hashlib.sha512()
    if mac_only:
        h.update(hashlib.sha256(b"sops").digest())
    out = [chk.walk(d, [], h) for d in docs]
    if fmt == "yaml":
        yaml_comments(text, chk)
    for c in comments:
        chk.dec(c, ":")
    lm = meta["lastmodified"]
    if isinstance(lm, datetime.datetime):
        lm = lm.strftime("%Y-%m-%dT%H:%M:%SZ")
    t, mac = chk.dec(meta["mac"], lm)
    want = h.hexdigest().upper()
    if not hmac.compare_digest(mac.decode(), want):
        print("FAIL: MAC mismatch for %s" % enc_path)
        return 1
    if plain_path:
        praw = open(plain_path, "rb").read()
        if fmt == "yaml":
            ok = out == list(yaml.safe_load_all(praw.decode()))
        elif fmt == "json":
            ok = out[0] == json.loads(praw.decode())
        elif fmt == "binary":
            d = out[0]["data"]
            ok = (d if isinstance(d, bytes) else d.encode()) == praw
        else:
            ok = "".join("%s=%s\n" % (k, v.replace("\n", "\\n")) for k, v in out[0].items()) == \
                "".join(l + "\n" for l in praw.decode().split("\n") if l and not l.startswith("#"))
        if not ok:
            print("FAIL: decrypted data differs from %s: %r" % (plain_path, out))
            return 1
    print("OK %s: %d values and comments decrypted, MAC verified" % (enc_path, chk.count))
    return 0


if __name__ == "__main__":
    sys.exit(main())
