#!/bin/sh
# tests/eval/saudinewsnet_drops.sh — cross-document boilerplate on SaudiNewsNet (31,030 articles,
# 14 outlets). Cleans the corpus with line statistics (`khabar clean --stats`), then reports, per
# source, the share of lines dropped (all reasons, and repeated-in-source alone), and the
# precision of a fixed random sample of 200 repeated-in-source drops against the hand labels in
# tests/eval/data/saudinewsnet_sample.tsv (key = first 12 hex digits of sha1("source\tline"), the
# line lightly folded so a change in display repair keeps the labels; the corpus text itself stays
# out of the repository).
#
# Checks: every source's drop share stays under 25% (a runaway rule would eat articles; wire
# dispatches of 8 lines with a dateline and an end marker legitimately lose ~18%), the
# sample is fully labelled, and its precision is at least 0.97.
# SN_SAMPLE_OUT=FILE writes the sample (key, source, line) for labelling.
set -u
SHARED=${KB_SHARED:-$(dirname "$0")/../../../shared}
KHABAR=${KHABAR:-$(dirname "$0")/../../build/khabar}
CORPUS=$SHARED/corpus/saudinewsnet.jsonl.zst
if [ ! -f "$CORPUS" ]; then
    echo "skipped: $CORPUS not found"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
LABELS=$(dirname "$0")/data/saudinewsnet_sample.tsv
TMP=${TMPDIR:-/tmp}/kb-sn.$$
trap 'rm -f "$TMP"' EXIT INT TERM
nice -n 10 "$KHABAR" clean -q --stats --date-field date_extracted "$CORPUS" >"$TMP" || {
    echo "khabar clean failed"
    echo "0 passed, 1 failed"
    exit 1
}
/usr/bin/python3 - "$TMP" "$LABELS" <<'PY'
import collections, hashlib, json, os, random, sys
out, labels_path = sys.argv[1], sys.argv[2]
lines = collections.Counter(); dropped = collections.Counter(); repeated = collections.Counter()
drops = []
for n, l in enumerate(open(out, encoding='utf-8')):
    a = json.loads(l)
    s = a['source']
    lines[s] += len(a['blocks']) + len(a['captions']) + len(a['dropped']) + (1 if a['title'] else 0)
    for d in a['dropped']:
        dropped[s] += 1
        if d['reason'] == 'repeated-in-source':
            repeated[s] += 1
            drops.append((s, d['text'], n))
passed = failed = 0
print('%-13s %8s %8s %7s %9s %7s' % ('source', 'lines', 'dropped', 'share', 'repeated', 'share'))
for s in sorted(lines):
    share = dropped[s] / lines[s]
    print('%-13s %8d %8d %6.2f%% %9d %6.2f%%' % (s, lines[s], dropped[s], 100 * share, repeated[s],
                                               100 * repeated[s] / lines[s]))
    if share < 0.25:
        passed += 1
    else:
        failed += 1
        print('FAIL %s: %.1f%% of lines dropped' % (s, 100 * share))
tot = sum(lines.values())
print('%-13s %8d %8d %6.2f%% %9d %6.2f%%' % ('all', tot, sum(dropped.values()),
      100 * sum(dropped.values()) / tot, len(drops), 100 * len(drops) / tot))
import re
def fold(t):
    # spelling noise that display repair or tidying may change: tatweel, harakat, alef forms,
    # final ya/ta marbuta, spaces (so the labels survive repair changes)
    t = re.sub('[\u0640\u064b-\u065f\u0670]', '', t)
    t = re.sub('[\u0622\u0623\u0625\u0671]', '\u0627', t).replace('\u0649', '\u064a')
    return ' '.join(t.replace('\u0629', '\u0647').split())
key = lambda s, t: hashlib.sha1((s + '\t' + fold(t)).encode()).hexdigest()[:12]
# the draw is made in folded order too, so it does not move when repair changes a line
sample = random.Random(2015).sample(sorted(drops, key=lambda x: (x[0], fold(x[1]), x[2])),
                                    min(200, len(drops)))
if os.environ.get('SN_SAMPLE_OUT'):
    with open(os.environ['SN_SAMPLE_OUT'], 'w', encoding='utf-8') as f:
        for s, t, n in sample:
            f.write('%s\t%s\t%d\t%s\n' % (key(s, t), s, n, t))
labels = {}
if os.path.exists(labels_path):
    for l in open(labels_path, encoding='utf-8'):
        if l.startswith('#') or not l.strip():
            continue
        k, lab = l.rstrip('\n').split('\t')[:2]
        labels[k] = lab
unl = [x for x in sample if key(x[0], x[1]) not in labels]
good = sum(1 for s, t, n in sample if labels.get(key(s, t)) == 'boilerplate')
bad = sum(1 for s, t, n in sample if labels.get(key(s, t)) == 'content')
print('sample: %d drops, %d boilerplate, %d content, %d unlabelled' % (len(sample), good, bad, len(unl)))
if unl:
    failed += 1
    print('FAIL sample has %d unlabelled lines (SN_SAMPLE_OUT=FILE to list them)' % len(unl))
else:
    passed += 1
prec = good / max(1, good + bad)
print('precision of repeated-in-source drops: %.3f' % prec)
if prec >= 0.97 and good + bad:
    passed += 1
else:
    failed += 1
    print('FAIL precision below 0.97')
print('%d passed, %d failed' % (passed, failed))
sys.exit(1 if failed else 0)
PY
