/*
 * input_json.c — JSON records: JSON lines (one object per line) and JSON arrays of objects.
 *
 * Part of the reader (input.c). Each object is parsed with jansson; the record's fields are
 * found by name: the caller's names when given (a comma-separated list of alternatives), else
 * the usual names of news dumps (DEFAULT_* below). A string field is used as is; a number
 * becomes its decimal text (ids are often numbers); an array of strings becomes its elements
 * joined by newlines (scraped paragraphs); null, objects and other arrays count as absent.
 *
 * A JSON array file ("[{…},{…}]", possibly pretty-printed over many lines) is read one element
 * at a time by a small scanner that finds where each object ends (strings and nesting tracked),
 * so a large array streams like JSON lines. A malformed line is one error and reading goes on
 * with the next line; in an array, a structural error ends the file (there is no safe place to
 * resume), after the objects read so far.
 */
#include "khabar_int.h"

#include <jansson.h>
#include <stdio.h>

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

/* Finds the first of the comma-separated names present in obj with a usable value. */
static json_t *find_field(json_t *obj, const char *names)
{
    char key[128];
    const char *p = names;
    while (*p) {
        const char *c = strchr(p, ',');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        if (n && n < sizeof key) {
            memcpy(key, p, n);
            key[n] = 0;
            json_t *v = json_object_get(obj, key);
            if (v && (json_is_string(v) || json_is_number(v) ||
                      (json_is_array(v) && json_array_size(v) > 0) || json_is_boolean(v)))
                return v;
        }
        p += n + (c != NULL);
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

/* Fills rec from the parsed object r->json found at line `line`. */
static int fill_record(kb_reader *r, kb_record *rec, uint64_t line)
{
    const kb_reader_options *o = &r->opts;
    const char *names[6] = {o->id_field ? o->id_field : DEFAULT_ID,
                            o->title_field ? o->title_field : DEFAULT_TITLE,
                            o->body_field ? o->body_field : DEFAULT_BODY,
                            o->url_field ? o->url_field : DEFAULT_URL,
                            o->source_field ? o->source_field : DEFAULT_SOURCE,
                            o->date_field ? o->date_field : DEFAULT_DATE};
    kb_slice *slots[6] = {&rec->id, &rec->title, &rec->body, &rec->url, &rec->source, &rec->date};
    int kind[6];
    size_t off[6] = {0};
    kb__buf_reset(&r->fields);
    for (int i = 0; i < 6; i++) {
        *slots[i] = (kb_slice){NULL, 0};
        kind[i] = field_value(r, find_field(r->json, names[i]), slots[i], &off[i]);
    }
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
        rc = parse_object(r, p + s, b - s, r->line);
        if (rc) return rc;
        rec->n_repaired = kb__reader_repairs(r, a, b);
        return fill_record(r, rec, r->line);
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
            int rc = parse_object(r, p + a, i - a, r->ja_line);
            r->pos = r->scan;
            if (rc) return rc;
            rec->n_repaired = kb__reader_repairs(r, a, i);
            return fill_record(r, rec, r->ja_line);
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
