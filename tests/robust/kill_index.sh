#!/bin/sh
# kill_index.sh — crash safety of `khabar index`: SIGKILL it at random moments, many times.
#
# Each round re-indexes the same generated collection into the same index with small batches
# and --log-commits, and kills the writer after a random delay (sometimes mid-commit). After
# every kill: the index opens, `khabar check` passes, and every document up to the last
# "committed: ... last=ID" line is in the index and its unique word is in the dictionary
# (searchable). KB_KILL_ROUNDS sets the number of rounds (default 24; CI runs >= 20).
# KB_KILL_MAX_MS (default 2500) is the longest delay before a kill: raise it on a loaded machine,
# where the first commit of a round can take longer than that; KB_KILL_BATCH (default 150) is the
# batch size (the slow tier uses smaller batches so most rounds commit before their kill).
# KB_KILL_FRESH_ROUNDS (default 12) more rounds kill a new index's first commit (see below).
set -u
: "${KHABAR:?KHABAR must point at the khabar binary}"
ROUNDS=${KB_KILL_ROUNDS:-24}
N=${KB_KILL_DOCS:-3000}
MAX_MS=${KB_KILL_MAX_MS:-2500}
BATCH=${KB_KILL_BATCH:-150}
work=$(mktemp -d /tmp/kb_kill.XXXXXX)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

command -v sqlite3 >/dev/null 2>&1 || {
    echo "skipped: the sqlite3 shell is not installed"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
}

# The collection: N articles, ids k1..kN, each with a unique word uw<letters of i> and Arabic
# filler drawn from a small vocabulary, so postings lists are long and commits non-trivial.
awk -v n="$N" 'BEGIN {
    split("الحكومة وزير العراق بالعراق السعودية الرياض مجلس الأمن الدولي اجتماع الاقتصاد النفط أسعار السوق الرئيس قال أعلن المدينة الشرطة مشروع التعليم الجامعة الطلاب الصحة المستشفى", v, " ");
    nv = 25; s = 7;
    for (i = 1; i <= n; i++) {
        u = "uw"; x = i;
        while (x > 0) { u = u sprintf("%c", 97 + x % 26); x = int(x / 26) }
        t = ""; for (w = 0; w < 6; w++) { s = (s * 1103515245 + 12345) % 2147483648; t = t " " v[1 + s % nv] }
        b = u; for (w = 0; w < 160; w++) { s = (s * 1103515245 + 12345) % 2147483648; b = b " " v[1 + s % nv] }
        printf("{\"id\":\"k%d\",\"title\":\"%s\",\"body\":\"%s.\"}\n", i, t, b)
        print "k" i "\t" u > "/dev/stderr"
    }
}' >"$work/in.jsonl" 2>"$work/words.tsv"

ix="$work/ix"
rand() { od -An -N2 -tu2 /dev/urandom | tr -d ' '; }
max_committed=0
round=0
while [ "$round" -lt "$ROUNDS" ]; do
    round=$((round + 1))
    # 20 ms .. 2.5 s, skewed short so that early and mid-commit kills both happen.
    r=$(rand)
    ms=$((20 + r % MAX_MS))
    [ $((r % 3)) -eq 0 ] && ms=$((20 + r % (MAX_MS / 6)))
    "$KHABAR" index --index "$ix" --batch "$BATCH" --log-commits --no-progress -q "$work/in.jsonl" \
        >/dev/null 2>"$work/log" &
    pid=$!
    sleep "$(awk -v m="$ms" 'BEGIN { printf "%.3f", m / 1000 }')"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    last=$(grep '^committed: ' "$work/log" | tail -n 1 | sed 's/.*last=k//')
    last=${last:-0}
    [ "$last" -gt "$max_committed" ] && max_committed=$last
    echo "round $round: killed after ${ms} ms; last committed in this run: k$last"

    # 1. It opens and check passes.
    if out=$("$KHABAR" check --index "$ix" 2>&1); then ok; else
        # Killed before the schema's own commit: there is no index yet (check says so, and
        # the next `khabar index` creates it), which is not damage.
        if [ "$max_committed" -eq 0 ] && echo "$out" | grep -q 'not found'; then ok; else
            bad "round $round (killed at ${ms} ms): check failed: $out"; fi
    fi
    [ "$max_committed" -eq 0 ] && continue
    # 2. Every document up to the highest committed id of any round is there (re-indexing
    #    replaces, never loses), and the stats agree.
    have=$(sqlite3 "$ix/khabar.db" "SELECT count(*) FROM docs WHERE CAST(substr(id,2) AS INTEGER) <= $max_committed")
    if [ "$have" = "$max_committed" ]; then ok; else
        bad "round $round: $have of the $max_committed committed documents are in the index"; fi
    # 3. Searchable: the unique word of the last committed document (and of a random earlier
    #    one) is in the term dictionary with at least one live posting's document.
    for k in "$max_committed" $((1 + $(rand) % max_committed)); do
        w=$(awk -v k="k$k" '$1 == k { print $2 }' "$work/words.tsv")
        got=$(sqlite3 "$ix/khabar.db" "SELECT count(*) FROM terms WHERE term = CAST('F$w' AS BLOB)")
        if [ "$got" = 1 ]; then ok; else bad "round $round: word $w of committed k$k not indexed"; fi
    done
done
docs=$("$KHABAR" stats --index "$ix" --json 2>/dev/null | sed 's/.*"docs":\([0-9]*\).*/\1/')
echo "rounds: $ROUNDS, highest committed id: k$max_committed, documents: ${docs:-?}"

# A fresh index's first commit runs with a rollback journal instead of the WAL (src/write.c,
# leave_wal). Each of these rounds indexes the whole collection as one commit into a new index
# and kills the writer at a random moment of it; the first to open the index afterwards is a
# reader (`khabar check`, read-only), which must have the hot journal rolled back and then find
# either the empty index or all N documents. Then a writer opens it and must leave it in WAL mode.
FRESH=${KB_KILL_FRESH_ROUNDS:-12}
# Kill delays up to the time one unkilled run takes here (the machine's load decides it).
rm -rf "$work/fresh"
t0=$(date +%s%N)
"$KHABAR" index --index "$work/fresh" --batch 100000 --no-progress -q "$work/in.jsonl" >/dev/null 2>&1
full_ms=$((($(date +%s%N) - t0) / 1000000 + 50))
echo "fresh: one unkilled run takes $full_ms ms"
fr=0
while [ "$fr" -lt "$FRESH" ]; do
    fr=$((fr + 1))
    fx="$work/fresh"
    rm -rf "$fx"
    ms=$((20 + $(rand) % full_ms))
    "$KHABAR" index --index "$fx" --batch 100000 --log-commits --no-progress -q "$work/in.jsonl" \
        >/dev/null 2>"$work/log" &
    pid=$!
    sleep "$(awk -v m="$ms" 'BEGIN { printf "%.3f", m / 1000 }')"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    committed=$(grep -c '^committed: ' "$work/log")
    if out=$("$KHABAR" check --index "$fx" 2>&1); then ok; else
        # killed before the schema's own commit: no index yet (as in the rounds above)
        if echo "$out" | grep -q 'not found\|not an index'; then ok; else
            bad "fresh round $fr (killed at ${ms} ms): check failed: $out"; continue; fi
    fi
    [ -f "$fx/khabar.db" ] || continue
    have=$(sqlite3 "$fx/khabar.db" "SELECT count(*) FROM docs")
    # all or nothing; all when the commit was reported (a commit can end before its report)
    if [ "$have" = "$N" ] || { [ "$have" = 0 ] && [ "$committed" = 0 ]; }; then ok; else
        bad "fresh round $fr (killed at ${ms} ms): $have documents, $committed commits reported"; fi
    echo "fresh round $fr: killed after ${ms} ms; committed: $committed; documents: $have"
    head -n 5 "$work/in.jsonl" | "$KHABAR" index --index "$fx" --no-progress -q - >/dev/null 2>&1
    mode=$(sqlite3 "$fx/khabar.db" "PRAGMA journal_mode")
    if [ "$mode" = wal ] && "$KHABAR" check --index "$fx" >/dev/null 2>&1; then ok; else
        bad "fresh round $fr: after a writer, journal mode $mode or check failed"; fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
