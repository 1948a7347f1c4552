#!/bin/sh
# run.sh — golden files of `khabar analyze`: each NAME.in analyzed (text format, light stemmer)
# must give NAME.expected exactly. `sh run.sh --update` rewrites the .expected files; review the
# diff before committing it.
set -u
ROOT=${KB_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}
KHABAR=${KHABAR:-$ROOT/build/khabar}
DIR="$ROOT/tests/golden/analyzer"
pass=0 fail=0
for in in "$DIR"/*.in; do
    exp=${in%.in}.expected
    out=$("$KHABAR" analyze --file "$in"; echo "exit $?")
    if [ "${1:-}" = --update ]; then
        printf '%s\n' "$out" >"$exp"
        echo "updated $(basename "$exp")"
        pass=$((pass + 1))
    elif [ -f "$exp" ] && [ "$out" = "$(cat "$exp")" ]; then
        pass=$((pass + 1))
    else
        echo "FAIL $(basename "$in")"
        printf '%s\n' "$out" | diff "$exp" - | head -40
        fail=$((fail + 1))
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
