#!/bin/sh
# api.sh — the HTTP API against two live servers on 127.0.0.1 (one with a write token, one
# read-only) over an index of examples/news.jsonl: every endpoint, error path and limit
# (tests/http/api_check.py), then a clean stop on SIGTERM. Prints "N passed, N failed".
set -u
. "$(dirname "$0")/serverlib"

MAX_BODY=1048576 # a small body limit keeps the over-the-limit checks cheap
build_index "$HTTP_TMP/ix" "$KB_ROOT/examples/news.jsonl" || { echo "0 passed, 1 failed"; exit 1; }
# A copy with a damaged stored article (serverlib's damaged_copy), served below: a search lists
# the hits on it flagged "damaged".
damaged_copy "$HTTP_TMP/ix" "$HTTP_TMP/dmg" 2>"$HTTP_TMP/dmg.err" || cat "$HTTP_TMP/dmg.err"
printf 'test-token-%s\n' "0123456789abcdef" >"$HTTP_TMP/token"
chmod 600 "$HTTP_TMP/token"
start_server rw --index "$HTTP_TMP/ix" --write-token "$HTTP_TMP/token" --max-body $MAX_BODY --threads 4 ||
    { echo "0 passed, 1 failed"; exit 1; }
start_server ro --index "$HTTP_TMP/ix" --threads 2 --search-timeout 200 --search-timeout-max 300 || { echo "0 passed, 1 failed"; exit 1; }

run_check "$KB_ROOT/tests/http/api_check.py" "$rw_URL" "$ro_URL" "test-token-0123456789abcdef" $MAX_BODY
p=$P f=$F

# a clean stop: SIGTERM ends both servers with status 0 and the closing message
for s in rw ro; do
    if stop_server $s && grep -q "stopped after" "$HTTP_TMP/$s.err"; then
        p=$((p + 1))
    else
        f=$((f + 1)); echo "FAIL server $s did not stop cleanly on SIGTERM"; cat "$HTTP_TMP/$s.err" | tail -5
    fi
done
# SIGINT too
start_server int --index "$HTTP_TMP/ix" && kill -INT "$int_PID" && i=0 &&
    while kill -0 "$int_PID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if wait "$int_PID" && grep -q "SIGINT received" "$HTTP_TMP/int.err"; then p=$((p + 1)); else
    f=$((f + 1)); echo "FAIL server did not stop cleanly on SIGINT"; fi

# IPv6 loopback, and the access log (one line per request on stderr)
if start_server v6 --index "$HTTP_TMP/ix" --listen "[::1]:0" --access-log; then
    case "$v6_URL" in http://\[::1\]:*) p=$((p + 1)) ;; *) f=$((f + 1)); echo "FAIL [::1] listen: $v6_URL" ;; esac
    if curl -s -g "${v6_URL}api/search?q=%D9%85%D8%B9%D8%B1%D8%B6" | grep -q '"hits":\[{'; then
        p=$((p + 1)); else f=$((f + 1)); echo "FAIL search over IPv6"; fi
    stop_server v6
    if grep -q '^/api/search?q=%D9%85%D8%B9%D8%B1%D8%B6 [0-9]*us$' "$HTTP_TMP/v6.err"; then
        p=$((p + 1)); else f=$((f + 1)); echo "FAIL access log line"; cat "$HTTP_TMP/v6.err"; fi
else
    echo "skipped: no IPv6 loopback here"
fi

# a damaged stored article (ex-001, found by معرض): the answer lists the hit flagged, without title or snippet, the
# notice points to khabar check, every hit has the member
if start_server dmg --index "$HTTP_TMP/dmg"; then
    if curl -s "${dmg_URL}api/search?q=%D9%85%D8%B9%D8%B1%D8%B6&limit=50&exact=1" >"$HTTP_TMP/dmg.json" &&
        /usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1], encoding="utf-8"))
assert all(isinstance(h["damaged"], bool) for h in r["hits"])
bad = [h for h in r["hits"] if h["damaged"]]
assert bad and all(h["title"] == "" and h["snippet"]["text"] == "" and h["id"] for h in bad)
assert "khabar check" in r["notice"]
' "$HTTP_TMP/dmg.json"; then
        p=$((p + 1))
    else
        f=$((f + 1)); echo "FAIL a damaged stored article in /api/search"; head -c 600 "$HTTP_TMP/dmg.json"
    fi
    stop_server dmg
else
    f=$((f + 1)); echo "FAIL the server over a damaged article did not start"
fi

# refusals at start: no index, bad listen address, a short token, a non-loopback default
"$KHABAR" serve --index "$HTTP_TMP/none" --listen 127.0.0.1:0 >/dev/null 2>"$HTTP_TMP/e1" </dev/null
[ $? -ne 0 ] && grep -q "index" "$HTTP_TMP/e1" && p=$((p + 1)) || { f=$((f + 1)); echo "FAIL serve without an index must fail"; }
"$KHABAR" serve --index "$HTTP_TMP/ix" --listen "nowhere:xx" >/dev/null 2>&1 </dev/null
[ $? -eq 2 ] && p=$((p + 1)) || { f=$((f + 1)); echo "FAIL a bad --listen is a usage error"; }
echo short >"$HTTP_TMP/short"
"$KHABAR" serve --index "$HTTP_TMP/ix" --write-token "$HTTP_TMP/short" --listen 127.0.0.1:0 >/dev/null 2>&1 </dev/null
[ $? -eq 2 ] && p=$((p + 1)) || { f=$((f + 1)); echo "FAIL a short token is refused"; }
"$KHABAR" serve --help | grep -q "127.0.0.1:8080" && p=$((p + 1)) || { f=$((f + 1)); echo "FAIL help names the loopback default"; }
"$KHABAR" serve --index "$HTTP_TMP/ix" --search-timeout 0 --listen 127.0.0.1:0 >/dev/null 2>&1 </dev/null
[ $? -eq 2 ] && p=$((p + 1)) || { f=$((f + 1)); echo "FAIL --search-timeout 0 must be a usage error"; }

echo "$p passed, $f failed"
[ "$f" -eq 0 ]
