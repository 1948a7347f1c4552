#!/bin/sh
# tests/eval/input_corpora.sh — the reader over the real data in ../shared, through
# `khabar clean`: every record of each corpus is read (counts as the corpus READMEs give them),
# none is an error, and the nine gold <DOC> fixtures give their DOCNO ids. Skips without
# ../shared.
set -u
KB_ROOT=${KB_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
KB_SHARED=${KB_SHARED:-$KB_ROOT/../shared}
KHABAR=${KHABAR:-$KB_ROOT/build/khabar}
if [ ! -d "$KB_SHARED/corpus" ]; then
    echo "skipped: $KB_SHARED/corpus not found"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
pass=0 fail=0
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM

# corpus, expected records: saudinewsnet has no ids (derived FILESTEM:LINE), jawharafm has
# docno, ahdath.json is a JSON array whose "content" is a list of paragraphs.
for row in "jawharafm.jsonl.zst 10161" "saudinewsnet.jsonl.zst 31030" "ahdath.json 588"; do
    set -- $row
    "$KHABAR" clean --no-dropped "$KB_SHARED/corpus/$1" >"$T/out" 2>"$T/err"
    st=$?
    n=$(wc -l <"$T/out")
    if [ $st -eq 0 ] && [ "$n" -eq "$2" ] && grep -q ", 0 errors" "$T/err"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: $1: status $st, $n records (expected $2)"
        tail -3 "$T/err"
    fi
done

F=$KB_SHARED/fixtures/html
if [ -d "$F" ]; then
    "$KHABAR" clean --no-dropped "$F"/*.txt >"$T/out" 2>"$T/err"
    ids=$(sed -n 's/^{"id":"\(JA-[^"]*\)".*/\1/p' "$T/out" | wc -l)
    if [ "$ids" -eq 9 ] && grep -q ", 0 errors" "$T/err"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: fixtures/html/*.txt: $ids <DOC> records with DOCNO ids (expected 9)"
    fi
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
