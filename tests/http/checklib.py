"""checklib.py — what the HTTP check scripts share: counted checks and small HTTP clients.

Every address is the test server's on 127.0.0.1; every socket has a timeout.
"""
import http.client
import json
import socket
import sys
import urllib.parse

counts = {"passed": 0, "failed": 0}


def check(ok, what, got=None):
    """Counts one check; prints a FAIL line with what was got when it does not hold."""
    if ok:
        counts["passed"] += 1
    else:
        counts["failed"] += 1
        print("FAIL %s%s" % (what, "" if got is None else ": got %r" % (got,)))
    return ok


def summary():
    print("%d passed, %d failed" % (counts["passed"], counts["failed"]))
    sys.exit(1 if counts["failed"] else 0)


def hostport(url):
    u = urllib.parse.urlsplit(url)
    return u.hostname, u.port


def request(base, method, target, body=None, headers=None, timeout=30):
    """Returns (status, headers lower-cased, body bytes, parsed JSON or None)."""
    h, p = hostport(base)
    c = http.client.HTTPConnection(h, p, timeout=timeout)
    try:
        c.request(method, target, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        hd = {k.lower(): v for k, v in r.getheaders()}
    finally:
        c.close()
    js = None
    if hd.get("content-type", "").startswith("application/json"):
        try:
            js = json.loads(data.decode("utf-8"))
        except ValueError:
            js = None
    return r.status, hd, data, js


def raw(base, data, timeout=10):
    """Sends raw bytes; returns what comes back until the server closes, a complete keep-alive
    answer has arrived, or the timeout."""
    s = socket.create_connection(hostport(base), timeout=timeout)
    out = b""
    try:
        s.sendall(data)
        while True:
            k = s.recv(65536)
            if not k:
                break
            out += k
            head, sep, rest = out.partition(b"\r\n\r\n")
            if sep:
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:") and len(rest) >= int(line.split(b":")[1]):
                        return out
    except (socket.timeout, ConnectionResetError, BrokenPipeError):
        pass
    finally:
        s.close()
    return out


def status_of(resp):
    """The status code of a raw HTTP answer, or 0."""
    try:
        return int(resp.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0
