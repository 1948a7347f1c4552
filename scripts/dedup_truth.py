#!/usr/bin/python3
"""dedup_truth.py — brute-force ground truth for khabar's duplicate detection, and its scoring.

  dedup_truth.py truth CORPUS.jsonl[.zst] OUT.tsv [--min J]
      Exact Jaccard of 5-word shingle sets for every pair of records with J >= --min (default 0.5),
      written as "a<TAB>b<TAB>J" (a < b: 0-based record numbers = line numbers - 1).
  dedup_truth.py score CORPUS TRUTH.tsv PAIRS.tsv CLUSTERS.tsv|- [--counts COUNTS.tsv] [--gate]
                [--at T]
      Scores khabar's pairs ("a b sim kind", from bench_dedup --pairs) and clusters ("doc rep",
      from bench_dedup --clusters) against the truth. With --gate, exits 1 unless recall of pairs
      with J >= 0.8 is >= 0.95 and >= 98% of the Jaccard pairs khabar reports have true J >= 0.6.
      --counts (bench_dedup --counts) checks that both folds give the same shingle counts.
      CLUSTERS "-" derives the clusters from the pairs (connected components).
      --at T adds one summary line for a run at threshold T: precision (share of reported Jaccard
      pairs with true J >= T) and recall (share of truth pairs with J >= T reported).

The text of a record is its title and its body (the first of body, text, content), folded exactly
as src/dedup.c folds it (keep the two in step): presentation forms decomposed (NFKD); marks and
format controls dropped; tatweel dropped; alef forms -> ا, ى ی ئ -> ي, ة ە ۀ -> ه, ؤ -> و, ک -> ك;
Arabic-Indic and Eastern digits -> ASCII; ASCII lower-cased; any other character that is not a
letter or a digit separates words. Shingles are runs of 5 words (a shorter text is one shingle).

Brute force, made tractable the standard exact way (prefix filtering, "All-Pairs"): shingles are
ordered by rising document frequency; a pair with J >= t must share one of the first
|X| - ceil(t|X|) + 1 shingles of each side, so an inverted index over those prefixes finds every
such pair; each candidate's J is then computed exactly from the full sets. Nothing is estimated.
"""
import json
import math
import subprocess
import sys
import unicodedata
from collections import defaultdict

SHINGLE = 5

SPECIAL = {
    0x0622: 0x0627, 0x0623: 0x0627, 0x0625: 0x0627, 0x0671: 0x0627,
    0x0649: 0x064A, 0x06CC: 0x064A, 0x0626: 0x064A,
    0x0629: 0x0647, 0x06D5: 0x0647, 0x06C0: 0x0647,
    0x0624: 0x0648, 0x06A9: 0x0643,
}


def by_category(ch):
    cat = unicodedata.category(ch)
    if cat[0] in "LN":
        return ch
    if cat[0] == "M" or cat == "Cf":
        return ""
    return " "


def fold_one(cp):
    """The fold of one code point that is not a presentation form."""
    if cp < 0x700:
        if cp in SPECIAL:
            return chr(SPECIAL[cp])
        if cp == 0x0640:
            return ""
        if 0x0660 <= cp <= 0x0669:
            return chr(0x30 + cp - 0x0660)
        if 0x06F0 <= cp <= 0x06F9:
            return chr(0x30 + cp - 0x06F0)
        if 0x41 <= cp <= 0x5A:
            return chr(cp + 32)
    return by_category(chr(cp))


class FoldTable(dict):
    """A str.translate table filled on first use of each code point."""

    def __missing__(self, cp):
        if 0xFB50 <= cp <= 0xFDFF or 0xFE70 <= cp <= 0xFEFC:
            v = "".join(fold_one(ord(c)) for c in unicodedata.normalize("NFKD", chr(cp)))
        else:
            v = fold_one(cp)
        self[cp] = v
        return v


FOLD = FoldTable()


def words(text):
    return text.translate(FOLD).split(" ")


def shingles(title, body):
    w = [x for x in words(title) if x] + [x for x in words(body) if x]
    if not w:
        return frozenset()
    k = min(SHINGLE, len(w))
    return frozenset(hash(" ".join(w[i:i + k])) for i in range(len(w) - k + 1))


def read_corpus(path):
    cmd = ["zstdcat", path] if path.endswith(".zst") else ["cat", path]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE).stdout
    sets = []
    for line in out.decode("utf-8").split("\n"):
        if not line.strip():
            continue
        r = json.loads(line)
        body = r.get("body") or r.get("text") or r.get("content") or ""
        sets.append(shingles(r.get("title") or "", body))
    return sets


def jaccard(a, b):
    if not a or not b:
        return 0.0
    i = len(a & b)
    return i / (len(a) + len(b) - i)


def containment(a, b):
    small, big = (a, b) if len(a) <= len(b) else (b, a)
    return len(small & big) / len(small) if small else 0.0


def truth(sets, t):
    df = defaultdict(int)
    for s in sets:
        for x in s:
            df[x] += 1
    index = defaultdict(list)  # prefix shingle -> documents
    pairs = []
    order = sorted(range(len(sets)), key=lambda i: len(sets[i]))  # by size: size filter works
    for i in order:
        s = sets[i]
        if not s:
            continue
        toks = sorted(s, key=lambda x: (df[x], x))
        p = len(toks) - math.ceil(t * len(toks)) + 1
        seen = set()
        for x in toks[:p]:
            for j in index[x]:
                if j in seen:
                    continue
                seen.add(j)
                # sizes only grow along `order`: |s_j| <= |s|, so J >= t needs |s_j| >= t|s|.
                if len(sets[j]) < t * len(s):
                    continue
                jac = jaccard(s, sets[j])
                if jac >= t:
                    pairs.append((min(i, j), max(i, j), jac))
            index[x].append(i)
    pairs.sort()
    return pairs


def load_pairs(path):
    out = []
    with open(path) as f:
        for line in f:
            p = line.split("\t")
            if len(p) >= 2:
                out.append((int(p[0]), int(p[1]), float(p[2]) if len(p) > 2 else 0.0,
                            p[3].strip() if len(p) > 3 else "jaccard"))
    return out


def check_counts(sets, path):
    with open(path) as f:
        counts = [int(line.split("\t")[1]) for line in f]
    same = sum(1 for s, c in zip(sets, counts) if len(s) == c)
    print("fold agreement: %d of %d documents have the same distinct shingle count in C and "
          "Python (%.4f)" % (same, len(sets), same / max(1, len(sets))))
    return len(counts) == len(sets) and same >= 0.99 * len(sets)


def score(sets, truth_path, pairs_path, clusters_path, gate, counts_path=None, at=None):
    tru = {}
    with open(truth_path) as f:
        for line in f:
            a, b, j = line.split("\t")
            tru[(int(a), int(b))] = float(j)
    reported = load_pairs(pairs_path)
    rep = {}
    if clusters_path == "-":
        parent = {}

        def find(x):
            while parent.setdefault(x, x) != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x
        for a, b, _, _ in reported:
            parent[find(a)] = find(b)
        rep = {x: find(x) for x in list(parent)}
    else:
        with open(clusters_path) as f:
            for line in f:
                d, r = line.split("\t")
                rep[int(d)] = int(r)
    jac_pairs = [(a, b) for a, b, _, kind in reported if kind != "containment"]
    con_pairs = [(a, b) for a, b, _, kind in reported if kind == "containment"]
    pair_set = set((a, b) for a, b, _, _ in reported)
    true_j = {(a, b): tru.get((a, b)) or jaccard(sets[a], sets[b]) for a, b in pair_set}

    print("documents %d; truth pairs with J >= 0.5: %d; khabar pairs: %d (%d by Jaccard, %d by "
          "containment)" % (len(sets), len(tru), len(reported), len(jac_pairs), len(con_pairs)))
    print()
    print("| true J at least | truth pairs | found as a pair | recall (pairs) "
          "| in one cluster | recall (clusters) |")
    print("|---|---|---|---|---|---|")
    recall = {}
    for t in (0.5, 0.6, 0.7, 0.8, 0.9, 1.0):
        ps = [p for p, j in tru.items() if j >= t - 1e-12]
        found = sum(1 for p in ps if p in pair_set)
        together = sum(1 for a, b in ps if a in rep and rep.get(a) == rep.get(b))
        n = len(ps)
        recall[t] = (found / n if n else 1.0, together / n if n else 1.0)
        print("| %.1f | %d | %d | %.4f | %d | %.4f |" % (t, n, found, recall[t][0], together,
                                                      recall[t][1]))
    print()
    print("| reported by Jaccard: true J at least | pairs | share |")
    print("|---|---|---|")
    prec = {}
    for t in (0.5, 0.6, 0.7, 0.8):
        ok = sum(1 for p in jac_pairs if true_j[p] >= t - 1e-12)
        prec[t] = ok / len(jac_pairs) if jac_pairs else 1.0
        print("| %.1f | %d of %d | %.4f |" % (t, ok, len(jac_pairs), prec[t]))
    if con_pairs:
        cs = [containment(sets[a], sets[b]) for a, b in con_pairs]
        ok = sum(1 for c in cs if c >= 0.8)
        print()
        print("containment pairs: %d; true containment >= 0.8: %d (%.4f); median true J %.3f" %
              (len(con_pairs), ok, ok / len(cs), sorted(true_j[p] for p in con_pairs)[len(cs) // 2]))
    if at is not None:
        ps = [p for p, j in tru.items() if j >= at - 1e-12]
        ok = sum(1 for p in jac_pairs if true_j[p] >= at - 1e-12)
        found = sum(1 for p in ps if p in pair_set)
        together = sum(1 for a, b in ps if a in rep and rep.get(a) == rep.get(b))
        print("at %.2f: reported %d (+%d by containment); precision %.4f; recall %.4f (pairs), "
              "%.4f (clusters)" % (at, len(jac_pairs), len(con_pairs),
                                   ok / len(jac_pairs) if jac_pairs else 1.0,
                                   found / len(ps) if ps else 1.0,
                                   together / len(ps) if ps else 1.0))
    folds_agree = check_counts(sets, counts_path) if counts_path else True
    r08 = recall[0.8][0]
    p06 = prec[0.6]
    print()
    print("gate: recall of pairs with J >= 0.8 = %.4f (need >= 0.95); reported Jaccard pairs with "
          "true J >= 0.6 = %.4f (need >= 0.98)" % (r08, p06))
    ok = r08 >= 0.95 and p06 >= 0.98 and folds_agree
    print("gate: %s" % ("PASS" if ok else "FAIL"))
    return 0 if ok or not gate else 1


def main(argv):
    if len(argv) >= 4 and argv[1] == "truth":
        t = float(argv[argv.index("--min") + 1]) if "--min" in argv else 0.5
        sets = read_corpus(argv[2])
        pairs = truth(sets, t)
        with open(argv[3], "w") as f:
            for a, b, j in pairs:
                f.write("%d\t%d\t%.6f\n" % (a, b, j))
        print("documents %d, pairs with J >= %.2f: %d" % (len(sets), t, len(pairs)))
        return 0
    if len(argv) >= 6 and argv[1] == "score":
        sets = read_corpus(argv[2])
        counts = argv[argv.index("--counts") + 1] if "--counts" in argv else None
        at = float(argv[argv.index("--at") + 1]) if "--at" in argv else None
        return score(sets, argv[3], argv[4], argv[5], "--gate" in argv, counts, at)
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
