#!/bin/sh
# tests/cli/search.sh — `khabar search` on an index of the bundled examples: text and JSON lines
# output, --queries files, options, exit statuses and messages for bad usage and bad queries.
set -u
ROOT=${KB_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
KHABAR=${KHABAR:-$ROOT/build/khabar}
T=$(mktemp -d "${TMPDIR:-/tmp}/kb-cli-search.XXXXXX")
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
# expect STATUS DESCRIPTION -- command...
expect() {
    want=$1 what=$2
    shift 3
    "$@" >"$T/out" 2>"$T/err"
    got=$?
    if [ "$got" -eq "$want" ]; then ok; else bad "$what: exit $got, expected $want"; sed 's/^/    /' "$T/err" | head -5; fi
}
has() { # file pattern description
    if grep -q -- "$2" "$1"; then ok; else bad "$3: '$2' not in output"; head -5 "$1" | sed 's/^/    /'; fi
}
json_ok() { # file: every line is a JSON object with query, took_us and hits
    if /usr/bin/python3 -c '
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    o = json.loads(line)
    assert isinstance(o["query"], str) and isinstance(o["took_us"], int)
    assert isinstance(o["hits"], list)
    for h in o["hits"]:
        assert isinstance(h["id"], str) and isinstance(h["score"], float)
' "$1" 2>"$T/jerr"; then ok; else bad "$2: invalid JSON lines"; head -3 "$T/jerr"; fi
}

IX=$T/ix
"$KHABAR" index --index "$IX" -q "$ROOT/examples" >"$T/index.log" 2>&1 || { bad "indexing examples"; cat "$T/index.log"; }

expect 0 "plain query" -- "$KHABAR" search --index "$IX" العراق
has "$T/out" "matches" "text output header"
has "$T/out" "^1\. " "text output numbers hits"
has "$T/out" "score" "text output shows the score"

expect 0 "jsonl query" -- "$KHABAR" search --index "$IX" --format jsonl --limit 3 العراق
json_ok "$T/out" "jsonl query"
has "$T/out" '"highlights":\[\[' "jsonl highlights"
n=$(/usr/bin/python3 -c 'import json,sys; print(len(json.loads(open(sys.argv[1]).readline())["hits"]))' "$T/out")
[ "$n" -ge 1 ] && [ "$n" -le 3 ] && ok || bad "--limit 3 gave $n hits"

printf 'العراق\n"مجلس النواب"\n-العراق\n\nالطاقة OR الكهرباء\n' >"$T/queries.txt"
expect 0 "--queries" -- "$KHABAR" search --index "$IX" --queries "$T/queries.txt" --format jsonl --limit 5
json_ok "$T/out" "--queries"
[ "$(wc -l <"$T/out")" -eq 4 ] && ok || bad "--queries: expected 4 lines (blank skipped), got $(wc -l <"$T/out")"
has "$T/out" '"code":"KB_EQUERY"' "--queries reports a bad query in its line"

expect 0 "--ids-only" -- "$KHABAR" search --index "$IX" --format jsonl --ids-only العراق
has "$T/out" '"title":""' "--ids-only has no title"

expect 0 "--explain" -- "$KHABAR" search --index "$IX" --explain '"مجلس النواب" -داعش'
has "$T/out" '^query: (and (phrase' "--explain prints the parsed query"

expect 0 "--color always" -- "$KHABAR" search --index "$IX" --color always العراق
if grep -q "$(printf '\033')\[1;33m" "$T/out"; then ok; else bad "--color always: no highlight escape"; fi
expect 0 "piped output has no colour" -- "$KHABAR" search --index "$IX" العراق
if grep -q "$(printf '\033')" "$T/out"; then bad "escape codes in piped output"; else ok; fi

expect 0 "fallback to any word" -- "$KHABAR" search --index "$IX" --format jsonl العراق زززززز
has "$T/out" '"fallback_any":true' "fallback is said"

expect 0 "--exact-total facets" -- "$KHABAR" search --index "$IX" --format jsonl --exact-total الطاقة
has "$T/out" '"total_exact":true' "exact total"

# a budget that does not run out changes nothing but took_us
"$KHABAR" search --index "$IX" --format jsonl --exact-total العراق OR الطاقة | sed 's/"took_us":[0-9]*//' >"$T/nob"
expect 0 "--timeout" -- "$KHABAR" search --index "$IX" --format jsonl --exact-total --timeout 60000 العراق OR الطاقة
sed 's/"took_us":[0-9]*//' "$T/out" >"$T/tob"
if cmp -s "$T/nob" "$T/tob"; then ok; else bad "--timeout 60000 changed the answer"; fi
expect 2 "--timeout 0" -- "$KHABAR" search --index "$IX" --timeout 0 العراق
has "$T/err" "milliseconds" "message for a bad --timeout"
"$KHABAR" search --help | grep -q -- "--timeout MS" && ok || bad "help lists --timeout"

expect 2 "query of only exclusions" -- "$KHABAR" search --index "$IX" -- -العراق
has "$T/err" "excluded" "message for an exclusion-only query"
expect 2 "bad date" -- "$KHABAR" search --index "$IX" 'date:2018-13-01 العراق'
has "$T/err" "date:" "message names date:"
expect 2 "no --index" -- "$KHABAR" search العراق
expect 2 "no query" -- "$KHABAR" search --index "$IX"
expect 2 "bad --format" -- "$KHABAR" search --index "$IX" --format xml العراق
expect 2 "bad --limit" -- "$KHABAR" search --index "$IX" --limit many العراق
expect 2 "unknown option" -- "$KHABAR" search --index "$IX" --frobnicate العراق
expect 1 "missing index" -- "$KHABAR" search --index "$T/nope" العراق
expect 0 "--help" -- "$KHABAR" search --help
has "$T/out" "query language" "--help describes the query language"

# A damaged stored article: the first leaf page of the store table overwritten in the file (its
# page checksum then fails). The search still answers; the hits whose articles were on that page
# are listed, flagged, without title or snippet, and the notice points to khabar check.
DX=$T/damaged
mkdir -p "$DX" && cp "$IX/khabar.db" "$DX/"
page=$(/usr/bin/python3 -c '
import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
print(db.execute("SELECT min(pageno) FROM dbstat WHERE name = ? AND pagetype = ?", ("store", "leaf")).fetchone()[0])
' "$DX/khabar.db" 2>/dev/null)
if [ -n "$page" ] && [ "$page" -gt 1 ]; then
    printf 'damaged damaged damaged' |
        dd of="$DX/khabar.db" bs=1 seek=$(((page - 1) * 4096 + 2000)) conv=notrunc 2>/dev/null
    expect 0 "search over a damaged article (jsonl)" -- "$KHABAR" search --index "$DX" --format jsonl --limit 50 العراق
    json_ok "$T/out" "damaged article"
    has "$T/out" '"damaged":true' "a damaged hit is flagged in JSON"
    has "$T/out" 'khabar check' "the notice points to khabar check"
    expect 0 "search over a damaged article (text)" -- "$KHABAR" search --index "$DX" --limit 50 العراق
    has "$T/out" 'damaged article' "a damaged hit is flagged in text"
    expect 1 "check finds the damaged page" -- "$KHABAR" check --index "$DX"
else
    bad "no store page found in the examples index (python3 sqlite3 dbstat)"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
