/*
 * fuzz_reader.h — the body shared by the reader's fuzz harnesses (fuzz_jsonl.c, fuzz_doc.c):
 * read arbitrary bytes as one file of a forced format. Every returned record's slices must lie
 * in readable memory (ASan checks the reads), every error must carry a message, and the reader
 * must come to an end.
 */
#ifndef KHABAR_FUZZ_READER_H
#define KHABAR_FUZZ_READER_H

#include "khabar.h"

#include <stdint.h>
#include <stdlib.h>

static volatile unsigned fuzz_sink;

static void fuzz_touch(kb_slice s)
{
    for (size_t i = 0; i < s.n; i++)
        fuzz_sink += (unsigned char)s.p[i];
}

static int fuzz_reader(const uint8_t *data, size_t size, kb_format format, const char *name)
{
    kb_reader_options o = {.format = format};
    kb_reader *r = kb_reader_open_mem(data, size, name, &o);
    if (!r) return 0;
    kb_record rec;
    int rc;
    while ((rc = kb_reader_next(r, &rec)) != 0 && rc != KB_ENOMEM) {
        if (rc < 0) {
            if (!kb_reader_errmsg(r)[0]) abort();
            continue;
        }
        fuzz_touch(rec.id), fuzz_touch(rec.title), fuzz_touch(rec.body);
        fuzz_touch(rec.url), fuzz_touch(rec.source), fuzz_touch(rec.date);
    }
    kb_reader_close(r);
    return 0;
}

#endif
