#!/usr/bin/python3
"""score_extraction.py — token-level F1 of extracted articles against gold text.

Usage: score_extraction.py GOLD_DIR EXTRACTED_JSONL [--min-each X] [--min-mean Y]

GOLD_DIR holds NAME.txt files, each a TREC <DOC> record whose <TEXT> is the gold article body.
EXTRACTED_JSONL is `khabar clean` output, one article per line; the article whose "id" or "url"
file name matches NAME is compared (the body: its blocks' texts joined; the title is scored
separately and reported, not counted in F1).

Counting follows the article-extraction benchmarks (bag of tokens): tokens are runs of letters
and digits after light normalization (Arabic diacritics and tatweel removed, alef forms unified,
ASCII lower-cased); precision = |extracted ∩ gold| / |extracted|, recall = |∩| / |gold| with
multiset intersection, F1 their harmonic mean. Prints one row per page, then the mean, and exits
1 when a threshold given on the command line is not met.
"""
import json
import os
import re
import sys
from collections import Counter

DIACRITICS = re.compile('[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]')
TOKEN = re.compile(r'\w+', re.UNICODE)


def tokens(text):
    text = DIACRITICS.sub('', text)
    text = re.sub('[\u0622\u0623\u0625\u0671]', '\u0627', text)
    text = text.replace('\u0649', '\u064a').replace('\u0629', '\u0647').lower()
    return [t for t in TOKEN.findall(text) if t != '_']


def f1(extracted, gold):
    e, g = Counter(tokens(extracted)), Counter(tokens(gold))
    common = sum((e & g).values())
    if not common:
        return 0.0, 0.0, 0.0
    p = common / sum(e.values())
    r = common / sum(g.values())
    return p, r, 2 * p * r / (p + r)


def gold_of(path):
    s = open(path, encoding='utf-8').read()
    text = re.search(r'<TEXT>(.*?)</TEXT>', s, re.S)
    title = re.search(r'<TITLE>(.*?)</TITLE>', s, re.S)
    return (text.group(1) if text else ''), (title.group(1).strip() if title else '')


def main():
    args = sys.argv[1:]
    min_each = min_mean = None
    if '--min-each' in args:
        i = args.index('--min-each')
        min_each = float(args[i + 1])
        del args[i:i + 2]
    if '--min-mean' in args:
        i = args.index('--min-mean')
        min_mean = float(args[i + 1])
        del args[i:i + 2]
    gold_dir, extracted = args
    arts = {}
    for line in open(extracted, encoding='utf-8'):
        if not line.strip():
            continue
        a = json.loads(line)
        key = os.path.splitext(os.path.basename(a.get('id') or a.get('url') or ''))[0]
        arts[key] = a
    names = sorted(os.path.splitext(f)[0] for f in os.listdir(gold_dir) if f.endswith('.txt'))
    scores = []
    ok = True
    for name in names:
        gold, gold_title = gold_of(os.path.join(gold_dir, name + '.txt'))
        a = arts.get(name)
        body = '\n'.join(b['text'] for b in a['blocks']) if a else ''
        p, r, f = f1(body, gold)
        t = f1(a.get('title', ''), gold_title)[2] if a else 0.0
        scores.append(f)
        flag = ''
        if min_each is not None and f < min_each:
            ok, flag = False, '  < %.2f' % min_each
        print('%-40s P %.3f  R %.3f  F1 %.3f  title-F1 %.3f%s' % (name, p, r, f, t, flag))
    mean = sum(scores) / len(scores) if scores else 0.0
    print('mean F1 %.3f over %d pages' % (mean, len(scores)))
    if min_mean is not None and mean < min_mean:
        ok = False
        print('mean F1 below %.2f' % min_mean)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
