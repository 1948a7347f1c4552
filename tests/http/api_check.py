#!/usr/bin/python3
"""api_check.py — the HTTP API of `khabar serve`, endpoint by endpoint, error by error.

usage: api_check.py RW_URL RO_URL TOKEN MAX_BODY

RW_URL is a server started with --write-token (the token is TOKEN) and --max-body MAX_BODY over
the index of examples/news.jsonl; RO_URL a read-only server over the same index. Every check
prints nothing when it passes and a line starting with FAIL when it does not; the last line is
"N passed, N failed". Everything goes to 127.0.0.1 only.
"""
import http.client
import json
import socket
import sys
import threading
import urllib.parse

from checklib import check, hostport, raw, request, status_of, summary

RW, RO, TOKEN, MAX_BODY = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])


def q(s):
    return urllib.parse.quote(s, safe="")


def is_error(js, code=None):
    if not isinstance(js, dict) or not isinstance(js.get("error"), dict):
        return False
    e = js["error"]
    ok = isinstance(e.get("code"), str) and isinstance(e.get("message"), str) and e["message"]
    return ok and (code is None or e["code"] == code)


def letter(ch):
    return ch.isalpha() or (0x064B <= ord(ch) <= 0x065F) or ord(ch) == 0x0670


def whole_words(text, ranges):
    b = text.encode("utf-8")
    for s, e in ranges:
        if not (0 <= s < e <= len(b)):
            return False
        try:
            before = b[:s].decode("utf-8")
            word = b[s:e].decode("utf-8")
            after = b[e:].decode("utf-8")
        except UnicodeDecodeError:
            return False  # a range that cuts a character
        if (before and letter(before[-1])) or (after and letter(after[0])) or not word:
            return False
    return True


# ---- health, stats ------------------------------------------------------------------------------
st, hd, body, js = request(RW, "GET", "/healthz")
check(st == 200 and js and js.get("status") == "ok", "GET /healthz", (st, body[:200]))
n_docs = js.get("docs", 0) if js else 0
check(n_docs >= 25, "the example index holds the examples", n_docs)
st, hd, body, _ = request(RW, "HEAD", "/healthz")
check(st == 200 and body == b"", "HEAD /healthz: status, no body", (st, body[:50]))
st, hd, body, js = request(RW, "GET", "/api/stats")
check(st == 200 and js and js.get("docs") == n_docs, "GET /api/stats docs", (st, body[:200]))
check(js and js.get("writable") is True and "limits" in js, "stats: writable and limits", js)
st, hd, body, js = request(RO, "GET", "/api/stats")
check(st == 200 and js and js.get("writable") is False, "read-only server's stats", js)
check(hd.get("content-type") == "application/json; charset=utf-8", "JSON content type",
      hd.get("content-type"))
check(hd.get("x-content-type-options") == "nosniff", "nosniff header")

# ---- search ----------------------------------------------------------------------------------
st, hd, body, js = request(RW, "GET", "/api/search?q=" + q("معرض الكتاب"))
check(st == 200 and js and js.get("hits"), "search: معرض الكتاب finds articles", (st, body[:300]))
hits = js.get("hits", []) if js else []
FIELDS = ["id", "title", "source", "date", "url", "score", "snippet", "similar"]
check(hits and all(all(f in h for f in FIELDS) for h in hits), "hit fields", hits[:1])
check(js and isinstance(js.get("took_us"), int) and isinstance(js.get("total"), int),
      "took_us and total", js and {k: js.get(k) for k in ("took_us", "total")})
check(any(h["id"] == "ex-001" for h in hits), "the book-fair article is found", [h["id"] for h in hits])
hl = [h for h in hits if h["snippet"]["highlights"]]
check(hl, "snippets carry highlights", hits[:1])
check(all(whole_words(h["snippet"]["text"], h["snippet"]["highlights"]) for h in hits),
      "highlights are whole words inside the snippet")
check(all(whole_words(h["title"], h.get("title_highlights", [])) for h in hits),
      "title highlights are whole words")
# a clitic form meets its base (analyzer on both sides)
st, _, _, js = request(RW, "GET", "/api/search?q=" + q("والمعرض"))
check(st == 200 and js and any(h["id"] == "ex-001" for h in js["hits"]), "clitic: والمعرض",
      js and [h["id"] for h in js["hits"]])

# paging
st, _, _, p1 = request(RW, "GET", "/api/search?q=" + q("في") + "&mode=any&limit=3")
st2, _, _, p2 = request(RW, "GET", "/api/search?q=" + q("في") + "&mode=any&limit=3&offset=3")
ids1 = [h["id"] for h in (p1 or {}).get("hits", [])]
ids2 = [h["id"] for h in (p2 or {}).get("hits", [])]
check(st == 200 and st2 == 200 and len(ids1) <= 3, "limit is honoured", ids1)
check(not set(ids1) & set(ids2), "offset gives the next page", (ids1, ids2))
st, _, _, js = request(RW, "GET", "/api/search?q=" + q("معرض") + "&limit=1")
check(st == 200 and js and len(js["hits"]) <= 1, "limit=1", js and len(js["hits"]))

# filters
st, _, _, js = request(RW, "GET", "/api/search?q=" + q("البنك") + "&mode=any&exact=1")
check(st == 200 and js and js["facets"]["source"], "exact=1 gives source facets", js and js["facets"])
srcs = list(js["facets"]["source"].keys()) if js else []
if srcs:
    s0 = srcs[0]
    st, _, _, js = request(RW, "GET", "/api/search?q=" + q("البنك") + "&mode=any&source=" + q(s0))
    check(st == 200 and js and js["hits"] and all(h["source"] == s0 for h in js["hits"]),
          "source filter", js and [h["source"] for h in js["hits"]])
st, _, _, js = request(RW, "GET", "/api/search?q=" + q("في") + "&mode=any&limit=50&from=2024-03-05&to=2024-03-10")
check(st == 200 and js and all("2024-03-05" <= h["date"][:10] <= "2024-03-10" for h in js["hits"]),
      "date filter", js and [h["date"] for h in js["hits"]])
c1 = request(RW, "GET", "/api/search?q=" + q("في") + "&mode=any&limit=50&collapse=1")[3]
c0 = request(RW, "GET", "/api/search?q=" + q("في") + "&mode=any&limit=50&collapse=0")[3]
check(c1 and c0 and len(c0["hits"]) >= len(c1["hits"]), "collapse=0 shows at least as many",
      c1 and c0 and (len(c1["hits"]), len(c0["hits"])))

# the time budget: the server's default (RW: 1,000 ms; RO: --search-timeout 200), what a request
# asks with timeout=MS, capped by --search-timeout-max (RW: 10,000 ms; RO: 300)
for url, extra, want_ms in ((RW, "", 1000), (RW, "&timeout=5", 5), (RW, "&timeout=99999", 10000),
                            (RO, "", 200), (RO, "&timeout=250", 250), (RO, "&timeout=99999", 300)):
    st, _, _, js = request(url, "GET", "/api/search?q=" + q("معرض") + extra)
    check(st == 200 and js and js.get("timed_out") is False and js.get("timeout_ms") == want_ms,
          "search budget %s%s: timeout_ms %d, not timed out" % ("rw" if url == RW else "ro", extra,
                                                                 want_ms),
          js and {k: js.get(k) for k in ("timed_out", "timeout_ms")})
st, _, _, js = request(RO, "GET", "/api/stats")
check(js and js["limits"].get("search_timeout_ms") == 200 and
      js["limits"].get("search_timeout_max_ms") == 300, "stats: the search budget's limits",
      js and js.get("limits"))

# search errors: (target, status, code)
long_q = "كلمة " * 120  # 1,200 bytes > SRV_MAX_QUERY_BYTES
SEARCH_ERRORS = [
    ("/api/search", 400, "missing_query"),
    ("/api/search?q=", 400, "missing_query"),
    ("/api/search?q=%20%20", 400, "missing_query"),
    ("/api/search?q=x&limit=0", 400, "bad_limit"),
    ("/api/search?q=x&limit=101", 400, "bad_limit"),
    ("/api/search?q=x&limit=ten", 400, "bad_limit"),
    ("/api/search?q=x&limit=-5", 400, "bad_limit"),
    ("/api/search?q=x&offset=-1", 400, "bad_offset"),
    ("/api/search?q=x&offset=10001", 400, "bad_offset"),
    ("/api/search?q=x&offset=99999999999999999999", 400, "bad_offset"),
    ("/api/search?q=x&from=2024-13-01", 400, "bad_date"),
    ("/api/search?q=x&to=yesterday", 400, "bad_date"),
    ("/api/search?q=x&from=2024-03-10&to=2024-03-01", 400, "bad_date"),
    ("/api/search?q=x&collapse=maybe", 400, "bad_collapse"),
    ("/api/search?q=x&exact=2", 400, "bad_exact"),
    ("/api/search?q=x&mode=some", 400, "bad_mode"),
    ("/api/search?q=x&timeout=0", 400, "bad_timeout"),
    ("/api/search?q=x&timeout=-5", 400, "bad_timeout"),
    ("/api/search?q=x&timeout=1.5", 400, "bad_timeout"),
    ("/api/search?q=x&timeout=99999999999999", 400, "bad_timeout"),
    ("/api/search?q=" + q(long_q), 414, "too_long"),
    ("/api/search?q=x&source=" + "s" * 300, 414, "too_long"),
    ("/api/search?q=%zz", 400, "bad_request"),
    ("/api/search?q=%E2%82", 400, "bad_request"),          # truncated UTF-8
    ("/api/search?q=%FF%FE", 400, "bad_request"),          # invalid UTF-8
    ("/api/search?q=%C0%AF", 400, "bad_request"),          # overlong '/'
    ("/api/search?q=%ED%A0%80", 400, "bad_request"),       # a surrogate
    ("/api/search?q=a%00b", 400, "bad_request"),           # encoded NUL
    ("/api/search?q=x%", 400, "bad_request"),              # cut escape
    ("/api/search?q=x%4", 400, "bad_request"),
    ("/api/search?" + "&".join("p%d=1" % i for i in range(40)) + "&q=x", 400, "bad_request"),
    ("/api/search?q=" + q("-"), 400, "bad_query"),         # nothing searchable left
]
for target, want, code in SEARCH_ERRORS:
    st, hd, body, js = request(RW, "GET", target)
    check(st == want and is_error(js, code), "GET %s -> %d %s" % (target[:60], want, code),
          (st, body[:160]))
check(True, "server alive after search errors") if request(RW, "GET", "/healthz")[0] == 200 else \
    check(False, "server alive after search errors")

# URL longer than SRV_MAX_URL_BYTES
st, hd, body, js = request(RW, "GET", "/api/search?q=x&pad=" + "a" * 9000)
check(st in (414, 431), "a 9,000-byte URL is refused", (st, body[:100]))
# headers larger than the connection memory
st, hd, body, js = request(RW, "GET", "/healthz", headers={"X-Big": "b" * 40000})
check(st == 431 or st == 413 or st == 400, "40 KB of headers are refused", (st, body[:100]))
check(request(RW, "GET", "/healthz")[0] == 200, "server alive after oversized requests")

# ---- documents -------------------------------------------------------------------------------
st, hd, body, js = request(RW, "GET", "/api/documents/ex-001")
check(st == 200 and js and js.get("id") == "ex-001" and js.get("title"), "GET document", (st, body[:200]))
check(js and js.get("blocks") and all(b.get("type") and b.get("text") for b in js["blocks"]),
      "document blocks", js and js.get("blocks", [])[:1])
check(js and isinstance(js.get("captions"), list) and isinstance(js.get("dropped"), list),
      "document captions and dropped lines are lists", js and list(js.keys()))
# the clean structure as stored: a heading among the paragraphs, dropped lines with reasons
js = request(RW, "GET", "/api/documents/ex-011")[3]
check(js and [b["type"] for b in js.get("blocks", [])] == ["paragraph", "paragraph", "heading",
      "paragraph"], "document block types kept", js and js.get("blocks"))
js = request(RW, "GET", "/api/documents/ex-009")[3]
check(js and [d.get("reason") for d in js.get("dropped", [])] == ["share"]
      and "فيسبوك" in js["dropped"][0].get("text", ""), "dropped line and reason kept",
      js and js.get("dropped"))
for target, want, code in [
    ("/api/documents/no-such-id", 404, "not_found"),
    ("/api/documents/a%2Fb", 404, "not_found"),
    ("/api/documents/" + "i" * 300, 414, "too_long"),
    ("/api/documents/%zz", 400, "bad_request"),
    ("/api/documents/%FF", 400, "bad_request"),
    ("/api/documents/no-such-id/similar", 404, "not_found"),
    ("/api/documents/ex-001/other", 404, "not_found"),
    ("/api/documents//similar", 404, "not_found"),
]:
    st, hd, body, js = request(RW, "GET", target)
    check(st == want and is_error(js, code), "GET %s -> %d" % (target[:60], want), (st, body[:160]))
st, hd, body, js = request(RW, "GET", "/api/documents/ex-004/similar")
check(st == 200 and js and isinstance(js.get("similar"), list), "GET similar", (st, body[:200]))
sim = js.get("similar", []) if js else []
check(sim and all(d.get("id") in ("ex-005", "ex-006") and d.get("title") for d in sim),
      "similar lists other copies of the agency story, with titles", sim)
for d in sim:  # the relation is symmetric
    js2 = request(RW, "GET", "/api/documents/%s/similar" % d["id"])[3]
    check(js2 and "ex-004" in [x["id"] for x in js2.get("similar", [])], "similar is symmetric", js2)
st, _, _, js = request(RW, "GET", "/api/documents/ex-001/similar")
check(st == 200 and js and js.get("similar") == [], "an article without copies has none", js)

# ---- methods, unknown paths --------------------------------------------------------------------
for method, target, want, allow in [
    ("POST", "/api/search?q=x", 405, "GET, HEAD"),
    ("DELETE", "/api/search?q=x", 405, "GET, HEAD"),
    ("PUT", "/api/documents/ex-001", 405, "GET, HEAD, DELETE"),
    ("GET", "/api/documents", 405, "POST"),
    ("PATCH", "/healthz", 405, "GET, HEAD"),
    ("POST", "/", 405, "GET, HEAD"),
]:
    st, hd, body, js = request(RW, method, target, body=b"" if method in ("POST", "PUT", "PATCH") else None)
    check(st == want and hd.get("allow") == allow and is_error(js, "method_not_allowed"),
          "%s %s -> 405 Allow: %s" % (method, target, allow), (st, hd.get("allow"), body[:100]))
for target in ["/api/nothing", "/nothing", "/api/", "/API/search?q=x", "/api/search/"]:
    st, hd, body, js = request(RW, "GET", target)
    check(st == 404 and is_error(js, "not_found"), "GET %s -> 404" % target, (st, body[:100]))

# ---- the web page and its assets -------------------------------------------------------------
st, hd, body, _ = request(RW, "GET", "/")
check(st == 200 and hd.get("content-type", "").startswith("text/html"), "GET / is the page", st)
check(b'dir="rtl"' in body and b'lang="ar"' in body, "the page is RTL Arabic")
check("default-src 'none'" in hd.get("content-security-policy", ""), "CSP on the page")
etag = hd.get("etag")
st, hd2, body2, _ = request(RW, "GET", "/", headers={"If-None-Match": etag or "x"})
check(etag and st == 304 and body2 == b"", "If-None-Match gives 304", (etag, st))
for path, ctype in [("/index.html", "text/html"), ("/app.js", "text/javascript"),
                    ("/style.css", "text/css"), ("/favicon.svg", "image/svg+xml")]:
    st, hd, body, _ = request(RW, "GET", path)
    check(st == 200 and hd.get("content-type", "").startswith(ctype) and len(body) > 100,
          "asset %s" % path, (st, hd.get("content-type")))
# path traversal on asset routes: never a file from disk
TRAVERSAL = ["/../../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc%2fpasswd",
             "/web/../index.html", "//etc/passwd", "/index.html/..", "/./index.html",
             "/%2e%2e%5c%2e%2e%5cetc%5cpasswd", "/....//....//etc/passwd", "/app.js%00.html",
             "/server.c", "/meson.build", "/%252e%252e/etc/passwd", "/index.html%3f"]
for t in TRAVERSAL:
    resp = raw(RW, ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" % t).encode())
    st = status_of(resp)
    check(st in (400, 404) and b"root:" not in resp and b"project(" not in resp,
          "traversal %s -> 400/404" % t, (st, resp[:120]))
check(request(RW, "GET", "/healthz")[0] == 200, "server alive after traversal attempts")

# ---- the answer cache ----------------------------------------------------------------------------
# Both servers keep answers (the default --cache-mb); a repeated question is a hit with the same
# body, parameters in another order are the same question, and a commit by ANOTHER process (the
# read-only server sees the writer's commits below) must make the kept answers stale.
CQ = "/api/search?q=" + q("مهرجان الزيتون") + "&limit=5"
st1, hd1, body1, _ = request(RO, "GET", CQ)
st2, hd2, body2, _ = request(RO, "GET", CQ)
check(st1 == 200 and hd1.get("x-cache") in ("miss", "hit") and hd2.get("x-cache") == "hit",
      "a repeated search is answered from the cache", (hd1.get("x-cache"), hd2.get("x-cache")))
check(json.loads(body1)["hits"] == json.loads(body2)["hits"], "the cached answer is the same")
st3, hd3, body3, _ = request(RO, "GET", "/api/search?limit=5&q=" + q("مهرجان الزيتون"))
check(hd3.get("x-cache") == "hit", "parameters in another order: the same cached answer",
      hd3.get("x-cache"))
ro_before = [h["id"] for h in json.loads(body1)["hits"]]
st, hd, body, js = request(RO, "GET", "/api/documents/ex-001")
st, hd, body, js = request(RO, "GET", "/api/documents/ex-001")
check(st == 200 and hd.get("x-cache") == "hit", "a document is cached too", hd.get("x-cache"))
st, hd, body, js = request(RO, "GET", "/api/stats")
c = js.get("cache", {}) if js else {}
check(c.get("hits", 0) >= 3 and c.get("entries", 0) >= 2 and c.get("max_bytes", 0) > 0,
      "stats report the cache", c)
check("x-cache" not in hd, "stats are never cached", hd.get("x-cache"))
dc = js.get("doc_cache", {}) if js else {}
check(dc.get("max_bytes", 0) > 0 and dc.get("entries", 0) >= 1, "stats report the article cache", dc)

# ---- writes: authorization ---------------------------------------------------------------------
DOC1 = {"id": "t-100", "source": "test-wire", "date": "2024-05-01", "title": "اختبار الخادم يضيف خبرا جديدا",
        "body": "أضاف اختبار الخادم خبرا عن مهرجان الزيتون السنوي في مدينة صغيرة.\n\nوقال المنظمون إن المهرجان يستمر ثلاثة أيام."}
DOC2 = {"id": "t-101", "source": "test-wire", "date": "2024-05-02", "title": "خبر ثان عن الزيتون",
        "body": "يتواصل مهرجان الزيتون بمشاركة مزارعين من القرى المجاورة."}
jsonl = (json.dumps(DOC1, ensure_ascii=False) + "\n" + json.dumps(DOC2, ensure_ascii=False) + "\n").encode()
auth = {"Authorization": "Bearer " + TOKEN, "Content-Type": "application/x-ndjson"}
for hdrs, what in [({}, "no token"),
                   ({"Authorization": "Bearer " + TOKEN[:-1] + ("A" if TOKEN[-1] != "A" else "B")}, "wrong last char"),
                   ({"Authorization": "Bearer " + TOKEN[:-1]}, "token prefix"),
                   ({"Authorization": "Bearer " + TOKEN + "x"}, "token plus a char"),
                   ({"Authorization": "Bearer "}, "empty token"),
                   ({"Authorization": "Basic " + TOKEN}, "Basic scheme"),
                   ({"Authorization": TOKEN}, "no scheme")]:
    st, hd, body, js = request(RW, "POST", "/api/documents", body=jsonl, headers=hdrs)
    check(st == 401 and is_error(js, "unauthorized") and "bearer" in hd.get("www-authenticate", "").lower(),
          "POST with %s -> 401" % what, (st, body[:100]))
    st, hd, body, js = request(RW, "DELETE", "/api/documents/ex-001", headers=hdrs)
    check(st == 401 and is_error(js, "unauthorized"), "DELETE with %s -> 401" % what, (st, body[:100]))
check(request(RW, "GET", "/api/documents/ex-001")[0] == 200, "nothing deleted without the token")
st, hd, body, js = request(RO, "POST", "/api/documents", body=jsonl, headers=auth)
check(st == 403 and is_error(js, "read_only"), "POST on a read-only server -> 403", (st, body[:100]))
st, hd, body, js = request(RO, "DELETE", "/api/documents/ex-001", headers=auth)
check(st == 403 and is_error(js, "read_only"), "DELETE on a read-only server -> 403", (st, body[:100]))

# ---- writes: add, replace, reject, delete --------------------------------------------------------
st, hd, body, js = request(RW, "POST", "/api/documents", body=jsonl, headers=auth)
check(st == 200 and js and js.get("added") == 2 and js.get("rejected") == 0, "POST two articles",
      (st, body[:300]))
st, _, _, js = request(RW, "GET", "/api/search?q=" + q("مهرجان الزيتون"))
ids = [h["id"] for h in js.get("hits", [])] if js else []
check({"t-100", "t-101"} <= set(ids), "added articles are searchable at once", ids)
check(request(RO, "GET", "/api/documents/t-100")[0] == 200, "the read-only server sees the commit")
st, hd, body, js = request(RO, "GET", CQ)
ro_after = [h["id"] for h in js.get("hits", [])] if js else []
check(hd.get("x-cache") == "miss" and {"t-100", "t-101"} <= set(ro_after) and ro_after != ro_before,
      "another process's commit makes the cached answer stale", (hd.get("x-cache"), ro_before, ro_after))
st, hd, body, js = request(RW, "POST", "/api/documents", body=jsonl[: jsonl.index(b"\n") + 1], headers=auth)
check(st == 200 and js and js.get("replaced") == 1 and js.get("added") == 0, "same id replaces", body[:200])
mixed = jsonl[: jsonl.index(b"\n") + 1] + b"{not json\n" + b'{"title": "no body or id"}\n'
st, hd, body, js = request(RW, "POST", "/api/documents", body=mixed, headers=auth)
check(st == 200 and js and js.get("replaced") == 1 and js.get("rejected", 0) >= 1, "bad lines rejected", body[:300])
errs = js.get("errors", []) if js else []
check(errs and all(isinstance(e.get("reason"), str) and e["reason"] for e in errs), "rejections say why", errs)
mixed_added = js.get("added", 0) if js else 0  # a line without id gets one made up by the reader
st, hd, body, js = request(RW, "POST", "/api/documents", body=b"{broken\n", headers=auth)
check(st == 422 and js and js.get("rejected") == 1 and js.get("added") == 0, "nothing valid -> 422", (st, body[:200]))
st, hd, body, js = request(RW, "POST", "/api/documents", body=b"", headers=auth)
check(st == 400 and is_error(js, "empty_body"), "empty body -> 400", (st, body[:100]))
# body limits: declared too large (refused before reading), and chunked past the limit
resp = raw(RW, ("POST /api/documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                "Content-Length: %d\r\n\r\n" % (TOKEN, MAX_BODY + 1)).encode())
check(status_of(resp) == 413 and b"body_too_large" in resp, "Content-Length past the limit -> 413", resp[:200])
h, p = hostport(RW)
c = http.client.HTTPConnection(h, p, timeout=30)
chunk = b"x" * 65536
def gen():
    for _ in range(MAX_BODY // len(chunk) + 2):
        yield chunk
try:
    c.request("POST", "/api/documents", body=gen(), headers=auth, encode_chunked=True)
    r = c.getresponse()
    data = r.read()
    check(r.status == 413 and b"body_too_large" in data, "chunked body past the limit -> 413", (r.status, data[:100]))
except (ConnectionError, socket.timeout) as e:
    check(False, "chunked body past the limit -> 413", str(e))
finally:
    c.close()
st, hd, body, js = request(RW, "DELETE", "/api/documents/t-101", headers=auth)
check(st == 200 and js and js.get("deleted") == "t-101", "DELETE", (st, body[:100]))
check(request(RW, "GET", "/api/documents/t-101")[0] == 404, "deleted document is gone")
st, _, _, js = request(RW, "GET", "/api/search?q=" + q("مهرجان الزيتون"))
check(js and "t-101" not in [h["id"] for h in js["hits"]], "deleted document is not found")
st, hd, body, js = request(RW, "DELETE", "/api/documents/t-101", headers=auth)
check(st == 404 and is_error(js, "not_found"), "DELETE again -> 404", (st, body[:100]))

# ---- searches go on while a writer commits -------------------------------------------------------
errors = []
def searcher():
    for _ in range(40):
        try:
            st = request(RW, "GET", "/api/search?q=" + q("مهرجان الزيتون"))[0]
            if st != 200:
                errors.append(st)
        except Exception as e:  # noqa: BLE001 — any failure counts
            errors.append(str(e))
threads = [threading.Thread(target=searcher) for _ in range(4)]
for t in threads:
    t.start()
for i in range(10):
    d = dict(DOC2, id="t-2%02d" % i)
    st = request(RW, "POST", "/api/documents", body=(json.dumps(d, ensure_ascii=False) + "\n").encode(), headers=auth)[0]
    if st != 200:
        errors.append(("post", st))
for t in threads:
    t.join()
check(not errors, "160 searches during 10 commits all answered 200", errors[:5])
st, _, _, js = request(RW, "GET", "/api/stats")
check(js and js.get("docs") == n_docs + 11 + mixed_added, "every commit counted", js and js.get("docs"))

summary()
