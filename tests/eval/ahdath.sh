#!/bin/sh
# tests/eval/ahdath.sh — in-document boilerplate on ahdath.json (a Moroccan site, scraped as a list
# of paragraphs per article: the masthead "AHDATH.INFO…" first, agency tags such as "و م ع",
# empty and whitespace-only paragraphs).
#
# Each non-empty entry becomes one JSONL record (paragraphs joined by newlines; no title, as
# scraped) and goes through `khabar clean`. Checks:
#   1. in at least 98% of the articles no masthead, agency-tag or empty paragraph is left in the
#      article (title, captions, blocks);
#   2. in the first 100 articles, no real paragraph is lost: every paragraph of 4 or more words
#      that is not a masthead/agency line is in the article word for word (after whitespace
#      tidying), and the short drops are listed for review (docs/cleaning.md records the review).
set -u
SHARED=${KB_SHARED:-$(dirname "$0")/../../../shared}
KHABAR=${KHABAR:-$(dirname "$0")/../../build/khabar}
SRC=$SHARED/corpus/ahdath.json
if [ ! -f "$SRC" ]; then
    echo "skipped: $SRC not found"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
TMP=${TMPDIR:-/tmp}/kb-ahdath.$$
trap 'rm -f "$TMP.in.jsonl" "$TMP.out"' EXIT INT TERM
/usr/bin/python3 - "$SRC" "$TMP.in.jsonl" <<'PY'
import json, sys
data = json.load(open(sys.argv[1], encoding='utf-8'))
with open(sys.argv[2], 'w', encoding='utf-8') as f:
    for i, e in enumerate(data):
        if e.get('content'):
            f.write(json.dumps({'id': 'ahdath-%d' % i, 'source': 'ahdath',
                                'body': '\n'.join(e['content'])}, ensure_ascii=False) + '\n')
PY
"$KHABAR" clean -q "$TMP.in.jsonl" >"$TMP.out" || {
    echo "khabar clean failed"
    echo "0 passed, 1 failed"
    exit 1
}
/usr/bin/python3 - "$SRC" "$TMP.out" "${AHDATH_REVIEW:-}" <<'PY'
import json, re, sys
data = json.load(open(sys.argv[1], encoding='utf-8'))
out = {a['id']: a for a in map(json.loads, open(sys.argv[2], encoding='utf-8'))}
review = sys.argv[3]
import unicodedata
# what display repair removes or rewrites (tatweel, bidi and zero-width controls, BOM, soft
# hyphen; presentation forms to letters), then whitespace tidied: the article's text must equal
# the paragraph up to these
DROP = re.compile('[\u0640\u061c\u00ad\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]')
PRES = re.compile('[\ufb50-\ufdff\ufe70-\ufefc]')
def tidy(s):
    s = PRES.sub(lambda m: unicodedata.normalize('NFKC', m.group()), DROP.sub('', s))
    return ' '.join(s.split())
def boiler(p):
    t = tidy(p)
    if not re.search(r'\w', t):
        return 'empty'
    if re.match(r'(?i)ahdath', t):
        return 'masthead'
    if re.fullmatch(r'[\W_]*و\s*م\s*ع[\W_]*', t):
        return 'agency'
    return None
articles = clean_ok = 0
lost = []
short_drops = []
left = []
checked = 0
for i, e in enumerate(data):
    if not e.get('content'):
        continue
    a = out.get('ahdath-%d' % i)
    if a is None:
        lost.append(('ahdath-%d' % i, '(article missing)'))
        continue
    articles += 1
    kept = [a['title']] + a['captions'] + [b['text'] for b in a['blocks']]
    keptset = set(kept)
    bad = [p for p in e['content'] if boiler(p) and tidy(p) and tidy(p) in keptset]
    if not bad:
        clean_ok += 1
    else:
        left.append((a['id'], bad[0][:60]))
    if checked < 100:
        checked += 1
        for p in e['content']:
            t = tidy(p)
            if not t or boiler(p):
                continue
            # a paragraph may be split only by the scraper's own newlines
            pieces = [tidy(x) for x in p.split('\n') if tidy(x)]
            for x in pieces:
                if x in keptset:
                    continue
                if len(x.split()) >= 4:
                    lost.append((a['id'], x[:80]))
                else:
                    short_drops.append((a['id'], x))
        if review:
            with open(review, 'a', encoding='utf-8') as f:
                for d in a['dropped']:
                    f.write('%s\t%s\t%s\n' % (a['id'], d['reason'], d['text']))
share = clean_ok / max(1, articles)
print('articles: %d; boilerplate-free: %d (%.1f%%)' % (articles, clean_ok, 100 * share))
print('sample of %d articles: %d real paragraphs lost, %d short lines dropped' %
      (checked, len(lost), len(short_drops)))
for x in left[:10]:
    print('boilerplate left:', *x)
for x in lost[:20]:
    print('LOST', *x)
for x in short_drops:
    print('short drop:', *x)
passed = failed = 0
if share >= 0.98: passed += 1
else: failed += 1; print('FAIL boilerplate left in %.1f%% of articles' % (100 - 100 * share))
if not lost: passed += 1
else: failed += 1; print('FAIL %d real paragraphs lost' % len(lost))
print('%d passed, %d failed' % (passed, failed))
sys.exit(1 if failed else 0)
PY
