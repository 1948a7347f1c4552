/*
 * store.c — stored articles (zstd records), and the index's maintenance: check and compact.
 *
 * A stored record is the article as the user gave it after cleaning (docs/format.md):
 *   varint title length, title bytes, varint body length, body bytes (blocks joined by "\n\n"),
 *   varint block count, then per block a type byte and a varint length,
 * compressed as one zstd frame with a content checksum. Search cuts snippets from the body.
 */
#include "index_int.h"

#include <stdarg.h>
#include <stdio.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_createDCtx_advanced: the context through kb__malloc */
#include <zstd.h>

/* A stored record never decompresses past this (the article limit in prepare.c plus room for
 * the block table); a frame claiming more is corrupt. */
#define KB_STORED_MAX ((size_t)80 << 20)

void kb__doc_init(kb__doc *d)
{
    memset(d, 0, sizeof *d);
    kb__buf_init(&d->raw, KB_STORED_MAX + 1);
    kb__buf_init(&d->meta, 0);
    kb__buf_init(&d->ana, 0);
}

void kb__doc_free(kb__doc *d)
{
    if (!d) return;
    kb__buf_free(&d->raw);
    kb__buf_free(&d->meta);
    kb__buf_free(&d->ana);
}

static void *zalloc(void *opaque, size_t n)
{
    (void)opaque;
    return kb__malloc(n);
}

static void zfree(void *opaque, void *p)
{
    (void)opaque;
    kb__free(p);
}

/* The handle's decompression context, made on first use and kept: ZSTD_decompress() makes and
 * frees a ~100 KB context per call, which cost as much as decompressing a news article. */
static ZSTD_DCtx *dctx(kb_index *ix)
{
    if (!ix->zd) ix->zd = ZSTD_createDCtx_advanced((ZSTD_customMem){zalloc, zfree, NULL});
    return ix->zd;
}

void kb__store_close(kb_index *ix)
{
    ZSTD_freeDCtx(ix->zd);
    ix->zd = NULL;
    kb__stem_memo_free(ix->smemo);
    ix->smemo = NULL;
}

/* A handle's stem memo for snippets: 64K forms (about the vocabulary a server shows in a day of
 * news) in at most 2 MiB; it starts over when full. */
#define KB_STEM_MEMO_SLOTS (1u << 16)
#define KB_STEM_MEMO_BYTES ((size_t)2 << 20)

kb__stem_memo *kb__index_stem_memo(kb_index *ix)
{
    if (!ix->smemo) ix->smemo = kb__stem_memo_new(KB_STEM_MEMO_SLOTS, KB_STEM_MEMO_BYTES);
    return ix->smemo;
}

static int parse_record(kb__doc *d);

int kb__store_decode(kb_index *ix, const void *z, size_t zn, kb__doc *d)
{
    unsigned long long size = ZSTD_getFrameContentSize(z, zn);
    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > KB_STORED_MAX)
        return KB_ECORRUPT;
    kb__buf_reset(&d->raw);
    if (kb__buf_reserve(&d->raw, (size_t)size + 1)) return d->raw.rc;
    ZSTD_DCtx *zd = ix ? dctx(ix) : ZSTD_createDCtx_advanced((ZSTD_customMem){zalloc, zfree, NULL});
    if (!zd) return KB_ENOMEM;
    size_t got = ZSTD_decompressDCtx(zd, d->raw.p, (size_t)size + 1, z, zn);
    if (!ix) ZSTD_freeDCtx(zd);
    if (ZSTD_isError(got) || got != size) return KB_ECORRUPT;
    d->raw.n = got;
    d->raw.p[got] = 0;
    return parse_record(d);
}

/* Points d's slices into the decompressed record d->raw, checking every length against it. */
static int parse_record(kb__doc *d)
{
    size_t got = d->raw.n;
    const unsigned char *p = (const unsigned char *)d->raw.p;
    size_t i = 0;
    uint64_t tl, bl, nb;
    if (kb__varint_get(p, got, &i, &tl) || tl > got - i) return KB_ECORRUPT;
    d->title = (kb_slice){d->raw.p + i, (size_t)tl};
    i += tl;
    if (kb__varint_get(p, got, &i, &bl) || bl > got - i) return KB_ECORRUPT;
    d->body = (kb_slice){d->raw.p + i, (size_t)bl};
    i += bl;
    if (kb__varint_get(p, got, &i, &nb) || nb > got) return KB_ECORRUPT;
    d->btab = i;
    d->n_blocks = nb;
    uint64_t sum = 0;
    for (uint64_t b = 0; b < nb; b++) {
        uint64_t len;
        if (i >= got || p[i++] > KB_PBLOCK_CAPTION || kb__varint_get(p, got, &i, &len) || len > bl)
            return KB_ECORRUPT;
        sum += len + (b ? 2 : 0);
    }
    if (sum != bl) return KB_ECORRUPT;
    uint64_t nd;
    if (kb__varint_get(p, got, &i, &nd) || nd > got) return KB_ECORRUPT;
    d->dtab = i;
    d->n_dropped = nd;
    for (uint64_t k = 0; k < 2 * nd; k++) {
        uint64_t len;
        if (kb__varint_get(p, got, &i, &len) || len > got - i) return KB_ECORRUPT;
        i += len;
    }
    if (i != got) return KB_ECORRUPT;
    return 0;
}

/* ---- the cache of decoded articles ------------------------------------------------------------
 *
 * A kb_cache (cache.c) shared by the handles of one index (the server's readers) keeps decoded
 * records with their docs row (id, source, date, url), keyed by docid. A docid names one article
 * for good: a replaced article gets a new docid, a deleted one's is never handed out again, and
 * compaction keeps them, so an entry never goes stale; callers only ask for docids that are live
 * in their snapshot. The one exception is a write transaction, whose docids are not committed (a
 * rolled-back batch hands them out again): a handle inside one neither reads nor fills the cache.
 *
 * A value: the lengths (record, then id, source, date, url, then the body's analysis for
 * snippets) as a dc_head, the record, the four strings each followed by a NUL, the analysis
 * (snippet.c makes it the first time a search shows the article; empty until then).
 */
typedef struct dc_head {
    uint64_t raw_n, meta_len[4], ana_n;
} dc_head;

KB_API void kb_index_set_doc_cache(kb_index *ix, kb_cache *c)
{
    if (ix) ix->dcache = c;
}

/* Sets d's meta slices over d->meta, which holds the four strings each followed by a NUL. */
static void meta_slices(kb__doc *d, const size_t len[4])
{
    kb_slice *dst[4] = {&d->id, &d->source, &d->date, &d->url};
    size_t off = 0;
    for (int k = 0; k < 4; k++) {
        *dst[k] = (kb_slice){d->meta.p + off, len[k]};
        off += len[k] + 1;
    }
}

/* kb_cache_get's callback: copies a cached article into the kb__doc. */
static int dc_copy(void *ctx, const void *value, size_t n)
{
    kb__doc *d = ctx;
    dc_head h;
    if (n < sizeof h) return KB_ECORRUPT;
    memcpy(&h, value, sizeof h);
    size_t len[4], mn = 0;
    for (int k = 0; k < 4; k++)
        mn += (len[k] = (size_t)h.meta_len[k]) + 1;
    if (h.raw_n > n - sizeof h || mn > n - sizeof h - h.raw_n ||
        h.ana_n != n - sizeof h - h.raw_n - mn)
        return KB_ECORRUPT;
    const char *raw = (const char *)value + sizeof h;
    kb__buf_reset(&d->raw);
    kb__buf_reset(&d->meta);
    kb__buf_reset(&d->ana);
    kb__buf_append(&d->raw, raw, (size_t)h.raw_n);
    kb__buf_append(&d->meta, raw + h.raw_n, mn);
    kb__buf_append(&d->ana, raw + h.raw_n + mn, (size_t)h.ana_n);
    if (d->raw.rc || d->meta.rc || d->ana.rc)
        return d->raw.rc ? d->raw.rc : d->meta.rc ? d->meta.rc : d->ana.rc;
    d->raw.p[d->raw.n] = 0; /* as the decoder leaves it */
    meta_slices(d, len);
    return 0;
}

static void dc_put(kb_cache *c, const kb__doc *d)
{
    dc_head h = {d->raw.n, {d->id.n, d->source.n, d->date.n, d->url.n}, d->ana.n};
    const void *parts[4] = {&h, d->raw.p, d->meta.p, d->ana.p};
    size_t part_n[4] = {sizeof h, d->raw.n, d->id.n + d->source.n + d->date.n + d->url.n + 4,
                        d->ana.n};
    uint32_t key = d->docid;
    kb_cache_put(c, &key, sizeof key, 0, parts, part_n, 4);
}

void kb__index_doc_keep(kb_index *ix, const kb__doc *d)
{
    if (ix->dcache && !ix->in_txn && d->meta.n) dc_put(ix->dcache, d);
}

int kb__index_doc_get(kb_index *ix, uint32_t docid, kb__doc *d)
{
    kb_cache *dc = ix->in_txn ? NULL : ix->dcache;
    if (dc) {
        int hit = kb_cache_get(dc, &docid, sizeof docid, 0, dc_copy, d);
        if (hit < 0) return hit == KB_ENOMEM ? hit : kb__index_fail(ix, hit, "cached copy of document %u is damaged", docid);
        if (hit) {
            int rc = parse_record(d);
            if (rc) return kb__index_fail(ix, rc, "cached copy of document %u is damaged", docid);
            d->docid = docid;
            d->cached = 1;
            return 0;
        }
    }
    kb__buf_reset(&d->ana);
    d->cached = dc != NULL;
    sqlite3_stmt *st = kb__index_stmt(ix, KB_ST_DOC_GET);
    if (!st) return ix->last_err;
    sqlite3_bind_int64(st, 1, docid);
    int s = sqlite3_step(st);
    if (s == SQLITE_DONE) {
        sqlite3_reset(st);
        return KB_ENOTFOUND;
    }
    if (s != SQLITE_ROW) {
        sqlite3_reset(st);
        return kb__index_sqlerr(ix, s, "docs");
    }
    if (sqlite3_column_type(st, 4) != SQLITE_BLOB) {
        sqlite3_reset(st);
        return kb__index_fail(ix, KB_ECORRUPT, "document %u has no stored copy", docid);
    }
    int rc =
        kb__store_decode(ix, sqlite3_column_blob(st, 4), (size_t)sqlite3_column_bytes(st, 4), d);
    if (rc) {
        sqlite3_reset(st);
        return rc == KB_ECORRUPT
                   ? kb__index_fail(ix, rc, "stored copy of document %u is damaged", docid)
                   : rc;
    }
    /* id, source, date, url: NUL-separated in d->meta. */
    kb__buf_reset(&d->meta);
    size_t len[4];
    for (int c = 0; c < 4; c++) {
        const unsigned char *t = sqlite3_column_text(st, c);
        len[c] = t ? (size_t)sqlite3_column_bytes(st, c) : 0;
        kb__buf_append(&d->meta, t ? (const char *)t : "", len[c]);
        kb__buf_putc(&d->meta, 0);
    }
    sqlite3_reset(st);
    if (d->meta.rc) return d->meta.rc;
    d->docid = docid;
    meta_slices(d, len);
    if (dc) dc_put(dc, d);
    return 0;
}

KB_API int kb_index_get(kb_index *ix, const char *id, size_t n, kb_stored **out)
{
    if (!ix || !id || !out) return KB_EINVAL;
    *out = NULL;
    uint32_t d = 0;
    int frc = kb__index_docid_find(ix, id, n, &d);
    if (frc && frc != KB_ENOTFOUND) return frc;
    if (!d)
        return kb__index_fail(ix, KB_ENOTFOUND, "no article with id '%.*s'", (int)KB_MIN(n, 200),
                              id);
    kb__doc doc;
    kb__doc_init(&doc);
    int rc = kb__index_doc_get(ix, d, &doc);
    if (rc) {
        kb__doc_free(&doc);
        return rc;
    }
    /* One allocation: the kb_stored, its three arrays, then the strings. The decoder has checked
     * the block table and the dropped lines against the record's size. */
    const unsigned char *raw = (const unsigned char *)doc.raw.p;
    size_t nb = (size_t)doc.n_blocks, nd = (size_t)doc.n_dropped, ncap = 0;
    size_t i = doc.btab;
    for (size_t b = 0; b < nb; b++) {
        uint64_t len;
        ncap += raw[i++] == KB_PBLOCK_CAPTION;
        kb__varint_get(raw, doc.raw.n, &i, &len);
    }
    kb_slice parts[6] = {doc.id, doc.title, doc.source, doc.date, doc.url, doc.body};
    size_t arrays = sizeof(kb_stored) + (nb - ncap) * sizeof(kb_block) + ncap * sizeof(kb_slice) +
                    nd * sizeof(kb_dropped);
    size_t total = arrays + (doc.raw.n - doc.dtab) + 2 * nd;
    for (int k = 0; k < 6; k++)
        total += parts[k].n + 1;
    kb_stored *s = kb__calloc(1, total);
    if (!s) {
        kb__doc_free(&doc);
        return KB_ENOMEM;
    }
    kb_block *blocks = (kb_block *)(s + 1);
    kb_slice *captions = (kb_slice *)(blocks + (nb - ncap));
    kb_dropped *dropped = (kb_dropped *)(captions + ncap);
    char *p = (char *)s + arrays;
    kb_slice *dst[6] = {&s->id, &s->title, &s->source, &s->date, &s->url, &s->body};
    for (int k = 0; k < 6; k++) {
        if (parts[k].n) memcpy(p, parts[k].p, parts[k].n);
        p[parts[k].n] = 0;
        *dst[k] = (kb_slice){p, parts[k].n};
        p += parts[k].n + 1;
    }
    size_t off = 0;
    i = doc.btab;
    for (size_t b = 0; b < nb; b++) {
        uint64_t len;
        int type = raw[i++];
        kb__varint_get(raw, doc.raw.n, &i, &len);
        kb_slice text = {s->body.p + off, (size_t)len};
        if (type == KB_PBLOCK_CAPTION)
            captions[s->n_captions++] = text;
        else
            blocks[s->n_blocks++] = (kb_block){(kb_block_type)type, text};
        off += (size_t)len + 2;
    }
    i = doc.dtab;
    for (size_t k = 0; k < nd; k++) {
        uint64_t len;
        kb__varint_get(raw, doc.raw.n, &i, &len);
        memcpy(p, raw + i, (size_t)len);
        p[len] = 0;
        dropped[k].reason = p;
        p += len + 1;
        i += (size_t)len;
        kb__varint_get(raw, doc.raw.n, &i, &len);
        memcpy(p, raw + i, (size_t)len);
        p[len] = 0;
        dropped[k].text = (kb_slice){p, (size_t)len};
        p += len + 1;
        i += (size_t)len;
    }
    s->blocks = blocks;
    s->captions = captions;
    s->dropped = dropped;
    s->n_dropped = nd;
    kb__doc_free(&doc);
    *out = s;
    return 0;
}

KB_API int kb_index_generation(kb_index *ix, uint64_t *gen)
{
    if (!ix || !gen) return KB_EINVAL;
    if (ix->in_txn || ix->in_read)
        return kb__index_fail(ix, KB_EINVAL, "generation asked inside a transaction");
    int64_t g = -1;
    int rc = kb__index_meta_read(ix, "commits", &g); /* one statement: its own snapshot */
    if (rc == KB_ENOTFOUND || (!rc && g < 0))
        return kb__index_fail(ix, KB_ECORRUPT, "meta: commit counter missing");
    if (!rc) *gen = (uint64_t)g;
    return rc;
}

KB_API void kb_stored_free(kb_stored *s)
{
    kb__free(s);
}

/* ---- check -------------------------------------------------------------------------------------
 */

typedef struct checker {
    kb_index *ix;
    kb_check_fn fn;
    void *ctx;
    uint64_t problems;
    int err; /* the check itself failed (out of memory, I/O): its findings are incomplete */
    uint64_t faults;      /* page checksum failures reported so far (checksum_vfs.c) */
    char last_fault[200]; /* the last one reported: a page read twice is reported once */
} checker;

static void page_faults(checker *c);

/* SQLite calls of the check: a failure of the check itself (not of the data) is kept in c->err,
 * so that running out of memory is reported as KB_ENOMEM and never as damage. */
static int prep(checker *c, const char *sql, sqlite3_stmt **st)
{
    int rc = sqlite3_prepare_v2(c->ix->db, sql, -1, st, NULL);
    if (rc == SQLITE_OK) return 1;
    if (rc == SQLITE_IOERR_DATA) {
        page_faults(c);
    } else if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_ERROR) {
        /* a damaged schema, or a table that is missing */
        c->problems++;
        if (c->fn) c->fn(c->ctx, sqlite3_errmsg(c->ix->db));
    } else if (!c->err) {
        c->err = kb__index_sqlerr(c->ix, rc, "check");
    }
    return 0;
}

static int step(checker *c, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_IOERR_DATA) {
        page_faults(c);
        return rc;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE && (rc & 0xff) != SQLITE_CORRUPT && !c->err)
        c->err = kb__index_sqlerr(c->ix, rc, "check");
    if ((rc & 0xff) == SQLITE_CORRUPT && c->fn) {
        c->problems++;
        c->fn(c->ctx, "sqlite: the database file is damaged (SQLITE_CORRUPT while reading)");
    }
    return rc;
}

static void problem(checker *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(checker *c, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->problems++;
    /* A badly damaged index could yield millions of problems: the first thousand say enough. */
    if (c->fn && c->problems <= 1000) c->fn(c->ctx, msg);
}

/* Pages that failed their checksum since the last report: damage found, named by file and page
 * (the check goes on; it is not a failure of the check itself). */
static void page_faults(checker *c)
{
    sqlite3 *db = c->ix->db;
    uint64_t n = kb__checksum_vfs_faults(db);
    for (; c->faults < n; c->faults++) {
        char msg[200];
        if (kb__checksum_vfs_fault(db, c->faults, msg, sizeof msg)) {
            if (strcmp(msg, c->last_fault)) problem(c, "%s", msg);
            memcpy(c->last_fault, msg, sizeof msg);
        } else {
            problem(c, "%llu more pages fail their checksums",
                    (unsigned long long)(n - c->faults - 8));
            c->faults = n - 8;
        }
    }
}

/* Printable form of a term key for messages. */
static void key_str(const unsigned char *k, size_t n, char *out, size_t cap)
{
    snprintf(out, cap, "%s \"%.*s\"",
             n && k[0] == 'F'   ? "form"
             : n && k[0] == 'S' ? "stem"
                                : "?",
             (int)KB_MIN(n ? n - 1 : 0, 80), n ? (const char *)k + 1 : "");
}

/* Verifies one block: checksum, decoding, order after prev_last. Returns postings or -1. */
static int64_t check_block(checker *c, const void *blob, size_t n, int with_pos, uint32_t max_doc,
                           uint32_t *prev_last, const char *what, kb_buf *tmp, uint32_t **pos,
                           uint32_t *cap)
{
    static __thread uint32_t docs[KB_BLOCK_MAX], tfs[KB_N_FIELDS][KB_BLOCK_MAX],
        pstart[KB_BLOCK_MAX + 1];
    kb__buf_reset(tmp);
    kb__buf_append(tmp, blob, n);
    if (kb__buf_reserve(tmp, KB_BLOCK_PAD)) {
        c->err = KB_ENOMEM;
        return -1;
    }
    memset(tmp->p + n, 0, KB_BLOCK_PAD);
    kb__block_head h;
    int rc = kb__block_decode((const unsigned char *)tmp->p, n, &h, docs, tfs,
                              with_pos ? pos : NULL, cap, pstart);
    if (rc == KB_ENOMEM) {
        c->err = KB_ENOMEM;
        return -1;
    }
    if (rc) {
        problem(c, "%s: block of %zu bytes does not decode (%s: bad checksum or damaged data)",
                what, n, kb_err_name(rc));
        return -1;
    }
    if (h.with_pos != with_pos) {
        problem(c, "%s: block has%s positions, expected%s", what, h.with_pos ? "" : " no",
                with_pos ? "" : " none");
        return -1;
    }
    if (h.first <= *prev_last)
        problem(c, "%s: block starts at docid %u, not after the previous block's %u", what, h.first,
                *prev_last);
    if (h.last > max_doc)
        problem(c, "%s: block refers to docid %u, past the last assigned docid %u", what, h.last,
                max_doc);
    *prev_last = h.last;
    return h.n;
}

KB_API int kb_index_check(kb_index *ix, kb_check_fn fn, void *ctx)
{
    if (!ix) return KB_EINVAL;
    checker c = {ix, fn, ctx, 0, 0, kb__checksum_vfs_faults(ix->db), ""};
    int rc = kb__index_read_begin(ix);
    if (rc) {
        problem(&c, "cannot open a snapshot: %s", kb_index_errmsg(ix));
        return rc == KB_ECORRUPT ? KB_ECORRUPT : rc;
    }
    /* 1. SQLite's own verification of pages, indexes and free lists. */
    sqlite3_stmt *st;
    if (prep(&c, "PRAGMA integrity_check", &st)) {
        while (step(&c, st) == SQLITE_ROW) {
            const char *m = (const char *)sqlite3_column_text(st, 0);
            /* "Page N: unable to get the page. error code=8202": a checksum failure, which
             * page_faults() names with its file */
            if (m && strstr(m, "error code=8202")) continue;
            if (m && strcmp(m, "ok")) problem(&c, "sqlite: %s", m);
        }
        sqlite3_finalize(st);
        page_faults(&c);
    }
    int64_t next_docid = -1, next_tid = -1;
    int mrc = kb__index_meta_read(ix, "next_docid", &next_docid);
    if (!mrc) mrc = kb__index_meta_read(ix, "next_tid", &next_tid);
    if (mrc && mrc != KB_ENOTFOUND) c.err = mrc;
    if (next_docid < 1 || next_tid < 1) problem(&c, "meta: next_docid or next_tid missing");
    uint32_t max_doc = next_docid > 1 ? (uint32_t)(next_docid - 1) : 0;
    if (ix->max_docid > max_doc)
        problem(&c, "docs: docid %u is past meta next_docid %lld", ix->max_docid,
                (long long)next_docid);

    /* 2. Every term and its postings: inline blocks here, rows of the blocks table below. */
    kb_buf tmp;
    kb__buf_init(&tmp, 0);
    uint32_t *pos = NULL, cap = 0;
    uint64_t n_terms = 0, n_rows_expected = 0;
    sqlite3_stmt *blk = NULL;
    prep(&c, "SELECT k, data FROM blocks WHERE k >= ?1 AND k <= ?2", &blk);
    if (prep(&c, "SELECT term, v FROM terms", &st)) {
        while (step(&c, st) == SQLITE_ROW) {
            n_terms++;
            char what[200];
            key_str(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), what,
                    sizeof what);
            const unsigned char *k = sqlite3_column_blob(st, 0);
            int kn = sqlite3_column_bytes(st, 0);
            if (kn < 2 || (k[0] != 'F' && k[0] != 'S')) {
                problem(&c, "terms: malformed key %s", what);
                continue;
            }
            int with_pos = k[0] == 'F';
            kb__term_row row;
            if (kb__term_value_parse(sqlite3_column_blob(st, 1),
                                     (size_t)sqlite3_column_bytes(st, 1), &row)) {
                problem(&c, "%s: dictionary entry does not parse", what);
                continue;
            }
            int64_t df = row.df;
            int64_t tid = (int64_t)row.tid;
            int64_t got = 0;
            uint32_t prev = 0;
            if (row.inl) {
                got = check_block(&c, row.inl, row.inl_n, with_pos, max_doc, &prev, what, &tmp,
                                  &pos, &cap);
            } else if (tid <= 0 || tid >= next_tid) {
                problem(&c, "%s: term id %lld out of range and no inline postings", what,
                        (long long)tid);
                continue;
            } else if (blk) {
                sqlite3_reset(blk);
                sqlite3_bind_int64(blk, 1, (sqlite3_int64)((uint64_t)tid << 32));
                sqlite3_bind_int64(blk, 2, (sqlite3_int64)((uint64_t)tid << 32 | 0xffffffffu));
                while (step(&c, blk) == SQLITE_ROW) {
                    n_rows_expected++;
                    if (got < 0) continue; /* count the term's rows; one damage report per term */
                    uint32_t key_last = (uint32_t)(sqlite3_column_int64(blk, 0) & 0xffffffff);
                    int64_t g = check_block(&c, sqlite3_column_blob(blk, 1),
                                            (size_t)sqlite3_column_bytes(blk, 1), with_pos, max_doc,
                                            &prev, what, &tmp, &pos, &cap);
                    if (g < 0) {
                        got = -1;
                        continue;
                    }
                    if (prev != key_last)
                        problem(&c, "%s: block row key says last docid %u, block says %u", what,
                                key_last, prev);
                    got += g;
                }
            }
            if (got >= 0 && got != df)
                problem(&c, "%s: dictionary says %lld documents, postings hold %lld", what,
                        (long long)df, (long long)got);
        }
        sqlite3_finalize(st);
    }
    sqlite3_finalize(blk);
    int64_t rows = 0;
    if (prep(&c, "SELECT count(*) FROM blocks", &st)) {
        if (step(&c, st) == SQLITE_ROW) rows = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    if ((uint64_t)rows != n_rows_expected)
        problem(&c, "blocks: %lld rows, but the terms refer to %llu (orphaned blocks)",
                (long long)rows, (unsigned long long)n_rows_expected);

    /* 3. Every document: a stored copy that decompresses and parses. */
    kb__doc d;
    kb__doc_init(&d);
    uint64_t n_docs = 0;
    if (prep(&c,
             "SELECT d.docid, d.id, s.data, d.date, d.ymd FROM docs d LEFT JOIN store s"
             " ON s.docid = d.docid",
             &st)) {
        while (step(&c, st) == SQLITE_ROW) {
            n_docs++;
            int64_t docid = sqlite3_column_int64(st, 0);
            const char *id = (const char *)sqlite3_column_text(st, 1);
            kb_slice date = {(const char *)sqlite3_column_text(st, 3),
                             (size_t)sqlite3_column_bytes(st, 3)};
            if (kb__index_ymd(date) != sqlite3_column_int64(st, 4))
                problem(&c, "document %lld (%s): date '%.*s' disagrees with its day number %lld",
                        (long long)docid, id ? id : "?", (int)KB_MIN(date.n, 40),
                        date.p ? date.p : "", (long long)sqlite3_column_int64(st, 4));
            if (sqlite3_column_type(st, 2) != SQLITE_BLOB) {
                problem(&c, "document %lld (%s): no stored copy", (long long)docid, id ? id : "?");
                continue;
            }
            int drc = kb__store_decode(ix, sqlite3_column_blob(st, 2),
                                       (size_t)sqlite3_column_bytes(st, 2), &d);
            if (drc == KB_ENOMEM)
                c.err = KB_ENOMEM;
            else if (drc)
                problem(&c, "document %lld (%s): stored copy is damaged (zstd frame or record)",
                        (long long)docid, id ? id : "?");
        }
        sqlite3_finalize(st);
    }
    int64_t stored = 0;
    if (prep(&c, "SELECT count(*) FROM store", &st)) {
        if (step(&c, st) == SQLITE_ROW) stored = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    if ((uint64_t)stored != n_docs)
        problem(&c, "store: %lld stored copies for %llu documents", (long long)stored,
                (unsigned long long)n_docs);
    if (n_docs != ix->coll_docs)
        problem(&c, "docs: %llu rows but %u live documents loaded", (unsigned long long)n_docs,
                ix->coll_docs);
    /* The deaths log (docs/format.md): readers drop what it lists from their arrays, so a docid
     * there must have no docs row, be one given out, and have died in a commit the log covers.
     * (A version 3 index opened read-only has no log.) */
    int64_t since = -1, commits = -1;
    if (!kb__index_meta_read(ix, "deaths_since", &since) &&
        !kb__index_meta_read(ix, "commits", &commits) &&
        prep(&c, "SELECT count(*) FROM deaths WHERE gen <= ?1 OR gen > ?2 OR docid < 1"
                 " OR docid >= ?3 OR docid IN (SELECT docid FROM docs)", &st)) {
        sqlite3_bind_int64(st, 1, since);
        sqlite3_bind_int64(st, 2, commits + (ix->in_txn ? 1 : 0)); /* a writer's own batch */
        sqlite3_bind_int64(st, 3, next_docid);
        if (step(&c, st) == SQLITE_ROW && sqlite3_column_int64(st, 0))
            problem(&c, "deaths: %lld entries of live, unknown or out-of-range documents",
                    (long long)sqlite3_column_int64(st, 0));
        sqlite3_finalize(st);
    }
    kb__doc_free(&d);
    kb__buf_free(&tmp);
    kb__free(pos);
    kb__index_read_end(ix);
    (void)n_terms;
    if (c.err) return c.err; /* the check could not finish: its findings would be partial */
    return c.problems ? KB_ECORRUPT : 0;
}

/* ---- compact ------------------------------------------------------------------------------------
 */

KB_API int kb_index_compact(kb_index *ix)
{
    if (!ix) return KB_EINVAL;
    if (ix->read_only) return kb__index_fail(ix, KB_EREADONLY, "index opened read-only");
    int rc = kb_index_commit(ix);
    if (rc) return rc;
    rc = kb__compact_postings(ix);
    if (rc) return rc;
    /* VACUUM needs every statement of the connection reset. */
    for (int i = 0; i < KB_ST_N; i++)
        if (ix->st[i]) sqlite3_reset(ix->st[i]);
    return kb__index_exec(ix, "VACUUM");
}
