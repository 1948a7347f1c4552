/*
 * cmd_search.c — `khabar search`: runs queries on an index and prints ranked hits.
 *
 *   khabar search --index DIR [--limit N] [--format text|jsonl] [options] QUERY...
 *   khabar search --index DIR --queries FILE --format jsonl --limit N
 *
 * Text output is for people: one block per hit (title; source, date, id and score; the snippet),
 * matched words in bold colour on a terminal. Each Arabic line begins with an Arabic letter or
 * a right-to-left mark so a bidi-aware terminal lays it out right to left, and Latin metadata
 * sits on its own line so it never reorders the Arabic around it. JSON lines are for programs
 * and benchmarks: took_us is the library's own measure around the query alone.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/* A line of the --queries file longer than this is reported and skipped (the library's own
 * query limit is smaller; this only bounds the line buffer). */
#define QUERY_LINE_MAX (64 * 1024)

typedef struct opts {
    const char *index, *queries, *format;
    kb_search_options so;
    int color, explain;
} opts;

static void usage(FILE *f)
{
    fprintf(f, "usage: khabar search --index DIR [options] QUERY...\n"
               "       khabar search --index DIR --queries FILE [--format jsonl] [--limit N]\n\n"
               "  --limit N        hits to show (default 10)\n"
               "  --offset N       hits to skip (paging)\n"
               "  --format F       text (default) or jsonl\n"
               "  --any            rank articles with any of the words (for questions)\n"
               "  --source S       only articles from source S\n"
               "  --from DATE      only articles dated DATE (YYYY-MM-DD) or later\n"
               "  --to DATE        only articles dated DATE or earlier\n"
               "  --exact-total    count every match (and source facets)\n"
               "  --no-snippets    ids, scores and metadata only\n"
               "  --ids-only       ids, scores, source, date and url (no stored article read)\n"
               "  --no-collapse    show every copy of a story\n"
               "  --timeout MS     stop after MS milliseconds with the best hits found so far\n"
               "                   (marked partial; default: no limit)\n"
               "  --color WHEN     highlight matches: auto (default), always, never\n"
               "  --explain        print how the query was understood\n\n"
               "query language: words (all must match), \"exact phrase\", -word, a OR b, (…),\n"
               "title:word, source:NAME, date:2018-02-01..2018-03-31 (see docs/search.md)\n");
}

static int parse_u32(const char *s, uint32_t *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || v > 1000000) return -1;
    *out = (uint32_t)v;
    return 0;
}

static kb_slice slice_of(const char *s)
{
    return (kb_slice){s, s ? strlen(s) : 0};
}

/* ---- JSON lines ------------------------------------------------------------------------------ */

static void json_hit(FILE *f, const kb_hit *h)
{
    fputs("{\"id\":", f);
    cli_json_str(f, h->id.p, h->id.n);
    fprintf(f, ",\"score\":%.4f,\"title\":", h->score);
    cli_json_str(f, h->title.p, h->title.n);
    fputs(",\"source\":", f);
    cli_json_str(f, h->source.p, h->source.n);
    fputs(",\"date\":", f);
    cli_json_str(f, h->date.p, h->date.n);
    fputs(",\"url\":", f);
    cli_json_str(f, h->url.p, h->url.n);
    if (h->snippet.n) {
        fputs(",\"snippet\":", f);
        cli_json_str(f, h->snippet.p, h->snippet.n);
        fputs(",\"highlights\":[", f);
        for (size_t i = 0; i < h->n_highlights; i++)
            fprintf(f, "%s[%u,%u]", i ? "," : "", h->highlights[i].start, h->highlights[i].end);
        fprintf(f, "],\"snippet_start\":%llu", (unsigned long long)h->snippet_start);
    }
    if (h->n_title_highlights) {
        fputs(",\"title_highlights\":[", f);
        for (size_t i = 0; i < h->n_title_highlights; i++)
            fprintf(f, "%s[%u,%u]", i ? "," : "", h->title_highlights[i].start,
                    h->title_highlights[i].end);
        fputc(']', f);
    }
    if (h->similar) {
        fprintf(f, ",\"similar\":%u,\"also_sources\":[", h->similar);
        for (size_t i = 0; i < h->n_also_sources; i++) {
            if (i) fputc(',', f);
            cli_json_str(f, h->also_sources[i].p, h->also_sources[i].n);
        }
        fputc(']', f);
    }
    if (h->damaged) fputs(",\"damaged\":true", f); /* no title nor snippet: `khabar check` */
    fputc('}', f);
}

static void json_results(FILE *f, const char *q, size_t qn, int rc, const kb_results *r)
{
    fputs("{\"query\":", f);
    cli_json_str(f, q, qn);
    fprintf(f, ",\"took_us\":%llu", (unsigned long long)(r ? r->took_us : 0));
    if (rc) {
        fprintf(f, ",\"error\":{\"code\":\"%s\",\"message\":", kb_err_name(rc));
        const char *m = r && r->notice ? r->notice : kb_strerror(rc);
        cli_json_str(f, m, strlen(m));
        fputs("},\"hits\":[]}\n", f);
        return;
    }
    fprintf(f, ",\"total\":%llu,\"total_exact\":%s", (unsigned long long)r->total,
            r->total_exact ? "true" : "false");
    if (r->fallback_any) fputs(",\"fallback_any\":true", f);
    if (r->timed_out) fputs(",\"timed_out\":true", f);
    if (r->notice) {
        fputs(",\"notice\":", f);
        cli_json_str(f, r->notice, strlen(r->notice));
    }
    if (r->n_sources) {
        fputs(",\"sources\":{", f);
        for (size_t i = 0; i < r->n_sources; i++) {
            if (i) fputc(',', f);
            cli_json_str(f, r->sources[i].value.p, r->sources[i].value.n);
            fprintf(f, ":%llu", (unsigned long long)r->sources[i].count);
        }
        fputc('}', f);
    }
    fputs(",\"hits\":[", f);
    for (size_t i = 0; i < r->n_hits; i++) {
        if (i) fputc(',', f);
        json_hit(f, &r->hits[i]);
    }
    fputs("]}\n", f);
}

/* ---- text ------------------------------------------------------------------------------------ */

#define RLM "\xE2\x80\x8F" /* U+200F RIGHT-TO-LEFT MARK */
#define HL_ON "\x1b[1;33m"
#define HL_OFF "\x1b[0m"

/* Writes s[0..n) with its highlights in colour (or as-is); newlines become spaces. */
static void text_marked(FILE *f, const char *s, size_t n, const kb_highlight *hl, size_t n_hl,
                        int color)
{
    size_t h = 0;
    for (size_t i = 0; i < n; i++) {
        if (color && h < n_hl && hl[h].start == i) fputs(HL_ON, f);
        fputc(s[i] == '\n' || s[i] == '\r' || s[i] == '\t' ? ' ' : s[i], f);
        if (color && h < n_hl && hl[h].end == i + 1) {
            fputs(HL_OFF, f);
            h++;
        }
    }
}

static void text_results(FILE *f, const kb_results *r, const kb_search_options *so, int color)
{
    if (r->notice) fprintf(f, "note: %s\n", r->notice);
    if (r->timed_out)
        fputs("note: the search ran out of time (--timeout): the results are partial\n", f);
    fprintf(f, "%s%llu matches%s, %.2f ms\n", r->total_exact ? "" : "about ",
            (unsigned long long)r->total, r->fallback_any ? " (some words only)" : "",
            r->took_us / 1000.0);
    for (size_t i = 0; i < r->n_hits; i++) {
        const kb_hit *h = &r->hits[i];
        fprintf(f, "\n%u. ", (unsigned)(so->offset + i + 1));
        fputs(RLM, f);
        if (h->damaged) /* its stored article could not be read: run khabar check */
            fputs("[damaged article: no title or snippet]", f);
        text_marked(f, h->title.p, h->title.n, h->title_highlights, h->n_title_highlights, color);
        fputc('\n', f);
        fprintf(f, "   %.*s%s%.*s  id %.*s  score %.3f", (int)h->source.n, h->source.p,
                h->source.n && h->date.n ? " · " : "", (int)h->date.n, h->date.p, (int)h->id.n,
                h->id.p, h->score);
        if (h->similar) fprintf(f, "  +%u similar", h->similar);
        fputc('\n', f);
        if (h->snippet.n) {
            fputs("   " RLM, f);
            if (h->snippet_start > 0) fputs("… ", f);
            text_marked(f, h->snippet.p, h->snippet.n, h->highlights, h->n_highlights, color);
            fputs(" …\n", f);
        }
    }
    if (r->n_sources) {
        fputs("\nsources:", f);
        for (size_t i = 0; i < r->n_sources; i++)
            fprintf(f, " %.*s (%llu)", (int)r->sources[i].value.n, r->sources[i].value.p,
                    (unsigned long long)r->sources[i].count);
        fputc('\n', f);
    }
}

/* ---- the verb -------------------------------------------------------------------------------- */

static int run_queries_file(kb_index *ix, const opts *o)
{
    FILE *in = strcmp(o->queries, "-") ? fopen(o->queries, "rb") : stdin;
    if (!in) {
        cli_error("%s: cannot open", o->queries);
        return CLI_FAILED;
    }
    char *line = malloc(QUERY_LINE_MAX);
    if (!line) {
        cli_error("out of memory");
        if (in != stdin) fclose(in);
        return CLI_FAILED;
    }
    int status = CLI_OK;
    unsigned long lineno = 0;
    while (fgets(line, QUERY_LINE_MAX, in)) {
        lineno++;
        size_t n = strlen(line);
        if (n == QUERY_LINE_MAX - 1 && line[n - 1] != '\n') {
            cli_error("%s:%lu: line too long, skipped", o->queries, lineno);
            int c;
            while ((c = fgetc(in)) != EOF && c != '\n') {
            }
            status = CLI_FAILED;
            continue;
        }
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = 0;
        if (!n) continue;
        kb_results *r = NULL;
        int rc = kb_search_run(ix, line, n, &o->so, &r);
        if (rc && rc != KB_EQUERY && rc != KB_ETOOBIG) {
            cli_error("%s:%lu: %s: %s", o->queries, lineno, kb_strerror(rc), kb_index_errmsg(ix));
            status = CLI_FAILED;
        }
        json_results(stdout, line, n, rc, r);
        kb_results_free(r);
    }
    free(line);
    if (in != stdin) fclose(in);
    return status;
}

int cmd_search(int argc, char **argv)
{
    opts o;
    memset(&o, 0, sizeof o);
    o.format = "text";
    o.color = -1;
    const char *qparts[64];
    int n_q = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_VALUE                                                                                 \
    do {                                                                                           \
        if (!v) {                                                                                  \
            cli_error("search: %s needs a value", a);                                              \
            return CLI_USAGE;                                                                      \
        }                                                                                          \
        i++;                                                                                       \
    } while (0)
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return CLI_OK;
        } else if (!strcmp(a, "--index")) {
            NEED_VALUE;
            o.index = v;
        } else if (!strcmp(a, "--queries")) {
            NEED_VALUE;
            o.queries = v;
        } else if (!strcmp(a, "--format")) {
            NEED_VALUE;
            o.format = v;
        } else if (!strcmp(a, "--limit") || !strcmp(a, "--offset")) {
            NEED_VALUE;
            if (parse_u32(v, a[2] == 'l' ? &o.so.limit : &o.so.offset)) {
                cli_error("search: %s wants a number, got '%s'", a, v);
                return CLI_USAGE;
            }
        } else if (!strcmp(a, "--timeout")) {
            NEED_VALUE;
            uint32_t ms;
            if (parse_u32(v, &ms) || ms == 0) {
                cli_error("search: --timeout wants milliseconds from 1 to 1000000, got '%s'", v);
                return CLI_USAGE;
            }
            o.so.timeout_us = (uint64_t)ms * 1000;
        } else if (!strcmp(a, "--source")) {
            NEED_VALUE;
            o.so.source = slice_of(v);
        } else if (!strcmp(a, "--from")) {
            NEED_VALUE;
            o.so.date_from = slice_of(v);
        } else if (!strcmp(a, "--to")) {
            NEED_VALUE;
            o.so.date_to = slice_of(v);
        } else if (!strcmp(a, "--color")) {
            NEED_VALUE;
            o.color = !strcmp(v, "always") ? 1 : !strcmp(v, "never") ? 0 : -1;
        } else if (!strcmp(a, "--any")) {
            o.so.mode = KB_SEARCH_ANY;
        } else if (!strcmp(a, "--exact-total")) {
            o.so.exact_total = 1;
        } else if (!strcmp(a, "--no-snippets")) {
            o.so.no_snippets = 1;
        } else if (!strcmp(a, "--ids-only")) {
            o.so.ids_only = 1;
        } else if (!strcmp(a, "--no-collapse")) {
            o.so.no_collapse = 1;
        } else if (!strcmp(a, "--explain")) {
            o.explain = 1;
        } else if (!strcmp(a, "--")) {
            for (i++; i < argc && n_q < 64; i++)
                qparts[n_q++] = argv[i];
        } else if (a[0] == '-' && a[1] == '-') {
            cli_error("search: unknown option '%s' (see 'khabar search --help')", a);
            return CLI_USAGE;
        } else if (n_q < 64) {
            qparts[n_q++] = a;
        }
#undef NEED_VALUE
    }
    if (!o.index) {
        cli_error("search: --index DIR is required");
        usage(stderr);
        return CLI_USAGE;
    }
    int jsonl = !strcmp(o.format, "jsonl") || !strcmp(o.format, "json");
    if (!jsonl && strcmp(o.format, "text")) {
        cli_error("search: --format is text or jsonl, not '%s'", o.format);
        return CLI_USAGE;
    }
    if (!o.queries && n_q == 0) {
        cli_error("search: no query (give QUERY words or --queries FILE)");
        return CLI_USAGE;
    }
    if (o.color < 0) o.color = cli_stdout_is_tty();

    kb_index_options io = {0};
    io.read_only = 1;
    kb_index *ix = NULL;
    int rc = kb_index_open(o.index, &io, &ix);
    if (rc) {
        const char *m = kb_index_errmsg(NULL);
        if (!m[0]) m = kb_strerror(rc);
        if (strstr(m, o.index))
            cli_error("%s", m);
        else
            cli_error("%s: %s", o.index, m);
        return CLI_FAILED;
    }
    int status = CLI_OK;
    if (o.queries) {
        status = run_queries_file(ix, &o);
        kb_index_close(ix);
        return status;
    }
    /* the words given as arguments form one query */
    char q[8192];
    size_t qn = 0;
    for (int i = 0; i < n_q; i++) {
        size_t l = strlen(qparts[i]);
        if (qn + l + 2 > sizeof q) {
            cli_error("search: the query is too long");
            kb_index_close(ix);
            return CLI_USAGE;
        }
        if (qn) q[qn++] = ' ';
        memcpy(q + qn, qparts[i], l);
        qn += l;
    }
    q[qn] = 0;
    if (o.explain) {
        char ex[4096];
        int n = kb_query_explain(q, qn, ex, sizeof ex);
        if (n >= 0) fprintf(jsonl ? stderr : stdout, "query: %s\n", ex);
    }
    kb_results *r = NULL;
    rc = kb_search_run(ix, q, qn, &o.so, &r);
    if (jsonl) {
        json_results(stdout, q, qn, rc, r);
    } else if (rc == 0) {
        text_results(stdout, r, &o.so, o.color);
    }
    if (rc) {
        const char *m = r && r->notice ? r->notice : kb_index_errmsg(ix);
        cli_error("search: %s%s%s", kb_strerror(rc), m && *m ? ": " : "", m ? m : "");
        status = rc == KB_EQUERY || rc == KB_ETOOBIG ? CLI_USAGE : CLI_FAILED;
    }
    kb_results_free(r);
    kb_index_close(ix);
    return status;
}
