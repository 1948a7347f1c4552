#!/bin/sh
# tests/eval/arcd.sh — ARCD retrieval quality: khabar against SQLite FTS5 and Xapian in one run
# (scripts/eval_arcd.py says how each engine is asked). Passes when khabar's MRR@10 and
# Recall@100 are above every peer's, its MRR@10 reaches issue 4's goal of 0.85, and pruned answers
# equal exhaustive ones. Skips without ../shared/eval/arcd.
set -u
ROOT=${KB_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
SHARED=${KB_SHARED:-$ROOT/../shared}
KHABAR=${KHABAR:-$ROOT/build/khabar}
ARCD=$SHARED/eval/arcd
if [ ! -f "$ARCD/corpus.tsv" ]; then
    echo "skipped: $ARCD not found"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kb-arcd.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
engines=khabar,fts5,xapian
if ! /usr/bin/python3 -c 'import xapian' 2>/dev/null; then
    echo "skipped: Xapian peer (python3-xapian is not installed; scripts/install-deps.sh installs it)"
    engines=khabar,fts5
fi
/usr/bin/python3 "$ROOT/scripts/eval_arcd.py" --khabar "$KHABAR" --arcd "$ARCD" --work "$WORK" \
    --engines "$engines" --json "$WORK/result.json" || { echo "0 passed, 1 failed"; exit 1; }
# Pruning must not change the answer: every question's top 10 with dynamic pruning (what a user
# gets) and with exhaustive evaluation (--exact-total) have the same scores, rank by rank.
for m in pruned exact; do
    x=; [ $m = exact ] && x=--exact-total
    "$KHABAR" search --index "$WORK/khabar-index" --queries "$WORK/arcd-queries.txt" --format jsonl \
        --limit 10 --any --no-collapse --ids-only $x >"$WORK/top10-$m.jsonl" || exit 1
done
/usr/bin/python3 - "$WORK/result.json" "$WORK/top10-pruned.jsonl" "$WORK/top10-exact.jsonl" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
passed = failed = 0
scores = [[[round(h["score"], 3) for h in json.loads(l).get("hits", [])] for l in open(f)]
          for f in sys.argv[2:4]]
differ = sum(a != b for a, b in zip(*scores))
ok = differ == 0 and len(scores[0]) == len(scores[1])
print("%s pruned and exhaustive top 10 agree (%d of %d questions differ; equal scores may swap)"
      % ("ok  " if ok else "FAIL", differ, len(scores[1])))
passed += ok
failed += not ok
k = r.get("khabar")
if not k:
    print("FAIL: no khabar result"); print("0 passed, 1 failed"); sys.exit(1)
for peer, s in r.items():
    if peer == "khabar":
        continue
    for m in ("mrr10", "recall100"):
        ok = k[m] > s[m]
        print("%s khabar %s %.4f > %s %.4f" % ("ok  " if ok else "FAIL", m, k[m], peer, s[m]))
        passed += ok
        failed += not ok
# issue 4's goal (0.8543 since the lead signal: docs/search.md; 0.8543 on the held-out halves too)
ok = k["mrr10"] >= 0.85
print("%s khabar mrr10 %.4f >= 0.85, the goal" % ("ok  " if ok else "FAIL", k["mrr10"]))
passed += ok
failed += not ok
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
PY
