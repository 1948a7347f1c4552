#!/bin/sh
# bench/bench_index.sh — indexing, side by side in one run: khabar, SQLite FTS5, Xapian.
#
# usage: bench/bench_index.sh [FILE.jsonl.zst...]
#   default inputs: ../shared/corpus/saudinewsnet.jsonl.zst and jawharafm.jsonl.zst
#   KHABAR=path/to/khabar (default build/khabar), KB_BENCH_RUNS=N (default 3; medians quoted),
#   KB_BENCH_ENGINES="khabar fts5 xapian" to run a subset (khabar-nodedup: khabar index
#   --no-dedup, without duplicate signatures; khabar-before: the binary KHABAR_BEFORE, e.g. a
#   build of an earlier commit, for before/after figures in the same run), KB_BENCH_BATCH
#   (khabar --batch, default 100000: one transaction, as the peers use).
#
# Each engine indexes the same files from scratch, as one process, reading the zstd JSONL itself;
# the time is the whole process (wall clock), so reading, parsing, cleaning and analysis count.
# Throughput is MB of article text (UTF-8 title + body of the input records, the same figure for
# every engine) per second. Index size is postings + term dictionary, stored text apart:
#   khabar  the terms and blocks tables (SQLite pages, dbstat)
#   FTS5    the t_data and t_idx tables (detail=full: positions), contentless parts only
#   Xapian  postlist.glass + position.glass (termlist and docdata reported as stored)
# CPU time (user + system) is reported too: on a shared machine wall time depends on the load,
# CPU time much less (khabar uses several threads, so its wall time can be below its CPU time).
# Peak memory is the process's maximum RSS. The indexes stay in bench/out/ (git-ignored) for the
# search latency benchmark: bench/out/khabar/, bench/out/fts5.db, bench/out/xapian/.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SHARED=${KB_SHARED:-$ROOT/../shared}
KHABAR=${KHABAR:-$ROOT/build/khabar}
RUNS=${KB_BENCH_RUNS:-3}
ENGINES=${KB_BENCH_ENGINES:-khabar fts5 xapian}
BATCH=${KB_BENCH_BATCH:-100000}
OUT=$ROOT/bench/out
mkdir -p "$OUT"
if [ $# -eq 0 ]; then
    set -- "$SHARED/corpus/saudinewsnet.jsonl.zst" "$SHARED/corpus/jawharafm.jsonl.zst"
fi
for f in "$@"; do
    [ -f "$f" ] || { echo "skipped: $f not found"; exit 0; }
done

# Reads "elapsed maxrss user sys" from the last line of time's output (a failing exit status adds
# a line before it).
read_times() {
    t=$(tail -n 1 "$OUT/time.txt")
    secs=$(echo "$t" | cut -d' ' -f1) rss=$(echo "$t" | cut -d' ' -f2)
    usr=$(echo "$t" | cut -d' ' -f3) sys=$(echo "$t" | cut -d' ' -f4)
}
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

results=$OUT/index_runs.tsv
# KB_BENCH_KEEP=1 appends to the runs of an earlier invocation (e.g. more runs of the fast
# engines after one long Xapian run); the table then covers every engine in the file.
[ "${KB_BENCH_KEEP:-0}" = 1 ] || : >"$results"
run=$(awk -v m=0 '$2 > m { m = $2 } END { print m }' "$results")
RUNS=$((RUNS + run))
while [ "$run" -lt "$RUNS" ]; do
    run=$((run + 1))
    for e in $ENGINES; do
        case $e in
        khabar | khabar-nodedup | khabar-before)
            # khabar-nodedup: --no-dedup, the index without the duplicates hook
            flag="" bin=$KHABAR
            [ "$e" = khabar-nodedup ] && flag=--no-dedup
            [ "$e" = khabar-before ] && bin=${KHABAR_BEFORE:?KHABAR_BEFORE is not set}
            rm -rf "${OUT:?}/$e"
            /usr/bin/time -f '%e %M %U %S' -o "$OUT/time.txt" "$bin" index --index "$OUT/$e" \
                --batch "$BATCH" $flag --no-progress -q "$@" 2>"$OUT/$e.log" || true
            read_times
            st=$("$bin" stats --index "$OUT/$e" --json)
            post=$(echo "$st" | sed 's/.*"postings_bytes":\([0-9]*\).*/\1/')
            stored=$(echo "$st" | sed 's/.*"stored_bytes":\([0-9]*\).*/\1/')
            docs=$(echo "$st" | sed 's/.*"docs":\([0-9]*\).*/\1/')
            ;;
        fts5 | xapian)
            /usr/bin/time -f '%e %M %U %S' -o "$OUT/time.txt" /usr/bin/python3 bench/index_peers.py "$e" \
                "$OUT" "$@" >"$OUT/$e.json"
            read_times
            j=$(cat "$OUT/$e.json")
            post=$(echo "$j" | sed 's/.*"postings_bytes": \([0-9]*\).*/\1/')
            stored=$(echo "$j" | sed 's/.*"stored_bytes": \([0-9]*\).*/\1/')
            docs=$(echo "$j" | sed 's/.*"docs": \([0-9]*\).*/\1/')
            echo "$j" | sed 's/.*"text_bytes": \([0-9]*\).*/\1/' >"$OUT/text_bytes"
            ;;
        *) echo "unknown engine $e"; exit 2 ;;
        esac
        cpu=$(awk -v u="$usr" -v s="$sys" 'BEGIN { print u + s }')
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$e" "$run" "$secs" "$rss" "$post" "$stored" "$docs" \
            "$cpu" >>"$results"
    done
done

# The article text of the input: title + body bytes, as the peer driver counts them.
if [ -s "$OUT/text_bytes" ]; then
    text=$(cat "$OUT/text_bytes")
else
    text=$(zstdcat "$@" | /usr/bin/python3 -c '
import json, sys
n = 0
for l in sys.stdin:
    o = json.loads(l)
    n += len((o.get("title") or "").encode()) + len((o.get("content") or o.get("text") or o.get("body") or "").encode())
print(n)')
fi

# Run by run, each engine's wall-clock and CPU throughput and its ratio to FTS5's in the same
# round (when FTS5 ran): on a shared machine the same-round ratio moves less than the medians.
if awk '$1 == "fts5"' "$results" | grep -q .; then
    echo "run by run: MB/s wall (ratio to FTS5 wall) | MB per CPU-s (ratio to FTS5)"
    awk -v t="$text" '
        { e[NR] = $1; r[NR] = $2; w[NR] = $3; c[NR] = $8; if ($1 == "fts5") { fw[$2] = $3; fc[$2] = $8 } }
        END {
            for (i = 1; i <= NR; i++) {
                if (e[i] == "fts5" || !(r[i] in fw)) continue
                printf "  run %-3d %-14s %6.2f MB/s (%.2fx) | %6.2f MB/CPU-s (%.2fx)\n", r[i], e[i],
                    t / 1e6 / w[i], fw[r[i]] / w[i], t / 1e6 / c[i], fc[r[i]] / c[i]
            }
        }' "$results"
    for e in $(cut -f1 "$results" | awk '!seen[$0]++'); do
        [ "$e" = fts5 ] && continue
        wr=$(awk -v e="$e" '$1 == "fts5" { fw[$2] = $3 } $1 == e { w[$2] = $3 } END { for (r in w) if (r in fw) print fw[r] / w[r] }' "$results" | median)
        cr=$(awk -v e="$e" '$1 == "fts5" { fc[$2] = $8 } $1 == e { c[$2] = $8 } END { for (r in c) if (r in fc) print fc[r] / c[r] }' "$results" | median)
        printf "  median same-round ratio to FTS5, %s: wall %.2fx, CPU %.2fx\n" "$e" "$wr" "$cr"
    done
fi
echo "indexing: $(echo "$@" | tr ' ' '\n' | sed 's|.*/||' | tr '\n' ' ')— $((text / 1000000)) MB of article text; medians of the runs (last column)"
echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-14s %7s %9s %9s %9s %11s %9s %12s %9s %10s %5s\n' engine docs seconds "MB/s" "CPU s" "MB/CPU-s" "peak MB" "postings MB" "bytes/B" "stored MB" runs
for e in $(cut -f1 "$results" | awk '!seen[$0]++'); do
    n=$(awk -v e="$e" '$1 == e' "$results" | wc -l)
    secs=$(awk -v e="$e" '$1 == e { print $3 }' "$results" | median)
    rss=$(awk -v e="$e" '$1 == e { print $4 }' "$results" | median)
    post=$(awk -v e="$e" '$1 == e { print $5 }' "$results" | median)
    stored=$(awk -v e="$e" '$1 == e { print $6 }' "$results" | median)
    docs=$(awk -v e="$e" '$1 == e { print $7 }' "$results" | tail -n 1)
    cpu=$(awk -v e="$e" '$1 == e { print $8 }' "$results" | median)
    awk -v e="$e" -v d="$docs" -v n="$n" -v s="$secs" -v r="$rss" -v p="$post" -v st="$stored" -v t="$text" -v c="$cpu" \
        'BEGIN { printf "%-14s %7d %9.2f %9.2f %9.2f %11.2f %9.1f %12.2f %9.3f %10.2f %5d\n", e, d, s, t / 1e6 / s, c, t / 1e6 / c, r / 1024, p / 1e6, p / t, st / 1e6, n }'
done
