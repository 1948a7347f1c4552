#!/usr/bin/python3
"""check.py — the golden stem pairs (issue 2, must-hold 3).

    /usr/bin/python3 tests/golden/stems/check.py KHABAR [PAIRS]

pairs.tsv holds word1<TAB>word2<TAB>merge|split<TAB>reason, written from the vocabulary of the
news corpora: `merge` pairs must get the same stem, `split` pairs different stems. Every word
goes through `khabar analyze --format jsonl` once per stemmer mode (light, snowball); the stem of
a word is the stem of its first token. Prints the pass counts of both modes side by side and each
light failure; the final "N passed, N failed" line counts the light pairs only — snowball is
reported for comparison, not asserted.
"""
import json
import os
import subprocess
import sys


def stems(khabar, words, mode):
    data = "\n".join(words).encode("utf-8") + b"\n"
    starts, off = [], 0
    for w in words:
        starts.append(off)
        off += len(w.encode("utf-8")) + 1
    out = subprocess.run([khabar, "analyze", "--format", "jsonl", "--stemmer", mode],
                         input=data, stdout=subprocess.PIPE, check=True).stdout
    import bisect
    got = {}
    for line in out.splitlines():
        t = json.loads(line)
        i = bisect.bisect_right(starts, t["start"]) - 1
        got.setdefault(i, t["stem"])
    return {w: got.get(i, "") for i, w in enumerate(words)}


def main():
    khabar = sys.argv[1]
    path = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "pairs.tsv")
    pairs = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) != 4 or cols[2] not in ("merge", "split") or not cols[3]:
                print("pairs.tsv:%d: malformed line" % n)
                print("0 passed, 1 failed")
                return 1
            pairs.append(cols)
    words = sorted({w for p in pairs for w in p[:2]})
    result = {}
    for mode in ("light", "snowball"):
        st = stems(khabar, words, mode)
        ok = [(st[a] == st[b]) == (kind == "merge") for a, b, kind, _ in pairs]
        result[mode] = (st, ok)
    n_merge = sum(1 for p in pairs if p[2] == "merge")
    print("%d pairs (%d merge, %d split), %d distinct words" % (len(pairs), n_merge,
                                                               len(pairs) - n_merge, len(words)))
    print("%-9s %8s %8s %8s" % ("stemmer", "merge", "split", "all"))
    for mode in ("light", "snowball"):
        st, ok = result[mode]
        m = sum(o for o, p in zip(ok, pairs) if p[2] == "merge")
        s = sum(o for o, p in zip(ok, pairs) if p[2] == "split")
        print("%-9s %4d/%-3d %4d/%-3d %4d/%-3d" % (mode, m, n_merge, s, len(pairs) - n_merge,
                                                  m + s, len(pairs)))
    st, ok = result["light"]
    fails = 0
    for o, (a, b, kind, reason) in zip(ok, pairs):
        if not o:
            fails += 1
            print("FAIL light %s: %s → %s, %s → %s (%s)" % (kind, a, st[a], b, st[b], reason))
    print("%d passed, %d failed" % (len(pairs) - fails, fails))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
