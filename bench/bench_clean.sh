#!/bin/sh
# bench/bench_clean.sh — cleaning throughput, side by side in one run.
#
#   sh bench/bench_clean.sh [BUILD_DIR]        (default: build)
#
# 1. bench_clean: text/JSONL cleaning in MB/s (SaudiNewsNet bodies in memory, one thread, CPU-time
#    median of 5 rounds) and HTML pages/s (the nine fixture pages, repeated 100 times a round).
# 2. HTML, the same nine pages × 20, khabar's extractor next to readability-lxml (Debian
#    python3-readability, the Python port of Mozilla's Readability): pages/s on one thread (CPU
#    time, library calls only, files read beforehand) and token F1 against the gold articles
#    (scripts/score_extraction.py). trafilatura is not packaged in Debian, so it is not run here;
#    its authors publish about 90 pages/s for the Python version.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-build}
SHARED=${KB_SHARED:-$ROOT/../shared}
HTML=$SHARED/fixtures/html
cd "$ROOT"
echo "== bench_clean (CPU time, one thread, median of 5)"
nice -n 10 "$B/bench_clean" --jsonl "$SHARED/corpus/saudinewsnet.jsonl.zst" --html "$HTML"

echo "== HTML side by side: nine pages x 20, one thread, CPU time"
TMP=${TMPDIR:-/tmp}/kb-bench-clean.$$
mkdir -p "$TMP"
trap 'rm -rf "$TMP"' EXIT INT TERM
"$B/khabar" clean -q "$HTML"/*.html >"$TMP/khabar.jsonl"
/usr/bin/python3 - "$HTML" "$TMP" <<'PY'
import json, os, sys, time
html_dir, tmp = sys.argv[1], sys.argv[2]
try:
    from readability import Document
    import lxml.html
except ImportError:
    print('readability-lxml not installed (apt-get install python3-readability): peer skipped')
    sys.exit(0)
pages = sorted(f for f in os.listdir(html_dir) if f.endswith('.html'))
docs = [(f, open(os.path.join(html_dir, f), encoding='utf-8', errors='replace').read()) for f in pages]
REPEAT = 20
t0 = time.process_time()
for _ in range(REPEAT):
    for f, h in docs:
        d = Document(h)
        d.summary()
        d.short_title()
t = time.process_time() - t0
print('readability-lxml  %4d pages  %.3f s CPU  %6.0f pages/s' % (REPEAT * len(docs), t, REPEAT * len(docs) / t))
with open(os.path.join(tmp, 'readability.jsonl'), 'w', encoding='utf-8') as out:
    for f, h in docs:
        d = Document(h)
        text = lxml.html.fromstring(d.summary()).text_content()
        out.write(json.dumps({'id': f[:-5], 'title': d.short_title(),
                              'blocks': [{'text': text}]}, ensure_ascii=False) + '\n')
PY
# khabar, the same way: one process, library calls over pages already in memory
nice -n 10 "$B/bench_clean" --jsonl /dev/null --html "$HTML" --html-repeat 20 --rounds 1 |
    sed -n 's/^html clean *(pages in memory) */khabar clean      /p'
echo "== token F1 against the gold articles"
echo "-- khabar"
/usr/bin/python3 scripts/score_extraction.py "$HTML" "$TMP/khabar.jsonl" | tail -1
if [ -f "$TMP/readability.jsonl" ]; then
    echo "-- readability-lxml"
    /usr/bin/python3 scripts/score_extraction.py "$HTML" "$TMP/readability.jsonl" | tail -1
fi
