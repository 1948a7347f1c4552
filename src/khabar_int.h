/*
 * khabar_int.h — the library's private header: one section per module.
 *
 * Internal functions shared between modules are named kb__<module>_<verb>. Everything here may
 * change without notice; users include only include/khabar.h.
 */
#ifndef KHABAR_INT_H
#define KHABAR_INT_H

#include "khabar.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define KB_UNUSED(x) ((void)(x))
#define KB_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define KB_MIN(a, b) ((a) < (b) ? (a) : (b))
#define KB_MAX(a, b) ((a) > (b) ? (a) : (b))

/* ---- alloc.c: the allocator hook ------------------------------------------------------------ */

void *kb__malloc(size_t n);
void *kb__calloc(size_t count, size_t size);
void *kb__realloc(void *p, size_t n);
void kb__free(void *p);
char *kb__strndup(const char *s, size_t n);

/* ---- buf.c: growable byte buffers with a maximum and a sticky error ---------------------------
 *
 * The builder habit: append, append, append, check rc once. Once rc is set, appends do nothing.
 * A buffer never grows past max (KB_ETOOBIG); data is always NUL-terminated when rc is 0.
 */

typedef struct kb_buf {
    char *p;
    size_t n;   /* bytes used */
    size_t cap; /* bytes allocated */
    size_t max; /* hard limit on n; 0 means KB_BUF_DEFAULT_MAX */
    int rc;     /* first error met, or 0 */
} kb_buf;

/* 1 GiB: no single document, field or result the engine builds is near this; past it, something is
 * wrong with the input and a clear KB_ETOOBIG beats exhausting memory. */
#define KB_BUF_DEFAULT_MAX ((size_t)1 << 30)

void kb__buf_init(kb_buf *b, size_t max);
void kb__buf_free(kb_buf *b);
void kb__buf_reset(kb_buf *b); /* n = 0, rc = 0; keeps the allocation */
int kb__buf_reserve(kb_buf *b, size_t extra);
void kb__buf_append(kb_buf *b, const void *p, size_t n);
void kb__buf_putc(kb_buf *b, char c);
void kb__buf_puts(kb_buf *b, const char *s);
void kb__buf_printf(kb_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as the inside of a JSON string (quotes not included). */
void kb__buf_json_str(kb_buf *b, const char *s, size_t n);

/* ---- utf8.c: decoding that never fails --------------------------------------------------------- */

/* Decodes one code point from s[0..n), n >= 1. Sets *cp (U+FFFD for an invalid sequence) and
 * returns the number of bytes consumed (>= 1). *invalid is set to 1 for an invalid sequence. */
size_t kb__utf8_decode(const unsigned char *s, size_t n, int32_t *cp, int *invalid);
/* Encodes cp into out (4 bytes room); returns bytes written. */
size_t kb__utf8_encode(int32_t cp, char *out);

#endif /* KHABAR_INT_H */
