#!/usr/bin/python3
"""pud_tokenize.py — tokenization agreement with the Arabic PUD treebank (issue 2, must-hold 4).

    /usr/bin/python3 scripts/pud_tokenize.py KHABAR SHARED_DIR [--show N]

The gold orthographic words come from ud-pud/pud_tokens.tsv: PUD splits clitics into syntactic
words (ل + أوباما, نشرت + ها) glued by space_after = 0; an orthographic word is a maximal run of
such glued tokens, punctuation and symbols (PUNCT, SYM) excepted, which separate. Each sentence
of pud_sentences.tsv is given to `khabar analyze --format jsonl` (one sentence a line) and each
gold word is located in the sentence text by its byte span. A gold word agrees when khabar
produced a token with exactly its span. Prints recall (the measure asked for), precision, the
first disagreements, and a final "N passed, N failed" line: 1 passed when recall >= 99.5%.
"""
import collections
import json
import os
import subprocess
import sys

THRESHOLD = 99.5


def main():
    khabar, shared = sys.argv[1], sys.argv[2]
    show = int(sys.argv[sys.argv.index("--show") + 1]) if "--show" in sys.argv else 15
    pud = os.path.join(shared, "eval", "ud-pud")
    sentences = collections.OrderedDict()
    with open(os.path.join(pud, "pud_sentences.tsv"), encoding="utf-8") as f:
        next(f)
        for line in f:
            doc, sid, text = line.rstrip("\n").split("\t", 2)
            sentences[sid] = text
    toks = collections.defaultdict(list)
    with open(os.path.join(pud, "pud_tokens.tsv"), encoding="utf-8") as f:
        next(f)
        for line in f:
            sid, tid, form, lemma, upos, space = line.rstrip("\n").split("\t")
            toks[sid].append((form, upos, space == "1"))

    # Gold word spans, in bytes of the sentence text.
    gold = {}
    unlocated = 0
    for sid, text in sentences.items():
        b = text.encode("utf-8")
        pos, spans, cur, glued = 0, [], None, False
        for form, upos, space in toks[sid]:
            fb = form.encode("utf-8")
            at = b.find(fb, pos)
            if at < 0:
                unlocated += 1
                cur, glued = None, False
                continue
            pos = at + len(fb)
            if upos in ("PUNCT", "SYM"):
                if cur:
                    spans.append(cur)
                cur, glued = None, False
                continue
            if cur and glued and at == cur[1]:
                cur = (cur[0], pos)
            else:
                if cur:
                    spans.append(cur)
                cur = (at, pos)
            glued = not space
        if cur:
            spans.append(cur)
        gold[sid] = spans

    # khabar's tokens, one sentence a line.
    ids = list(sentences)
    data = "\n".join(sentences[s] for s in ids).encode("utf-8")
    starts, off = [], 0
    for s in ids:
        starts.append(off)
        off += len(sentences[s].encode("utf-8")) + 1
    out = subprocess.run([khabar, "analyze", "--format", "jsonl", "--stemmer", "none"],
                         input=data, stdout=subprocess.PIPE, check=True).stdout
    mine = collections.defaultdict(set)
    import bisect
    for line in out.splitlines():
        t = json.loads(line)
        i = bisect.bisect_right(starts, t["start"]) - 1
        mine[ids[i]].add((t["start"] - starts[i], t["end"] - starts[i]))

    n_gold = n_ok = n_mine = 0
    bad = []
    for sid in ids:
        g = set(gold[sid])
        n_gold += len(g)
        n_mine += len(mine[sid])
        n_ok += len(g & mine[sid])
        b = sentences[sid].encode("utf-8")
        for s in sorted(g - mine[sid]):
            bad.append((sid, b[s[0]:s[1]].decode("utf-8", "replace"),
                        [b[x:y].decode("utf-8", "replace") for x, y in sorted(mine[sid])
                         if x < s[1] and y > s[0]]))
    recall = 100.0 * n_ok / max(n_gold, 1)
    precision = 100.0 * n_ok / max(n_mine, 1)
    print("PUD Arabic: %d sentences, %d gold orthographic words (%d tokens not located)"
          % (len(ids), n_gold, unlocated))
    print("agreement (gold words khabar tokenizes exactly): %.3f%%  [%d/%d]" % (recall, n_ok, n_gold))
    print("precision (khabar tokens that are gold words):   %.3f%%  [%d/%d]" % (precision, n_ok, n_mine))
    for sid, word, got in bad[:show]:
        print("  %s  gold %s  khabar %s" % (sid, word, " | ".join(got) or "(none)"))
    ok = recall >= THRESHOLD
    print("%d passed, %d failed" % (1 if ok else 0, 0 if ok else 1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
