#!/usr/bin/python3
"""pud_sentences.py — sentence splitting against the Arabic PUD documents.

    /usr/bin/python3 scripts/pud_sentences.py KHABAR SHARED_DIR

ud-pud/pud_docs_sentence_split_gold.tsv joins each document's gold sentences with single spaces.
Each document goes through `khabar analyze --format jsonl`; a boundary is the byte offset where a
sentence starts (the first excepted). Prints boundary precision, recall and F1, and the share of
documents split exactly right. PUD has few sentences per document, most ending in "." — an easy
set; the test guards against regressions (numbers, initials, abbreviations): it fails below
F1 = 98% (measured: 99.5%).
"""
import json
import os
import subprocess
import sys


def main():
    khabar, shared = sys.argv[1], sys.argv[2]
    path = os.path.join(shared, "eval", "ud-pud", "pud_docs_sentence_split_gold.tsv")
    docs = []
    with open(path, encoding="utf-8") as f:
        next(f)
        for line in f:
            doc, n, text, gold = line.rstrip("\n").split("\t")
            sents = gold.split("\u2029")
            b, off, starts = text.encode("utf-8"), 0, set()
            for i, s in enumerate(sents):
                at = b.find(s.encode("utf-8"), off)
                if at < 0:
                    break
                if i:
                    starts.add(at)
                off = at + len(s.encode("utf-8"))
            docs.append((doc, b, starts))
    tp = fp = fn = exact = 0
    for doc, b, gold in docs:
        out = subprocess.run([khabar, "analyze", "--format", "jsonl", "--stemmer", "none"],
                             input=b, stdout=subprocess.PIPE, check=True).stdout
        mine = set()
        for line in out.splitlines():
            t = json.loads(line)
            if "sentence" in t["flags"] and t["sentence"] > 0:
                mine.add(t["start"])
        # a gold boundary may fall on an opening quote: khabar's token starts after it
        matched = {g for g in gold if any(0 <= m - g <= 4 for m in mine)}
        tp += len(matched)
        fn += len(gold) - len(matched)
        fp += len([m for m in mine if not any(0 <= m - g <= 4 for g in gold)])
        exact += len(matched) == len(gold) and len(mine) == len(gold)
    p = 100.0 * tp / max(tp + fp, 1)
    r = 100.0 * tp / max(tp + fn, 1)
    print("PUD documents: %d; sentence boundaries: precision %.1f%%, recall %.1f%%, F1 %.1f%%; "
          "documents split exactly: %.1f%%" % (len(docs), p, r, 2 * p * r / max(p + r, 1e-9),
                                               100.0 * exact / max(len(docs), 1)))
    ok = 2 * p * r / max(p + r, 1e-9) >= THRESHOLD
    print("%d passed, %d failed" % (ok, not ok))
    return 0 if ok else 1


THRESHOLD = 98.0

if __name__ == "__main__":
    sys.exit(main())
