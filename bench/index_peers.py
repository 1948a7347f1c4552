#!/usr/bin/python3
"""index_peers.py — builds the peer indexes for bench/bench_index.sh: SQLite FTS5 and Xapian.

usage: /usr/bin/python3 bench/index_peers.py fts5|xapian OUT FILE.jsonl.zst...

Reads the corpus files (zstd JSONL) the way khabar index does: title, and body from
content|text|body; source, url, date kept as metadata. Prints one JSON line of figures:
docs, text_bytes (UTF-8 title + body), seconds (whole process, wall clock, reading included),
peak_rss_kb, and the on-disk sizes split into postings+dictionary and stored text.
Each peer runs in its own process so its peak memory is its own.
"""
import json
import os
import resource
import subprocess
import sys
import time

T0 = time.time()


def records(paths):
    for p in paths:
        proc = subprocess.Popen(["zstdcat", p], stdout=subprocess.PIPE)
        for line in proc.stdout:
            o = json.loads(line)
            body = o.get("content") or o.get("text") or o.get("body") or ""
            rid = o.get("id") or o.get("docno") or o.get("url") or ""
            yield (rid, o.get("title") or "", body, o.get("source") or o.get("src") or "",
                   o.get("url") or "", o.get("date") or o.get("time") or "")
        proc.wait()


def dir_bytes(d):
    return sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))


def fts5(out, paths):
    import sqlite3
    db = os.path.join(out, "fts5.db")
    for suffix in ("", "-wal", "-shm", "-journal"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute("CREATE TABLE meta(rowid INTEGER PRIMARY KEY, id TEXT, source TEXT, url TEXT, "
                "date TEXT)")
    con.execute("CREATE VIRTUAL TABLE t USING fts5(title, body, "
                "tokenize='unicode61 remove_diacritics 2')")
    n = nbytes = 0
    con.execute("BEGIN")
    for rid, title, body, src, url, date in records(paths):
        n += 1
        nbytes += len(title.encode()) + len(body.encode())
        con.execute("INSERT INTO t(rowid, title, body) VALUES(?,?,?)", (n, title, body))
        con.execute("INSERT INTO meta VALUES(?,?,?,?,?)", (n, rid, src, url, date))
    con.execute("COMMIT")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    secs = time.time() - T0
    sizes = dict(con.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall())
    con.close()
    post = sum(v for k, v in sizes.items() if k in ("t_data", "t_idx"))
    stored = sum(v for k, v in sizes.items() if k in ("t_content", "t_docsize", "meta"))
    return n, nbytes, secs, post, stored, os.path.getsize(db)


def xapian_(out, paths):
    import xapian
    d = os.path.join(out, "xapian")
    if os.path.isdir(d):
        for f in os.listdir(d):
            os.remove(os.path.join(d, f))
    db = xapian.WritableDatabase(d, xapian.DB_CREATE_OR_OVERWRITE)
    tg = xapian.TermGenerator()
    tg.set_stemmer(xapian.Stem("arabic"))
    tg.set_stemming_strategy(xapian.TermGenerator.STEM_SOME)  # forms with positions + Z stems
    n = nbytes = 0
    for rid, title, body, src, url, date in records(paths):
        n += 1
        nbytes += len(title.encode()) + len(body.encode())
        doc = xapian.Document()
        tg.set_document(doc)
        tg.index_text(title, 1, "S")   # title field (prefixed) ...
        tg.index_text(title)           # ... and in the unprefixed text, as FTS5 and khabar do
        tg.increase_termpos()
        tg.index_text(body)
        doc.set_data(json.dumps({"id": rid, "title": title, "body": body, "source": src,
                                 "url": url, "date": date}, ensure_ascii=False))
        doc.add_boolean_term("Q" + rid)
        db.add_document(doc)
    db.commit()
    db.close()
    secs = time.time() - T0
    sz = {f: os.path.getsize(os.path.join(d, f)) for f in os.listdir(d)}
    post = sz.get("postlist.glass", 0) + sz.get("position.glass", 0)
    stored = sz.get("docdata.glass", 0)
    return n, nbytes, secs, post, stored, dir_bytes(d)


def main():
    peer, out, paths = sys.argv[1], sys.argv[2], sys.argv[3:]
    os.makedirs(out, exist_ok=True)
    fn = {"fts5": fts5, "xapian": xapian_}[peer]
    n, nbytes, secs, post, stored, total = fn(out, paths)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"engine": peer, "docs": n, "text_bytes": nbytes, "seconds": round(secs, 3),
                      "mb_per_s": round(nbytes / 1e6 / secs, 2), "postings_bytes": post,
                      "stored_bytes": stored, "file_bytes": total, "peak_rss_kb": rss}))


if __name__ == "__main__":
    main()
