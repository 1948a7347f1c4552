#!/usr/bin/python3
"""eval_arcd.py — retrieval quality on ARCD, khabar side by side with SQLite FTS5 and Xapian.

ARCD (../shared/eval/arcd): 465 Wikipedia paragraphs (id, title, text), 1,395 natural-language
questions, one relevant paragraph each (qrels, TREC format). Every engine indexes the same
paragraphs (title and text fields) and answers every question; the script prints MRR@10 and
Recall@100 (and nDCG@10) per engine, in one run.

How the questions are issued. They are questions ("متى ولد جمال خاشقجي؟"), not keyword
queries, so no engine is asked to match every word: each gets the question's words as a ranked
any-word (OR) query with BM25 —
  khabar   `khabar search --queries FILE --format jsonl --any --no-collapse --ids-only`
           (its own analyzer: stopwords dropped, clitic-aware stems, BM25F over title and body)
  FTS5     tokenize='unicode61 remove_diacritics 2', the words joined with OR, ranked by bm25()
  Xapian   QueryParser, Arabic Snowball stemmer (STEM_SOME), default operator OR, BM25Weight
Characters that are query syntax for an engine (quotes, parentheses, a leading '-', the word
OR) are removed from the question first, the same way for all three.

Usage: eval_arcd.py --khabar PATH [--arcd DIR] [--work DIR] [--json OUT] [--engines a,b,c]
                   [--misses OUT]
--misses writes every question an engine does not rank first (khabar's, or each engine's to
OUT.ENGINE when several run): the gold paragraph's rank, the top hits and the gold text, for
reading the misses in Arabic.
Exit status 0; the caller (tests/eval/arcd.sh) decides what passes.
"""
import argparse
import json
import math
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time


def load(arcd):
    docs = []
    with open(os.path.join(arcd, "corpus.tsv"), encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 3:
                docs.append((parts[0], parts[1], "\t".join(parts[2:])))
    queries = []
    with open(os.path.join(arcd, "queries.tsv"), encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t", 1)
            if len(parts) == 2:
                queries.append((parts[0], parts[1]))
    qrels = {}
    with open(os.path.join(arcd, "qrels.txt"), encoding="utf-8") as f:
        for line in f:
            p = line.split()
            if len(p) >= 4 and int(p[3]) > 0:
                qrels.setdefault(p[0], set()).add(p[2])
    return docs, queries, qrels


# A word is a run of word characters and combining marks: Python's \w leaves out the marks
# (category Mn), so without them a question written with harakat (تحُد، درّس، أدّت) would reach
# every engine cut into pieces (تح د، در س، اد ت).
WORD = re.compile(r"[\w\u0300-\u036F\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06ED]+",
                  re.UNICODE)


def words(q):
    """The question's words: syntax characters and the operator words removed."""
    return [w for w in WORD.findall(q) if w not in ("OR", "AND", "NOT")]


def run_khabar(khabar, docs, queries, work):
    ixdir = os.path.join(work, "khabar-index")
    shutil.rmtree(ixdir, ignore_errors=True)
    corpus = os.path.join(work, "arcd.jsonl")
    with open(corpus, "w", encoding="utf-8") as f:
        for did, title, text in docs:
            f.write(json.dumps({"id": did, "title": title, "text": text}, ensure_ascii=False))
            f.write("\n")
    t0 = time.time()
    r = subprocess.run([khabar, "index", "--index", ixdir, corpus], capture_output=True,
                       text=True)
    if r.returncode != 0:
        raise RuntimeError("khabar index failed: " + r.stderr[-2000:])
    index_s = time.time() - t0
    qfile = os.path.join(work, "arcd-queries.txt")
    with open(qfile, "w", encoding="utf-8") as f:
        for _, q in queries:
            f.write(" ".join(words(q)) + "\n")
    r = subprocess.run([khabar, "search", "--index", ixdir, "--queries", qfile, "--format",
                        "jsonl", "--limit", "100", "--any", "--no-collapse", "--ids-only"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("khabar search failed: " + r.stderr[-2000:])
    lines = r.stdout.splitlines()
    out = {}
    took = []
    for (qid, _), line in zip(queries, lines):
        o = json.loads(line)
        out[qid] = [h["id"] for h in o.get("hits", [])]
        took.append(o.get("took_us", 0))
    return out, {"index_s": index_s, "median_us": sorted(took)[len(took) // 2] if took else 0}


def run_fts5(docs, queries, work):
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(did UNINDEXED, title, text, "
               "tokenize='unicode61 remove_diacritics 2')")
    db.executemany("INSERT INTO t(did, title, text) VALUES (?,?,?)", docs)
    db.commit()
    out = {}
    took = []
    for qid, q in queries:
        ws = words(q)
        if not ws:
            out[qid] = []
            continue
        expr = " OR ".join('"%s"' % w.replace('"', "") for w in ws)
        t0 = time.perf_counter()
        rows = db.execute("SELECT did FROM t WHERE t MATCH ? ORDER BY bm25(t) LIMIT 100",
                          (expr,)).fetchall()
        took.append((time.perf_counter() - t0) * 1e6)
        out[qid] = [r[0] for r in rows]
    return out, {"median_us": sorted(took)[len(took) // 2] if took else 0}


def run_xapian(docs, queries, work):
    import xapian
    path = os.path.join(work, "xapian-index")
    shutil.rmtree(path, ignore_errors=True)
    db = xapian.WritableDatabase(path, xapian.DB_CREATE_OR_OVERWRITE)
    tg = xapian.TermGenerator()
    stem = xapian.Stem("arabic")
    tg.set_stemmer(stem)
    tg.set_stemming_strategy(xapian.TermGenerator.STEM_SOME)
    for did, title, text in docs:
        doc = xapian.Document()
        tg.set_document(doc)
        tg.index_text(title)
        tg.increase_termpos()
        tg.index_text(text)
        doc.set_data(did)
        doc.add_boolean_term("Q" + did)
        db.add_document(doc)
    db.commit()
    qp = xapian.QueryParser()
    qp.set_stemmer(stem)
    qp.set_stemming_strategy(xapian.QueryParser.STEM_SOME)
    qp.set_database(db)
    qp.set_default_op(xapian.Query.OP_OR)
    enq = xapian.Enquire(db)
    enq.set_weighting_scheme(xapian.BM25Weight())
    out = {}
    took = []
    for qid, q in queries:
        t0 = time.perf_counter()
        query = qp.parse_query(" ".join(words(q)), 0)
        enq.set_query(query)
        m = enq.get_mset(0, 100)
        took.append((time.perf_counter() - t0) * 1e6)
        out[qid] = [it.document.get_data().decode("utf-8") for it in m]
    return out, {"median_us": sorted(took)[len(took) // 2] if took else 0}


def score(run, queries, qrels):
    mrr = rec = ndcg = 0.0
    n = 0
    for qid, _ in queries:
        rel = qrels.get(qid)
        if not rel:
            continue
        n += 1
        ranked = run.get(qid, [])
        for i, d in enumerate(ranked[:10]):
            if d in rel:
                mrr += 1.0 / (i + 1)
                break
        rec += len(rel & set(ranked[:100])) / len(rel)
        dcg = sum(1.0 / math.log2(i + 2) for i, d in enumerate(ranked[:10]) if d in rel)
        idcg = sum(1.0 / math.log2(i + 2) for i in range(min(len(rel), 10)))
        ndcg += dcg / idcg
    return {"queries": n, "mrr10": mrr / n, "recall100": rec / n, "ndcg10": ndcg / n}


def write_misses(path, run, docs, queries, qrels):
    text = {d: (t, x) for d, t, x in docs}
    with open(path, "w", encoding="utf-8") as f:
        for qid, q in queries:
            rel = qrels.get(qid)
            ranked = run.get(qid, [])
            if not rel or (ranked and ranked[0] in rel):
                continue
            rank = next((i + 1 for i, d in enumerate(ranked) if d in rel), 0)
            f.write("=== %s gold rank %s: %s\n" % (qid, rank or "-", q.strip()))
            for d in ranked[:3]:
                f.write("  hit  %s [%s] %s\n" % (d, text[d][0], text[d][1][:200]))
            for d in sorted(rel):
                f.write("  gold %s [%s] %s\n" % (d, text[d][0], text[d][1]))


def arg_parser():
    """The options every ARCD script takes: the khabar binary, the data, a work directory."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--khabar", required=True)
    ap.add_argument("--arcd", default=os.path.join(os.path.dirname(__file__), "..", "..",
                                                    "shared", "eval", "arcd"))
    ap.add_argument("--work")
    return ap


def main():
    ap = arg_parser()
    ap.add_argument("--json")
    ap.add_argument("--engines", default="khabar,fts5,xapian")
    ap.add_argument("--misses")
    a = ap.parse_args()
    docs, queries, qrels = load(a.arcd)
    work = a.work or tempfile.mkdtemp(prefix="kb-arcd-")
    os.makedirs(work, exist_ok=True)
    results = {}
    for eng in a.engines.split(","):
        try:
            if eng == "khabar":
                run, extra = run_khabar(a.khabar, docs, queries, work)
            elif eng == "fts5":
                run, extra = run_fts5(docs, queries, work)
            elif eng == "xapian":
                run, extra = run_xapian(docs, queries, work)
            else:
                continue
        except ImportError as e:
            print("skipped: %s (%s)" % (eng, e))
            continue
        if a.misses:
            write_misses(a.misses if eng == "khabar" else a.misses + "." + eng, run, docs,
                         queries, qrels)
        s = score(run, queries, qrels)
        s.update(extra)
        results[eng] = s
    print("ARCD: %d paragraphs, %d questions (any-word queries, BM25)" % (len(docs),
                                                                        len(queries)))
    print("%-8s %8s %10s %8s %12s" % ("engine", "MRR@10", "Recall@100", "nDCG@10",
                                      "median µs"))
    for eng, s in results.items():
        print("%-8s %8.4f %10.4f %8.4f %12.0f" % (eng, s["mrr10"], s["recall100"], s["ndcg10"],
                                                 s["median_us"]))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)
    if not a.work:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
