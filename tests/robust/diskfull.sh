#!/bin/sh
# tests/robust/diskfull.sh — indexing into a filesystem that fills up.
#
# Mounts a small tmpfs (KB_DISKFULL_MB, default 8 MiB; needs root, and the suite skips with a
# message where mounting is not permitted), indexes a first part of a generated collection that
# fits, then the whole collection, which does not. The second run must end with a non-zero exit
# status and a clear "no space left" message; afterwards the index must open, `khabar check` must
# pass, and every document of every batch reported committed (--log-commits) must be found by
# `khabar search` through its unique word. Then the filesystem grows (remount) and indexing the
# rest must succeed: a full disk leaves an index that is still writable.
set -u
ROOT=${KB_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
KHABAR=${KHABAR:-$ROOT/build/khabar}
MB=${KB_DISKFULL_MB:-8}
# Articles in the collection: with ~2 KB of text each, 3,000 articles need more than 8 MiB
# once indexed (stored copies and postings; ~1,700 fill it), and the first 500 fit easily.
N=${KB_DISKFULL_DOCS:-3000}
FIRST=500

skip() {
    echo "skipped: $*"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
}
[ -x "$KHABAR" ] || skip "$KHABAR not built"
work=$(mktemp -d /tmp/kb_diskfull.XXXXXX)
mnt=$work/mnt
mkdir -p "$mnt"
cleanup() {
    umount "$mnt" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT INT TERM
if ! mount -t tmpfs -o size=${MB}m tmpfs "$mnt" 2>"$work/mount.err"; then
    skip "cannot mount a ${MB} MiB tmpfs here ($(cat "$work/mount.err" | head -n 1)); run as root"
fi

pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() {
    fail=$((fail + 1))
    echo "FAIL: $*"
}

# The collection: ids d1..dN, a unique word per article (uw + letters of i), Arabic filler.
awk -v n="$N" 'BEGIN {
    split("الحكومة وزير العراق بالعراق السعودية الرياض مجلس الأمن الدولي اجتماع الاقتصاد النفط أسعار السوق الرئيس قال أعلن المدينة الشرطة مشروع التعليم الجامعة الطلاب الصحة المستشفى", v, " ");
    nv = 25; s = 11;
    for (i = 1; i <= n; i++) {
        u = "uw"; x = i;
        while (x > 0) { u = u sprintf("%c", 97 + x % 26); x = int(x / 26) }
        b = u; for (w = 0; w < 200; w++) { s = (s * 1103515245 + 12345) % 2147483648; b = b " " v[1 + s % nv] }
        printf("{\"id\":\"d%d\",\"title\":\"خبر رقم %d\",\"body\":\"%s.\"}\n", i, i, b)
        print "d" i "\t" u > "/dev/stderr"
    }
}' >"$work/all.jsonl" 2>"$work/words.tsv"
head -n "$FIRST" "$work/all.jsonl" >"$work/first.jsonl"
ix=$mnt/ix

# 1. The first part fits.
if "$KHABAR" index -q --batch 250 --index "$ix" "$work/first.jsonl" >"$work/first.log" 2>&1; then
    ok
else
    bad "indexing $FIRST articles into ${MB} MiB failed: $(tail -n 3 "$work/first.log")"
fi

# 2. The whole collection does not: a clear error, non-zero exit, no crash.
"$KHABAR" index --batch 250 --log-commits --no-progress --index "$ix" "$work/all.jsonl" \
    >"$work/full.out" 2>"$work/full.log"
rc=$?
echo "indexing $N articles into ${MB} MiB: exit $rc; df: $(df -k "$mnt" | awk 'NR == 2 { print $3 " KiB used of " $2 }')"
grep -v '^committed: ' "$work/full.log" | head -n 5
if [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ]; then ok; else bad "exit status $rc (want a clean failure)"; fi
if grep -qi 'no space left\|disk.*full\|KB_ENOSPC' "$work/full.log"; then ok; else
    bad "no clear 'no space left' message in: $(grep -v '^committed: ' "$work/full.log" | head -n 3)"
fi

# 3. The last commit is intact and usable.
if out=$("$KHABAR" check --index "$ix" 2>&1); then ok; else bad "check after the full disk: $out"; fi
last=$(grep '^committed: ' "$work/full.log" | tail -n 1 | sed 's/.*last=d//')
last=${last:-$FIRST}
[ "$last" -ge "$FIRST" ] || last=$FIRST
docs=$("$KHABAR" stats --index "$ix" --json 2>/dev/null | sed -n 's/.*"docs":\([0-9]*\).*/\1/p')
# Articles past the last commit may be there too only if a later commit finished: never fewer.
if [ -n "$docs" ] && [ "$docs" -ge "$last" ] && [ "$docs" -lt "$N" ]; then ok; else
    bad "documents after the full disk: ${docs:-?} (last committed d$last of $N)"
fi
echo "last committed before the disk filled: d$last; documents in the index: ${docs:-?}"
# Every 50th committed article, and the last one, found by search through its unique word.
missing=0 probed=0
for k in $(seq 1 50 "$last") "$last"; do
    w=$(awk -v k="d$k" '$1 == k { print $2 }' "$work/words.tsv")
    probed=$((probed + 1))
    if ! "$KHABAR" search --index "$ix" --format jsonl --limit 3 "$w" 2>/dev/null |
        grep -q "\"id\":\"d$k\""; then
        missing=$((missing + 1))
        [ "$missing" -le 3 ] && echo "  d$k ($w) not found"
    fi
done
if [ "$missing" -eq 0 ]; then ok; else bad "$missing of $probed committed articles not found by search"; fi

# 4. With room again, indexing goes on from there.
if mount -o remount,size=256m "$mnt" 2>/dev/null; then
    if "$KHABAR" index -q --batch 1000 --index "$ix" "$work/all.jsonl" >"$work/rest.log" 2>&1 &&
        "$KHABAR" check --index "$ix" >/dev/null 2>&1; then
        ok
    else
        bad "indexing after the disk got room again: $(tail -n 3 "$work/rest.log")"
    fi
    docs=$("$KHABAR" stats --index "$ix" --json 2>/dev/null | sed -n 's/.*"docs":\([0-9]*\).*/\1/p')
    if [ "${docs:-0}" = "$N" ]; then ok; else bad "after growing: ${docs:-?} documents, want $N"; fi
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
