#!/bin/sh
# tests/eval/html_f1.sh — article extraction from real pages: `khabar clean` on the nine Jawhara FM
# pages of ../shared/fixtures/html, scored against their gold <TEXT> by token-level F1
# (scripts/score_extraction.py: bag of normalized tokens, as extraction benchmarks count).
# Checks: F1 >= 0.90 on each page and >= 0.95 on average.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SHARED=${KB_SHARED:-$ROOT/../shared}
KHABAR=${KHABAR:-$ROOT/build/khabar}
DIR=$SHARED/fixtures/html
if [ ! -d "$DIR" ]; then
    echo "skipped: $DIR not found"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
TMP=${TMPDIR:-/tmp}/kb-html.$$
trap 'rm -f "$TMP"' EXIT INT TERM
"$KHABAR" clean -q "$DIR"/*.html >"$TMP" || {
    echo "khabar clean failed"
    echo "0 passed, 1 failed"
    exit 1
}
/usr/bin/python3 "$ROOT/scripts/score_extraction.py" "$DIR" "$TMP" --min-each 0.90 \
    --min-mean 0.95 | tee "$TMP.score"
rc=$?
fails=$(grep -c ' < 0.90' "$TMP.score")
pages=$(grep -c ' F1 ' "$TMP.score")
mean_fail=$(grep -c 'mean F1 below' "$TMP.score")
rm -f "$TMP.score"
echo "$((pages - fails + 1 - mean_fail)) passed, $((fails + mean_fail)) failed"
exit $rc
