#!/usr/bin/python3
"""vrpc.py - a one-shot msgpack-RPC call for the shell tests (not a test itself).

    vrpc.py SOCKET METHOD [PARAMS_JSON]

Prints the result as JSON and exits 0; an error reply prints "ERROR <code: message>" and
exits 3; no connection exits 4.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from valsd_harness import Client, RpcError  # noqa: E402


def main():
    if len(sys.argv) < 3:
        print("usage: vrpc.py SOCKET METHOD [PARAMS_JSON]", file=sys.stderr)
        sys.exit(2)
    params = json.loads(sys.argv[3]) if len(sys.argv) > 3 else []
    try:
        c = Client(sys.argv[1], timeout=30)
    except OSError as e:
        print("NOCONNECT %s" % e)
        sys.exit(4)
    try:
        print(json.dumps(c.call(sys.argv[2], *params), sort_keys=True))
    except RpcError as e:
        print("ERROR " + e.text)
        sys.exit(3)
    finally:
        c.close()


if __name__ == "__main__":
    main()
