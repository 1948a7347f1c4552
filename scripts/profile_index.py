#!/usr/bin/python3
"""profile_index.py — where `khabar index` spends its CPU, stage by stage, thread by thread.

usage: scripts/profile_index.py [--khabar BIN] [--batch N] [--keep] FILE...

Runs `khabar index --batch N` (default 100000: one commit, as bench/bench_index.sh) on FILE...
into a temporary index under `perf record` (199 Hz, DWARF call graphs, the whole process),
then sorts every sample by its call chain into the stages of the pass:

  W ...  the analysis threads (workers): cleaning, analysis, the zstd stored copy, the
         duplicates signature, the rest of kb_index_prepare
  M ...  the main thread, the single writer: its batch (the in-memory
         postings), SQL rows of the documents, the duplicates hook, and the commit (writing terms
         and blocks, the duplicates key rows, SQLite's COMMIT; encoding the postings too when the
         commit is small)
  E ...  the commit's encoder thread (large commits): merging and encoding the postings while
         the writer writes rows
  R ...  the reader thread: decompressing and parsing the input into the job slots

and prints each stage's share of the samples and its CPU seconds (samples / 199). The figures
are CPU time, so they hold on a loaded machine better than wall time; the split between the
threads shows which one bounds the wall clock. Needs perf (linux-perf) and read access to the
kernel's perf events.
"""
import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile

HZ = 199


def stage(syms):
    chain = " ".join(syms)
    if "worker" in syms:
        if "ZSTD_compress2" in chain:
            return "W zstd stored copy"
        if "kb_cleaner_clean" in chain:
            return "W clean"
        if "analyze" in syms:
            return "W analyze"
        if "kb__prepared_sign" in chain:
            return "W duplicates signature"
        if "kb_index_prepare" in chain:
            return "W prepare, other"
        return "W other"
    if "encoder" in syms:
        return "E commit: encode postings (own thread)"
    if "reader" in syms:
        return "R read input (zstd + JSON, reader thread)"
    if "cmd_index" not in syms:
        return "other"
    if "add_signed" in syms or "on_add" in syms:
        return "M duplicates hook"
    if "kb__dedup_store_flush" in syms or "kb__dedup_store_flush_step" in syms:
        return "M commit: duplicates key rows"
    if "kb_index_commit" in syms:
        if "sqlite3_exec" in chain:
            return "M commit: SQLite COMMIT"
        if "qsort_r" in chain or "msort_with_tmp" in chain:
            return "M commit: sort terms"
        if "kb__index_term_put" in chain or "write_chunk" in syms:
            return "M commit: terms and blocks rows"
        if "sqlite3_step" in chain:
            return "M commit: other SQL"
        return "M commit: encode postings, other"
    if "kb_index_add_prepared" in syms:
        if "kb__index_docid_find" in chain:
            return "M add: id lookup"
        if "sqlite3_step" in chain:
            return "M add: docs and store rows"
        return "M add: batch postings"
    if "kb_reader_next" in syms:
        return "M read input"
    return "M other"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--khabar", default="build/khabar")
    ap.add_argument("--batch", default="100000")
    ap.add_argument("--keep", action="store_true", help="keep the perf data and the index")
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="kb_profile_")
    data = os.path.join(tmp, "perf.data")
    cmd = ["perf", "record", "-q", "-F", str(HZ), "--call-graph", "dwarf,16384", "-o", data,
           a.khabar, "index", "--index", os.path.join(tmp, "index"), "--batch", a.batch,
           "--no-progress", "-q"] + a.files
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    script = subprocess.run(["perf", "script", "-i", data], capture_output=True, text=True,
                            errors="replace").stdout
    counts = collections.Counter()
    for block in script.split("\n\n"):
        lines = [l.strip() for l in block.strip().split("\n") if l.strip()]
        if len(lines) < 2:
            continue
        syms = []
        for l in lines[1:]:
            parts = l.split(None, 1)
            syms.append(re.sub(r"\+0x[0-9a-f]+", "", parts[1]).split(" (")[0] if len(parts) > 1 else "")
        counts[stage(syms)] += 1
    total = sum(counts.values())
    if not total:
        sys.exit("profile_index: no samples (is perf allowed here?)")
    main_n = sum(v for k, v in counts.items() if k.startswith("M"))
    work_n = sum(v for k, v in counts.items() if k.startswith("W"))
    enc_n = sum(v for k, v in counts.items() if k.startswith("E"))
    rd_n = sum(v for k, v in counts.items() if k.startswith("R"))
    print(f"{total} samples = {total / HZ:.1f} CPU-s; main thread (writer) {100 * main_n / total:.1f}%, "
          f"analysis threads {100 * work_n / total:.1f}%, reader {100 * rd_n / total:.1f}%, "
          f"commit encoder {100 * enc_n / total:.1f}%")
    for k, v in sorted(counts.items(), key=lambda kv: -kv[1]):
        print(f"  {k:34s} {100 * v / total:5.1f}%  {v / HZ:6.2f} s")
    if a.keep:
        print(f"kept: {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
