#!/bin/sh
# tests/cli/index.sh — `khabar index`, `stats`, `check`, `delete`, `compact` on small inputs
# written here: counts, replacement by id, rejection reasons, exit statuses, damage reports.
set -u
: "${KHABAR:?KHABAR must point at the khabar binary}"
work=$(mktemp -d /tmp/kb_cli_index.XXXXXX)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
expect() { # name, expected, actual
    if [ "$2" = "$3" ]; then pass=$((pass + 1)); else
        fail=$((fail + 1)); printf 'FAIL %s\n  expected: %s\n  got:      %s\n' "$1" "$2" "$3"; fi
}
stat_of() { "$KHABAR" stats --index "$1" --json | sed "s/.*\"$2\":\([0-9]*\).*/\1/"; }

cat >"$work/a.jsonl" <<'EOF'
{"id":"n1","title":"وزير الخارجية يزور بغداد","body":"وصل وزير الخارجية إلى بغداد اليوم في زيارة رسمية.","source":"وكالة","date":"2015-07-14"}
{"id":"n2","title":"أسعار النفط ترتفع","body":"ارتفعت أسعار النفط في السوق العالمية بعد قرار أوبك.","source":"جريدة","date":"2015-07-15"}
{"id":"n3","title":"مباراة الهلال","body":"فاز الهلال على النصر في مباراة الأمس بهدفين.","source":"جريدة","date":"2015-07-16"}
{"id":"n4","title":"","body":""}
not json at all
EOF

# 1. Indexing: three added, two rejected with reasons, exit status 1 (some records failed).
out=$("$KHABAR" index --index "$work/ix" --no-progress "$work/a.jsonl" 2>"$work/err")
rc=$?
expect "index exit status with rejections" 1 "$rc"
expect "index summary" "added 3, replaced 0, rejected 2" \
    "$(echo "$out" | head -n 1 | sed 's/ (.*//')"
expect "empty article reason" 1 "$(grep -c 'rejected (empty article)' "$work/err")"
expect "unreadable reason" 1 "$(grep -c 'rejected (unreadable)' "$work/err")"
expect "stats docs" 3 "$(stat_of "$work/ix" docs)"
expect "stats commits" 1 "$(stat_of "$work/ix" commits)"
"$KHABAR" check --index "$work/ix" >"$work/check" 2>&1
expect "check ok" 0 "$?"
expect "check line" "check: $work/ix: ok (3 documents," "$(sed 's/ [0-9]* terms)$//' "$work/check")"

# 2. The same id again replaces; small batches commit several times; piped: no progress.
printf '%s\n' '{"id":"n2","title":"أسعار النفط تنخفض","body":"انخفضت الأسعار."}' \
    '{"id":"n5","title":"خبر جديد","body":"نص الخبر الجديد."}' >"$work/b.jsonl"
out=$("$KHABAR" index --index "$work/ix" --batch 1 --log-commits "$work/b.jsonl" 2>"$work/err")
expect "replace exit status" 0 "$?"
expect "replace summary" "added 1, replaced 1, rejected 0" "$(echo "$out" | head -n 1)"
expect "commit log lines" 2 "$(grep -c '^committed: batch=' "$work/err")"
expect "last commit line" "committed: batch=2 docs=2 last=n5" "$(grep '^committed' "$work/err" | tail -n 1)"
expect "no progress when piped" 0 "$(grep -c 'docs/s' "$work/err")"
expect "docs after replace" 4 "$(stat_of "$work/ix" docs)"
expect "dead after replace" 1 "$(stat_of "$work/ix" dead_docs)"

# 3. delete: known and unknown ids.
out=$("$KHABAR" delete --index "$work/ix" n1 nosuch 2>/dev/null)
expect "delete exit status (one missing)" 1 "$?"
expect "delete summary" "deleted 1, not found 1" "$out"
expect "docs after delete" 3 "$(stat_of "$work/ix" docs)"

# 4. compact drops the dead postings; check still passes.
"$KHABAR" compact --index "$work/ix" >/dev/null
expect "compact exit status" 0 "$?"
expect "dead after compact" 0 "$(stat_of "$work/ix" dead_docs)"
"$KHABAR" check --index "$work/ix" >/dev/null
expect "check after compact" 0 "$?"

# 5. Usage errors.
"$KHABAR" index "$work/a.jsonl" >/dev/null 2>&1
expect "index without --index" 2 "$?"
"$KHABAR" stats --index "$work/none" >/dev/null 2>&1
expect "stats on a missing index" 1 "$?"

# 6. Damage: a postings block changed behind khabar's back. The sqlite3 shell writes without
#    page checksums (src/checksum_vfs.c), so check names the page that fails its checksum (the
#    block-level report is tested in tests/unit/test_index.c, which writes through the VFS).
if command -v sqlite3 >/dev/null 2>&1; then
    sqlite3 "$work/ix/khabar.db" "UPDATE terms SET v = substr(v,1,length(v)-1) || CASE WHEN substr(v,-1) = x'00' THEN x'01' ELSE x'00' END WHERE rowid IN (SELECT rowid FROM terms LIMIT 1)" 2>/dev/null ||
        sqlite3 "$work/ix/khabar.db" "UPDATE terms SET v = substr(v,1,length(v)-1) || CASE WHEN substr(v,-1) = x'00' THEN x'01' ELSE x'00' END WHERE term = (SELECT min(term) FROM terms)"
    out=$("$KHABAR" check --index "$work/ix")
    expect "check exit status on damage" 1 "$?"
    expect "check names the page" 1 "$(echo "$out" | grep -c '^problem: khabar.db page [0-9]*: checksum mismatch')"
    expect "check verdict" 1 "$(echo "$out" | grep -c 'damaged (1 problem)')"
    # A database file that is not an index at all.
    mkdir -p "$work/junk" && printf 'junk junk junk' >"$work/junk/khabar.db"
    "$KHABAR" check --index "$work/junk" >/dev/null 2>&1
    expect "check on junk" 1 "$?"
fi
# 7. Long records: 24 of ~3 MB, more than the job ring's 64 MB bound on the bytes it holds ahead
#    of the writer, and each over the 1 MB past which a written slot gives its buffers back
#    (cli/cmd_index.c). Every record is indexed, in input order, with the threads and without.
#    KB_LONG_RECORDS="N BYTES" sets how many and how long (tests/robust/valgrind_cli.sh takes
#    2 of 1.2 MB: the slots' giving back, not the byte bound, in a time memcheck can afford).
set -- ${KB_LONG_RECORDS:-24 3000000}
n_long=$1
awk -v n="$n_long" -v len="$2" 'BEGIN {
    s = "وصل الوفد إلى المدينة في زيارة رسمية لبحث التعاون الاقتصادي. "
    while (length(s) < len) s = s s
    for (i = 1; i <= n; i++)
        printf "{\"id\":\"long%d\",\"title\":\"تقرير طويل %d\",\"body\":\"%s خاتمة%d\"}\n", i, i, s, i
}' >"$work/long.jsonl"
for threads in 2 0; do
    rm -rf "$work/long"
    out=$("$KHABAR" index --index "$work/long" --threads $threads --batch 10 --no-progress "$work/long.jsonl" 2>&1)
    expect "long records, --threads $threads: summary" "added $n_long, replaced 0, rejected 0" \
        "$(echo "$out" | head -n 1)"
    expect "long records, --threads $threads: docs" "$n_long" "$(stat_of "$work/long" docs)"
    expect "long records, --threads $threads: the last found by its last word" "long$n_long" \
        "$("$KHABAR" search --index "$work/long" --ids-only --format jsonl "خاتمة$n_long" |
            sed -n 's/.*"id":"\([^"]*\)".*/\1/p' | head -n 1)"
    "$KHABAR" check --index "$work/long" >/dev/null
    expect "long records, --threads $threads: check" 0 "$?"
done
# The byte bound: with --batch-mb 8, records of R bytes of text each commit every
# ceil(8 MB / R) records whatever --batch says (here one commit for all of them otherwise).
# R is the record's line less its JSON (~60 bytes); none of the sizes used is near a boundary.
rm -rf "$work/long"
rec=$(( $(head -n 1 "$work/long.jsonl" | wc -c) - 60 ))
per=$(( (8 * 1048576 + rec - 1) / rec ))
first=$(( per < n_long ? per : n_long ))
"$KHABAR" index --index "$work/long" --batch 100000 --batch-mb 8 --log-commits --no-progress \
    "$work/long.jsonl" 2>"$work/long.log" >/dev/null
expect "long records, --batch-mb 8: commits" "$(( (n_long + per - 1) / per ))" \
    "$(grep -c '^committed:' "$work/long.log")"
expect "long records, --batch-mb 8: the first commit's documents" "docs=$first" \
    "$(grep -m 1 '^committed:' "$work/long.log" | sed 's/.* \(docs=[0-9]*\) .*/\1/')"
expect "long records, --batch-mb 8: docs" "$n_long" "$(stat_of "$work/long" docs)"
out=$("$KHABAR" index --index "$work/long" --batch-mb 0 "$work/long.jsonl" 2>&1)
expect "--batch-mb 0: exit status" 2 "$?"
expect "--batch-mb 0: message" "khabar: index: bad --batch, --batch-mb or --threads" \
    "$(echo "$out" | head -n 1)"
rm -f "$work/long.jsonl" "$work/long.log"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
