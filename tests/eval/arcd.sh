#!/bin/sh
# tests/eval/arcd.sh — ARCD retrieval quality: khabar against SQLite FTS5 and Xapian in one run
# (scripts/eval_arcd.py says how each engine is asked). Passes when khabar's MRR@10 and
# Recall@100 are above every peer's. Skips without ../shared/eval/arcd.
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
/usr/bin/python3 - "$WORK/result.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
passed = failed = 0
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
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
PY
