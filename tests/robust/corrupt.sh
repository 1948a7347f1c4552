#!/bin/sh
# tests/robust/corrupt.sh — damaged index files are reported, never trusted, never a crash.
#
# Builds a small index from examples/ twice: once fully checkpointed (everything in khabar.db),
# once with its last commit still in the write-ahead log (khabar.db-wal), as a crash would leave
# it. Then, for KB_CORRUPT_TRIALS trials (default 1000, KB_JOBS=2 in parallel), copies one of
# them, damages one file (1–8 flipped bytes, a zeroed run, or a truncation: robust_probe damage,
# deterministic per trial) and runs, each under `timeout`:
#   robust_probe digest    check, stats, kb_search_run and postings cursors for ten words,
#                          every stored article by id — compared with the undamaged index
#   khabar check           must exit 0 (sound) or 1 (problems listed), nothing else
#   khabar search          must exit 0 or 1 with a message, never crash or hang
# A trial fails when anything crashes (signal), hangs (timeout), returns an error that is not a
# KB_E* code, or when a read gives a different answer than the undamaged index without an error
# — whether check says "ok" (silent corruption) or finds the damage (reads-differ: since every
# SQLite page carries a checksum, src/checksum_vfs.c, a read of a damaged page must fail too).
# Check reporting the damage, a read returning KB_ECORRUPT, and damage that changes nothing (free
# space, unused slack) all pass; so does a damaged WAL frame, which SQLite's frame checksums turn
# into the loss of the last commit (the index is then exactly the previous commit: compared with
# it). The summary counts each outcome.
# KHABAR=build-x/khabar runs it against another build (its robust_probe sits next to it).
set -u
ROOT=${KB_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
KHABAR=${KHABAR:-$ROOT/build/khabar}
PROBE=${KB_PROBE:-$(dirname "$KHABAR")/robust_probe}
TRIALS=${KB_CORRUPT_TRIALS:-1000}
JOBS=${KB_JOBS:-2}
# Seconds one command may take on a 32-article index before it counts as a hang (a sound run
# takes well under one; sanitizer builds are ~10× slower).
LIMIT=${KB_CORRUPT_TIMEOUT:-30}
SEED0=${KB_CORRUPT_SEED:-1}

# ---- one trial (run by xargs: sh corrupt.sh --trial N WORK) ----
if [ "${1:-}" = --trial ]; then
    n=$2 work=$3
    t=$work/t$n
    rm -rf "$t"
    if [ $((n % 2)) -eq 0 ]; then
        base=$work/base ref=$work/reference
    else
        base=$work/walbase ref=$work/walreference
    fi
    cp -r "$base" "$t"
    seed=$((SEED0 + n))
    file=khabar.db
    [ -f "$t/khabar.db-wal" ] && [ $((seed % 4)) -lt 2 ] && file=khabar.db-wal
    what=$("$PROBE" damage "$t/$file" "$seed")
    timeout -k 5 "$LIMIT" "$PROBE" digest "$t" >"$t.out" 2>"$t.err"
    prc=$?
    timeout -k 5 "$LIMIT" "$KHABAR" check --index "$t" >"$t.check" 2>&1
    crc=$?
    timeout -k 5 "$LIMIT" "$KHABAR" search --index "$t" --limit 5 'العراق OR "مجلس الأمن"' \
        >"$t.search" 2>&1
    src=$?
    verdict=ok why=
    case $prc in 0 | 3) ;; 124 | 137) verdict=FAIL why="probe hung" ;; *) verdict=FAIL why="probe exit $prc" ;; esac
    case $crc in 0 | 1) ;; 124 | 137) verdict=FAIL why="check hung" ;; *) verdict=FAIL why="check exit $crc" ;; esac
    case $src in 0 | 1) ;; 124 | 137) verdict=FAIL why="search hung" ;; *) verdict=FAIL why="search exit $src" ;; esac
    if grep -q 'runtime error\|AddressSanitizer\|LeakSanitizer' "$t.err" "$t.check" "$t.search"; then
        verdict=FAIL why="sanitizer report"
    fi
    # Outcome classes: refused at open, check found damage, harmless, or silent.
    checkline=$(grep '^check ' "$t.out" | head -n 1)
    if [ $prc -eq 3 ] && grep -q '^error open ' "$t.out"; then
        class="open-refused:$(sed -n 's/^error open //p' "$t.out")"
    elif [ -z "$checkline" ]; then
        class=no-check
    elif [ "$checkline" != "check KB_OK 0" ]; then
        # Check saw the damage. What did the reads do: report an error, give the undamaged
        # answer, or answer differently without a word (reads-differ: a failure).
        if [ $prc -eq 3 ]; then
            class=check-found/read-error
        elif grep -v '^check ' "$t.out" | cmp -s - "$ref"; then
            class=check-found/reads-same
        else
            class=check-found/reads-differ
            verdict=FAIL why="check found the damage, but a read answered differently without an error"
        fi
        [ $crc -eq 1 ] || { verdict=FAIL why="library check found damage, khabar check exit $crc"; }
    elif [ $prc -eq 0 ] && grep -v '^check ' "$t.out" | cmp -s - "$ref"; then
        class=harmless
        [ $crc -eq 0 ] || { verdict=FAIL why="check ok in the library, khabar check exit $crc"; }
    elif [ $prc -eq 0 ] && [ "$base" = "$work/walbase" ] &&
        grep -v '^check ' "$t.out" | cmp -s - "$work/walold.ref"; then
        # SQLite checksums every WAL frame: a damaged frame ends the log there, and the commit
        # in it is dropped as if the crash had come before it. The index is the previous commit,
        # sound and consistent.
        class=wal-commit-dropped
        [ $crc -eq 0 ] || { verdict=FAIL why="check ok in the library, khabar check exit $crc"; }
    elif [ $prc -eq 3 ]; then
        class="check-missed-read-error:$(sed -n 's/^error //p' "$t.out")"
        verdict=FAIL why="check passed but a read failed: $(sed -n 's/^error //p' "$t.out")"
    else
        class=silent
        verdict=FAIL why="check passed but reads differ from the undamaged index"
    fi
    # Errors must be KB_E* codes from the list; the probe prints their names.
    if [ $prc -eq 3 ] && ! grep -qE '^error [a-z_]+ KB_E[A-Z]+$' "$t.out"; then
        verdict=FAIL why="unexpected error: $(cat "$t.out" | tail -n 1)"
    fi
    echo "$n $verdict $class | $file $what${why:+ | $why}" >"$work/res.$n"
    if [ "$verdict" = ok ] && [ "$class" != check-found/reads-differ ]; then
        rm -rf "$t" "$t.out" "$t.err" "$t.check" "$t.search"
    fi
    exit 0
fi

# ---- the suite ----
if [ ! -x "$KHABAR" ] || [ ! -x "$PROBE" ]; then
    echo "skipped: $KHABAR or $PROBE not built"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
command -v timeout >/dev/null || { echo "skipped: no timeout(1)"; echo "0 passed, 0 failed, 1 skipped"; exit 0; }
tmp=/tmp
[ -w /dev/shm ] && tmp=/dev/shm
work=$(mktemp -d "$tmp/kb_corrupt.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
pass=0 fail=0

# The checkpointed index: three commits of the bundled examples.
if ! "$KHABAR" index -q --batch 12 --index "$work/base" "$ROOT/examples" >"$work/index.log" 2>&1; then
    cat "$work/index.log"
    echo "0 passed, 1 failed"
    exit 1
fi
# The same with its last commit left in the WAL: a second connection stays open while khabar
# indexes, so khabar's close is not the last one and does not checkpoint; the files are copied
# before that connection goes away.
mkdir -p "$work/walbase"
"$KHABAR" index -q --batch 12 --index "$work/wal0" "$ROOT/examples/news.jsonl" >/dev/null 2>&1
/usr/bin/python3 - "$work/wal0" "$ROOT/examples" "$KHABAR" "$work/walbase" <<'EOF'
import shutil, sqlite3, subprocess, sys
d, ex, kb, out = sys.argv[1:5]
hold = sqlite3.connect(d + "/khabar.db")
hold.execute("SELECT count(*) FROM docs").fetchall()
subprocess.run([kb, "index", "-q", "--index", d, ex + "/000_250a8f08833c77cf.txt"], check=True)
for f in ("khabar.db", "khabar.db-wal"):
    shutil.copy(d + "/" + f, out + "/" + f)
hold.close()
EOF
if [ -s "$work/walbase/khabar.db-wal" ]; then
    pass=$((pass + 1))
else
    echo "FAIL: could not leave a commit in the WAL (walbase has no khabar.db-wal)"
    fail=$((fail + 1))
    cp "$work/base/khabar.db" "$work/walbase/"
fi

# Reference digests: the undamaged indexes must be sound and readable.
for b in base walbase; do
    if "$PROBE" digest "$work/$b" >"$work/$b.digest" 2>&1 && grep -q '^check KB_OK 0$' "$work/$b.digest"; then
        pass=$((pass + 1))
    else
        echo "FAIL: the undamaged $b index does not probe clean:"
        cat "$work/$b.digest"
        fail=$((fail + 1))
    fi
done
grep -v '^check ' "$work/base.digest" >"$work/reference"
# The WAL base without its log: the state before its last commit.
mkdir -p "$work/walold"
cp "$work/walbase/khabar.db" "$work/walold/"
"$PROBE" digest "$work/walold" | grep -v '^check ' >"$work/walold.digest"
mv "$work/walold.digest" "$work/walold.ref"
grep -v '^check ' "$work/walbase.digest" >"$work/walreference"

start=$(date +%s)
seq 0 $((TRIALS - 1)) | xargs -P "$JOBS" -I{} sh "$0" --trial {} "$work" 2>/dev/null
end=$(date +%s)
cat "$work"/res.* 2>/dev/null >"$work/results"
ok=$(grep -c ' ok ' "$work/results")
bad=$(grep -c ' FAIL ' "$work/results")
missing=$((TRIALS - ok - bad))
pass=$((pass + ok))
fail=$((fail + bad + missing))
grep ' FAIL ' "$work/results" | head -n 20
[ "$missing" -eq 0 ] || echo "FAIL: $missing trials left no result"
echo "outcomes over $TRIALS trials ($((end - start)) s, $JOBS jobs):"
awk '{print $3}' "$work/results" | sed 's/:.*//' | sort | uniq -c | sort -rn
grep ' check-found/reads-differ ' "$work/results" | head -n 5 | sed 's/^/  reads differ (check found it): trial /'
echo "refusals and read errors:"
awk '{print $3}' "$work/results" | grep ':' | sort | uniq -c | sort -rn | head -n 10
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
