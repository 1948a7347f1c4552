#!/bin/sh
# pud_sentences.sh — sentence splitting against the Arabic PUD documents (boundary F1 >= 98%).
# Needs ../shared/eval/ud-pud; skips cleanly without it.
set -u
ROOT=${KB_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
SHARED=${KB_SHARED:-$ROOT/../shared}
KHABAR=${KHABAR:-$ROOT/build/khabar}
if [ ! -f "$SHARED/eval/ud-pud/pud_docs_sentence_split_gold.tsv" ]; then
    echo "skipped: $SHARED/eval/ud-pud not found"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
exec /usr/bin/python3 "$ROOT/scripts/pud_sentences.py" "$KHABAR" "$SHARED"
