/*
 * fuzz_dedup.c — libFuzzer harness for duplicate detection: the fold (UTF-8 of any kind,
 * presentation forms, marks, controls), signatures, the in-memory deduplicator (add, filter,
 * remove, clusters) and the index tables (add/delete hooks on an in-memory SQLite database,
 * including a signature blob taken from the input). The input is split at 0x00 bytes into up to
 * KB_FUZZ_DOCS documents. Besides memory errors it checks promises and aborts when one breaks:
 * a document always duplicates an exact copy of itself; similarities lie in [0, 1]; every live
 * document's representative is live and in the same cluster; a damaged stored signature is an
 * error code, never a crash. Built as fuzz_dedup with -Dfuzzing=true, and as replay_dedup.
 */
#include "khabar.h"
#include "khabar_int.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Documents per input: enough for clusters to form and split. */
#define KB_FUZZ_DOCS 8

static void check_at(int ok, int line)
{
    if (!ok) {
        fprintf(stderr, "fuzz_dedup.c:%d: invariant broken\n", line);
        abort();
    }
}
#define check(ok) check_at((ok), __LINE__)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kb_slice docs[KB_FUZZ_DOCS];
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= size && n < KB_FUZZ_DOCS; i++)
        if (i == size || data[i] == 0) {
            docs[n++] = (kb_slice){(const char *)data + start, i - start};
            start = i + 1;
        }
    kb_dedup_options o = {0};
    o.estimate_only = size % 2;
    kb_dedup *d = kb_dedup_new(&o);
    check(d != NULL);
    uint32_t h[KB_FUZZ_DOCS];
    for (size_t i = 0; i < n; i++) {
        kb_dedup_doc doc = {{"x", 1}, {"s", 1}, {"", 0}, {"", 0}, docs[i]};
        check(kb_dedup_add(d, &doc, &h[i], NULL) == 0);
        double sim;
        uint32_t dup;
        int r =
            kb_dedup_filter(d, &doc, &dup, &sim); /* itself is there: a duplicate if any words */
        kb_dedup_info info;
        check(kb_dedup_info_get(d, h[i], &info) == 0);
        check(r == (info.n_words ? 1 : 0));
        check(sim >= 0 && sim <= 1);
    }
    for (size_t i = 0; i < n; i += 3)
        check(kb_dedup_remove(d, h[i]) == 0);
    for (uint32_t x = 0; x < kb_dedup_count(d); x++) {
        kb_dedup_info info;
        check(kb_dedup_info_get(d, x, &info) == 0);
        if (!info.live) continue;
        kb_dedup_info ri;
        check(kb_dedup_info_get(d, info.rep, &ri) == 0);
        check(ri.live && ri.rep == info.rep);
        for (uint32_t y = 0; y < kb_dedup_count(d); y++) {
            double s = kb_dedup_similarity(d, x, y);
            check(s >= 0 && s <= 1);
        }
    }
    kb_dedup_free(d);

    /* The index tables. */
    sqlite3 *db;
    check(sqlite3_open(":memory:", &db) == SQLITE_OK);
    for (size_t i = 0; i < n; i++) {
        kb_block blk = {KB_BLOCK_PARAGRAPH, docs[i]};
        kb_article a;
        memset(&a, 0, sizeof a);
        a.blocks = &blk;
        a.n_blocks = 1;
        int rc = kb__dedup_on_add(db, (int64_t)i + 1, &a);
        check(rc == 0 || rc == KB_ECORRUPT);
        if (i == 1) {
            /* Damage one signature with the input's own bytes. */
            sqlite3_stmt *st;
            sqlite3_prepare_v2(db, "UPDATE dedup_docs SET sig = ? WHERE docid = 1", -1, &st, NULL);
            sqlite3_bind_blob(st, 1, docs[0].p, (int)KB_MIN(docs[0].n, 2000), SQLITE_STATIC);
            sqlite3_step(st);
            sqlite3_finalize(st);
        }
    }
    kb__dedup_store *rd = NULL;
    check(kb__dedup_store_open_read(db, &rd) == 0);
    for (size_t i = 0; i < n; i += 2) {
        int rc = kb__dedup_on_delete(db, (int64_t)i + 1);
        check(rc == 0 || rc == KB_ECORRUPT);
        int64_t rep;
        uint32_t sz;
        check(kb__dedup_cluster_of(rd, (int64_t)i + 2, &rep, &sz) == 0);
    }
    kb__dedup_store_close(rd);
    sqlite3_close(db);
    return 0;
}
