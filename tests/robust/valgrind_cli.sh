#!/bin/sh
# tests/robust/valgrind_cli.sh — the CLI test suites under valgrind memcheck.
#
# Runs every tests/cli/*.sh suite (and the golden suites, which drive the CLI too) with KHABAR
# pointing to a wrapper that runs the real binary under `valgrind --error-exitcode`: an invalid
# read or write, a use of uninitialized memory, a bad free or a definitely lost block makes that
# khabar run fail with exit status 99 (which the suite reports as a failed check) and leaves a
# log. This suite fails only on memcheck reports (one check per wrapped suite, and one over all
# logs); a wrapped suite's own failures are reported by its normal run and only noted here.
# KB_VALGRIND_SUITES="tests/cli/index.sh ..." picks suites. Skips cleanly without valgrind.
set -u
ROOT=${KB_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
KHABAR=${KHABAR:-$ROOT/build/khabar}
command -v valgrind >/dev/null 2>&1 || {
    echo "skipped: valgrind is not installed"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
}
[ -x "$KHABAR" ] || {
    echo "skipped: $KHABAR not built"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
}
case $KHABAR in /*) ;; *) KHABAR=$(pwd)/$KHABAR ;; esac
work=$(mktemp -d /tmp/kb_valgrind.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$work/logs"
cat >"$work/khabar" <<EOF
#!/bin/sh
# khabar under memcheck; a report makes the run exit 99.
exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \\
    --show-leak-kinds=definite --track-origins=yes --log-file="$work/logs/vg.%p.log" \\
    "$KHABAR" "\$@"
EOF
chmod +x "$work/khabar"

# tests/cli/index.sh's long records: 2 of 1.2 MB, not 24 of 3 MB (~72 MB through memcheck)
export KB_LONG_RECORDS="2 1200000"
suites=${KB_VALGRIND_SUITES:-$(ls "$ROOT"/tests/cli/*.sh "$ROOT"/tests/golden/*/run.sh 2>/dev/null)}
pass=0 fail=0
for s in $suites; do
    case $s in /*) ;; *) s=$ROOT/$s ;; esac
    name=${s#"$ROOT"/tests/}
    before=$(cat "$work"/logs/vg.*.log 2>/dev/null | wc -c)
    KB_ROOT=$ROOT KHABAR="$work/khabar" sh "$s" >"$work/suite.log" 2>&1
    rc=$?
    after=$(cat "$work"/logs/vg.*.log 2>/dev/null | wc -c)
    if [ "$after" -eq "$before" ]; then pass=$((pass + 1)); else
        fail=$((fail + 1))
        echo "FAIL $name: memcheck reported errors"
    fi
    line=$(grep -E '^([A-Za-z]+: )?[0-9]+ passed, [0-9]+ failed' "$work/suite.log" | tail -n 1)
    # A suite's own failures are counted by that suite's normal run; here only memcheck's
    # reports count (a report also makes the khabar run exit 99, failing a check of the suite).
    if [ "$rc" -eq 0 ]; then
        echo "ok   $name under valgrind: $line"
    else
        echo "note $name under valgrind exited $rc ($line); memcheck reports are counted below"
        grep -E '^FAIL|^not ok' "$work/suite.log" | head -n 3
    fi
done
runs=$(ls "$work/logs" | wc -l)
reports=0
for l in "$work"/logs/vg.*.log; do
    [ -s "$l" ] || continue
    reports=$((reports + 1))
    if [ "$reports" -le 3 ]; then
        echo "---- valgrind report $(basename "$l")"
        head -n 40 "$l"
    fi
done
echo "khabar runs under valgrind: $runs; runs with a report: $reports"
if [ "$reports" -eq 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
