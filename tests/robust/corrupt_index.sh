#!/bin/sh
# corrupt_index.sh — flip bytes in an index file: `khabar check`, `stats` and `search` must end
# with a clear status (0 or 1; check must say "damaged" whenever it finds a problem), never a
# crash. Each trial damages a fresh copy at random places (KB_CORRUPT_TRIALS, default 40).
set -u
: "${KHABAR:?KHABAR must point at the khabar binary}"
TRIALS=${KB_CORRUPT_TRIALS:-40}
work=$(mktemp -d /tmp/kb_corrupt.XXXXXX)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0 found=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# A small index of generated articles, checkpointed into one file.
awk 'BEGIN {
    split("الحكومة وزير العراق بالعراق السعودية الرياض مجلس الأمن الدولي اجتماع الاقتصاد النفط", v, " ");
    s = 11;
    for (i = 1; i <= 300; i++) {
        b = ""; for (w = 0; w < 60; w++) { s = (s * 1103515245 + 12345) % 2147483648; b = b " " v[1 + s % 12] }
        printf("{\"id\":\"c%d\",\"title\":\"خبر %d\",\"body\":\"%s\",\"source\":\"s%d\"}\n", i, i, b, i % 3)
    }
}' >"$work/in.jsonl"
"$KHABAR" index --index "$work/ix" -q "$work/in.jsonl" || { bad "indexing failed"; }
size=$(wc -c <"$work/ix/khabar.db")
rand() { od -An -N4 -tu4 /dev/urandom | tr -d ' '; }

t=0
while [ "$t" -lt "$TRIALS" ]; do
    t=$((t + 1))
    rm -rf "$work/d" && mkdir "$work/d" && cp "$work/ix/khabar.db" "$work/d/"
    # 1 to 8 random bytes overwritten past the 100-byte SQLite header (a damaged header is simply
    # "not a database", tested elsewhere).
    n=$((1 + $(rand) % 8))
    while [ "$n" -gt 0 ]; do
        off=$((100 + $(rand) % (size - 100)))
        printf "\\$(printf '%03o' $(($(rand) % 256)))" |
            dd of="$work/d/khabar.db" bs=1 seek="$off" count=1 conv=notrunc 2>/dev/null
        n=$((n - 1))
    done
    out=$("$KHABAR" check --index "$work/d" 2>&1)
    rc=$?
    if [ "$rc" -ge 2 ]; then bad "trial $t: check exited $rc: $(echo "$out" | tail -n 2)"; else ok; fi
    if [ "$rc" -eq 1 ]; then
        found=$((found + 1))
        if echo "$out" | grep -q '^problem: '; then ok; else bad "trial $t: check failed without saying why"; fi
    fi
    "$KHABAR" stats --index "$work/d" >/dev/null 2>&1
    rc=$?
    if [ "$rc" -ge 2 ]; then bad "trial $t: stats exited $rc"; else ok; fi
    "$KHABAR" search --index "$work/d" --limit 5 "العراق" >/dev/null 2>&1
    rc=$?
    if [ "$rc" -ge 3 ]; then bad "trial $t: search exited $rc"; else ok; fi
done
echo "trials: $TRIALS, damage reported by check in $found"
# Damage that lands in free space or unused bytes is harmless; most trials must be caught.
if [ "$found" -ge $((TRIALS / 4)) ]; then ok; else bad "check reported damage in only $found of $TRIALS trials"; fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
