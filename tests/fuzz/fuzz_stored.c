/*
 * fuzz_stored.c — the stored-article decoder (kb__store_decode, src/store.c) fed damaged records.
 *
 * A stored article is one zstd frame holding: varint title length, title, varint body length,
 * body, varint block count, then a type byte and a varint length per block, then a varint count
 * of dropped lines and per line a varint-prefixed reason and text (docs/format.md).
 * The first input byte picks a mode (byte % 3):
 *   0: the rest is taken as the compressed frame itself (what a damaged BLOB in the store table
 *      looks like): decode must succeed or return KB_ECORRUPT;
 *   1: the rest is compressed as is and decoded, so the record parser (varints, lengths, block
 *      table) sees arbitrary decompressed bytes behind a valid frame;
 *   2: the rest is an article (title, a NUL, the body; blocks split at blank lines, types from
 *      the bytes): it is encoded as the index writes it, then, when bit 2 of the first byte is
 *      set, one byte of the frame (chosen by the input) is damaged. An undamaged record must
 *      decode to exactly the title and body encoded; a damaged one must be KB_ECORRUPT or
 *      (a damaged byte zstd does not need) decode to that same article.
 * On success, the title and body must lie inside the decompressed record. Anything else, or a
 * crash or a sanitizer report, is a finding.
 */
#include "index_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <zstd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Encodes title and body the way the index stores them (blocks split at "\n\n"). */
static void encode(kb_buf *raw, const char *title, size_t tn, const char *body, size_t bn,
                   uint8_t type_seed)
{
    kb__varint_put(raw, tn);
    kb__buf_append(raw, title, tn);
    kb__varint_put(raw, bn);
    kb__buf_append(raw, body, bn);
    /* Block table: the lengths of the body's "\n\n"-separated parts. */
    size_t n_blocks = 1;
    for (size_t i = 0; i + 1 < bn; i++)
        if (body[i] == '\n' && body[i + 1] == '\n') {
            n_blocks++;
            i++;
        }
    kb__varint_put(raw, n_blocks);
    size_t start = 0, k = 0;
    for (size_t i = 0; i <= bn; i++) {
        if (i == bn || (i + 1 < bn && body[i] == '\n' && body[i + 1] == '\n')) {
            char type = (char)((type_seed + k++) % (KB_PBLOCK_CAPTION + 1));
            kb__buf_append(raw, &type, 1);
            kb__varint_put(raw, i - start);
            if (i == bn) break;
            start = i + 2;
            i++;
        }
    }
    /* Dropped lines: one, whose reason and text are the title (any bytes do). */
    kb__varint_put(raw, 1);
    kb__varint_put(raw, tn);
    kb__buf_append(raw, title, tn);
    kb__varint_put(raw, tn);
    kb__buf_append(raw, title, tn);
}

static void check_inside(const kb__doc *d)
{
    const char *lo = d->raw.p, *hi = d->raw.p + d->raw.n;
    if (d->title.n && (d->title.p < lo || d->title.p + d->title.n > hi)) abort();
    if (d->body.n && (d->body.p < lo || d->body.p + d->body.n > hi)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    unsigned mode = data[0] % 3;
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    kb__doc d;
    kb__doc_init(&d);
    kb_buf raw, z;
    kb__buf_init(&raw, 0);
    kb__buf_init(&z, 0);
    int rc;
    if (mode == 0) {
        rc = kb__store_decode(NULL, p, n, &d);
        if (rc != 0 && rc != KB_ECORRUPT && rc != KB_ENOMEM) abort();
        if (rc == 0) check_inside(&d);
    } else {
        const char *title = "", *body = (const char *)p;
        size_t tn = 0, bn = n;
        if (mode == 1) {
            kb__buf_append(&raw, p, n);
        } else {
            const uint8_t *nul = memchr(p, 0, n);
            if (nul) {
                title = (const char *)p;
                tn = (size_t)(nul - p);
                body = (const char *)nul + 1;
                bn = n - tn - 1;
            }
            encode(&raw, title, tn, body, bn, data[0]);
        }
        if (raw.rc) goto out;
        size_t cap = ZSTD_compressBound(raw.n);
        if (kb__buf_reserve(&z, cap)) goto out;
        ZSTD_CCtx *cc = ZSTD_createCCtx();
        if (!cc) goto out;
        ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
        size_t zn = ZSTD_compress2(cc, z.p, cap, raw.p ? raw.p : "", raw.n);
        ZSTD_freeCCtx(cc);
        if (ZSTD_isError(zn)) abort();
        int damaged = mode == 2 && (data[0] & 4) && n >= 2 && zn > 0;
        if (damaged) z.p[(p[0] | (size_t)p[1] << 8) % zn] ^= (char)(p[n - 1] | 1);
        rc = kb__store_decode(NULL, z.p, zn, &d);
        if (rc != 0 && rc != KB_ECORRUPT && rc != KB_ENOMEM) abort();
        if (rc == 0) check_inside(&d);
        if (mode == 2 && !damaged && rc != 0) abort(); /* a record the writer makes must decode */
        if (mode == 2 && rc == 0 &&
            (d.title.n != tn || d.body.n != bn || (tn && memcmp(d.title.p, title, tn) != 0) ||
             (bn && memcmp(d.body.p, body, bn) != 0)))
            abort();
    }
out:
    kb__buf_free(&raw);
    kb__buf_free(&z);
    kb__doc_free(&d);
    return 0;
}
