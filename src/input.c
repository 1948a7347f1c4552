/*
 * input.c — the reader: from paths (files, directories, stdin) to news records in UTF-8.
 *
 * The entry of the data path. A reader walks its paths in the order given, directories
 * recursively in byte order of their entry names (hidden entries skipped), and runs one decoder
 * (decode.c) per file. Each file's format is detected from its content and name (or forced) and
 * parsed by one of the format readers: JSON lines and JSON arrays (input_json.c), TREC <DOC>
 * records (input_doc.c), and here plain text and HTML (one article per file).
 *
 * Everything streams through one bounded window of decoded text per reader: a record never holds
 * more than KB_INPUT_MAX_RECORD bytes, and a longer line or record is reported and skipped while
 * the rest of the file goes on. Every problem — an unreadable, binary, empty or truncated file, a
 * malformed record — is returned as one error naming the file and line, and counted.
 */
#include "khabar_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

void kb__reader_error(kb_reader *r, uint64_t line, const char *fmt, ...)
{
    kb__buf_reset(&r->err);
    if (line)
        kb__buf_printf(&r->err, "%s:%llu: ", r->path ? r->path : "?", (unsigned long long)line);
    else
        kb__buf_printf(&r->err, "%s: ", r->path ? r->path : "?");
    if (r->err.rc) return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    kb__buf_puts(&r->err, msg);
    r->n_err_file++;
}

/* ---- the window of decoded text -------------------------------------------------------------- */

/* Moves the unconsumed text [pos, n) to the start of the window. */
static void win_compact(kb_reader *r)
{
    if (!r->pos) return;
    size_t keep = r->win.n - r->pos;
    memmove(r->win.p, r->win.p + r->pos, keep);
    r->win.n = keep;
    r->win.p[keep] = 0;
    r->base += r->pos;
    r->scan -= r->pos;
    r->look = r->look > r->pos ? r->look - r->pos : 0;
    r->pos = 0;
}

int kb__reader_fill(kb_reader *r)
{
    if (r->eof) return 0;
    win_compact(r);
    if (r->win.n - r->pos >= KB_INPUT_MAX_RECORD)
        return 0; /* the caller checks the limit; never grow past it */
    int k = kb__decoder_read(r->dec, &r->win);
    if (k > 0) {
        r->st.bytes += (uint64_t)k;
        return k;
    }
    r->eof = 1;
    if (k < 0) {
        if (k == KB_ENOMEM || r->win.rc == KB_ENOMEM) return KB_ENOMEM;
        r->drc = k;
    }
    return 0;
}

int kb__reader_line(kb_reader *r, size_t *a, size_t *b)
{
    for (;;) {
        size_t from = KB_MAX(r->scan, r->look);
        char *nl = from < r->win.n ? memchr(r->win.p + from, '\n', r->win.n - from) : NULL;
        if (nl) {
            *a = r->scan;
            *b = (size_t)(nl - r->win.p);
            r->scan = r->look = *b + 1;
            r->line++;
            return 1;
        }
        r->look = r->win.n;
        if (r->eof) {
            /* After a decoding error the last, unterminated line is cut short: it is not a
             * record, and end_file() reports the error at its line. */
            if (r->scan >= r->win.n || r->drc) return 0;
            *a = r->scan;
            *b = r->win.n;
            r->scan = r->look = r->win.n;
            r->line++;
            return 1;
        }
        if (r->win.n - r->pos >= KB_INPUT_MAX_RECORD) return KB_ETOOBIG;
        int k = kb__reader_fill(r);
        if (k < 0) return k;
    }
}

int kb__reader_skip_line(kb_reader *r)
{
    for (;;) {
        size_t from = KB_MAX(r->scan, r->look);
        char *nl = from < r->win.n ? memchr(r->win.p + from, '\n', r->win.n - from) : NULL;
        if (nl) {
            r->scan = r->look = (size_t)(nl - r->win.p) + 1;
            r->pos = r->scan;
            r->line++;
            return 0;
        }
        r->pos = r->scan = r->look = r->win.n; /* drop what was read of the line */
        if (r->eof) {
            r->line++;
            return 0;
        }
        int k = kb__reader_fill(r);
        if (k < 0) return k;
    }
}

size_t kb__reader_repairs(kb_reader *r, size_t a, size_t b)
{
    kb__decoder_take_repairs(r->dec, r->base + a);
    return kb__decoder_take_repairs(r->dec, r->base + b);
}

/* ---- record fields ----------------------------------------------------------------------------
 */

/* The file name without directories and without its extensions (.jsonl.zst → ""), the default
 * id stem: "news/2015/a1.txt.gz" → "a1". */
static void file_stem(const char *path, kb_buf *out)
{
    kb__buf_reset(out);
    if (!strcmp(path, "-")) {
        kb__buf_puts(out, "stdin");
        return;
    }
    const char *s = strrchr(path, '/');
    s = s ? s + 1 : path;
    const char *dot = strchr(s + (*s == '.'), '.');
    kb__buf_append(out, s, dot ? (size_t)(dot - s) : strlen(s));
}

void kb__reader_derived_id(kb_reader *r, kb_buf *out, uint64_t line)
{
    kb__buf_append(out, r->stem.p, r->stem.n);
    if (line) kb__buf_printf(out, ":%llu", (unsigned long long)line);
}

/* ---- paths --------------------------------------------------------------------------------------
 */

static int push_path(kb_reader *r, const char *path, size_t len, int depth)
{
    if (r->n_stack == r->cap_stack) {
        size_t cap = r->cap_stack ? r->cap_stack * 2 : 16;
        kb__path_item *s = kb__realloc(r->stack, cap * sizeof *s);
        if (!s) return KB_ENOMEM;
        r->stack = s;
        r->cap_stack = cap;
    }
    char *p = kb__strndup(path, len);
    if (!p) return KB_ENOMEM;
    r->stack[r->n_stack++] = (kb__path_item){p, depth};
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Pushes a directory's entries so that they are read in byte order of their names. */
static int expand_dir(kb_reader *r, const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (!d) {
        kb__reader_error(r, 0, "cannot open directory: %s", strerror(errno));
        return KB_EIO;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue; /* ., .., and hidden files (.git, editor backups) */
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = kb__realloc(names, cap * sizeof *nn);
            if (!nn) {
                rc = KB_ENOMEM;
                break;
            }
            names = nn;
        }
        if (!(names[n] = kb__strndup(e->d_name, strlen(e->d_name)))) {
            rc = KB_ENOMEM;
            break;
        }
        n++;
    }
    closedir(d);
    if (!rc && n) qsort(names, n, sizeof *names, cmp_names);
    kb_buf full;
    kb__buf_init(&full, 0);
    for (size_t i = n; i-- > 0 && !rc;) { /* reversed: the stack pops the first name first */
        kb__buf_reset(&full);
        kb__buf_puts(&full, dir);
        if (full.n && full.p[full.n - 1] != '/') kb__buf_putc(&full, '/');
        kb__buf_puts(&full, names[i]);
        rc = full.rc ? full.rc : push_path(r, full.p, full.n, depth + 1);
    }
    kb__buf_free(&full);
    for (size_t i = 0; i < n; i++)
        kb__free(names[i]);
    kb__free(names);
    return rc;
}

static void close_file(kb_reader *r)
{
    if (r->fd >= 0 && r->fd_owned) close(r->fd);
    r->fd = -1;
    r->fd_owned = 0;
    r->active = 0;
    kb__reader_json_release(r);
}

/* "{" then a key or "}": a JSON object, not an article whose first line is "{headline}". */
static int json_object_start(const char *p, const char *end)
{
    p++;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p < end && (*p == '"' || *p == '}');
}

/* Detects the format of the file now at the head of the window. */
static kb_format detect_format(kb_reader *r, int *json_array)
{
    *json_array = 0;
    const char *p = r->win.p + r->pos, *end = r->win.p + r->win.n;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    /* the extension, under any compression suffix */
    const char *name = strrchr(r->path, '/');
    name = name ? name + 1 : r->path;
    char ext[16] = "";
    {
        size_t len = strlen(name);
        static const char *const comp[] = {".gz", ".gzip", ".zst", ".zstd"};
        for (size_t i = 0; i < KB_ARRAY_LEN(comp); i++) {
            size_t cl = strlen(comp[i]);
            if (len > cl && !strcasecmp(name + len - cl, comp[i])) {
                len -= cl;
                break;
            }
        }
        const char *dot = NULL;
        for (size_t i = 0; i < len; i++)
            if (name[i] == '.') dot = name + i;
        if (dot && dot != name && (size_t)(name + len - dot) < sizeof ext) {
            memcpy(ext, dot + 1, (size_t)(name + len - dot - 1));
            ext[name + len - dot - 1] = 0;
        }
    }
    kb_format f = r->opts.format;
    if (f == KB_FORMAT_AUTO) {
        size_t left = (size_t)(end - p);
        if (!strcasecmp(ext, "jsonl") || !strcasecmp(ext, "ndjson") ||
            !strcasecmp(ext, "jsonlines"))
            f = KB_FORMAT_JSONL;
        else if (!strcasecmp(ext, "html") || !strcasecmp(ext, "htm") || !strcasecmp(ext, "xhtml") ||
                 !strcasecmp(ext, "shtml"))
            f = KB_FORMAT_HTML;
        else if (left >= 5 && !strncasecmp(p, "<DOC>", 5))
            f = KB_FORMAT_DOC;
        else if (left && *p == '{' && json_object_start(p, end))
            f = KB_FORMAT_JSONL;
        else if (!strcasecmp(ext, "json"))
            f = KB_FORMAT_JSONL;
        else if (left >= 5 && (!strncasecmp(p, "<!DOCTYPE html", KB_MIN(left, 14)) ||
                               !strncasecmp(p, "<html", 5) || !strncasecmp(p, "<head", 5) ||
                               !strncasecmp(p, "<!--", 4) || !strncasecmp(p, "<?xml", 5) ||
                               !strncasecmp(p, "<meta", 5) || !strncasecmp(p, "<body", 5)))
            f = KB_FORMAT_HTML;
        else if (left && *p == '[') {
            const char *q = p + 1;
            while (q < end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r'))
                q++;
            f = (q < end && (*q == '{' || *q == ']')) ? KB_FORMAT_JSONL : KB_FORMAT_TEXT;
        } else
            f = KB_FORMAT_TEXT;
    }
    if (f == KB_FORMAT_JSONL && p < end && *p == '[') *json_array = 1;
    return f;
}

/*
 * Opens the next path from the stack. Returns 1 when a file is ready to be read, 0 when the
 * stack is empty, 2 when a directory was expanded (call again), or an error for this path
 * (counted by the caller).
 */
static int open_next(kb_reader *r)
{
    if (r->mem_pending) {
        r->mem_pending = 0;
        kb__free(r->path);
        r->path = kb__strndup(r->mem_name, strlen(r->mem_name));
        if (!r->path) return KB_ENOMEM;
        kb__decoder_start_mem(r->dec, r->mem, r->mem_len);
        r->fd = -1;
        goto opened;
    }
    if (!r->n_stack) return 0;
    kb__path_item it = r->stack[--r->n_stack];
    kb__free(r->path);
    r->path = it.path;
    if (!strcmp(r->path, "-")) {
        r->fd = 0;
    } else {
        struct stat st;
        if (stat(r->path, &st) != 0) {
            kb__reader_error(r, 0, "cannot open: %s", strerror(errno));
            return KB_EIO;
        }
        if (S_ISDIR(st.st_mode)) {
            if (it.depth >= KB_INPUT_MAX_DEPTH) {
                kb__reader_error(r, 0, "directory nested deeper than %d levels (a symlink loop?)",
                                 KB_INPUT_MAX_DEPTH);
                return KB_ETOOBIG;
            }
            int rc = expand_dir(r, r->path, it.depth);
            return rc ? rc : 2;
        }
        if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
            kb__reader_error(r, 0, "not a regular file");
            return KB_EUNSUPPORTED;
        }
        r->fd = open(r->path, O_RDONLY | O_CLOEXEC);
        if (r->fd < 0) {
            kb__reader_error(r, 0, "cannot open: %s", strerror(errno));
            return KB_EIO;
        }
        r->fd_owned = 1;
    }
    kb__decoder_start_fd(r->dec, r->fd);
opened:
    r->st.files++;
    r->active = 1;
    kb__buf_reset(&r->win);
    r->pos = r->scan = r->look = 0;
    r->base = 0;
    r->line = 0;
    r->eof = 0;
    r->drc = 0;
    r->n_rec_file = r->n_err_file = 0;
    r->state = 0;
    r->reported_end = 0;
    file_stem(r->path, &r->stem);
    if (r->stem.rc) return KB_ENOMEM;
    /* Decode the head of the file: enough to see its format. */
    while (!r->eof && r->win.n < KB_INPUT_SNIFF) {
        int k = kb__reader_fill(r);
        if (k < 0) return k;
    }
    if (r->drc && r->win.n == 0) {
        close_file(r);
        kb__reader_error(r, 0, "%s", kb__decoder_errmsg(r->dec));
        return r->drc;
    }
    r->format = detect_format(r, &r->json_array);
    return 1;
}

/* ---- plain text and HTML: one article per file ------------------------------------------------
 */

static int read_whole(kb_reader *r, kb_record *rec)
{
    if (r->state) return 0; /* the one record was returned */
    r->state = 1;
    while (!r->eof) {
        if (r->win.n - r->pos >= KB_INPUT_MAX_RECORD) {
            kb__reader_error(r, 1,
                             "file is larger than %u MiB, the limit for one article; "
                             "skipped",
                             (unsigned)(KB_INPUT_MAX_RECORD >> 20));
            return KB_ETOOBIG;
        }
        int k = kb__reader_fill(r);
        if (k < 0) return k;
    }
    if (r->drc) {
        r->reported_end = 1;
        kb__reader_error(r, 0, "%s; the article is incomplete and was skipped",
                         kb__decoder_errmsg(r->dec));
        return r->drc;
    }
    const char *p = r->win.p + r->pos;
    size_t n = r->win.n - r->pos;
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\n' || p[i] == '\t' || p[i] == '\f' || p[i] == '\v'))
        i++;
    if (i == n) {
        kb__reader_error(r, 0, n ? "file holds only whitespace: no article" : "empty file");
        return KB_EPARSE;
    }
    r->line = 1;
    kb__buf_reset(&r->fields);
    kb__buf_append(&r->fields, r->stem.p, r->stem.n);
    if (r->fields.rc) return r->fields.rc;
    rec->id = (kb_slice){r->fields.p, r->fields.n};
    rec->body = (kb_slice){p, n};
    rec->line = 1;
    rec->n_repaired = kb__reader_repairs(r, r->pos, r->win.n);
    r->pos = r->scan = r->win.n;
    return 1;
}

/* ---- the public reader ------------------------------------------------------------------------
 */

static kb_reader *reader_new(const kb_reader_options *opts)
{
    kb_reader *r = kb__calloc(1, sizeof *r);
    if (!r) return NULL;
    r->fd = -1;
    kb__buf_init(&r->win, KB_INPUT_MAX_RECORD + KB_INPUT_WINDOW_SLACK);
    kb__buf_init(&r->fields, KB_INPUT_MAX_RECORD + KB_INPUT_WINDOW_SLACK);
    kb__buf_init(&r->err, 4096);
    kb__buf_init(&r->stem, 4096);
    kb__buf_init(&r->doc, 0);
    if (opts) r->opts = *opts;
    /* own copies of the option strings */
    const char **fields[] = {&r->opts.encoding,   &r->opts.id_field,  &r->opts.title_field,
                             &r->opts.body_field, &r->opts.url_field, &r->opts.source_field,
                             &r->opts.date_field};
    for (size_t i = 0; i < KB_ARRAY_LEN(fields); i++) {
        if (!*fields[i]) continue;
        r->owned[i] = kb__strndup(*fields[i], strlen(*fields[i]));
        if (!r->owned[i]) {
            kb_reader_close(r);
            return NULL;
        }
        *fields[i] = r->owned[i];
    }
    r->dec = kb__decoder_new(r->opts.encoding);
    if (!r->dec) {
        kb_reader_close(r);
        return NULL;
    }
    return r;
}

KB_API kb_reader *kb_reader_open(const char *const *paths, size_t n_paths,
                                 const kb_reader_options *opts)
{
    kb_reader *r = reader_new(opts);
    if (!r) return NULL;
    for (size_t i = n_paths; i-- > 0;) {
        if (push_path(r, paths[i], strlen(paths[i]), 0)) {
            kb_reader_close(r);
            return NULL;
        }
    }
    return r;
}

KB_API kb_reader *kb_reader_open_mem(const void *data, size_t len, const char *name,
                                     const kb_reader_options *opts)
{
    kb_reader *r = reader_new(opts);
    if (!r) return NULL;
    r->mem = data;
    r->mem_len = len;
    r->mem_name = kb__strndup(name ? name : "-", strlen(name ? name : "-"));
    if (!r->mem_name) {
        kb_reader_close(r);
        return NULL;
    }
    r->mem_pending = 1;
    return r;
}

/* Ends the current file: reports a decoding error or an empty file once, then closes it. */
static int end_file(kb_reader *r)
{
    if (!r->reported_end) {
        r->reported_end = 1;
        if (r->drc) {
            kb__reader_error(r, r->line + 1, "%s", kb__decoder_errmsg(r->dec));
            return r->drc;
        }
        if (!r->n_rec_file && !r->n_err_file) {
            kb__reader_error(r, 0, r->st.bytes ? "no records found" : "empty file");
            return KB_EPARSE;
        }
    }
    close_file(r);
    return 0;
}

KB_API int kb_reader_next(kb_reader *r, kb_record *rec)
{
    if (!r || !rec) return KB_EINVAL;
    kb__buf_reset(&r->err);
    for (;;) {
        if (!r->active) {
            int rc = open_next(r);
            if (rc == 0) return 0;
            if (rc == 2) continue;
            if (rc < 0) {
                r->st.errors++;
                if (r->active) close_file(r);
                return rc;
            }
        }
        memset(rec, 0, sizeof *rec);
        int rc;
        switch (r->format) {
        case KB_FORMAT_JSONL:
            rc = kb__reader_json_next(r, rec);
            break;
        case KB_FORMAT_DOC:
            rc = kb__reader_doc_next(r, rec);
            break;
        default:
            rc = read_whole(r, rec);
            break;
        }
        if (rc == 1) {
            rec->format = r->format == KB_FORMAT_AUTO ? KB_FORMAT_TEXT : r->format;
            rec->file = r->path;
            rec->encoding = kb__decoder_encoding(r->dec);
            r->n_rec_file++;
            r->st.records++;
            r->st.repaired += rec->n_repaired;
            return 1;
        }
        if (rc == KB_ENOMEM) return rc;
        if (rc < 0) {
            r->st.errors++;
            return rc;
        }
        rc = end_file(r);
        if (rc < 0) {
            r->st.errors++;
            return rc;
        }
    }
}

KB_API const char *kb_reader_errmsg(const kb_reader *r)
{
    return r && r->err.p && !r->err.rc ? r->err.p : "";
}

KB_API void kb_reader_stats_get(const kb_reader *r, kb_reader_stats *st)
{
    if (r && st) *st = r->st;
}

KB_API void kb_reader_close(kb_reader *r)
{
    if (!r) return;
    close_file(r);
    for (size_t i = 0; i < r->n_stack; i++)
        kb__free(r->stack[i].path);
    kb__free(r->stack);
    kb__free(r->path);
    kb__free(r->mem_name);
    for (size_t i = 0; i < KB_ARRAY_LEN(r->owned); i++)
        kb__free(r->owned[i]);
    kb__decoder_free(r->dec);
    kb__buf_free(&r->win);
    kb__buf_free(&r->fields);
    kb__buf_free(&r->err);
    kb__buf_free(&r->stem);
    kb__buf_free(&r->doc);
    kb__free(r);
}
