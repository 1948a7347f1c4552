#!/usr/bin/python3
"""make_queries.py — benchmark queries drawn from corpus titles, not hand-picked.

usage: make_queries.py [--n N] [--seed S] [--stopwords FILE] OUTDIR FILE.jsonl.zst...

Reads every title of the corpus files, then with a fixed seed draws N queries of each kind:
  single   one word of a random title
  and      two different words of the same random title (every word must match)
  or       two different words of the same random title, either may match
  phrase   two neighbouring words of a random title, as a phrase
A "word" is a run of Arabic letters (Unicode \\w without digits or Latin), 3 or more
characters, not a stopword (the list in --stopwords, one word a line, when given) — so the
queries are about content, as a reader's would be. Diacritics and tatweel are dropped from the
query words (every engine gets the same plain words).

Writes OUTDIR/words-KIND.tsv (one query a line: its words, tab-separated), the neutral form each
benchmark driver turns into its own engine's syntax, and OUTDIR/khabar-KIND.txt in khabar's
query language (a b · a OR b · "a b").
"""
import argparse
import json
import os
import random
import re
import subprocess

ARABIC_WORD = re.compile(r"[\u0621-\u064A\u0671-\u06D3]+")
MARKS = re.compile(r"[\u064B-\u065F\u0670\u0640]")


def titles(paths):
    for p in paths:
        proc = subprocess.Popen(["zstdcat", p], stdout=subprocess.PIPE)
        for line in proc.stdout:
            try:
                t = json.loads(line).get("title") or ""
            except ValueError:
                continue
            if t:
                yield t
        proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=20150701)
    ap.add_argument("--stopwords")
    ap.add_argument("outdir")
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    stop = set()
    if a.stopwords and os.path.exists(a.stopwords):
        with open(a.stopwords, encoding="utf-8") as f:
            stop = {MARKS.sub("", w.strip()) for w in f if w.strip()}
    # each title as its list of words, with None where a stopword or short word broke the run
    # (so "neighbouring" means neighbouring in the title)
    tw = []
    for t in titles(a.files):
        ws = []
        for w in ARABIC_WORD.findall(MARKS.sub("", t)):
            ws.append(w if len(w) >= 3 and w not in stop else None)
        if sum(1 for w in ws if w) >= 2:
            tw.append(ws)
    rnd = random.Random(a.seed)
    out = {"single": [], "and": [], "or": [], "phrase": []}
    guard = 0
    while min(len(v) for v in out.values()) < a.n and guard < 100 * a.n:
        guard += 1
        ws = rnd.choice(tw)
        content = [w for w in ws if w]
        kind = rnd.choice([k for k, v in out.items() if len(v) < a.n])
        if kind == "single":
            q = [rnd.choice(content)]
        elif kind in ("and", "or"):
            x, y = rnd.sample(range(len(content)), 2)
            if content[x] == content[y]:
                continue
            q = [content[x], content[y]]
        else:
            pairs = [(ws[i], ws[i + 1]) for i in range(len(ws) - 1) if ws[i] and ws[i + 1]]
            if not pairs:
                continue
            q = list(rnd.choice(pairs))
        out[kind].append(q)
    os.makedirs(a.outdir, exist_ok=True)
    for kind, qs in out.items():
        with open(os.path.join(a.outdir, "words-%s.tsv" % kind), "w", encoding="utf-8") as f:
            for q in qs:
                f.write("\t".join(q) + "\n")
        with open(os.path.join(a.outdir, "khabar-%s.txt" % kind), "w", encoding="utf-8") as f:
            for q in qs:
                if kind == "or":
                    f.write("%s OR %s\n" % (q[0], q[1]))
                elif kind == "phrase":
                    f.write('"%s %s"\n' % (q[0], q[1]))
                else:
                    f.write(" ".join(q) + "\n")
    print("queries: %s from %d titles" % (", ".join("%d %s" % (len(v), k) for k, v in out.items()),
                                          len(tw)))


if __name__ == "__main__":
    main()
