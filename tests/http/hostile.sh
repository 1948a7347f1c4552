#!/bin/sh
# hostile.sh — misbehaving clients against a live server on 127.0.0.1: malformed requests,
# invalid UTF-8 and bad percent-escapes, oversized URLs and headers, wrong tokens, slow clients
# (a byte a second), a flood of connections. Each gets an error or is cut off, and the server
# goes on answering (tests/http/hostile_check.py). Bounded: about a minute.
set -u
. "$(dirname "$0")/serverlib"

REQ_TIMEOUT=2
MAX_CONN=48
build_index "$HTTP_TMP/ix" "$KB_ROOT/examples/news.jsonl" || { echo "0 passed, 1 failed"; exit 1; }
printf 'hostile-token-0123456789\n' >"$HTTP_TMP/token"
start_server h --index "$HTTP_TMP/ix" --write-token "$HTTP_TMP/token" --threads 2 \
    --request-timeout $REQ_TIMEOUT --idle-timeout 3 --max-connections $MAX_CONN ||
    { echo "0 passed, 1 failed"; exit 1; }

run_check "$KB_ROOT/tests/http/hostile_check.py" "$h_URL" "hostile-token-0123456789" $REQ_TIMEOUT $MAX_CONN
p=$P f=$F

# the server survived: still running, and it stops cleanly
if kill -0 "$h_PID" 2>/dev/null && stop_server h && grep -q "stopped after" "$HTTP_TMP/h.err"; then
    p=$((p + 1))
else
    f=$((f + 1)); echo "FAIL the server did not survive or did not stop cleanly"; tail -5 "$HTTP_TMP/h.err"
fi
echo "$p passed, $f failed"
[ "$f" -eq 0 ]
