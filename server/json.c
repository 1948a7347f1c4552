/*
 * json.c — the server's output buffer: a growable byte buffer with a hard maximum and a sticky
 * failure flag (append, append, append, check once), and JSON string escaping that never emits
 * invalid UTF-8 (an invalid byte becomes U+FFFD), so every answer the server sends is valid JSON.
 */
#include "server.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void srv_buf_init(srv_buf *b, size_t max)
{
    memset(b, 0, sizeof *b);
    b->max = max;
}

void srv_buf_free(srv_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

static int reserve(srv_buf *b, size_t extra)
{
    if (b->failed) return 0;
    if (extra > b->max || b->n + extra + 1 > b->max) {
        b->failed = 1;
        return 0;
    }
    if (b->n + extra + 1 <= b->cap) return 1;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->n + extra + 1)
        cap *= 2;
    if (cap > b->max) cap = b->max;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->failed = 1;
        return 0;
    }
    b->p = p;
    b->cap = cap;
    return 1;
}

void srv_buf_add(srv_buf *b, const void *p, size_t n)
{
    if (!reserve(b, n)) return;
    if (n) memcpy(b->p + b->n, p, n);
    b->n += n;
    b->p[b->n] = 0;
}

void srv_buf_puts(srv_buf *b, const char *s)
{
    srv_buf_add(b, s, strlen(s));
}

void srv_buf_putc(srv_buf *b, char c)
{
    srv_buf_add(b, &c, 1);
}

void srv_buf_printf(srv_buf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (k < 0) {
        b->failed = 1;
        return;
    }
    if ((size_t)k < sizeof tmp) {
        srv_buf_add(b, tmp, (size_t)k);
        return;
    }
    if (!reserve(b, (size_t)k)) return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)k + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)k;
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 when it is invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80) return 1;
    size_t len;
    unsigned cp;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

int srv_utf8_valid(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t k = utf8_seq(u + i, n - i);
        if (!k) return 0;
        i += k;
    }
    return 1;
}

void srv_buf_json_str(srv_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    /* worst case: every byte becomes \u00XX (6) or U+FFFD (3) */
    if (!reserve(b, n * 6 + 2)) return;
    char *o = b->p + b->n;
    *o++ = '"';
    size_t i = 0;
    while (i < n) {
        unsigned c = u[i];
        if (c >= 0x80) {
            size_t k = utf8_seq(u + i, n - i);
            if (!k) {
                memcpy(o, "\xEF\xBF\xBD", 3);
                o += 3;
                i++;
            } else {
                memcpy(o, u + i, k);
                o += k;
                i += k;
            }
            continue;
        }
        if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
        } else if (c == '\n') {
            *o++ = '\\';
            *o++ = 'n';
        } else if (c == '\t') {
            *o++ = '\\';
            *o++ = 't';
        } else if (c == '\r') {
            *o++ = '\\';
            *o++ = 'r';
        } else if (c < 0x20 || c == 0x7F) {
            *o++ = '\\';
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        } else if (c == '<') {
            /* "</script>" and HTML sniffing: keep JSON inert in any context */
            memcpy(o, "\\u003c", 6);
            o += 6;
        } else {
            *o++ = (char)c;
        }
        i++;
    }
    *o++ = '"';
    b->n = (size_t)(o - b->p);
    b->p[b->n] = 0;
}

int srv_error_json(srv_buf *out, int status, const char *code, const char *msg)
{
    out->n = 0;
    out->failed = 0;
    srv_buf_puts(out, "{\"error\":{\"code\":");
    srv_buf_json_str(out, code, strlen(code));
    srv_buf_puts(out, ",\"message\":");
    srv_buf_json_str(out, msg, strlen(msg));
    srv_buf_puts(out, "}}");
    return status;
}

const char *srv_param_get(const srv_request *rq, const char *name)
{
    for (size_t i = 0; i < rq->n_params; i++)
        if (!strcmp(rq->params[i].name, name)) return rq->params[i].value;
    return NULL;
}
