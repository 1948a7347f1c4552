/*
 * input_doc.c — TREC-style <DOC> files: <DOC><DOCNO>…</DOCNO><TITLE>…</TITLE><TEXT>…</TEXT></DOC>.
 *
 * Part of the reader (input.c). A record runs from a line that starts with <DOC> to the line
 * holding </DOC>; it stays in the reader's window while it is read (bounded by
 * KB_INPUT_MAX_RECORD), so its fields are slices of the window. Inside, each <TAG>…</TAG> pair
 * is one field: DOCNO is the id; TITLE/HEADLINE the title; TEXT/BODY the body; URL, SRC/SOURCE
 * and TIME/DATE the metadata. Other tags (CAT, AUTHOR, ABSTRACT, …) are tolerated and ignored.
 * <P> paragraph tags inside the body become line breaks.
 *
 * Malformed input is reported and skipped, and reading goes on: text outside any record (one
 * error per stretch of such lines), a record without </DOC> (ended by the next <DOC> or by the
 * end of the file), a tag that is never closed, text between tags.
 */
#include "khabar_int.h"

#include <stdio.h>
#include <strings.h>

enum { DOC_OUTSIDE = 0, DOC_INSIDE = 1, DOC_SKIP = 2, DOC_JUNK = 3 };

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Finds needle (ASCII, compared without case) in p[0..n). */
static const char *find_ci(const char *p, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++) {
        const char *q = memchr(p + i, '<', n - i - k + 1);
        if (!q) return NULL;
        i = (size_t)(q - p);
        if (!strncasecmp(q, needle, k)) return q;
    }
    return NULL;
}

static int starts_doc(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && is_space(p[i]))
        i++;
    return n - i >= 5 && !strncasecmp(p + i, "<DOC", 4) && (p[i + 4] == '>' || p[i + 4] == ' ');
}

static uint64_t line_at(const char *p, size_t from, size_t to, uint64_t line)
{
    for (size_t i = from; i < to; i++)
        line += p[i] == '\n';
    return line;
}

static kb_slice trimmed(const char *p, size_t a, size_t b)
{
    while (a < b && is_space(p[a]))
        a++;
    while (b > a && is_space(p[b - 1]))
        b--;
    return (kb_slice){p + a, b - a};
}

/* Removes <P>, </P> and <P attr> tags of the body, keeping line breaks. */
static kb_slice strip_p(kb_reader *r, kb_slice body)
{
    if (!find_ci(body.p, body.n, "<p")) return body;
    kb__buf_reset(&r->doc);
    size_t i = 0, run = 0;
    while (i < body.n) {
        const char *q = memchr(body.p + i, '<', body.n - i);
        if (!q) break;
        i = (size_t)(q - body.p);
        size_t j = i + 1 + (i + 1 < body.n && body.p[i + 1] == '/');
        if (j < body.n && (body.p[j] | 0x20) == 'p' && j + 1 < body.n &&
            (body.p[j + 1] == '>' || body.p[j + 1] == ' ')) {
            const char *gt = memchr(body.p + j, '>', body.n - j);
            if (gt) {
                kb__buf_append(&r->doc, body.p + run, i - run);
                i = run = (size_t)(gt - body.p) + 1;
                continue;
            }
        }
        i++;
    }
    kb__buf_append(&r->doc, body.p + run, body.n - run);
    if (r->doc.rc) return body;
    return trimmed(r->doc.p, 0, r->doc.n);
}

/* Parses the record in the window [a, b) (from "<DOC" to the end of the "</DOC>" line). */
static int parse_doc(kb_reader *r, kb_record *rec, size_t a, size_t b)
{
    const char *p = r->win.p;
    uint64_t line0 = r->doc_line;
    const char *gt = memchr(p + a, '>', b - a);
    const char *end = find_ci(p + a, b - a, "</DOC>");
    if (!gt || !end) return KB_EINTERNAL;
    size_t i = (size_t)(gt - p) + 1, e = (size_t)(end - p);
    /* Text after </DOC> on its line is not part of any record. */
    kb_slice after = trimmed(p, e + 6, b);
    if (after.n) {
        kb__reader_error(r, r->line, "text after </DOC> on the same line");
        return KB_EPARSE;
    }
    int have_title = 0, have_body = 0;
    while (i < e) {
        while (i < e && is_space(p[i]))
            i++;
        if (i >= e) break;
        if (p[i] != '<') {
            kb__reader_error(r, line_at(p, a, i, line0),
                             "text outside any tag in the <DOC> record of line %llu",
                             (unsigned long long)line0);
            return KB_EPARSE;
        }
        size_t ns = i + 1, ne = ns;
        while (ne < e &&
               (p[ne] == '_' || p[ne] == '-' || p[ne] == ':' ||
                ((p[ne] | 0x20) >= 'a' && (p[ne] | 0x20) <= 'z') || (p[ne] >= '0' && p[ne] <= '9')))
            ne++;
        const char *tgt = memchr(p + ne, '>', e - ne);
        if (ne == ns || !tgt) {
            kb__reader_error(r, line_at(p, a, i, line0), "malformed tag in <DOC> record");
            return KB_EPARSE;
        }
        size_t name_len = ne - ns;
        size_t cs = (size_t)(tgt - p) + 1;
        if (tgt > p + ns && tgt[-1] == '/') { /* <EMPTY/> */
            i = cs;
            continue;
        }
        char close[72];
        if (name_len > sizeof close - 4) {
            kb__reader_error(r, line_at(p, a, i, line0), "tag name too long in <DOC> record");
            return KB_EPARSE;
        }
        close[0] = '<', close[1] = '/';
        memcpy(close + 2, p + ns, name_len);
        close[2 + name_len] = '>';
        close[3 + name_len] = 0;
        const char *ce = find_ci(p + cs, e - cs, close);
        if (!ce) {
            kb__reader_error(r, line_at(p, a, i, line0), "<%.*s> is never closed (no %s)",
                             (int)name_len, p + ns, close);
            return KB_EPARSE;
        }
        kb_slice v = trimmed(p, cs, (size_t)(ce - p));
        const char *name = p + ns;
#define IS(tag) (name_len == sizeof(tag) - 1 && !strncasecmp(name, tag, name_len))
        if (IS("DOCNO") || IS("DOCID"))
            rec->id = v;
        else if ((IS("TITLE") || IS("HEADLINE") || IS("HL") || IS("HEAD")) && !have_title)
            rec->title = v, have_title = 1;
        else if ((IS("TEXT") || IS("BODY")) && !have_body)
            rec->body = v, have_body = 1;
        else if (IS("URL"))
            rec->url = v;
        else if (IS("SRC") || IS("SOURCE"))
            rec->source = v;
        else if (IS("TIME") || IS("DATE") || IS("DATETIME") || IS("DATE_TIME"))
            rec->date = v;
#undef IS
        i = (size_t)(ce - p) + name_len + 3;
    }
    if (rec->body.n) rec->body = strip_p(r, rec->body);
    if (!rec->id.n) {
        kb__buf_reset(&r->fields);
        kb__reader_derived_id(r, &r->fields, line0);
        if (r->fields.rc) return r->fields.rc;
        rec->id = (kb_slice){r->fields.p, r->fields.n};
    }
    rec->line = line0;
    rec->n_repaired = kb__reader_repairs(r, a, b);
    return 1;
}

int kb__reader_doc_next(kb_reader *r, kb_record *rec)
{
    for (;;) {
        if (r->state != DOC_INSIDE) r->pos = r->scan;
        size_t a, b;
        int rc = kb__reader_line(r, &a, &b);
        if (rc == KB_ETOOBIG) {
            uint64_t at = r->state == DOC_INSIDE ? r->doc_line : r->line + 1;
            if (r->state == DOC_INSIDE) {
                r->state = DOC_SKIP;
                r->pos = r->scan;
            }
            if (r->win.n - r->pos >= KB_INPUT_MAX_RECORD) { /* one line alone is too long */
                if ((rc = kb__reader_skip_line(r)) < 0) return rc;
            }
            kb__reader_error(r, at,
                             "<DOC> record larger than %u MiB, the limit for one record; "
                             "skipped",
                             (unsigned)(KB_INPUT_MAX_RECORD >> 20));
            return KB_ETOOBIG;
        }
        if (rc < 0) return rc;
        if (rc == 0) {
            int st = r->state;
            r->state = DOC_OUTSIDE;
            if (st == DOC_INSIDE && !r->drc) {
                kb__reader_error(r, r->doc_line,
                                 "<DOC> record not closed: the file ends before </DOC>");
                return KB_EPARSE;
            }
            if (st == DOC_JUNK) {
                kb__reader_error(r, r->junk_line,
                                 "text outside <DOC> records (lines %llu-%llu); skipped",
                                 (unsigned long long)r->junk_line, (unsigned long long)r->line);
                return KB_EPARSE;
            }
            return 0;
        }
        const char *p = r->win.p;
        int opens = starts_doc(p + a, b - a);
        switch (r->state) {
        case DOC_JUNK:
            if (!opens) continue;
            /* give the <DOC> line back and report the stray text before it */
            r->scan = r->look = a;
            r->line--;
            r->state = DOC_OUTSIDE;
            kb__reader_error(r, r->junk_line,
                             "text outside <DOC> records (lines %llu-%llu); skipped",
                             (unsigned long long)r->junk_line, (unsigned long long)r->line);
            return KB_EPARSE;
        case DOC_SKIP:
            if (find_ci(p + a, b - a, "</DOC>")) r->state = DOC_OUTSIDE;
            continue;
        case DOC_OUTSIDE:
            if (trimmed(p, a, b).n == 0) continue;
            if (!opens) {
                r->state = DOC_JUNK;
                r->junk_line = r->line;
                continue;
            }
            r->state = DOC_INSIDE;
            r->doc_line = r->line;
            r->pos = a;
            break;
        case DOC_INSIDE:
            if (opens) {
                r->scan = r->look = a;
                r->line--;
                r->state = DOC_OUTSIDE;
                kb__reader_error(r, r->doc_line,
                                 "<DOC> record not closed: a new <DOC> begins at line %llu",
                                 (unsigned long long)(r->line + 1));
                return KB_EPARSE;
            }
            break;
        }
        if (find_ci(p + a, b - a, "</DOC>")) {
            r->state = DOC_OUTSIDE;
            size_t start = r->pos;
            while (is_space(p[start]))
                start++;
            rc = parse_doc(r, rec, start, b);
            r->pos = r->scan;
            return rc;
        }
    }
}
