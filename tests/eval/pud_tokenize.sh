#!/bin/sh
# pud_tokenize.sh — tokenization agreement with the Arabic PUD treebank, >= 99.5% of orthographic
# words (issue 2, must-hold 4). Needs ../shared/eval/ud-pud; skips cleanly without it.
set -u
ROOT=${KB_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
SHARED=${KB_SHARED:-$ROOT/../shared}
KHABAR=${KHABAR:-$ROOT/build/khabar}
if [ ! -f "$SHARED/eval/ud-pud/pud_tokens.tsv" ]; then
    echo "skipped: $SHARED/eval/ud-pud not found"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
exec /usr/bin/python3 "$ROOT/scripts/pud_tokenize.py" "$KHABAR" "$SHARED" --show 20
