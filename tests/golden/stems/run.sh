#!/bin/sh
# run.sh — golden stem pairs: light must pass every pair; snowball is reported beside it.
set -u
ROOT=${KB_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}
KHABAR=${KHABAR:-$ROOT/build/khabar}
exec /usr/bin/python3 "$ROOT/tests/golden/stems/check.py" "$KHABAR" "$ROOT/tests/golden/stems/pairs.tsv"
