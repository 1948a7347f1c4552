#!/bin/sh
# tests/golden/clean/run.sh — `khabar clean` on hand-made inputs, compared with the whole expected
# output. Each input file CASE (any name but *.expected, *.args, *.sh) is cleaned with
# `khabar clean -q [ARGS from CASE.args] CASE` and its stdout compared with CASE.expected.
# The inputs are small texts written for these tests, plus the user's own sample article
# (000_250a8f08833c77cf.txt, a link to examples/).
#
#   sh tests/golden/clean/run.sh            compare
#   sh tests/golden/clean/run.sh --update   rewrite every CASE.expected from the current output
set -u
cd "$(dirname "$0")"
KHABAR=${KHABAR:-../../../build/khabar}
update=0
[ "${1:-}" = "--update" ] && update=1
pass=0 fail=0
for f in *; do
    case "$f" in *.expected | *.args | *.sh) continue ;; esac
    [ -f "$f" ] || continue
    args=""
    [ -f "$f.args" ] && args=$(cat "$f.args")
    # shellcheck disable=SC2086
    out=$("$KHABAR" clean -q $args "$f"; echo "exit $?")
    if [ $update = 1 ]; then
        printf '%s\n' "$out" >"$f.expected"
        echo "updated $f.expected"
        pass=$((pass + 1))
    elif [ -f "$f.expected" ] && [ "$out" = "$(cat "$f.expected")" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL $f"
        printf '%s\n' "$out" | diff "$f.expected" - | head -20
    fi
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
