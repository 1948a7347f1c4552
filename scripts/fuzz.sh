#!/bin/sh
# scripts/fuzz.sh NAME [SECONDS] — runs the libFuzzer harness tests/fuzz/fuzz_NAME.c (clang,
# ASan+UBSan) for SECONDS (default 60), growing tests/fuzz/corpus/NAME/. Findings go to
# tests/fuzz/findings/NAME/ (ignored by git); a finding makes the script exit non-zero.
set -eu
cd "$(dirname "$0")/.."
name=$1
secs=${2:-60}
if [ ! -f build-fuzz/build.ninja ]; then
    # fuzzer-no-link instruments the library itself, so libFuzzer sees its coverage.
    CC=clang CFLAGS=-fsanitize=fuzzer-no-link meson setup build-fuzz -Dfuzzing=true \
        -Dbuildtype=debugoptimized \
        -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
ninja -C build-fuzz "fuzz_$name" >/dev/null
mkdir -p "tests/fuzz/corpus/$name" "tests/fuzz/findings/$name"
work=$(mktemp -d)
# An input slower than KB_FUZZ_TIMEOUT seconds (instrumented: ~20x the release build) is a
# finding too: a query that took 47 s in the release build was once only a "slow unit".
./build-fuzz/"fuzz_$name" -max_total_time="$secs" -max_len="${KB_FUZZ_MAX_LEN:-65536}" \
    -timeout="${KB_FUZZ_TIMEOUT:-10}" \
    -artifact_prefix="tests/fuzz/findings/$name/" "$work" "tests/fuzz/corpus/$name"
# Keep the corpus small: merge what was found into a minimal set.
./build-fuzz/"fuzz_$name" -merge=1 "tests/fuzz/corpus/$name" "$work" >/dev/null 2>&1 || true
rm -rf "$work"
