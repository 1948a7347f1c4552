#!/bin/sh
# scripts/slow_tests.sh — the slow tier of the robustness tests (issue 7), too long for `make test`.
#
#   1. crash durability: tests/robust/kill_index.sh with KB_SLOW_KILL_ROUNDS rounds (500), small
#      batches and delays up to 5 s so most rounds are killed after some commits;
#   2. corruption: tests/robust/corrupt.sh with KB_SLOW_CORRUPT_TRIALS trials (10,000);
#   3. OOM: build/test_oom is in `make test` already (every N); here it runs in the ASan build;
#   4. fuzzing: scripts/fuzz.sh for each harness, KB_SLOW_FUZZ_SECONDS each (3600), under nice;
#   5. the robust suites and CLI suites against the ASan+UBSan binary (KHABAR=BUILD-asan/khabar).
# KB_SLOW_ONLY="kill corrupt oom fuzz asan" picks steps. Ends with "N passed, N failed".
# Uses KB_BUILD (default build) and KB_BUILD-asan, which `make test` creates.
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
B=${KB_BUILD:-build}
ONLY=${KB_SLOW_ONLY:-kill corrupt oom fuzz asan}
LOG=$ROOT/$B/slow-logs
mkdir -p "$LOG"
export KB_ROOT="$ROOT" KB_SHARED="${KB_SHARED:-$ROOT/../shared}"
pass=0 fail=0

step() { # name, command...
    name=$1
    shift
    t0=$(date +%s)
    "$@" >"$LOG/$name.log" 2>&1
    rc=$?
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$LOG/$name.log" | tail -n 1)
    echo "$([ $rc -eq 0 ] && echo ok || echo FAIL) $name ($(($(date +%s) - t0)) s): ${line:-exit $rc}"
    if [ $rc -eq 0 ]; then pass=$((pass + 1)); else
        fail=$((fail + 1))
        tail -n 20 "$LOG/$name.log"
    fi
}

want() { case " $ONLY " in *" $1 "*) return 0 ;; esac; return 1; }

[ -x "$B/khabar" ] || { meson setup "$B" >/dev/null && ninja -C "$B" >/dev/null; } || exit 1

if want kill; then
    step kill env KHABAR="$ROOT/$B/khabar" KB_KILL_ROUNDS="${KB_SLOW_KILL_ROUNDS:-500}" \
        KB_KILL_BATCH="${KB_SLOW_KILL_BATCH:-25}" KB_KILL_MAX_MS="${KB_SLOW_KILL_MAX_MS:-5000}" \
        sh tests/robust/kill_index.sh
fi
if want corrupt; then
    step corrupt env KHABAR="$ROOT/$B/khabar" KB_CORRUPT_TRIALS="${KB_SLOW_CORRUPT_TRIALS:-10000}" \
        sh tests/robust/corrupt.sh
fi
if want oom && [ -x "$B-asan/test_oom" ]; then
    step oom-asan env ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 KB_OOM_STICKY_STRIDE=1 \
        "$B-asan/test_oom"
fi
if want fuzz; then
    secs=${KB_SLOW_FUZZ_SECONDS:-3600}
    for f in tests/fuzz/fuzz_*.c; do
        n=${f#tests/fuzz/fuzz_}
        n=${n%.c}
        step "fuzz-$n" nice -n 15 sh scripts/fuzz.sh "$n" "$secs"
    done
fi
if want asan && [ -x "$B-asan/khabar" ]; then
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
    for s in tests/cli/*.sh tests/robust/*.sh; do
        case $s in */valgrind_cli.sh) continue ;; esac
        step "asan-$(basename "$s" .sh)" env KHABAR="$ROOT/$B-asan/khabar" sh "$s"
    done
    unset ASAN_OPTIONS UBSAN_OPTIONS
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
