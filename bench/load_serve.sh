#!/bin/sh
# load_serve.sh — load benchmark of `khabar serve` with wrk, on an index of saudinewsnet.
#
# usage: bench/load_serve.sh [SECONDS]        (each run lasts SECONDS, default 20)
#   env: SOAK_SECS (default 600; 0 skips the soak), SOAK_WRITER (yes|no, default yes: the soak
#        runs with the writer), KHABAR (the binary), KB_SHARED (../shared),
#        SERVE_THREADS (server worker threads, default 4),
#        CACHES (default "on answers-off off"): the server configurations measured, each on a
#        fresh copy of the index: "on" = the defaults (answer cache and article cache), "answers-off"
#        = --cache-mb 0 (articles still cached), "off" = --cache-mb 0 --doc-cache-mb 0. wrk cycles
#        through a fixed list of queries, which is exactly what a cache flatters: compare the rows.
#
# Builds (once) an index of all saudinewsnet articles but 1,030, which a writer POSTs in batches
# of 10 (one batch every 0.5 s, committed before each answer) during the "with writer" runs.
# Queries: 800 search paths, a mix of single terms, two-word AND, two-word OR and two-word phrases,
# drawn with a fixed seed from corpus titles (bench/serve_prep.py). wrk cycles through them at
# concurrency 1, 8 and 64, with and without the writer; each run reports QPS, p50, p90, p99 and
# errors. Then a soak at concurrency 8 with the writer (first configuration of CACHES) samples the
# server's resident memory every 30 s. Everything runs on 127.0.0.1; results go to stdout and
# bench/out/serve/results.md.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KHABAR=${KHABAR:-$ROOT/build/khabar}
SHARED=${KB_SHARED:-$ROOT/../shared}
CORPUS=$SHARED/corpus/saudinewsnet.jsonl.zst
SECS=${1:-20}
SOAK_SECS=${SOAK_SECS:-600}
SOAK_WRITER=${SOAK_WRITER:-yes}
THREADS=${SERVE_THREADS:-4}
CACHES=${CACHES:-on answers-off off}
OUT=$ROOT/bench/out/serve
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

[ -f "$CORPUS" ] || { echo "skipped: $CORPUS not found"; exit 0; }
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)"; exit 1; }
mkdir -p "$OUT"
if [ ! -f "$OUT/queries.txt" ]; then
    nice -n 10 "$PY" "$ROOT/bench/serve_prep.py" "$CORPUS" "$OUT"
fi
if [ ! -f "$OUT/base-ix.done" ]; then
    rm -rf "$OUT/base-ix"
    echo "indexing $(wc -l <"$OUT/base.jsonl") articles..."
    # exit status 1 means some records were rejected (57 empty articles): the index is fine
    rc=0
    nice -n 10 "$KHABAR" index --index "$OUT/base-ix" "$OUT/base.jsonl" >"$OUT/index.log" 2>&1 || rc=$?
    [ $rc -le 1 ] || { tail -5 "$OUT/index.log"; exit 1; }
    grep '^added' "$OUT/index.log"
    touch "$OUT/base-ix.done"
fi
printf 'bench-token-0123456789abcdef\n' >"$OUT/token"
chmod 600 "$OUT/token"
SPID=""
WPID=""
trap 'kill $WPID 2>/dev/null; [ -n "$SPID" ] && kill -TERM $SPID 2>/dev/null; wait $SPID 2>/dev/null' EXIT INT TERM

# Starts the server on a fresh copy of the index with the cache configuration $1; sets SPID, URL.
start_server() {
    case $1 in
    on) flags="" ;;
    answers-off) flags="--cache-mb 0" ;;
    off) flags="--cache-mb 0 --doc-cache-mb 0" ;;
    *) echo "unknown cache configuration $1"; exit 1 ;;
    esac
    rm -rf "$OUT/ix"
    cp -r "$OUT/base-ix" "$OUT/ix"
    # shellcheck disable=SC2086
    "$KHABAR" serve --index "$OUT/ix" --listen 127.0.0.1:0 --threads "$THREADS" $flags \
        --write-token "$OUT/token" >"$OUT/serve.out" 2>"$OUT/serve.err" &
    SPID=$!
    i=0
    URL=""
    while [ -z "$URL" ] && [ $i -lt 100 ]; do
        sleep 0.1; i=$((i + 1))
        URL=$(sed -n 's/^listening on \(http:[^ ]*\)$/\1/p' "$OUT/serve.out" 2>/dev/null)
    done
    [ -n "$URL" ] || { cat "$OUT/serve.err"; exit 1; }
    URL=${URL%/}
    # warm-up: every query once
    QUERIES="$OUT/queries.txt" wrk -t 1 -c 1 -d 5s -s "$ROOT/bench/load_serve.lua" "$URL" >/dev/null
}

stop_server() {
    kill -TERM $SPID 2>/dev/null; wait $SPID 2>/dev/null || true; SPID=""
}

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$SPID/status"; }

# The writer: POSTs the held-out batches in a loop, one every 0.5 s; logs each HTTP status.
writer() {
    while :; do
        for f in "$OUT"/held/*.jsonl; do
            curl -s -o /dev/null -w '%{http_code}\n' -X POST \
                -H "Authorization: Bearer bench-token-0123456789abcdef" \
                -H "Content-Type: application/x-ndjson" --data-binary "@$f" \
                "$URL/api/documents" >>"$OUT/writer.log" 2>&1
            sleep 0.5
        done
    done
}

{
    echo "| caches | concurrency | writer | QPS | p50 ms | p90 ms | p99 ms | errors | writes ok/failed | server RSS MB |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
} >"$OUT/results.md"
for cache in $CACHES; do
start_server "$cache"
for c in 1 8 64; do
    for w in no yes; do
        : >"$OUT/writer.log"
        if [ $w = yes ]; then writer & WPID=$!; fi
        t=2; [ $c -eq 1 ] && t=1
        res=$(QUERIES="$OUT/queries.txt" wrk -t $t -c $c -d "${SECS}s" --timeout 5s \
            -s "$ROOT/bench/load_serve.lua" "$URL" | grep '^{')
        if [ -n "$WPID" ]; then kill $WPID 2>/dev/null; wait $WPID 2>/dev/null || true; WPID=""; fi
        wok=$(grep -c '^200$' "$OUT/writer.log" || true)
        wbad=$(grep -vc '^200$' "$OUT/writer.log" || true)
        echo "$res" | "$PY" -c "
import json,sys
r=json.loads(sys.stdin.read())
print('| %s | %d | %s | %.0f | %.2f | %.2f | %.2f | %d | %s | %.0f |' % ('$cache', $c, '$w', r['qps'], r['p50_ms'], r['p90_ms'], r['p99_ms'], r['errors'], '$wok/$wbad' if '$w'=='yes' else '-', $(rss_kb)/1024))
" | tee -a "$OUT/results.md"
    done
done
stop_server
done

if [ "$SOAK_SECS" -gt 0 ]; then
    soak_cache=${CACHES%% *}
    start_server "$soak_cache"
    : >"$OUT/writer.log"
    : >"$OUT/rss.log"
    if [ "$SOAK_WRITER" = yes ]; then writer & WPID=$!; fi
    QUERIES="$OUT/queries.txt" wrk -t 2 -c 8 -d "${SOAK_SECS}s" --timeout 5s \
        -s "$ROOT/bench/load_serve.lua" "$URL" >"$OUT/soak.out" &
    KPID=$!
    while kill -0 $KPID 2>/dev/null; do rss_kb >>"$OUT/rss.log"; sleep 30; done
    wait $KPID || true
    if [ -n "$WPID" ]; then kill $WPID 2>/dev/null; wait $WPID 2>/dev/null || true; WPID=""; fi
    res=$(grep '^{' "$OUT/soak.out")
    wok=$(grep -c '^200$' "$OUT/writer.log" || true)
    wbad=$(grep -vc '^200$' "$OUT/writer.log" || true)
    "$PY" - "$OUT/rss.log" "$res" "$SOAK_SECS" "$wok" "$wbad" "$soak_cache" "$SOAK_WRITER" <<'PYEOF' | tee -a "$OUT/results.md"
import json, sys
rss = [int(x) / 1024 for x in open(sys.argv[1]) if x.strip()]
r = json.loads(sys.argv[2])
n = len(rss)
q = max(1, n // 4)
print()
writer = ("with the writer (%s batches ok, %s failed)" % (sys.argv[4], sys.argv[5])
          if sys.argv[7] == "yes" else "without a writer")
print("Soak (caches %s): %s s at concurrency 8 %s: %.0f QPS, p50 %.2f ms, "
      "p99 %.2f ms, %d errors." % (sys.argv[6], sys.argv[3], writer, r["qps"], r["p50_ms"], r["p99_ms"], r["errors"]))
print("Server RSS (MB), sampled every 30 s: first %.0f, median of first quarter %.0f, median of last quarter %.0f, max %.0f, last %.0f (%d samples)." % (
    rss[0], sorted(rss[:q])[q // 2], sorted(rss[-q:])[q // 2], max(rss), rss[-1], n))
print("RSS samples: " + " ".join("%.0f" % x for x in rss))
PYEOF
    echo "docs in the index at the end: $(curl -s "$URL/api/stats" | sed -n 's/.*"docs":\([0-9]*\).*/\1/p')"
    curl -s "$URL/api/stats" | sed -n 's/.*"cache":\({[^}]*}\).*"doc_cache":\({[^}]*}\).*/answer cache \1, article cache \2/p'
    stop_server
fi
