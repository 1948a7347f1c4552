/*
 * buf.c — growable byte buffers with a hard maximum and a sticky error code.
 *
 * Builders append many pieces and check the result once (the sticky-rc habit): after the first
 * failure every append is a no-op and b->rc holds the error.
 */
#include "khabar_int.h"

#include <stdarg.h>
#include <stdio.h>

void kb__buf_init(kb_buf *b, size_t max)
{
    memset(b, 0, sizeof *b);
    b->max = max ? max : KB_BUF_DEFAULT_MAX;
}

void kb__buf_free(kb_buf *b)
{
    if (!b)
        return;
    kb__free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

void kb__buf_reset(kb_buf *b)
{
    b->n = 0;
    b->rc = 0;
    if (b->p)
        b->p[0] = 0;
}

int kb__buf_reserve(kb_buf *b, size_t extra)
{
    if (b->rc)
        return b->rc;
    if (!b->max)
        b->max = KB_BUF_DEFAULT_MAX;
    if (extra > b->max || b->n > b->max - extra)
        return b->rc = KB_ETOOBIG;
    size_t need = b->n + extra + 1; /* room for the NUL */
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = kb__realloc(b->p, cap);
    if (!p)
        return b->rc = KB_ENOMEM;
    b->p = p;
    b->cap = cap;
    return 0;
}

void kb__buf_append(kb_buf *b, const void *p, size_t n)
{
    if (kb__buf_reserve(b, n))
        return;
    if (n)
        memcpy(b->p + b->n, p, n);
    b->n += n;
    b->p[b->n] = 0;
}

void kb__buf_putc(kb_buf *b, char c)
{
    kb__buf_append(b, &c, 1);
}

void kb__buf_puts(kb_buf *b, const char *s)
{
    kb__buf_append(b, s, strlen(s));
}

void kb__buf_printf(kb_buf *b, const char *fmt, ...)
{
    if (b->rc)
        return;
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (k < 0) {
        b->rc = KB_EINVAL;
        return;
    }
    if ((size_t)k < sizeof small) {
        kb__buf_append(b, small, (size_t)k);
        return;
    }
    if (kb__buf_reserve(b, (size_t)k))
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)k + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)k;
}

void kb__buf_json_str(kb_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t run = 0; /* start of the pending run of bytes that need no escaping */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        kb__buf_append(b, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': kb__buf_append(b, "\\\"", 2); break;
        case '\\': kb__buf_append(b, "\\\\", 2); break;
        case '\n': kb__buf_append(b, "\\n", 2); break;
        case '\r': kb__buf_append(b, "\\r", 2); break;
        case '\t': kb__buf_append(b, "\\t", 2); break;
        default: {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            kb__buf_append(b, e, 6);
        }
        }
    }
    kb__buf_append(b, s + run, n - run);
}
