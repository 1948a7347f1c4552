/*
 * api.c — the endpoints of the HTTP API, written against the public API (include/khabar.h) only.
 *
 * Reads: a pool of read-only index handles, one per worker thread (a handle is used by one
 * thread at a time); a search takes a handle, runs, and gives it back. Each search sees the last
 * commit that finished before it began. Writes: one writer handle and one cleaner behind a mutex;
 * a POST or DELETE commits before it answers, so the next search sees it.
 *
 * Answers are JSON built in a srv_buf; errors are {"error":{"code":…,"message":…}} with the
 * HTTP status that fits (400 bad parameter, 404 unknown id, 413/414 limits, 503 index busy).
 */
#include "server.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Errors listed one by one in a POST answer; the counts cover the rest. */
#define SRV_MAX_REPORTED_ERRORS 100
/* Members of a duplicate cluster listed by /similar: a wire story copied by every outlet of a
 * country stays under this; a client pages through search with collapse=0 for more. */
#define SRV_MAX_SIMILAR 100
/* Seconds /api/stats and /healthz may reuse the index counts (see get_stats). */
#define SRV_STATS_TTL_S 2.0

struct srv_api {
    char *dir;
    int writable;
    pthread_mutex_t mu; /* guards the reader pool */
    pthread_cond_t cv;
    kb_index **readers;
    int n_readers, n_free;
    kb_index **free_readers;
    pthread_mutex_t smu; /* guards the stats cache */
    kb_index_stats stats;
    double stats_at;     /* monotonic seconds when stats was read; 0: stale */
    pthread_mutex_t wmu; /* serializes writes */
    kb_index *writer;
    kb_cleaner *cleaner;
    kb_cache *cache; /* the server's answer cache (reported by /api/stats), or NULL */
    kb_cache *docs;  /* decoded articles shared by the readers, or NULL */
    int search_timeout, search_timeout_max; /* ms (srv_api_set_search_timeout) */
};

/* ---- open / close -------------------------------------------------------------------------- */

int srv_api_open(const char *dir, int n_readers, int writable, size_t doc_cache_bytes,
                 srv_api **out, char *err, size_t err_size)
{
    *out = NULL;
    srv_api *api = calloc(1, sizeof *api);
    if (!api) {
        snprintf(err, err_size, "out of memory");
        return KB_ENOMEM;
    }
    pthread_mutex_init(&api->mu, NULL);
    pthread_cond_init(&api->cv, NULL);
    pthread_mutex_init(&api->wmu, NULL);
    pthread_mutex_init(&api->smu, NULL);
    api->search_timeout = SRV_DEFAULT_SEARCH_TIMEOUT_MS;
    api->search_timeout_max = SRV_DEFAULT_SEARCH_TIMEOUT_MAX_MS;
    api->dir = strdup(dir);
    api->writable = writable;
    api->readers = calloc((size_t)n_readers, sizeof *api->readers);
    api->free_readers = calloc((size_t)n_readers, sizeof *api->free_readers);
    int rc = KB_ENOMEM;
    if (!api->dir || !api->readers || !api->free_readers) {
        snprintf(err, err_size, "out of memory");
        goto fail;
    }
    if (writable) {
        /* the writer first: it creates the index when the directory has none yet */
        kb_index_options wo = {0};
        rc = kb_index_open(dir, &wo, &api->writer);
        if (rc) {
            snprintf(err, err_size, "%s: cannot open the index for writing: %s", dir,
                     kb_strerror(rc));
            goto fail;
        }
        api->cleaner = kb_cleaner_new(NULL);
        if (!api->cleaner) {
            rc = KB_ENOMEM;
            snprintf(err, err_size, "out of memory");
            goto fail;
        }
    }
    api->docs = kb_cache_new(doc_cache_bytes); /* NULL: none (or no memory: go without) */
    kb_index_options ro = {.read_only = 1};
    for (int i = 0; i < n_readers; i++) {
        rc = kb_index_open(dir, &ro, &api->readers[i]);
        if (rc) {
            snprintf(err, err_size, "%s: cannot open the index: %s%s", dir, kb_strerror(rc),
                     rc == KB_ENOTFOUND ? " (build one with 'khabar index --index DIR FILES')"
                                        : "");
            goto fail;
        }
        api->n_readers++;
        api->free_readers[api->n_free++] = api->readers[i];
        kb_index_set_doc_cache(api->readers[i], api->docs);
    }
    *out = api;
    return 0;
fail:
    srv_api_close(api);
    return rc ? rc : KB_EINTERNAL;
}

void srv_api_close(srv_api *api)
{
    if (!api) return;
    for (int i = 0; i < api->n_readers; i++)
        kb_index_close(api->readers[i]);
    kb_index_close(api->writer);
    kb_cache_free(api->docs);
    kb_cleaner_free(api->cleaner);
    free(api->readers);
    free(api->free_readers);
    free(api->dir);
    pthread_mutex_destroy(&api->mu);
    pthread_cond_destroy(&api->cv);
    pthread_mutex_destroy(&api->wmu);
    pthread_mutex_destroy(&api->smu);
    free(api);
}

static kb_index *reader_take(srv_api *api)
{
    pthread_mutex_lock(&api->mu);
    while (api->n_free == 0)
        pthread_cond_wait(&api->cv, &api->mu);
    kb_index *ix = api->free_readers[--api->n_free];
    pthread_mutex_unlock(&api->mu);
    return ix;
}

static void reader_give(srv_api *api, kb_index *ix)
{
    pthread_mutex_lock(&api->mu);
    api->free_readers[api->n_free++] = ix;
    pthread_cond_signal(&api->cv);
    pthread_mutex_unlock(&api->mu);
}

int srv_api_generation(srv_api *api, uint64_t *gen)
{
    kb_index *ix = reader_take(api);
    int rc = kb_index_generation(ix, gen);
    reader_give(api, ix);
    return rc;
}

void srv_api_set_cache(srv_api *api, kb_cache *cache)
{
    api->cache = cache;
}

void srv_api_set_search_timeout(srv_api *api, int default_ms, int max_ms)
{
    api->search_timeout_max = max_ms;
    api->search_timeout = default_ms < max_ms ? default_ms : max_ms;
}

/* Maps a library error to an HTTP answer. */
static int lib_error(srv_buf *out, int rc, const char *detail)
{
    char msg[512];
    snprintf(msg, sizeof msg, "%s%s%s", kb_strerror(rc), detail && *detail ? ": " : "",
             detail ? detail : "");
    switch (rc) {
    case KB_ENOTFOUND:
        return srv_error_json(out, 404, "not_found", msg);
    case KB_EQUERY:
        return srv_error_json(out, 400, "bad_query", msg);
    case KB_ETOOBIG:
        return srv_error_json(out, 400, "too_big", msg);
    case KB_EINVAL:
        return srv_error_json(out, 400, "bad_request", msg);
    case KB_EBUSY:
        return srv_error_json(out, 503, "busy", msg);
    case KB_EREADONLY:
        return srv_error_json(out, 403, "read_only", msg);
    case KB_ENOSPC:
        return srv_error_json(out, 507, "no_space", msg);
    case KB_ECORRUPT:
        return srv_error_json(out, 500, "corrupt", msg);
    default:
        return srv_error_json(out, 500, "internal", msg);
    }
}

/* ---- parameters ----------------------------------------------------------------------------- */

/* Parses a decimal integer in [lo, hi]; returns 0 or -1. */
static int parse_uint(const char *s, long lo, long hi, long *v)
{
    if (!s || !*s || strlen(s) > 9) return -1;
    long x = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9') return -1;
        x = x * 10 + (*p - '0');
    }
    if (x < lo || x > hi) return -1;
    *v = x;
    return 0;
}

/* YYYY-MM-DD with a plausible month and day. */
static int valid_date(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-') return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) return 0;
    int m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
    return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

/* "1"/"true"/"yes" → 1, "0"/"false"/"no" → 0, absent → dflt, else -1. */
static int parse_bool(const char *s, int dflt)
{
    if (!s) return dflt;
    if (!strcmp(s, "1") || !strcmp(s, "true") || !strcmp(s, "yes")) return 1;
    if (!strcmp(s, "0") || !strcmp(s, "false") || !strcmp(s, "no")) return 0;
    return -1;
}

static void json_ranges(srv_buf *b, const kb_highlight *h, size_t n)
{
    srv_buf_putc(b, '[');
    for (size_t i = 0; i < n; i++)
        srv_buf_printf(b, "%s[%u,%u]", i ? "," : "", h[i].start, h[i].end);
    srv_buf_putc(b, ']');
}

/* Opens an object with the fields every article answer starts with. */
static void json_meta(srv_buf *b, kb_slice id, kb_slice title, kb_slice source, kb_slice date,
                      kb_slice url)
{
    srv_buf_puts(b, "{\"id\":");
    srv_buf_json_slice(b, id);
    srv_buf_puts(b, ",\"title\":");
    srv_buf_json_slice(b, title);
    srv_buf_puts(b, ",\"source\":");
    srv_buf_json_slice(b, source);
    srv_buf_puts(b, ",\"date\":");
    srv_buf_json_slice(b, date);
    srv_buf_puts(b, ",\"url\":");
    srv_buf_json_slice(b, url);
}

/* ---- GET /api/search ------------------------------------------------------------------------ */

int srv_api_search(srv_api *api, const srv_request *rq, srv_buf *out)
{
    const char *q = srv_param_get(rq, "q");
    if (!q || !q[q[0] ? strspn(q, " \t\r\n") : 0])
        return srv_error_json(out, 400, "missing_query", "the q parameter is required");
    kb_search_options o = {0};
    long v;
    const char *s;
    if ((s = srv_param_get(rq, "limit"))) {
        if (parse_uint(s, 1, SRV_MAX_LIMIT, &v))
            return srv_error_json(out, 400, "bad_limit", "limit must be an integer from 1 to 100");
        o.limit = (uint32_t)v;
    } else {
        o.limit = 10;
    }
    if ((s = srv_param_get(rq, "offset"))) {
        if (parse_uint(s, 0, SRV_MAX_OFFSET, &v))
            return srv_error_json(out, 400, "bad_offset",
                                  "offset must be an integer from 0 to 10000");
        o.offset = (uint32_t)v;
    }
    if ((s = srv_param_get(rq, "source")) && *s) o.source = (kb_slice){s, strlen(s)};
    if ((s = srv_param_get(rq, "from")) && *s) {
        if (!valid_date(s))
            return srv_error_json(out, 400, "bad_date", "from must be a date YYYY-MM-DD");
        o.date_from = (kb_slice){s, strlen(s)};
    }
    if ((s = srv_param_get(rq, "to")) && *s) {
        if (!valid_date(s))
            return srv_error_json(out, 400, "bad_date", "to must be a date YYYY-MM-DD");
        o.date_to = (kb_slice){s, strlen(s)};
    }
    if (o.date_from.n && o.date_to.n && strcmp(o.date_from.p, o.date_to.p) > 0)
        return srv_error_json(out, 400, "bad_date", "from is after to");
    int b = parse_bool(srv_param_get(rq, "collapse"), 1);
    if (b < 0) return srv_error_json(out, 400, "bad_collapse", "collapse must be 0 or 1");
    o.no_collapse = !b;
    b = parse_bool(srv_param_get(rq, "exact"), 0);
    if (b < 0) return srv_error_json(out, 400, "bad_exact", "exact must be 0 or 1");
    o.exact_total = b;
    o.no_facets = !b;
    if ((s = srv_param_get(rq, "mode"))) {
        if (!strcmp(s, "any"))
            o.mode = KB_SEARCH_ANY;
        else if (strcmp(s, "all"))
            return srv_error_json(out, 400, "bad_mode", "mode must be all or any");
    }
    /* the time budget: the server's default, or what the request asks up to the server's cap */
    long timeout_ms = api->search_timeout;
    if ((s = srv_param_get(rq, "timeout"))) {
        if (parse_uint(s, 1, 999999999, &v))
            return srv_error_json(out, 400, "bad_timeout",
                                  "timeout must be a number of milliseconds, at least 1");
        timeout_ms = v < api->search_timeout_max ? v : api->search_timeout_max;
    }
    o.timeout_us = timeout_ms > 0 ? (uint64_t)timeout_ms * 1000 : 0;

    kb_index *ix = reader_take(api);
    kb_results *r = NULL;
    int rc = kb_search_run(ix, q, strlen(q), &o, &r);
    if (rc == KB_EQUERY || rc == KB_ETOOBIG) {
        int st = srv_error_json(out, 400, rc == KB_EQUERY ? "bad_query" : "too_big",
                                r && r->notice ? r->notice : kb_strerror(rc));
        kb_results_free(r);
        reader_give(api, ix);
        return st;
    }
    if (rc) {
        int st = lib_error(out, rc, kb_index_errmsg(ix));
        kb_results_free(r);
        reader_give(api, ix);
        return st;
    }
    reader_give(api, ix);

    srv_buf_printf(out, "{\"took_us\":%llu,\"total\":%llu,\"total_exact\":%s,\"fallback_any\":%s",
                   (unsigned long long)r->took_us, (unsigned long long)r->total,
                   r->total_exact ? "true" : "false", r->fallback_any ? "true" : "false");
    srv_buf_printf(out, ",\"timed_out\":%s,\"timeout_ms\":%ld", r->timed_out ? "true" : "false",
                   timeout_ms);
    out->no_store = r->timed_out; /* another try may have more time: keep no partial answer */
    srv_buf_printf(out, ",\"offset\":%u,\"limit\":%u,\"notice\":", o.offset, o.limit);
    if (r->notice)
        srv_buf_json_str(out, r->notice, strlen(r->notice));
    else
        srv_buf_puts(out, "null");
    srv_buf_puts(out, ",\"hits\":[");
    for (size_t i = 0; i < r->n_hits; i++) {
        const kb_hit *h = &r->hits[i];
        if (i) srv_buf_putc(out, ',');
        json_meta(out, h->id, h->title, h->source, h->date, h->url);
        srv_buf_printf(out, ",\"score\":%.4f,\"snippet\":{\"text\":", h->score);
        srv_buf_json_slice(out, h->snippet);
        srv_buf_puts(out, ",\"highlights\":");
        json_ranges(out, h->highlights, h->n_highlights);
        srv_buf_printf(out, ",\"start\":%llu,\"is_title\":%s},\"title_highlights\":",
                       (unsigned long long)h->snippet_start,
                       h->snippet_is_title ? "true" : "false");
        json_ranges(out, h->title_highlights, h->n_title_highlights);
        srv_buf_printf(out, ",\"similar\":%u,\"also_sources\":[", h->similar);
        for (size_t k = 0; k < h->n_also_sources; k++) {
            if (k) srv_buf_putc(out, ',');
            srv_buf_json_slice(out, h->also_sources[k]);
        }
        /* its stored article could not be read: no title nor snippet (the notice says so) */
        srv_buf_printf(out, "],\"damaged\":%s}", h->damaged ? "true" : "false");
    }
    srv_buf_puts(out, "],\"facets\":{\"source\":{");
    for (size_t i = 0; i < r->n_sources; i++) {
        if (i) srv_buf_putc(out, ',');
        srv_buf_json_slice(out, r->sources[i].value);
        srv_buf_printf(out, ":%llu", (unsigned long long)r->sources[i].count);
    }
    srv_buf_puts(out, "}}}");
    kb_results_free(r);
    return 200;
}

/* ---- GET /api/documents/{id} ---------------------------------------------------------------- */

/* Fetches the stored article rq->doc_id into *d; returns 0, or an error status written to out. */
static int get_stored(srv_api *api, const srv_request *rq, kb_stored **d, srv_buf *out)
{
    kb_index *ix = reader_take(api);
    int rc = kb_index_get(ix, rq->doc_id, strlen(rq->doc_id), d);
    int st = 0;
    if (rc == KB_ENOTFOUND)
        st = srv_error_json(out, 404, "not_found", "no document has this id");
    else if (rc)
        st = lib_error(out, rc, kb_index_errmsg(ix));
    reader_give(api, ix);
    return st;
}

int srv_api_document(srv_api *api, const srv_request *rq, srv_buf *out)
{
    kb_stored *d = NULL;
    int st = get_stored(api, rq, &d, out);
    if (st) return st;
    json_meta(out, d->id, d->title, d->source, d->date, d->url);
    /* The clean structure as stored: captions, typed blocks, dropped lines with reasons. */
    srv_buf_puts(out, ",\"captions\":[");
    for (size_t i = 0; i < d->n_captions; i++) {
        if (i) srv_buf_putc(out, ',');
        srv_buf_json_str(out, d->captions[i].p, d->captions[i].n);
    }
    srv_buf_puts(out, "],\"blocks\":[");
    for (size_t i = 0; i < d->n_blocks; i++) {
        srv_buf_printf(out, "%s{\"type\":\"%s\",\"text\":", i ? "," : "",
                       kb_block_type_name(d->blocks[i].type));
        srv_buf_json_str(out, d->blocks[i].text.p, d->blocks[i].text.n);
        srv_buf_putc(out, '}');
    }
    srv_buf_puts(out, "],\"dropped\":[");
    for (size_t i = 0; i < d->n_dropped; i++) {
        srv_buf_puts(out, i ? ",{\"text\":" : "{\"text\":");
        srv_buf_json_str(out, d->dropped[i].text.p, d->dropped[i].text.n);
        srv_buf_puts(out, ",\"reason\":");
        srv_buf_json_str(out, d->dropped[i].reason, strlen(d->dropped[i].reason));
        srv_buf_putc(out, '}');
    }
    srv_buf_puts(out, "]}");
    kb_stored_free(d);
    return 200;
}

/* ---- GET /api/documents/{id}/similar -------------------------------------------------------- */

/* One member of a cluster, copied out of the kb_index_dups() callback. */
typedef struct sim_member {
    char *id, *source, *date, *url;
    double similarity;
    int representative;
} sim_member;

typedef struct sim_find {
    const char *id;
    size_t id_n;
    sim_member *m; /* the other members */
    size_t n;
    int failed;
} sim_find;

static int sim_cluster(void *ctx, const kb_dups_member *m, size_t n)
{
    sim_find *f = ctx;
    size_t self = n;
    for (size_t i = 0; i < n && self == n; i++)
        if (m[i].id.n == f->id_n && !memcmp(m[i].id.p, f->id, f->id_n)) self = i;
    if (self == n) return 0; /* not this cluster: go on */
    f->m = calloc(n, sizeof *f->m);
    if (!f->m) {
        f->failed = 1;
        return 1;
    }
    for (size_t i = 0; i < n && f->n < SRV_MAX_SIMILAR; i++) {
        if (i == self) continue;
        sim_member *o = &f->m[f->n++];
        o->id = strndup(m[i].id.p, m[i].id.n);
        o->source = strndup(m[i].source.p, m[i].source.n);
        o->date = strndup(m[i].date.p, m[i].date.n);
        o->url = strndup(m[i].url.p, m[i].url.n);
        o->similarity = m[i].similarity;
        o->representative = i == 0;
        if (!o->id || !o->source || !o->date || !o->url) f->failed = 1;
    }
    return 1; /* found: stop the listing */
}

/* The other members of the document's duplicate cluster, each with its title: the cluster is
 * found through the index of the cluster tables (kb_index_dups_of), not by listing them all. */
int srv_api_similar(srv_api *api, const srv_request *rq, srv_buf *out)
{
    sim_find f = {.id = rq->doc_id, .id_n = strlen(rq->doc_id)};
    kb_index *ix = reader_take(api);
    int rc = kb_index_dups_of(ix, f.id, f.id_n, 0, sim_cluster, &f);
    if (rc == KB_ENOTFOUND) {
        reader_give(api, ix);
        return srv_error_json(out, 404, "not_found", "no document has this id");
    }
    if (!rc && f.failed) rc = KB_ENOMEM;
    if (!rc) {
        srv_buf_puts(out, "{\"id\":");
        srv_buf_json_str(out, rq->doc_id, strlen(rq->doc_id));
        srv_buf_puts(out, ",\"similar\":[");
        for (size_t i = 0; i < f.n; i++) {
            const sim_member *o = &f.m[i];
            kb_stored *m = NULL;
            kb_slice title = {"", 0};
            if (!kb_index_get(ix, o->id, strlen(o->id), &m)) title = m->title;
            if (i) srv_buf_putc(out, ',');
            json_meta(out, (kb_slice){o->id, strlen(o->id)}, title,
                      (kb_slice){o->source, strlen(o->source)},
                      (kb_slice){o->date, strlen(o->date)}, (kb_slice){o->url, strlen(o->url)});
            srv_buf_printf(out, ",\"similarity\":%.3f,\"representative\":%s}", o->similarity,
                           o->representative ? "true" : "false");
            kb_stored_free(m);
        }
        srv_buf_puts(out, "]}");
    }
    reader_give(api, ix);
    for (size_t i = 0; i < f.n; i++) {
        free(f.m[i].id);
        free(f.m[i].source);
        free(f.m[i].date);
        free(f.m[i].url);
    }
    free(f.m);
    return rc ? lib_error(out, rc, NULL) : 200;
}

/* ---- GET /api/stats, /healthz ---------------------------------------------------------------- */

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Index counts, cached for SRV_STATS_TTL_S: kb_index_stats_get() measures the database (hundreds
 * of milliseconds on a large index), too slow for every /healthz probe. The server's own writes
 * make the cache stale at once; another process's commits show within the TTL. */
static int get_stats(srv_api *api, kb_index_stats *st)
{
    pthread_mutex_lock(&api->smu);
    if (api->stats_at > 0 && mono_s() - api->stats_at < SRV_STATS_TTL_S) {
        *st = api->stats;
        pthread_mutex_unlock(&api->smu);
        return 0;
    }
    kb_index *ix = reader_take(api);
    int rc = kb_index_stats_get(ix, st);
    reader_give(api, ix);
    if (!rc) {
        api->stats = *st;
        api->stats_at = mono_s();
    }
    pthread_mutex_unlock(&api->smu);
    return rc;
}

static void stats_stale(srv_api *api)
{
    pthread_mutex_lock(&api->smu);
    api->stats_at = 0;
    pthread_mutex_unlock(&api->smu);
}

int srv_api_stats(srv_api *api, const srv_request *rq, srv_buf *out)
{
    (void)rq;
    kb_index_stats st;
    int rc = get_stats(api, &st);
    if (rc) return lib_error(out, rc, NULL);
    const char *stem = kb_stemmer_name(st.stemmer);
    srv_buf_printf(out,
                   "{\"docs\":%llu,\"terms\":%llu,\"postings_bytes\":%llu,\"stored_bytes\":%llu,"
                   "\"file_bytes\":%llu,\"dead_docs\":%llu,\"commits\":%llu,\"stemmer\":\"%s\","
                   "\"version\":\"%s\",\"writable\":%s,\"threads\":%d,\"limits\":{"
                   "\"url_bytes\":%d,\"query_bytes\":%d,\"param_bytes\":%d,\"max_limit\":%d,"
                   "\"max_offset\":%d,\"body_bytes\":%zu,\"header_bytes\":%zu,"
                   "\"search_timeout_ms\":%d,\"search_timeout_max_ms\":%d}",
                   (unsigned long long)st.docs, (unsigned long long)st.terms,
                   (unsigned long long)st.postings_bytes, (unsigned long long)st.stored_bytes,
                   (unsigned long long)st.file_bytes, (unsigned long long)st.dead_docs,
                   (unsigned long long)st.commits, stem ? stem : "?", kb_version(),
                   api->writable ? "true" : "false", api->n_readers, SRV_MAX_URL_BYTES,
                   SRV_MAX_QUERY_BYTES, SRV_MAX_PARAM_BYTES, SRV_MAX_LIMIT, SRV_MAX_OFFSET,
                   (size_t)SRV_MAX_BODY_BYTES, (size_t)SRV_CONNECTION_MEMORY, api->search_timeout,
                   api->search_timeout_max);
    /* the two caches: answers (the server's), decoded articles (the readers') */
    kb_cache *caches[2] = {api->cache, api->docs};
    const char *names[2] = {"cache", "doc_cache"};
    for (int i = 0; i < 2; i++) {
        kb_cache_stats cs;
        kb_cache_stats_get(caches[i], &cs);
        srv_buf_printf(out,
                       ",\"%s\":{\"max_bytes\":%zu,\"bytes\":%zu,\"entries\":%zu,\"hits\":%llu,"
                       "\"misses\":%llu,\"stale\":%llu}",
                       names[i], cs.max_bytes, cs.bytes, cs.entries, (unsigned long long)cs.hits,
                       (unsigned long long)cs.misses, (unsigned long long)cs.stale);
    }
    srv_buf_putc(out, '}');
    return 200;
}

int srv_api_health(srv_api *api, const srv_request *rq, srv_buf *out)
{
    (void)rq;
    kb_index_stats st;
    int rc = get_stats(api, &st);
    if (rc) return srv_error_json(out, 503, "unhealthy", kb_strerror(rc));
    srv_buf_printf(out, "{\"status\":\"ok\",\"docs\":%llu}", (unsigned long long)st.docs);
    return 200;
}

/* ---- POST /api/documents, DELETE /api/documents/{id} ------------------------------------------
 */

/* The JSONL body goes through the same reader as `khabar index` (kb_reader_open_mem), then the
 * cleaner, then the index; one commit at the end, before the answer. */
int srv_api_add(srv_api *api, const srv_request *rq, srv_buf *out)
{
    if (!api->writer) return srv_error_json(out, 403, "read_only", "the server is read-only");
    if (rq->body_len == 0)
        return srv_error_json(out, 400, "empty_body",
                              "the body must hold JSON lines, one article per line");
    kb_reader_options ro = {.format = KB_FORMAT_JSONL};
    kb_reader *rd = kb_reader_open_mem(rq->body, rq->body_len, "body", &ro);
    if (!rd) return srv_error_json(out, 500, "internal", "out of memory");
    uint64_t added = 0, replaced = 0, rejected = 0;
    srv_buf errs;
    srv_buf_init(&errs, 1 << 20);
    size_t n_errs = 0;
    pthread_mutex_lock(&api->wmu);
    for (;;) {
        kb_record rec;
        int rc = kb_reader_next(rd, &rec);
        if (rc == 0) break;
        const char *why = NULL;
        uint64_t line = 0;
        char msg[512];
        if (rc < 0) {
            if (rc == KB_ENOMEM) {
                rejected++;
                why = "out of memory";
                break;
            }
            snprintf(msg, sizeof msg, "%s", kb_reader_errmsg(rd)); /* "body:LINE: what" */
            why = msg;
        } else {
            line = rec.line;
            kb_article a;
            rc = kb_cleaner_clean(api->cleaner, &rec, &a);
            if (!rc) rc = kb_index_add(api->writer, &a);
            if (rc == 0)
                added++;
            else if (rc == 1)
                replaced++;
            else {
                snprintf(msg, sizeof msg, "%s%s%s", kb_strerror(rc),
                         *kb_index_errmsg(api->writer) ? ": " : "", kb_index_errmsg(api->writer));
                why = msg;
            }
        }
        if (why) {
            rejected++;
            if (n_errs < SRV_MAX_REPORTED_ERRORS) {
                srv_buf_puts(&errs, n_errs ? ",{" : "{");
                if (line) srv_buf_printf(&errs, "\"line\":%llu,", (unsigned long long)line);
                srv_buf_puts(&errs, "\"reason\":");
                srv_buf_json_str(&errs, why, strlen(why));
                srv_buf_putc(&errs, '}');
                n_errs++;
            }
        }
    }
    int crc = kb_index_commit(api->writer);
    stats_stale(api);
    char cmsg[512] = "";
    if (crc) snprintf(cmsg, sizeof cmsg, "%s", kb_index_errmsg(api->writer));
    pthread_mutex_unlock(&api->wmu);
    kb_reader_close(rd);
    if (crc) {
        srv_buf_free(&errs);
        return lib_error(out, crc, cmsg);
    }
    srv_buf_printf(out, "{\"added\":%llu,\"replaced\":%llu,\"rejected\":%llu,\"errors\":[",
                   (unsigned long long)added, (unsigned long long)replaced,
                   (unsigned long long)rejected);
    if (errs.n) srv_buf_add(out, errs.p, errs.n);
    srv_buf_puts(out, "]}");
    srv_buf_free(&errs);
    return added + replaced == 0 && rejected ? 422 : 200;
}

int srv_api_delete(srv_api *api, const srv_request *rq, srv_buf *out)
{
    if (!api->writer) return srv_error_json(out, 403, "read_only", "the server is read-only");
    pthread_mutex_lock(&api->wmu);
    int rc = kb_index_delete(api->writer, rq->doc_id, strlen(rq->doc_id));
    if (!rc) rc = kb_index_commit(api->writer);
    stats_stale(api);
    char msg[512];
    snprintf(msg, sizeof msg, "%s", kb_index_errmsg(api->writer));
    pthread_mutex_unlock(&api->wmu);
    if (rc == KB_ENOTFOUND) return srv_error_json(out, 404, "not_found", "no document has this id");
    if (rc) return lib_error(out, rc, msg);
    srv_buf_puts(out, "{\"deleted\":");
    srv_buf_json_str(out, rq->doc_id, strlen(rq->doc_id));
    srv_buf_puts(out, "}");
    return 200;
}
