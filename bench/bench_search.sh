#!/bin/sh
# bench/bench_search.sh — top-10 query latency, side by side in one run: khabar, SQLite FTS5,
# Xapian, on the indexes bench/bench_index.sh built of ../shared/corpus (saudinewsnet +
# jawharafm) in bench/out/ (khabar/, fts5.db, xapian/).
#
# usage: bench/bench_search.sh            (KHABAR=path/to/khabar, default build/khabar;
#                                          KB_BENCH_QUERIES=N per kind, default 200)
#
# Queries come from the corpus titles (scripts/make_queries.py, fixed seed, not hand-picked):
# single terms, two-term AND, two-term OR, two-word phrases. Every engine runs every query once
# unmeasured (warm cache) and then KB_BENCH_REPEAT times (default 3) measured, timed inside its
# own process around the query alone, and a query's time is the least of its measured runs (on
# a shared machine, a run preempted by another process says nothing about the engine): khabar's took_us (kb_search_run, --queries --format jsonl), FTS5 and Xapian in
# bench/search_peers.py. khabar is measured as the peers are asked: top 10 ids and scores
# (--ids-only --no-collapse: no stored article read); a second khabar row is the full default
# answer (titles, snippets, duplicate collapsing). KB_BENCH_OUT=DIR reads the indexes from DIR
# instead of bench/out. Prints median and p99 in µs per kind and engine, and khabar's median
# and p99 as a fraction of the faster peer's (the lower peer median, the lower peer p99).
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SHARED=${KB_SHARED:-$ROOT/../shared}
KHABAR=${KHABAR:-$ROOT/build/khabar}
N=${KB_BENCH_QUERIES:-200}
OUT=${KB_BENCH_OUT:-$ROOT/bench/out}
Q=$OUT/queries
for p in "$OUT/khabar" "$OUT/fts5.db" "$OUT/xapian"; do
    [ -e "$p" ] || { echo "skipped: $p missing (run bench/bench_index.sh first)"; exit 0; }
done
for f in "$SHARED/corpus/saudinewsnet.jsonl.zst" "$SHARED/corpus/jawharafm.jsonl.zst"; do
    [ -f "$f" ] || { echo "skipped: $f not found"; exit 0; }
done
mkdir -p "$Q"
/usr/bin/python3 scripts/make_queries.py --n "$N" --stopwords "$SHARED/eval/stopwords/mohataher.txt" \
    "$Q" "$SHARED/corpus/saudinewsnet.jsonl.zst" "$SHARED/corpus/jawharafm.jsonl.zst"

R=${KB_BENCH_REPEAT:-3}
# median and p99 over queries of the took_us fields of a JSON-lines file holding each query
# `every` times in a row: the first run of each is the warm-up, the least of the others counts
stats() { # file, every
    /usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys
allv = [json.loads(l).get("took_us", 0) for l in open(sys.argv[1], encoding="utf-8")]
step = int(sys.argv[2])
vals = sorted(min(allv[i + 1:i + step]) for i in range(0, len(allv) - step + 1, step))
n = len(vals)
med = vals[n // 2] if n % 2 else (vals[n // 2 - 1] + vals[n // 2]) / 2
p99 = vals[min(n - 1, int(0.99 * n))]
print("%.0f %.0f" % (med, p99))
PY
}

printf '%-7s %-22s %10s %10s\n' kind engine "median µs" "p99 µs"
: >"$OUT/search_latency.tsv"
for kind in single and or phrase; do
    # khabar: each query 1 + R times in a row (warm-up, then measured runs)
    awk -v r="$R" '{ for (i = 0; i <= r; i++) print }' "$Q/khabar-$kind.txt" >"$Q/khabar-$kind.x2"
    "$KHABAR" search --index "$OUT/khabar" --queries "$Q/khabar-$kind.x2" --format jsonl \
        --limit 10 --ids-only --no-collapse >"$OUT/kb-$kind.jsonl"
    "$KHABAR" search --index "$OUT/khabar" --queries "$Q/khabar-$kind.x2" --format jsonl \
        --limit 10 >"$OUT/kbfull-$kind.jsonl"
    set -- $(stats "$OUT/kb-$kind.jsonl" $((R + 1)))
    kb_med=$1 kb_p99=$2
    set -- $(stats "$OUT/kbfull-$kind.jsonl" $((R + 1)))
    printf '%-7s %-22s %10s %10s\n' "$kind" khabar "$kb_med" "$kb_p99"
    printf '%-7s %-22s %10s %10s\n' "$kind" "khabar+snippets,collapse" "$1" "$2"
    best_med="" best_p99=""
    for peer in fts5 xapian; do
        /usr/bin/python3 bench/search_peers.py "$peer" "$OUT" "$kind" "$Q/words-$kind.tsv" "$R" \
            >"$OUT/$peer-$kind.jsonl"
        set -- $(stats "$OUT/$peer-$kind.jsonl" $((R + 1)))
        printf '%-7s %-22s %10s %10s\n' "$kind" "$peer" "$1" "$2"
        if [ -z "$best_med" ] || [ "$1" -lt "$best_med" ]; then best_med=$1; fi
        if [ -z "$best_p99" ] || [ "$2" -lt "$best_p99" ]; then best_p99=$2; fi
        echo "$kind	$peer	$1	$2" >>"$OUT/search_latency.tsv"
    done
    echo "$kind	khabar	$kb_med	$kb_p99" >>"$OUT/search_latency.tsv"
    awk -v k="$kind" -v m="$kb_med" -v p="$kb_p99" -v bm="$best_med" -v bp="$best_p99" 'BEGIN {
        printf "%-7s khabar / faster peer: median %.2fx, p99 %.2fx (goal <= 0.5x)\n", k,
            m / (bm > 0 ? bm : 1), p / (bp > 0 ? bp : 1) }'
done
