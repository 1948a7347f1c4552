/*
 * input_json.c — JSON records: JSON lines (one object per line) and JSON arrays of objects.
 *
 * Part of the reader (input.c). The record's fields are found by name: the caller's names when
 * given (a comma-separated list of alternatives), else the usual names of news dumps (DEFAULT_*
 * below). A string field is used as is; a number becomes its decimal text (ids are often
 * numbers); an array becomes its string elements joined by newlines (scraped paragraphs); null
 * and objects count as absent.
 *
 * Two parsers give the same records. The fast path (json_fast) is a strict RFC 8259 scanner
 * that looks only at the six fields and points into the reader's window for strings without
 * escapes: no allocation per record, several times jansson's speed on news dumps. Whatever it is
 * not sure of — malformed input, \u0000, lone surrogates, numbers out of range, duplicate
 * field names, deep nesting — it hands to jansson, which is the reference: it parses the unusual
 * record or words the error message. The fuzz harness and the unit tests check that both paths
 * agree.
 *
 * A JSON array file ("[{…},{…}]", possibly pretty-printed over many lines) is read one element
 * at a time by a small scanner that finds where each object ends (strings and nesting tracked),
 * so a large array streams like JSON lines. A malformed line is one error and reading goes on
 * with the next line; in an array, a structural error ends the file (there is no safe place to
 * resume), after the objects read so far.
 */
#include "khabar_int.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static const char DEFAULT_ID[] = "id,docno,doc_id,_id,uuid";
static const char DEFAULT_TITLE[] = "title,headline";
static const char DEFAULT_BODY[] = "body,text,content,article,article_body";
static const char DEFAULT_URL[] = "url,link";
static const char DEFAULT_SOURCE[] = "source,src,site,website,domain";
static const char DEFAULT_DATE[] =
    "date,published,published_at,date_published,datetime,time,pubdate,date_extracted,timestamp";

void kb__reader_json_release(kb_reader *r)
{
    if (r->json) json_decref(r->json);
    r->json = NULL;
}

/* Splits the six fields' name lists once per reader. */
static void split_names(kb_reader *r)
{
    const kb_reader_options *o = &r->opts;
    const char *lists[6] = {o->id_field ? o->id_field : DEFAULT_ID,
                            o->title_field ? o->title_field : DEFAULT_TITLE,
                            o->body_field ? o->body_field : DEFAULT_BODY,
                            o->url_field ? o->url_field : DEFAULT_URL,
                            o->source_field ? o->source_field : DEFAULT_SOURCE,
                            o->date_field ? o->date_field : DEFAULT_DATE};
    for (int s = 0; s < 6; s++) {
        const char *p = lists[s];
        uint8_t k = 0;
        while (*p && k < KB_INPUT_MAX_NAMES) {
            const char *c = strchr(p, ',');
            size_t n = c ? (size_t)(c - p) : strlen(p);
            if (n) r->json_names[s][k++] = (kb_slice){p, n};
            p += n + (c != NULL);
        }
        r->n_json_names[s] = k;
    }
    r->json_names_ready = 1;
}

void kb__reader_json_fast(kb_reader *r, int on)
{
    r->json_fast_off = !on;
}

/* Finds the first of a field's names present in obj with a usable value. */
static json_t *find_field(kb_reader *r, json_t *obj, int slot)
{
    char key[128];
    for (int i = 0; i < r->n_json_names[slot]; i++) {
        kb_slice nm = r->json_names[slot][i];
        if (nm.n >= sizeof key) continue;
        memcpy(key, nm.p, nm.n);
        key[nm.n] = 0;
        json_t *v = json_object_get(obj, key);
        if (v && (json_is_string(v) || json_is_number(v) ||
                  (json_is_array(v) && json_array_size(v) > 0) || json_is_boolean(v)))
            return v;
    }
    return NULL;
}

/* A field value as a slice: strings borrowed from jansson, the rest made in r->fields.
 * Made strings are recorded as an offset and a length and turned into slices once the
 * buffer has stopped moving. */
enum { SLICE_NONE, SLICE_BORROWED, SLICE_MADE };

static int field_value(kb_reader *r, json_t *v, kb_slice *out, size_t *off)
{
    if (!v) return SLICE_NONE;
    if (json_is_string(v)) {
        *out = (kb_slice){json_string_value(v), json_string_length(v)};
        return SLICE_BORROWED;
    }
    *off = r->fields.n;
    if (json_is_integer(v)) {
        kb__buf_printf(&r->fields, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    } else if (json_is_real(v)) {
        kb__buf_printf(&r->fields, "%.17g", json_real_value(v));
    } else if (json_is_boolean(v)) {
        kb__buf_puts(&r->fields, json_is_true(v) ? "true" : "false");
    } else if (json_is_array(v)) {
        size_t i, k = 0;
        json_t *e;
        json_array_foreach(v, i, e)
        {
            if (!json_is_string(e)) continue;
            if (k++) kb__buf_putc(&r->fields, '\n');
            kb__buf_append(&r->fields, json_string_value(e), json_string_length(e));
        }
    }
    out->n = r->fields.n - *off;
    return SLICE_MADE;
}

static int finish_record(kb_reader *r, kb_record *rec, kb_slice *slots[6], int kind[6],
                         size_t off[6], uint64_t line);

/* Fills rec from the parsed object r->json found at line `line`. */
static int fill_record(kb_reader *r, kb_record *rec, uint64_t line)
{
    kb_slice *slots[6] = {&rec->id, &rec->title, &rec->body, &rec->url, &rec->source, &rec->date};
    int kind[6];
    size_t off[6] = {0};
    kb__buf_reset(&r->fields);
    for (int i = 0; i < 6; i++) {
        *slots[i] = (kb_slice){NULL, 0};
        kind[i] = field_value(r, find_field(r, r->json, i), slots[i], &off[i]);
    }
    return finish_record(r, rec, slots, kind, off, line);
}

/* Common end of both paths: the derived id, the made slices, the line. */
static int finish_record(kb_reader *r, kb_record *rec, kb_slice *slots[6], int kind[6],
                         size_t off[6], uint64_t line)
{
    if (kind[0] == SLICE_NONE || slots[0]->n == 0) { /* no id: FILESTEM:LINE */
        off[0] = r->fields.n;
        kb__reader_derived_id(r, &r->fields, line);
        slots[0]->n = r->fields.n - off[0];
        kind[0] = SLICE_MADE;
    }
    if (r->fields.rc) {
        if (r->fields.rc == KB_ENOMEM) return KB_ENOMEM;
        kb__reader_error(r, line, "record too large");
        return r->fields.rc;
    }
    for (int i = 0; i < 6; i++)
        if (kind[i] == SLICE_MADE) slots[i]->p = r->fields.p + off[i];
    rec->line = line;
    return 1;
}

/* Parses text[0..n) as one JSON object into r->json. */
static int parse_object(kb_reader *r, const char *text, size_t n, uint64_t line)
{
    json_error_t err;
    kb__reader_json_release(r);
    r->json = json_loadb(text, n, 0, &err);
    if (!r->json) {
        if (err.line > 1)
            kb__reader_error(r, line + (uint64_t)err.line - 1, "malformed JSON (column %d): %s",
                             err.column, err.text);
        else
            kb__reader_error(r, line, "malformed JSON (column %d): %s", err.column, err.text);
        return KB_EPARSE;
    }
    if (!json_is_object(r->json)) {
        kb__reader_error(r, line, "a JSON %s, where a record (a JSON object) was expected",
                         json_is_array(r->json)    ? "array"
                         : json_is_string(r->json) ? "string"
                         : json_is_number(r->json) ? "number"
                                                   : "literal");
        kb__reader_json_release(r);
        return KB_EPARSE;
    }
    return 0;
}

/* ---- the fast path ------------------------------------------------------------------------------
 *
 * A strict scanner over one object in the window. It returns 0 ("ask jansson") on anything it
 * does not handle, never an error of its own, so jansson's messages stay the only ones.
 */

/* Nesting deeper than this inside a record goes to jansson (which allows 2048 levels). */
#define JSON_FAST_MAX_DEPTH 64

static inline const char *skip_ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* Has a byte '"', '\\' or below 0x20 among the 8 bytes of x (exact, as a boolean). */
static inline int word_special(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
    return (((q - ones) & ~q) | ((b - ones) & ~b) | ((x - ones * 0x20) & ~x)) & high ? 1 : 0;
}

static int hex4(const char *p, unsigned *v)
{
    unsigned x = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        x <<= 4;
        if (c >= '0' && c <= '9')
            x |= (unsigned)(c - '0');
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            x |= (unsigned)((c | 0x20) - 'a' + 10);
        else
            return 0;
    }
    *v = x;
    return 1;
}

/*
 * Scans a string whose opening quote is at p[-1]. Returns the position after the closing quote,
 * or NULL (ask jansson). Sets *esc when the string has escapes (decode_string() then decodes
 * it; without escapes the string is its own bytes).
 */
static const char *scan_string(const char *p, const char *e, int *esc)
{
    *esc = 0;
    for (;;) {
        while (p + 8 <= e) {
            uint64_t x;
            memcpy(&x, p, 8);
            if (word_special(x)) break;
            p += 8;
        }
        while (p < e && (unsigned char)*p >= 0x20 && *p != '"' && *p != '\\')
            p++;
        if (p >= e || (unsigned char)*p < 0x20) return NULL;
        if (*p == '"') return p + 1;
        /* an escape */
        *esc = 1;
        if (p + 1 >= e) return NULL;
        switch (p[1]) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
            p += 2;
            continue;
        case 'u': {
            unsigned u, lo;
            if (e - p < 6 || !hex4(p + 2, &u) || u == 0) return NULL; /* \u0000: jansson's call */
            p += 6;
            if (u >= 0xDC00 && u <= 0xDFFF) return NULL;
            if (u >= 0xD800 && u <= 0xDBFF) {
                if (e - p < 6 || p[0] != '\\' || p[1] != 'u' || !hex4(p + 2, &lo) || lo < 0xDC00 ||
                    lo > 0xDFFF)
                    return NULL;
                p += 6;
            }
            continue;
        }
        default:
            return NULL;
        }
    }
}

/* Appends the body v[0..end) of a string that scan_string() accepted, decoded, to out. The
 * decoded form is never longer than the escaped one, so one reservation covers it. */
static void decode_string(const char *v, const char *end, kb_buf *out)
{
    if (kb__buf_reserve(out, (size_t)(end - v))) return;
    char *o = out->p + out->n;
    while (v < end) {
        const char *bs = memchr(v, '\\', (size_t)(end - v));
        size_t run = bs ? (size_t)(bs - v) : (size_t)(end - v);
        memcpy(o, v, run);
        o += run;
        v += run;
        if (!bs) break;
        char c = v[1];
        if (c == 'u') {
            unsigned u = 0, lo = 0;
            hex4(v + 2, &u);
            v += 6;
            if (u >= 0xD800 && u <= 0xDBFF) {
                hex4(v + 2, &lo);
                u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                v += 6;
            }
            o += kb__utf8_encode((int32_t)u, o);
            continue;
        }
        *o++ = c == 'b'   ? '\b'
               : c == 'f' ? '\f'
               : c == 'n' ? '\n'
               : c == 'r' ? '\r'
               : c == 't' ? '\t'
                          : c;
        v += 2;
    }
    out->n = (size_t)(o - out->p);
    out->p[out->n] = 0;
}

/* Scans a number (RFC 8259 grammar). Sets *real when it has a fraction or an exponent. */
static const char *scan_number(const char *p, const char *e, int *real)
{
    *real = 0;
    if (p < e && *p == '-') p++;
    if (p >= e) return NULL;
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        while (p < e && *p >= '0' && *p <= '9')
            p++;
    else
        return NULL;
    if (p < e && *p == '.') {
        *real = 1;
        const char *d = ++p;
        while (p < e && *p >= '0' && *p <= '9')
            p++;
        if (p == d) return NULL;
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        *real = 1;
        p++;
        if (p < e && (*p == '+' || *p == '-')) p++;
        const char *d = p;
        while (p < e && *p >= '0' && *p <= '9')
            p++;
        if (p == d) return NULL;
    }
    return p;
}

/* Converts a number as jansson does: 0, or -1 when jansson would refuse it (an integer beyond
 * 64 bits, a real that overflows). When out is not NULL, appends the text jansson would print. */
static int put_number(kb_buf *out, const char *p, size_t n, int real)
{
    char tmp[64];
    if (n >= sizeof tmp) return -1; /* longer numbers: jansson's call */
    memcpy(tmp, p, n);
    tmp[n] = 0;
    errno = 0;
    if (real) {
        double d = strtod(tmp, NULL);
        if (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL)) return -1;
        if (out) kb__buf_printf(out, "%.17g", d);
    } else {
        long long v = strtoll(tmp, NULL, 10);
        if (errno == ERANGE) return -1;
        if (out) kb__buf_printf(out, "%lld", v);
    }
    return 0;
}

/* Scans any value; NULL when invalid or not handled. */
static const char *skip_value(const char *p, const char *e, int depth)
{
    int esc, real;
    if (p >= e) return NULL;
    switch (*p) {
    case '"':
        return scan_string(p + 1, e, &esc);
    case 't':
        return e - p >= 4 && !memcmp(p, "true", 4) ? p + 4 : NULL;
    case 'f':
        return e - p >= 5 && !memcmp(p, "false", 5) ? p + 5 : NULL;
    case 'n':
        return e - p >= 4 && !memcmp(p, "null", 4) ? p + 4 : NULL;
    case '[':
    case '{': {
        if (depth >= JSON_FAST_MAX_DEPTH) return NULL;
        char close = *p == '[' ? ']' : '}';
        p = skip_ws(p + 1, e);
        if (p < e && *p == close) return p + 1;
        for (;;) {
            if (close == '}') {
                if (p >= e || *p != '"' || !(p = scan_string(p + 1, e, &esc))) return NULL;
                p = skip_ws(p, e);
                if (p >= e || *p != ':') return NULL;
                p = skip_ws(p + 1, e);
            }
            if (!(p = skip_value(p, e, depth + 1))) return NULL;
            p = skip_ws(p, e);
            if (p < e && *p == ',') {
                p = skip_ws(p + 1, e);
                continue;
            }
            return p < e && *p == close ? p + 1 : NULL;
        }
    }
    default: {
        const char *q = scan_number(p, e, &real);
        return q && put_number(NULL, p, (size_t)(q - p), real) == 0 ? q : NULL;
    }
    }
}

/* Which field (slot) and which of its names (prio) a key is; 0 when none. */
static int match_key(kb_reader *r, const char *k, size_t n, int *slot, int *prio)
{
    for (int s = 0; s < 6; s++)
        for (int i = 0; i < r->n_json_names[s]; i++) {
            kb_slice nm = r->json_names[s][i];
            if (nm.n == n && !memcmp(nm.p, k, n)) {
                *slot = s, *prio = i;
                return 1;
            }
        }
    return 0;
}

/* Parses the object text[0..n) into rec. 1 on success, 0 to ask jansson, or an error. */
static int json_fast(kb_reader *r, kb_record *rec, const char *text, size_t n, uint64_t line)
{
    const char *p = text, *e = text + n;
    kb_slice *slots[6] = {&rec->id, &rec->title, &rec->body, &rec->url, &rec->source, &rec->date};
    int kind[6] = {0}, best[6];
    size_t off[6] = {0};
    uint32_t seen[6] = {0};
    for (int s = 0; s < 6; s++) {
        best[s] = KB_INPUT_MAX_NAMES;
        *slots[s] = (kb_slice){NULL, 0};
    }
    kb__buf_reset(&r->fields);
    p = skip_ws(p, e);
    if (p >= e || *p != '{') return 0;
    p = skip_ws(p + 1, e);
    if (p < e && *p == '}') {
        p++;
        goto end;
    }
    for (;;) {
        int esc, slot = -1, prio = 0;
        if (p >= e || *p != '"') return 0;
        const char *k = p + 1;
        if (!(p = scan_string(k, e, &esc))) return 0;
        if (esc) return 0; /* escaped keys are rare: jansson decodes them */
        if (match_key(r, k, (size_t)(p - 1 - k), &slot, &prio)) {
            if (seen[slot] & (1u << prio)) return 0; /* a duplicate key: jansson's rule */
            seen[slot] |= 1u << prio;
        }
        p = skip_ws(p, e);
        if (p >= e || *p != ':') return 0;
        p = skip_ws(p + 1, e);
        if (slot < 0 || prio > best[slot]) {
            if (!(p = skip_value(p, e, 1))) return 0;
        } else if (p < e && *p == '"') { /* a string: borrowed when it has no escapes */
            const char *v = p + 1;
            size_t mark = r->fields.n;
            if (!(p = scan_string(v, e, &esc))) return 0;
            if (esc) {
                decode_string(v, p - 1, &r->fields);
                off[slot] = mark;
                slots[slot]->n = r->fields.n - mark;
                kind[slot] = SLICE_MADE;
            } else {
                *slots[slot] = (kb_slice){v, (size_t)(p - 1 - v)};
                kind[slot] = SLICE_BORROWED;
            }
            best[slot] = prio;
        } else if (p < e && *p == '[') { /* the string elements, joined by newlines */
            const char *q = skip_ws(p + 1, e);
            size_t mark = r->fields.n;
            int strings = 0, elems = 0;
            if (q < e && *q == ']') {
                p = q + 1; /* empty: not usable */
            } else {
                for (;;) {
                    elems++;
                    if (q < e && *q == '"') {
                        if (strings++) kb__buf_putc(&r->fields, '\n');
                        const char *v = q + 1;
                        if (!(q = scan_string(v, e, &esc))) return 0;
                        if (esc)
                            decode_string(v, q - 1, &r->fields);
                        else
                            kb__buf_append(&r->fields, v, (size_t)(q - 1 - v));
                    } else if (!(q = skip_value(q, e, 2))) {
                        return 0;
                    }
                    q = skip_ws(q, e);
                    if (q < e && *q == ',') {
                        q = skip_ws(q + 1, e);
                        continue;
                    }
                    if (q >= e || *q != ']') return 0;
                    p = q + 1;
                    break;
                }
                off[slot] = mark;
                slots[slot]->n = r->fields.n - mark;
                kind[slot] = SLICE_MADE;
                best[slot] = prio;
            }
        } else if (p < e && (*p == 'n' || *p == '{')) { /* null, object: absent */
            if (!(p = skip_value(p, e, 1))) return 0;
        } else if (p < e && (*p == 't' || *p == 'f')) {
            const char *v = p;
            if (!(p = skip_value(p, e, 1))) return 0;
            off[slot] = r->fields.n;
            kb__buf_puts(&r->fields, *v == 't' ? "true" : "false");
            slots[slot]->n = r->fields.n - off[slot];
            kind[slot] = SLICE_MADE;
            best[slot] = prio;
        } else {
            const char *v = p;
            int real;
            if (!(p = scan_number(p, e, &real))) return 0;
            off[slot] = r->fields.n;
            if (put_number(&r->fields, v, (size_t)(p - v), real)) return 0;
            slots[slot]->n = r->fields.n - off[slot];
            kind[slot] = SLICE_MADE;
            best[slot] = prio;
        }
        p = skip_ws(p, e);
        if (p < e && *p == ',') {
            p = skip_ws(p + 1, e);
            continue;
        }
        if (p >= e || *p != '}') return 0;
        p++;
        break;
    }
end:
    if (skip_ws(p, e) != e) return 0;
    return finish_record(r, rec, slots, kind, off, line);
}

/* One record from text[0..n): the fast path, else jansson. */
static int parse_record(kb_reader *r, kb_record *rec, const char *text, size_t n, uint64_t line)
{
    if (!r->json_names_ready) split_names(r);
    if (!r->json_fast_off) {
        int rc = json_fast(r, rec, text, n, line);
        if (rc) return rc;
    }
    int rc = parse_object(r, text, n, line);
    if (rc) return rc;
    return fill_record(r, rec, line);
}

/* ---- JSON lines -------------------------------------------------------------------------------
 */

static int next_line_record(kb_reader *r, kb_record *rec)
{
    for (;;) {
        r->pos = r->scan; /* the previous line is consumed */
        size_t a, b;
        int rc = kb__reader_line(r, &a, &b);
        if (rc == 0) return 0;
        if (rc == KB_ETOOBIG) {
            uint64_t at = r->line + 1;
            rc = kb__reader_skip_line(r);
            if (rc < 0) return rc;
            kb__reader_error(r, at, "line longer than %u MiB, the limit for one record; skipped",
                             (unsigned)(KB_INPUT_MAX_RECORD >> 20));
            return KB_ETOOBIG;
        }
        if (rc < 0) return rc;
        const char *p = r->win.p;
        size_t s = a;
        while (s < b && (p[s] == ' ' || p[s] == '\t' || p[s] == '\r'))
            s++;
        if (s == b) continue; /* blank lines separate nothing: not records */
        rec->n_repaired = kb__reader_repairs(r, a, b);
        return parse_record(r, rec, p + s, b - s, r->line);
    }
}

/* ---- JSON arrays --------------------------------------------------------------------------------
 */

/*
 * The scanner's states (r->state): 0 before '[', 1 expecting an element or ']', 2 inside an
 * element, 3 expecting ',' or ']', 4 after the closing ']'. Inside an element r->pos stays at
 * its '{'; r->scan is how far the scanner has read.
 */
static int next_array_record(kb_reader *r, kb_record *rec)
{
    for (;;) {
        if (r->scan >= r->win.n) {
            if (r->state != 2) r->pos = r->scan; /* nothing pending before the scan point */
            if (r->eof) {
                if (r->state == 4) return 0;
                if (r->drc) return 0; /* end_file() reports the decoding error */
                r->state = 4;
                kb__reader_error(r, r->ja_line ? r->ja_line : r->line + 1,
                                 "the JSON array is not closed: the file ends inside it");
                return KB_EPARSE;
            }
            if (r->win.n - r->pos >= KB_INPUT_MAX_RECORD) {
                r->state = 4;
                kb__reader_error(r, r->ja_line,
                                 "array element larger than %u MiB, the limit for one record; "
                                 "the rest of the file is skipped",
                                 (unsigned)(KB_INPUT_MAX_RECORD >> 20));
                r->pos = r->scan = r->win.n;
                r->eof = 1;
                return KB_ETOOBIG;
            }
            int k = kb__reader_fill(r);
            if (k < 0) return k;
            continue;
        }
        unsigned char c = (unsigned char)r->win.p[r->scan];
        if (r->state == 2) {
            /* inside an element: find its end */
            const char *p = r->win.p;
            size_t i = r->scan, n = r->win.n;
            int done = 0;
            for (; i < n; i++) {
                char ch = p[i];
                if (ch == '\n') r->line++;
                if (r->ja_in_str) {
                    if (r->ja_esc)
                        r->ja_esc = 0;
                    else if (ch == '\\')
                        r->ja_esc = 1;
                    else if (ch == '"')
                        r->ja_in_str = 0;
                } else if (ch == '"') {
                    r->ja_in_str = 1;
                } else if (ch == '{' || ch == '[') {
                    r->ja_depth++;
                } else if (ch == '}' || ch == ']') {
                    if (--r->ja_depth == 0) {
                        i++;
                        done = 1;
                        break;
                    }
                }
            }
            r->scan = i;
            if (!done) continue;
            r->state = 3;
            size_t a = r->pos; /* the element's start (the window may have moved) */
            r->pos = r->scan;
            rec->n_repaired = kb__reader_repairs(r, a, i);
            return parse_record(r, rec, p + a, i - a, r->ja_line);
        }
        if (c == '\n') r->line++;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            r->scan++;
            continue;
        }
        if (r->state == 0 && c == '[') {
            r->state = 1;
        } else if (r->state == 1 && c == '{') {
            r->state = 2;
            r->ja_line = r->line + 1;
            r->ja_depth = 1;
            r->ja_in_str = r->ja_esc = 0;
            r->pos = r->scan;
        } else if ((r->state == 1 || r->state == 3) && c == ']') {
            r->state = 4;
        } else if (r->state == 3 && c == ',') {
            r->state = 1;
        } else {
            uint64_t at = r->line + 1;
            const char *what = r->state == 4   ? "text after the end of the JSON array"
                               : r->state == 1 ? "expected an object or ']' in the JSON array"
                                               : "expected ',' or ']' in the JSON array";
            r->state = 4;
            r->pos = r->scan = r->win.n;
            r->eof = 1;
            kb__reader_error(r, at, "%s; the rest of the file is skipped", what);
            return KB_EPARSE;
        }
        r->scan++;
    }
}

int kb__reader_json_next(kb_reader *r, kb_record *rec)
{
    kb__reader_json_release(r);
    if (r->json_array) return next_array_record(r, rec);
    return next_line_record(r, rec);
}
