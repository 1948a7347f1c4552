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
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
