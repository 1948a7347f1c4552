#!/usr/bin/python3
"""serve_prep.py — inputs of bench/load_serve.sh, made from the saudinewsnet corpus.

usage: serve_prep.py CORPUS.jsonl.zst OUTDIR [HELD_OUT]

Writes into OUTDIR (git-ignored, under bench/out/):
  base.jsonl      every article but the last HELD_OUT (default 1,030), as khabar reads JSONL:
                  id (sn-N), source, url, date (YYYY-MM-DD of date_extracted), title, body
  held/NNN.jsonl  the held-out articles in batches of 10: what the writer POSTs during a run
  queries.txt     800 search paths, 200 of each kind, drawn with a fixed seed from corpus titles
                  (not picked by hand): one word; two words (AND); "w1 OR w2"; a two-word phrase
                  of consecutive title words. Words have at least 3 letters and are not stopwords.
"""
import json
import os
import random
import re
import subprocess
import sys
import urllib.parse

corpus, out = sys.argv[1], sys.argv[2]
held_n = int(sys.argv[3]) if len(sys.argv) > 3 else 1030
os.makedirs(os.path.join(out, "held"), exist_ok=True)

stop = set()
sw = os.path.join(os.path.dirname(corpus), "..", "eval", "stopwords", "mohataher.txt")
if os.path.exists(sw):
    stop = {w.strip() for w in open(sw, encoding="utf-8") if w.strip()}

raw = subprocess.run(["zstdcat", corpus], check=True, capture_output=True).stdout.decode("utf-8")
docs = []
for i, line in enumerate(raw.splitlines()):
    if not line.strip():
        continue
    r = json.loads(line)
    docs.append({"id": "sn-%d" % i, "source": r.get("source", ""), "url": r.get("url", ""),
                 "date": (r.get("date_extracted") or "")[:10], "title": r.get("title", ""),
                 "body": r.get("content", "")})
base, held = docs[:-held_n], docs[-held_n:]
with open(os.path.join(out, "base.jsonl"), "w", encoding="utf-8") as f:
    for d in base:
        f.write(json.dumps(d, ensure_ascii=False) + "\n")
for k in range(0, len(held), 10):
    with open(os.path.join(out, "held", "%03d.jsonl" % (k // 10)), "w", encoding="utf-8") as f:
        for d in held[k:k + 10]:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")

word = re.compile(r"[\u0621-\u064A]{3,}")
rng = random.Random(20150721)
titles = [d["title"] for d in base if d["title"]]
def words(t):
    return [w for w in word.findall(t) if w not in stop]
kinds = {"term": [], "and": [], "or": [], "phrase": []}
while min(len(v) for v in kinds.values()) < 200:
    w = words(rng.choice(titles))
    if len(w) < 2:
        continue
    a, b = rng.sample(w, 2)
    if len(kinds["term"]) < 200:
        kinds["term"].append(a)
    elif len(kinds["and"]) < 200:
        kinds["and"].append(a + " " + b)
    elif len(kinds["or"]) < 200:
        kinds["or"].append(a + " OR " + b)
    else:
        # consecutive words of the title, for a phrase that exists
        ws = word.findall(rng.choice(titles))
        if len(ws) >= 2:
            j = rng.randrange(len(ws) - 1)
            kinds["phrase"].append('"%s %s"' % (ws[j], ws[j + 1]))
mix = []
for i in range(200):
    for k in ("term", "and", "or", "phrase"):
        mix.append(kinds[k][i])
with open(os.path.join(out, "queries.txt"), "w", encoding="utf-8") as f:
    for q in mix:
        f.write("/api/search?q=" + urllib.parse.quote(q, safe="") + "&limit=10\n")
print("base %d, held %d in %d batches, queries %d" % (len(base), len(held), (len(held) + 9) // 10, len(mix)))
