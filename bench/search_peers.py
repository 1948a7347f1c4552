#!/usr/bin/python3
"""search_peers.py — top-10 query latency of the peers, for bench/bench_search.sh.

usage: /usr/bin/python3 bench/search_peers.py fts5|xapian OUT KIND WORDS.tsv [REPEAT]

Opens the peer index built by bench/bench_index.sh (OUT/fts5.db, OUT/xapian/) and runs every
query of WORDS.tsv (one query a line, its words tab-separated) as KIND:
  single  the word                 FTS5 "w"            Xapian parse "w" (Arabic stemmer)
  and     both words               FTS5 "a" AND "b"    Xapian default op AND
  or      either word              FTS5 "a" OR "b"     Xapian default op OR
  phrase  the two words in a row   FTS5 "a b"          Xapian parse "\"a b\"" (positions)
ranked by BM25 (FTS5's bm25(), Xapian's BM25Weight), top 10 ids. Each query is timed in the
process around the query alone (FTS5: execute and fetch the 10 rowids; Xapian: parse, get_mset
and read the 10 docids), as khabar's took_us is. Every query runs once unmeasured first (warm
cache), then REPEAT times (default 1) measured. Prints one JSON line per run, the warm-up
included (bench_search.sh skips it): {"took_us":…, "hits":N}.
"""
import json
import os
import sys
import time


def queries(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            ws = line.rstrip("\n").split("\t")
            if ws and ws[0]:
                yield ws


def fts5_expr(kind, ws):
    q = ['"%s"' % w.replace('"', "") for w in ws]
    if kind == "and":
        return " AND ".join(q)
    if kind == "or":
        return " OR ".join(q)
    if kind == "phrase":
        return '"%s"' % " ".join(w.replace('"', "") for w in ws)
    return q[0]


def run_fts5(out, kind, path, repeat):
    import sqlite3
    con = sqlite3.connect("file:%s?mode=ro" % os.path.join(out, "fts5.db"), uri=True)
    sql = "SELECT rowid FROM t WHERE t MATCH ? ORDER BY rank LIMIT 10"
    for ws in queries(path):
        expr = fts5_expr(kind, ws)
        for _ in range(1 + repeat):
            t0 = time.perf_counter()
            rows = con.execute(sql, (expr,)).fetchall()
            us = (time.perf_counter() - t0) * 1e6
            print(json.dumps({"took_us": round(us, 1), "hits": len(rows)}))


def run_xapian(out, kind, path, repeat):
    import xapian
    db = xapian.Database(os.path.join(out, "xapian"))
    qp = xapian.QueryParser()
    qp.set_stemmer(xapian.Stem("arabic"))
    qp.set_stemming_strategy(xapian.QueryParser.STEM_SOME)
    qp.set_database(db)
    qp.set_default_op(xapian.Query.OP_OR if kind == "or" else xapian.Query.OP_AND)
    enq = xapian.Enquire(db)
    enq.set_weighting_scheme(xapian.BM25Weight())
    for ws in queries(path):
        text = '"%s"' % " ".join(ws) if kind == "phrase" else " ".join(ws)

        def once():
            q = qp.parse_query(text, xapian.QueryParser.FLAG_PHRASE)
            enq.set_query(q)
            m = enq.get_mset(0, 10)
            return [it.docid for it in m]
        for _ in range(1 + repeat):
            t0 = time.perf_counter()
            ids = once()
            us = (time.perf_counter() - t0) * 1e6
            print(json.dumps({"took_us": round(us, 1), "hits": len(ids)}))


def main():
    peer, out, kind, path = sys.argv[1:5]
    repeat = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    {"fts5": run_fts5, "xapian": run_xapian}[peer](out, kind, path, repeat)


if __name__ == "__main__":
    main()
