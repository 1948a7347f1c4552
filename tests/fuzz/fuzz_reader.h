/*
 * fuzz_reader.h — the body shared by the reader's fuzz harnesses (fuzz_jsonl.c, fuzz_doc.c):
 * read arbitrary bytes as one file of a forced format. Every returned record's slices must lie
 * in readable memory (ASan checks the reads), every error must carry a message, and the reader
 * must come to an end. With `differential`, the bytes are read twice, with the JSON fast path
 * and with jansson alone, and both must return the same records and the same errors.
 */
#ifndef KHABAR_FUZZ_READER_H
#define KHABAR_FUZZ_READER_H

#include "khabar_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Appends every record and error of a reader to out, one per line. */
static void fuzz_transcript(kb_reader *r, kb_buf *out)
{
    kb_record rec;
    int rc;
    while ((rc = kb_reader_next(r, &rec)) != 0 && rc != KB_ENOMEM) {
        if (rc < 0) {
            const char *m = kb_reader_errmsg(r);
            if (!m[0]) abort();
            kb__buf_printf(out, "ERR %d %s\n", rc, m);
            continue;
        }
        kb_slice f[6] = {rec.id, rec.title, rec.body, rec.url, rec.source, rec.date};
        kb__buf_printf(out, "REC %llu %zu", (unsigned long long)rec.line, rec.n_repaired);
        for (int i = 0; i < 6; i++) {
            kb__buf_printf(out, " %zu:", f[i].n);
            kb__buf_append(out, f[i].p, f[i].n);
        }
        kb__buf_putc(out, '\n');
    }
}

static int fuzz_reader(const uint8_t *data, size_t size, kb_format format, const char *name,
                       int differential)
{
    kb_reader_options o = {.format = format};
    kb_buf a, b;
    kb__buf_init(&a, 0);
    kb__buf_init(&b, 0);
    kb_reader *r = kb_reader_open_mem(data, size, name, &o);
    if (r) fuzz_transcript(r, &a);
    kb_reader_close(r);
    if (differential) {
        r = kb_reader_open_mem(data, size, name, &o);
        if (r) {
            kb__reader_json_fast(r, 0);
            fuzz_transcript(r, &b);
        }
        kb_reader_close(r);
        if (!a.rc && !b.rc && (a.n != b.n || (a.n && memcmp(a.p, b.p, a.n) != 0))) {
            fprintf(stderr, "fast path:\n%s\njansson:\n%s\n", a.p ? a.p : "", b.p ? b.p : "");
            abort();
        }
    }
    kb__buf_free(&a);
    kb__buf_free(&b);
    return 0;
}

#endif
