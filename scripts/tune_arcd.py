#!/usr/bin/python3
"""tune_arcd.py — khabar's ranking parameters on ARCD, with an honest held-out figure.

ARCD is both where the parameters are chosen and where they are measured, so a tuned figure
flatters. This script splits the 1,395 questions in two folds by question id (odd / even),
tunes on one fold by coordinate ascent on MRR@10 (each parameter over a short list of values,
the others held, rounds until nothing improves) and scores the other fold with what it chose,
both ways. It prints, per fold, the tuned values, the training and held-out MRR@10, and the
held-out MRR@10 of the shipped defaults and of a baseline, so the gain of a ranking change can
be read on questions that did not choose it.

It indexes ARCD once (scripts/eval_arcd.py) and runs `khabar search` once per parameter
setting with KHABAR_RANK set (src/search.c, load_params: "w_title w_head w_body b_title b_head
b_body k1 form stop prox delta title_cap title_share rr_root rr_window rr_answer
w_title_any b_title_any rr_lead").

--params a,b,... tunes only those parameters (the others stay at the defaults), starting them
from the baseline: what one new signal adds, its weight chosen on the other half.

Usage: tune_arcd.py --khabar PATH [--arcd DIR] [--work DIR] [--baseline "19 values"]
                    [--from-baseline | --params NAME,...]
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eval_arcd  # noqa: E402

NAMES = ["w_title", "w_head", "w_body", "b_title", "b_head", "b_body", "k1", "form", "stop",
         "prox", "delta", "title_cap", "title_share", "rr_root", "rr_window", "rr_answer",
         "w_title_any", "b_title_any", "rr_lead"]
DEFAULTS = [2.5, 1.5, 1.0, 0.6, 0.6, 0.75, 1.2, 0.3, 0.2, 0.0, 0.0, 1.0, 2.0, 0.3, 2.0, 1.0,
            1.5, 0.3, 1.0]
# before the second stage (src/rerank.c: rr_root, rr_window, rr_answer, rr_lead off) and the
# any-word title weight and normalization: the defaults of 2026-11-29 09:40
BASELINE = DEFAULTS[:12] + [1.5, 0.0, 0.0, 0.0, 2.5, 0.6, 0.0]
# The questions are any-word queries, which weight and normalize the title with w_title_any and
# b_title_any (w_title and b_title are the every-word ranking's).
GRID = {
    "w_title_any": [1.0, 1.5, 2.5, 3.5],
    "b_title_any": [0.1, 0.3, 0.6, 0.9],
    "b_body": [0.6, 0.75, 0.9],
    "k1": [0.9, 1.2, 1.5, 2.0],
    "form": [0.15, 0.3, 0.5],
    "stop": [0.1, 0.2, 0.3],
    "title_cap": [0.0, 1.0, 2.0],
    "title_share": [0.0, 0.5, 1.0, 1.5, 2.0, 3.0],
    "rr_root": [0.0, 0.1, 0.2, 0.3, 0.5],
    "rr_window": [0.0, 1.0, 2.0, 3.0, 4.0],
    "rr_answer": [0.0, 0.5, 1.0, 1.5],
    "rr_lead": [0.0, 0.5, 1.0, 1.5, 2.0],
}


def run(khabar, ixdir, qfile, params, cache):
    key = tuple(params)
    if key in cache:
        return cache[key]
    env = dict(os.environ, KHABAR_RANK=" ".join("%g" % v for v in params))
    r = subprocess.run([khabar, "search", "--index", ixdir, "--queries", qfile, "--format",
                        "jsonl", "--limit", "10", "--any", "--no-collapse", "--ids-only"],
                       capture_output=True, text=True, env=env, check=True)
    out = [[h["id"] for h in json.loads(l).get("hits", [])] for l in r.stdout.splitlines()]
    cache[key] = out
    return out


def mrr(ranked, queries, qrels, fold):
    total = n = 0
    for (qid, _), hits in zip(queries, ranked):
        if fold is not None and int(qid) % 2 != fold:
            continue
        n += 1
        total += next((1.0 / (i + 1) for i, d in enumerate(hits[:10]) if d in qrels[qid]), 0.0)
    return total / n


def tune(score, start, grid):
    p = list(start)
    best = score(p)
    improved = True
    while improved:
        improved = False
        for name, values in grid.items():
            i = NAMES.index(name)
            for v in values:
                if v == p[i]:
                    continue
                q = p[:i] + [v] + p[i + 1:]
                m = score(q)
                if m > best + 1e-9:
                    best, p, improved = m, q, True
    return p, best


def main():
    ap = eval_arcd.arg_parser()
    ap.add_argument("--baseline", help="19 values, default: the defaults of before the second "
                                       "stage and the any-word title parameters")
    ap.add_argument("--from-baseline", action="store_true",
                    help="start each fold's coordinate ascent from the baseline, not from the "
                         "defaults (which were chosen on all questions)")
    ap.add_argument("--params", help="tune only these (comma-separated names), from the "
                                     "baseline's values, the others at the defaults")
    a = ap.parse_args()
    base = [float(x) for x in a.baseline.split()] if a.baseline else BASELINE
    grid, start = GRID, base if a.from_baseline else DEFAULTS
    if a.params:
        names = a.params.split(",")
        grid = {n: GRID[n] for n in names}
        start = [base[i] if n in names else v for i, (n, v) in enumerate(zip(NAMES, DEFAULTS))]
        base = start
    docs, queries, qrels = eval_arcd.load(a.arcd)
    work = a.work or tempfile.mkdtemp(prefix="kb-tune-")
    os.makedirs(work, exist_ok=True)
    eval_arcd.run_khabar(a.khabar, docs, queries, work)  # index + the queries file
    ixdir = os.path.join(work, "khabar-index")
    qfile = os.path.join(work, "arcd-queries.txt")
    cache = {}

    def at(params, fold):
        return mrr(run(a.khabar, ixdir, qfile, params, cache), queries, qrels, fold)

    print("all questions: defaults MRR@10 %.4f, baseline %.4f" % (at(DEFAULTS, None),
                                                                   at(base, None)))
    held = []
    for train in (1, 0):
        test = 1 - train
        p, best = tune(lambda q: at(q, train), start, grid)
        chosen = ", ".join("%s %g" % (n, v) for n, v, d in zip(NAMES, p, DEFAULTS) if v != d)
        print("tune on %s ids: %s" % ("odd" if train else "even", chosen or "the defaults"))
        print("  train MRR@10 %.4f; held-out (%s ids) tuned %.4f, defaults %.4f, baseline %.4f"
              % (best, "even" if train else "odd", at(p, test), at(DEFAULTS, test),
                 at(base, test)))
        held.append((at(p, test), at(base, test)))
    print("held-out mean: tuned %.4f, baseline %.4f (%d settings run)"
          % (sum(h[0] for h in held) / 2, sum(h[1] for h in held) / 2, len(cache)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
