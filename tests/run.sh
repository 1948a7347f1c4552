#!/bin/sh
# tests/run.sh — builds khabar and runs every test suite, then prints "N passed, N failed".
#
# Suites are found by name, so adding a test never means editing this file:
#   build/test_*                     unit tests (release build, warnings are errors)
#   build-asan/test_*                the same unit tests under AddressSanitizer + UBSan
#   build*/replay_<name>             fuzz corpus replay over tests/fuzz/corpus/<name>/ (both builds)
#   tests/golden/*/run.sh            golden files (exact expected output)
#   tests/cli/*.sh                   command line tests
#   tests/http/*.sh                  HTTP API and browser tests
#   tests/robust/*.sh                crash, corruption and fault-injection tests
#   tests/eval/*.sh                  measurements on ../shared data (skip cleanly without it)
# Each prints "N passed, N failed[, N skipped]" as its last such line; a suite that exits non-zero
# without one counts as one failure. KB_TEST_FAST=1 skips the ASan build and the eval suites.
# KB_BUILD=DIR builds into DIR and DIR-asan instead of build and build-asan.
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export KB_ROOT="$ROOT"
export KB_SHARED="${KB_SHARED:-$ROOT/../shared}"
export KHABAR="$ROOT/${KB_BUILD:-build}/khabar"

total_pass=0 total_fail=0 total_skip=0
LOG_DIR="$ROOT/${KB_BUILD:-build}/test-logs"

setup() { # dir, extra meson args...
    dir=$1; shift
    mkdir -p "$dir"
    if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" "$@" >"$dir/setup.log" 2>&1 || { cat "$dir/setup.log"; return 1; }
    fi
    ninja -C "$dir" >"$dir/ninja.log" 2>&1 || { tail -50 "$dir/ninja.log"; return 1; }
}

run_suite() { # name, command...
    name=$1; shift
    log="$LOG_DIR/$(echo "$name" | tr '/ ' '__').log"
    t0=$(date +%s)
    "$@" >"$log" 2>&1
    rc=$?
    secs=$(($(date +%s) - t0))
    line=$(grep -E '^([A-Za-z]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ -n "$line" ]; then
        p=$(echo "$line" | sed -E 's/^([A-Za-z]+: )?([0-9]+) passed.*/\2/')
        f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
        s=$(echo "$line" | sed -nE 's/.* ([0-9]+) skipped.*/\1/p')
        s=${s:-0}
        if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    else
        p=0; s=0; f=$([ "$rc" -eq 0 ] && echo 0 || echo 1)
    fi
    total_pass=$((total_pass + p)); total_fail=$((total_fail + f)); total_skip=$((total_skip + s))
    status=ok; [ "$f" -ne 0 ] && status=FAIL
    printf '%-5s %-40s %5ss  %s passed, %s failed%s\n' "$status" "$name" "$secs" "$p" "$f" \
        "$([ "$s" -ne 0 ] && echo ", $s skipped")"
    if [ "$f" -ne 0 ]; then
        echo "----- $log (last 40 lines)"; tail -n 40 "$log"; echo "-----"
    fi
    # A suite that prints "skipped: reason" explains itself in the summary.
    grep -E '^skip(ped)?: ' "$log" | head -n 3 | sed 's/^/      /'
}

run_units() { # build dir, label
    for t in "$1"/test_*; do
        [ -f "$t" ] && [ -x "$t" ] || continue
        run_suite "$2/$(basename "$t")" "$t"
    done
    for r in "$1"/replay_*; do
        [ -f "$r" ] && [ -x "$r" ] || continue
        n=${r##*/replay_}
        [ -d "tests/fuzz/corpus/$n" ] || continue
        run_suite "$2/fuzz-replay/$n" "$r" "tests/fuzz/corpus/$n"
    done
}

echo "== build (release, -Werror)"
B=${KB_BUILD:-build}
setup "$B" -Dwerror=true || { echo "0 passed, 1 failed"; exit 1; }
mkdir -p "$LOG_DIR"
run_units "$B" unit

if [ "${KB_TEST_FAST:-0}" != 1 ]; then
    echo "== build (ASan + UBSan)"
    if setup "$B-asan" -Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=true; then
        export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
        export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
        run_units "$B-asan" asan
        unset ASAN_OPTIONS UBSAN_OPTIONS
    else
        total_fail=$((total_fail + 1))
    fi
fi

for kind in golden cli http robust eval; do
    [ "$kind" = eval ] && [ "${KB_TEST_FAST:-0}" = 1 ] && continue
    for s in tests/$kind/*.sh tests/$kind/*/run.sh; do
        [ -f "$s" ] || continue
        echo "== $s" >/dev/null
        run_suite "$kind/${s#tests/$kind/}" sh "$s"
    done
done

echo
if [ "$total_skip" -ne 0 ]; then
    echo "$total_pass passed, $total_fail failed, $total_skip skipped"
else
    echo "$total_pass passed, $total_fail failed"
fi
[ "$total_fail" -eq 0 ]
