#!/bin/sh
# bench_analyze.sh — the analyzer benchmark of docs/analyzer.md (issue 2, must-hold 5):
# khabar (normalize + tokenize + stem, one thread) side by side with libstemmer's Snowball Arabic
# stemmer on whitespace-split tokens, over the text of saudinewsnet. Medians of RUNS runs (5).
#   sh bench/bench_analyze.sh [BUILD_DIR] [RUNS]
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-build}
RUNS=${2:-5}
SHARED=${KB_SHARED:-$ROOT/../shared}
CORPUS="$SHARED/corpus/saudinewsnet.jsonl.zst"
[ -f "$CORPUS" ] || { echo "skipped: $CORPUS not found"; exit 0; }
[ -x "$ROOT/$B/bench_analyze" ] || ninja -C "$ROOT/$B" bench_analyze >/dev/null
echo "machine: $(nproc) cores, $(uname -m), load $(cut -d' ' -f1-3 /proc/loadavg)"
exec nice -n 10 "$ROOT/$B/bench_analyze" --runs "$RUNS" "$CORPUS"
