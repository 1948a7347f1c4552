#!/usr/bin/python3
"""hostile_check.py — clients that misbehave get an error (or are cut off) and the server goes on.

usage: hostile_check.py URL TOKEN REQUEST_TIMEOUT MAX_CONNECTIONS

The server under test was started with --request-timeout REQUEST_TIMEOUT and --max-connections
MAX_CONNECTIONS. Every client here talks to 127.0.0.1 only; every loop is bounded in count and
every socket has a timeout, so the whole run ends within about a minute whatever the server does.
After each kind of abuse a normal request must still be answered. Prints "N passed, N failed".
"""
import http.client
import socket
import sys
import threading
import time
import urllib.parse

from checklib import check, raw, status_of, summary

URL, TOKEN, REQ_TIMEOUT, MAX_CONN = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
U = urllib.parse.urlsplit(URL)
HOST, PORT = U.hostname, U.port


def healthy(what):
    """A normal request succeeds (retrying a little while the server sheds a flood)."""
    last = None
    for _ in range(20):
        try:
            c = http.client.HTTPConnection(HOST, PORT, timeout=5)
            c.request("GET", "/healthz")
            r = c.getresponse()
            r.read()
            c.close()
            if r.status == 200:
                check(True, what)
                return
            last = r.status
        except OSError as e:
            last = str(e)
        time.sleep(0.25)
    check(False, what, last)


healthy("server answers at the start")

# ---- malformed requests: each gets a 4xx or is closed, never a 2xx or a crash ---------------------
MALFORMED = [
    b"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n",
    b"GET /healthz\r\n\r\n",
    b"GARBAGE\r\n\r\n",
    b"\x00\x01\x02\x03\xff\xfe\r\n\r\n",
    b"GET /healthz HTTP/1.1\r\nHost: x\r\nNoColonHeader\r\n\r\n",
    b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n",
    b"POST /api/documents HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n",
    b"GET /api/search?q=\xff\xfe\xfd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",   # raw invalid UTF-8
    b"GET /api/search?q=\xd8 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",           # cut UTF-8
    b"GET /api/search?q=%%%%%% HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"GET /api/search?q=%u0627 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",           # %u escapes
    b"GET /\xff/../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"GET " + b"/" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /healthz HTTP/1.1\r\n" + b"X-A: b\r\n" * 5000 + b"\r\n",                          # many headers
    b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Long: " + b"z" * 100000 + b"\r\n\r\n",         # a huge header
]
for i, req in enumerate(MALFORMED):
    resp = raw(URL, req, timeout=REQ_TIMEOUT + 8)
    st = status_of(resp)
    ok = st == 0 or 400 <= st < 500 or (i == 0 and st == 505)  # 505: HTTP version not supported
    check(ok, "malformed request #%d gets 4xx or a close" % i, resp[:100])
healthy("server answers after malformed requests")

# ---- wrong tokens of every shape are rejected ----------------------------------------------------
wrong = ["", "x", TOKEN[:-1], TOKEN + "x", TOKEN.upper() if TOKEN.upper() != TOKEN else TOKEN.lower(),
         "A" * len(TOKEN), TOKEN[:1] + "\t" + TOKEN[2:], "A" * 5000]
for w in wrong:
    c = http.client.HTTPConnection(HOST, PORT, timeout=10)
    try:
        c.request("DELETE", "/api/documents/ex-001", headers={"Authorization": "Bearer " + w})
        r = c.getresponse()
        r.read()
        check(r.status == 401, "wrong token (%d chars) -> 401" % len(w), r.status)
    except OSError as e:
        check(False, "wrong token (%d chars) -> 401" % len(w), str(e))
    finally:
        c.close()

# ---- slow clients: one byte a second ------------------------------------------------------------
def slow_headers(result):
    """Sends request headers at one byte a second; the server must cut it off."""
    s = socket.create_connection((HOST, PORT), timeout=2)
    req = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"p" * 60 + b"\r\n\r\n"
    t0 = time.monotonic()
    sent = 0
    try:
        for b in req:
            s.send(bytes([b]))
            sent += 1
            time.sleep(1.0)
            if time.monotonic() - t0 > REQ_TIMEOUT + 10:
                break
        data = s.recv(1024)
        result["data"] = data
    except OSError as e:
        result["error"] = str(e)
    finally:
        s.close()
    result["sent"] = sent
    result["len"] = len(req)
    result["secs"] = time.monotonic() - t0


def slow_body(result):
    """Sends a POST body at one byte a second."""
    s = socket.create_connection((HOST, PORT), timeout=2)
    head = ("POST /api/documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
            "Content-Length: 200\r\n\r\n" % TOKEN).encode()
    t0 = time.monotonic()
    sent = 0
    data = b""
    try:
        s.sendall(head)
        for _ in range(200):
            s.send(b"{")
            sent += 1
            time.sleep(1.0)
            if time.monotonic() - t0 > REQ_TIMEOUT + 10:
                break
        data = s.recv(1024)
    except OSError as e:
        result["error"] = str(e)
    finally:
        s.close()
    result["data"] = data
    result["sent"] = sent


slow = [{} for _ in range(3)]
threads = [threading.Thread(target=slow_headers, args=(slow[0],)),
           threading.Thread(target=slow_headers, args=(slow[1],)),
           threading.Thread(target=slow_body, args=(slow[2],))]
for t in threads:
    t.start()
time.sleep(1.5)
healthy("server answers while slow clients trickle")
for t in threads:
    t.join()
for i, r in enumerate(slow[:2]):
    check(r.get("sent", 0) < r.get("len", 0) and not r.get("data", b"").startswith(b"HTTP/1.1 200"),
          "slow header sender #%d is cut off before it finishes" % i, r)
r = slow[2]
check(r.get("sent", 0) < 200 and not r.get("data", b"").startswith(b"HTTP/1.1 200"),
      "slow body sender is cut off", r)
healthy("server answers after the slow clients")

# ---- a flood of connections ------------------------------------------------------------------------
# Past the limit the server answers 503 at once and closes; the connections it keeps are idle and
# are cut after the request timeout; then it serves as before.
FLOOD = MAX_CONN * 3
socks = []
failed_connect = 0
for _ in range(FLOOD):
    try:
        s = socket.create_connection((HOST, PORT), timeout=2)
        socks.append(s)
    except OSError:
        failed_connect += 1
time.sleep(1.0)
busy = 0
held = []
for s in socks:
    s.settimeout(0.05)
    try:
        d = s.recv(4096)
        if d.startswith(b"HTTP/1.1 503") and b'"busy"' in d:
            busy += 1
            s.close()
            continue
        if d == b"":
            s.close()
            continue
    except socket.timeout:
        pass
    except OSError:
        s.close()
        continue
    held.append(s)
check(busy >= FLOOD - MAX_CONN - 2, "connections past the limit (%d) get 503 at once" % MAX_CONN,
      (busy, len(held), failed_connect))
check(len(held) <= MAX_CONN, "no more than the limit are held", len(held))
time.sleep(REQ_TIMEOUT + 2.5)
cut = 0
for s in held:
    try:
        s.settimeout(0.2)
        if s.recv(1) == b"":
            cut += 1
    except socket.timeout:
        pass
    except OSError:
        cut += 1
    s.close()
check(cut == len(held), "idle flood connections are cut after the request timeout", (cut, len(held)))
healthy("server answers after the flood")

# ---- many half-open requests at once, then normal traffic ------------------------------------------
socks = []
for _ in range(min(40, MAX_CONN - 4)):
    try:
        s = socket.create_connection((HOST, PORT), timeout=2)
        s.sendall(b"GET /api/search?q=x HTTP/1.1\r\nHost: x\r\n")  # never finished
        socks.append(s)
    except OSError:
        pass
healthy("server answers with %d half-sent requests open" % len(socks))
for s in socks:
    s.close()

# ---- the server still searches -------------------------------------------------------------------
c = http.client.HTTPConnection(HOST, PORT, timeout=10)
c.request("GET", "/api/search?q=" + urllib.parse.quote("معرض"))
r = c.getresponse()
r.read()
c.close()
check(r.status == 200, "search works after all of it", r.status)

summary()
