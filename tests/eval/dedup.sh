#!/bin/sh
# tests/eval/dedup.sh — khabar's duplicate detection scored against brute-force truth.
#
# The truth (scripts/dedup_truth.py truth): exact Jaccard of 5-word shingles for every pair of
# ../shared/corpus/saudinewsnet.jsonl.zst with J >= 0.5, found by prefix filtering; computed once
# (about 3 minutes) and cached in the build directory. Each check then scores one way of running
# khabar with --gate: recall >= 0.95 of pairs with J >= 0.8, and >= 98% of the pairs khabar reports
# by Jaccard have true J >= 0.6.
#   1. `khabar dups --format pairs` (stream mode, exact verification: the CLI as users run it);
#   2. bench_dedup with exact verification, also checking that the C and Python folds agree;
#   3. bench_dedup --estimate-only: MinHash estimates only, as the index verifies.
# KB_DEDUP_SWEEP=1 also prints precision/recall for thresholds 0.5 … 0.9 (docs/dedup.md).
set -u
CORPUS="${KB_SHARED:-../shared}/corpus/saudinewsnet.jsonl.zst"
BIN=$(dirname "${KHABAR:-build/khabar}")
ROOT="${KB_ROOT:-.}"
PY=/usr/bin/python3
TRUTH_PY="$ROOT/scripts/dedup_truth.py"
if [ ! -f "$CORPUS" ]; then
    echo "skipped: $CORPUS not found"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
if [ ! -x "$BIN/bench_dedup" ] || [ ! -x "$BIN/khabar" ]; then
    echo "skipped: $BIN/bench_dedup or $BIN/khabar not built"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
OUT="$BIN/dedup-eval"
mkdir -p "$OUT"
pass=0 fail=0

if [ ! -s "$OUT/truth.tsv" ] || [ "$TRUTH_PY" -nt "$OUT/truth.tsv" ]; then
    echo "computing the truth (brute force, once)..."
    nice -n 10 $PY "$TRUTH_PY" truth "$CORPUS" "$OUT/truth.tsv.tmp" && mv "$OUT/truth.tsv.tmp" "$OUT/truth.tsv"
fi
if [ ! -s "$OUT/truth.tsv" ]; then
    echo "FAIL: no truth"
    echo "0 passed, 1 failed"
    exit 1
fi

check() { # name, command...
    name=$1
    shift
    if "$@" >"$OUT/$name.log" 2>&1; then
        pass=$((pass + 1))
        echo "ok   $name: $(grep '^gate: recall' "$OUT/$name.log" | sed 's/^gate: //')"
    else
        fail=$((fail + 1))
        echo "FAIL $name"
        tail -n 30 "$OUT/$name.log"
    fi
}

score() { # pairs, clusters, extra...
    p=$1 c=$2
    shift 2
    nice -n 10 $PY "$TRUTH_PY" score "$CORPUS" "$OUT/truth.tsv" "$p" "$c" --gate "$@"
}

cli_run() {
    nice -n 10 "$BIN/khabar" dups --format pairs "$CORPUS" >"$OUT/cli-pairs.tsv" &&
        score "$OUT/cli-pairs.tsv" -
}
check cli-stream cli_run

bench_run() { # label, bench options...
    label=$1
    shift
    nice -n 10 "$BIN/bench_dedup" --repeat 1 --sample 10 "$@" --pairs "$OUT/$label-pairs.tsv" \
        --clusters "$OUT/$label-clusters.tsv" --counts "$OUT/$label-counts.tsv" "$CORPUS" &&
        score "$OUT/$label-pairs.tsv" "$OUT/$label-clusters.tsv" --counts "$OUT/$label-counts.tsv"
}
check exact bench_run exact
check estimate bench_run estimate --estimate-only

if [ "${KB_DEDUP_SWEEP:-0}" = 1 ]; then
    for mode in exact estimate; do
        for t in 0.5 0.6 0.7 0.8 0.9; do
            opt=""
            [ $mode = estimate ] && opt=--estimate-only
            nice -n 10 "$BIN/bench_dedup" --repeat 1 --sample 10 --threshold $t $opt \
                --pairs "$OUT/sweep.tsv" --clusters "$OUT/sweep-c.tsv" "$CORPUS" >/dev/null
            printf '%s ' "$mode"
            nice -n 10 $PY "$TRUTH_PY" score "$CORPUS" "$OUT/truth.tsv" "$OUT/sweep.tsv" \
                "$OUT/sweep-c.tsv" --at $t | grep '^at '
        done
    done
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
