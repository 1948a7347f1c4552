/*
 * server.c — the HTTP side of `khabar serve`, on libmicrohttpd.
 *
 * A pool of worker threads (libmicrohttpd's thread pool, each with its own epoll loop) parses
 * requests; this file turns each into a srv_request and hands it to an endpoint in api.c, or
 * serves a web asset compiled into the binary. What it guards:
 *
 *   - URL, query, parameter, header and body sizes (the SRV_* limits in server.h): a request past
 *     a limit gets a JSON error with the right status (431 for headers, from libmicrohttpd);
 *   - percent-encoding is decoded strictly from the raw URI: a malformed escape, an encoded NUL
 *     or invalid UTF-8 is a 400, never silently repaired;
 *   - writes need "Authorization: Bearer <token>", compared in time that does not depend on the
 *     guess; without --write-token the server is read-only (403);
 *   - slow clients: a watchdog thread shuts down connections whose request headers have not
 *     arrived within the request timeout, and a body must arrive within it too; idle keep-alive
 *     connections close after the idle timeout; connections past the limit are refused;
 *   - assets are looked up by exact path in a table: there is no file system path to traverse;
 *   - answers of the read endpoints are kept in a kb_cache keyed by the request and tagged with
 *     the index's commit generation, so a repeated question costs one row read until the next
 *     commit (docs/server.md says why that is correct).
 *
 * SIGINT and SIGTERM are blocked in every thread and waited for in the main thread, which then
 * stops the daemon (finishing requests in flight) and closes the index.
 */
#include "server.h"

#include <microhttpd.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Query parameters per request: the API has 7; 32 leaves room without letting a client make the
 * server parse thousands. */
#define SRV_MAX_PARAMS 32
/* Largest JSON answer the server builds (a page of 100 hits with snippets is ~0.5 MB; a long
 * article with all its dropped lines a few MB). */
#define SRV_MAX_ANSWER_BYTES ((size_t)64 << 20)
/* Connections libmicrohttpd accepts beyond max_connections, only to answer them 503 at once; past
 * this hard cap further clients wait in the kernel's listen queue. */
#define SRV_CONNECTION_SLACK(n) ((n) / 4 + 16)

enum route {
    R_NONE = 0,
    R_ASSET,
    R_HEALTH,
    R_SEARCH,
    R_STATS,
    R_DOCS,        /* /api/documents */
    R_DOC,         /* /api/documents/{id} */
    R_DOC_SIMILAR, /* /api/documents/{id}/similar */
};

/* One connection, tracked for the watchdog. */
typedef struct conn {
    int fd;
    int busy;        /* a request's headers have arrived and it is being handled */
    double deadline; /* monotonic seconds: cut the connection if not busy by then */
    struct conn *prev, *next;
} conn;

typedef struct server {
    const srv_config *cfg;
    srv_api *api;
    kb_cache *cache; /* answers; NULL when --cache-mb 0 */
    struct MHD_Daemon *daemon;
    size_t token_len;
    pthread_mutex_t mu; /* guards the connection list */
    conn head;          /* sentinel of a circular list */
    int n_conns;        /* connections open (in the list) */
    pthread_cond_t stop_cv;
    int stopping;
    atomic_ulong n_requests, n_cut, n_refused;
} server;

/* One request: created by the URI log callback, freed by the completion callback. */
typedef struct req {
    char *uri; /* raw request target, or NULL when too long */
    int uri_too_long;
    int started;
    int answered;
    enum route route;
    const srv_asset *asset;
    double deadline;
    char *body;
    size_t body_len, body_cap;
    int body_too_big;
    int cache_state; /* 0: not cacheable, 1: answered from the cache, 2: computed */
    char *arena; /* decoded path pieces and parameters */
    srv_param params[SRV_MAX_PARAMS];
    size_t n_params;
    char *doc_id;
    char *path;
    struct timespec t0;
} req;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- responses ------------------------------------------------------------------------------ */

static void common_headers(struct MHD_Response *r)
{
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
}

/* Sends b's content (ownership passes to libmicrohttpd) with the status. */
static enum MHD_Result send_json(struct MHD_Connection *c, req *rq, int status, srv_buf *b)
{
    if (b->failed) {
        srv_buf_free(b);
        srv_buf_init(b, 4096);
        status = srv_error_json(b, 500, "internal", "the answer could not be built");
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(
        b->n, b->p ? b->p : (void *)"", b->p ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!r) {
        srv_buf_free(b);
        return MHD_NO;
    }
    b->p = NULL; /* owned by the response now */
    srv_buf_free(b);
    common_headers(r);
    MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (rq->cache_state) MHD_add_response_header(r, "X-Cache", rq->cache_state == 1 ? "hit" : "miss");
    if (status == 401) MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"khabar\"");
    if (status == 405) {
        const char *allow = "GET, HEAD";
        if (rq->route == R_DOCS)
            allow = "POST";
        else if (rq->route == R_DOC)
            allow = "GET, HEAD, DELETE";
        MHD_add_response_header(r, "Allow", allow);
    }
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    rq->answered = 1;
    return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *c, req *rq, int status, const char *code,
                                  const char *msg)
{
    srv_buf b;
    srv_buf_init(&b, 4096);
    srv_error_json(&b, status, code, msg);
    return send_json(c, rq, status, &b);
}

static const char CSP[] = "default-src 'none'; script-src 'self'; style-src 'self'; "
                          "img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
                          "form-action 'self'; frame-ancestors 'none'";

static enum MHD_Result send_asset(struct MHD_Connection *c, req *rq, const srv_asset *a)
{
    const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match");
    int not_modified = inm && a->etag && !strcmp(inm, a->etag);
    struct MHD_Response *r = MHD_create_response_from_buffer(
        not_modified ? 0 : a->size, (void *)a->data, MHD_RESPMEM_PERSISTENT);
    if (!r) return MHD_NO;
    common_headers(r);
    MHD_add_response_header(r, "Content-Type", a->content_type);
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    MHD_add_response_header(r, "Content-Security-Policy", CSP);
    if (a->etag) MHD_add_response_header(r, "ETag", a->etag);
    enum MHD_Result ret = MHD_queue_response(c, not_modified ? 304 : 200, r);
    MHD_destroy_response(r);
    rq->answered = 1;
    return ret;
}

/* ---- parsing -------------------------------------------------------------------------------- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes s[0..n) into out (room for n+1 bytes), '+' as space when plus. Returns the decoded
 * length, or -1 for a malformed escape, an encoded NUL or a result that is not valid UTF-8. */
static long pct_decode(const char *s, size_t n, int plus, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '%') {
            if (i + 2 >= n) return -1;
            int h = hexval((unsigned char)s[i + 1]), l = hexval((unsigned char)s[i + 2]);
            if (h < 0 || l < 0) return -1;
            ch = (char)(h * 16 + l);
            if (!ch) return -1;
            i += 2;
        } else if (ch == '+' && plus) {
            ch = ' ';
        }
        out[o++] = ch;
    }
    out[o] = 0;
    return srv_utf8_valid(out, o) ? (long)o : -1;
}

/* Splits the raw URI into a decoded path, a document id and decoded parameters. Returns 0, or
 * an HTTP status with *why set. */
static int parse_uri(req *rq, const char **why)
{
    const char *u = rq->uri;
    size_t n = strlen(u);
    const char *q = memchr(u, '?', n);
    size_t path_n = q ? (size_t)(q - u) : n;
    const char *hash = memchr(u, '#', n);
    if (hash && (!q || hash < q)) path_n = (size_t)(hash - u);
    rq->arena = malloc(n * 2 + 8);
    if (!rq->arena) {
        *why = "out of memory";
        return 500;
    }
    char *a = rq->arena;
    rq->path = a;
    long k = pct_decode(u, path_n, 0, a);
    if (k < 0) {
        *why = "the path has a malformed percent-escape or is not valid UTF-8";
        return 400;
    }
    a += k + 1;

    /* /api/documents/{id}[/similar], on the raw path so that an id may contain "%2F" */
    static const char docs[] = "/api/documents";
    if (!strcmp(rq->path, "/healthz")) {
        rq->route = R_HEALTH;
    } else if (!strcmp(rq->path, "/api/search")) {
        rq->route = R_SEARCH;
    } else if (!strcmp(rq->path, "/api/stats")) {
        rq->route = R_STATS;
    } else if (path_n == sizeof docs - 1 && !memcmp(u, docs, path_n)) {
        rq->route = R_DOCS;
    } else if (path_n > sizeof docs && !memcmp(u, docs, sizeof docs - 1) &&
               u[sizeof docs - 1] == '/') {
        const char *id = u + sizeof docs;
        size_t id_n = path_n - sizeof docs;
        const char *slash = memchr(id, '/', id_n);
        rq->route = R_DOC;
        if (slash) {
            if ((size_t)(u + path_n - slash) == 8 && !memcmp(slash, "/similar", 8)) {
                rq->route = R_DOC_SIMILAR;
                id_n = (size_t)(slash - id);
            } else {
                rq->route = R_NONE;
            }
        }
        if (rq->route != R_NONE) {
            if (id_n == 0) {
                rq->route = R_NONE;
            } else if (id_n > SRV_MAX_PARAM_BYTES * 3) {
                *why = "the document id is too long";
                return 414;
            } else {
                rq->doc_id = a;
                k = pct_decode(id, id_n, 0, a);
                if (k < 0) {
                    *why = "the document id has a malformed percent-escape or is not UTF-8";
                    return 400;
                }
                if (k > SRV_MAX_PARAM_BYTES) {
                    *why = "the document id is too long";
                    return 414;
                }
                a += k + 1;
            }
        }
    } else {
        for (size_t i = 0; i < srv_n_assets; i++) {
            const char *p = srv_assets[i].path;
            if (!strcmp(rq->path, p) || (!strcmp(rq->path, "/") && !strcmp(p, "/index.html"))) {
                rq->route = R_ASSET;
                rq->asset = &srv_assets[i];
                break;
            }
        }
    }

    if (!q) return 0;
    const char *s = q + 1, *end = hash && hash > q ? hash : u + n;
    while (s < end) {
        const char *amp = memchr(s, '&', (size_t)(end - s));
        const char *e = amp ? amp : end;
        if (e > s) {
            if (rq->n_params == SRV_MAX_PARAMS) {
                *why = "too many query parameters";
                return 400;
            }
            const char *eq = memchr(s, '=', (size_t)(e - s));
            const char *ke = eq ? eq : e;
            srv_param *p = &rq->params[rq->n_params++];
            p->name = a;
            k = pct_decode(s, (size_t)(ke - s), 1, a);
            if (k < 0) {
                *why = "a query parameter has a malformed percent-escape or is not valid UTF-8";
                return 400;
            }
            a += k + 1;
            p->value = a;
            k = eq ? pct_decode(eq + 1, (size_t)(e - eq - 1), 1, a) : (a[0] = 0, 0);
            if (k < 0) {
                *why = "a query parameter has a malformed percent-escape or is not valid UTF-8";
                return 400;
            }
            size_t lim = strcmp(p->name, "q") ? SRV_MAX_PARAM_BYTES : SRV_MAX_QUERY_BYTES;
            if ((size_t)k > lim) {
                *why = strcmp(p->name, "q") ? "a query parameter is too long"
                                            : "the query is too long";
                return 414;
            }
            a += k + 1;
        }
        s = e + 1;
    }
    return 0;
}

/* ---- authorization -------------------------------------------------------------------------- */

/* Compares the bearer token in constant time: the loop always runs over the whole configured
 * token, whatever the guess, and folds every difference (including the length) into one word. */
static int token_ok(const server *s, const char *hdr)
{
    if (!hdr || strncasecmp(hdr, "Bearer ", 7)) return 0;
    const unsigned char *g = (const unsigned char *)hdr + 7;
    const unsigned char *t = (const unsigned char *)s->cfg->token;
    size_t gl = strlen((const char *)g);
    volatile unsigned diff = gl != s->token_len;
    for (size_t i = 0; i < s->token_len; i++)
        diff |= (unsigned)(t[i] ^ (i < gl ? g[i] : 0u));
    return diff == 0;
}

/* ---- connection tracking (watchdog) -------------------------------------------------------- */

static conn *conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? (conn *)ci->socket_context : NULL;
}

static void set_busy(server *s, struct MHD_Connection *c, int busy, double deadline)
{
    conn *t = conn_of(c);
    if (!t) return;
    pthread_mutex_lock(&s->mu);
    t->busy = busy;
    t->deadline = deadline;
    pthread_mutex_unlock(&s->mu);
}

static void notify_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                              enum MHD_ConnectionNotificationCode toe)
{
    server *s = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        conn *t = calloc(1, sizeof *t);
        if (!t) return;
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        t->fd = ci ? ci->connect_fd : -1;
        t->deadline = now_s() + s->cfg->request_timeout;
        pthread_mutex_lock(&s->mu);
        if (++s->n_conns > s->cfg->max_connections && t->fd >= 0) {
            /* Past the limit: answer 503 at once and end the connection, rather than leave the
             * client waiting in the listen queue. libmicrohttpd has written nothing yet on this
             * fresh socket, so the canned answer cannot interleave with its output. */
            static const char busy[] =
                "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; "
                "charset=utf-8\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: 69\r\n\r\n"
                "{\"error\":{\"code\":\"busy\",\"message\":\"too many connections; try again\"}}";
            ssize_t w = send(t->fd, busy, sizeof busy - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
            (void)w;
            shutdown(t->fd, SHUT_RDWR);
            t->fd = -1;
            atomic_fetch_add(&s->n_refused, 1);
        }
        t->next = s->head.next;
        t->prev = &s->head;
        s->head.next->prev = t;
        s->head.next = t;
        pthread_mutex_unlock(&s->mu);
        *socket_context = t;
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        conn *t = *socket_context;
        if (!t) return;
        /* libmicrohttpd closes the socket after this notification: while t is listed under the
         * lock, the watchdog's shutdown() cannot reach a recycled descriptor. */
        pthread_mutex_lock(&s->mu);
        s->n_conns--;
        t->prev->next = t->next;
        t->next->prev = t->prev;
        pthread_mutex_unlock(&s->mu);
        free(t);
        *socket_context = NULL;
    }
}

/* Once a second: shut down connections that have not delivered a request's headers in time.
 * shutdown() (not close()) lets libmicrohttpd see the end of the stream and clean up itself. */
static void *watchdog(void *arg)
{
    server *s = arg;
    pthread_mutex_lock(&s->mu);
    while (!s->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&s->stop_cv, &s->mu, &ts);
        double now = now_s();
        for (conn *t = s->head.next; t != &s->head; t = t->next) {
            if (!t->busy && t->fd >= 0 && now > t->deadline) {
                shutdown(t->fd, SHUT_RDWR);
                t->fd = -1;
                atomic_fetch_add(&s->n_cut, 1);
            }
        }
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* ---- request life cycle --------------------------------------------------------------------- */

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)cls;
    (void)c;
    req *rq = calloc(1, sizeof *rq);
    if (!rq) return NULL;
    clock_gettime(CLOCK_MONOTONIC, &rq->t0);
    if (strlen(uri) > SRV_MAX_URL_BYTES)
        rq->uri_too_long = 1;
    else
        rq->uri = strdup(uri);
    return rq;
}

static void request_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                              enum MHD_RequestTerminationCode toe)
{
    server *s = cls;
    (void)toe;
    req *rq = *req_cls;
    if (rq) {
        if (s->cfg->access_log && rq->started) {
            struct timespec t1;
            clock_gettime(CLOCK_MONOTONIC, &t1);
            long us = (t1.tv_sec - rq->t0.tv_sec) * 1000000L + (t1.tv_nsec - rq->t0.tv_nsec) / 1000;
            fprintf(stderr, "%s %ldus%s\n", rq->uri ? rq->uri : "(long uri)", us,
                    toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
        }
        free(rq->uri);
        free(rq->body);
        free(rq->arena);
        free(rq);
        *req_cls = NULL;
    }
    /* the connection now waits for its next request: it has the idle timeout to send it */
    set_busy(s, c, 0, now_s() + s->cfg->idle_timeout);
}

/* The cache key of a read request: its route, the document id and the parameters sorted by
 * name (a stable sort: repeated names keep their order), NUL-separated. Returns the length, or 0
 * when the request is not cacheable or the key does not fit. */
static size_t cache_key(const req *rq, const char *method, char *key, size_t cap)
{
    if (rq->route != R_SEARCH && rq->route != R_DOC && rq->route != R_DOC_SIMILAR) return 0;
    if (strcmp(method, "GET") && strcmp(method, "HEAD")) return 0;
    const srv_param *order[SRV_MAX_PARAMS];
    for (size_t i = 0; i < rq->n_params; i++) {
        size_t j = i;
        while (j > 0 && strcmp(order[j - 1]->name, rq->params[i].name) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = &rq->params[i];
    }
    size_t n = 0;
    int w = snprintf(key, cap, "%d", (int)rq->route);
    if (w < 0 || (size_t)w >= cap) return 0;
    n = (size_t)w + 1;
    const char *parts[2 * SRV_MAX_PARAMS + 1];
    size_t n_parts = 0;
    parts[n_parts++] = rq->doc_id ? rq->doc_id : "";
    for (size_t i = 0; i < rq->n_params; i++) {
        parts[n_parts++] = order[i]->name;
        parts[n_parts++] = order[i]->value;
    }
    for (size_t i = 0; i < n_parts; i++) {
        size_t l = strlen(parts[i]);
        if (n + l + 1 > cap) return 0;
        memcpy(key + n, parts[i], l + 1);
        n += l + 1;
    }
    return n;
}

/* kb_cache_get's callback: a kept answer (status, then body) into the answer buffer. */
typedef struct cached_answer {
    srv_buf *out;
    int status;
} cached_answer;

static int copy_answer(void *ctx, const void *value, size_t n)
{
    cached_answer *ca = ctx;
    if (n < sizeof ca->status) return 0;
    memcpy(&ca->status, value, sizeof ca->status);
    srv_buf_add(ca->out, (const char *)value + sizeof ca->status, n - sizeof ca->status);
    if (ca->out->failed) ca->status = 0; /* no room: computed again instead */
    return 0;
}

/* A cache key never exceeds the URL limit much: decoding only shrinks, separators add a byte
 * per part. */
#define SRV_CACHE_KEY_MAX (SRV_MAX_URL_BYTES + 2 * SRV_MAX_PARAMS + 64)

/* Answers a routed API request into b (initialised by the caller) and returns its status: from
 * the answer cache when it holds the same request at the index's generation, else from the
 * endpoint, kept in the cache when the answer may be (rq->cache_state says which). Apart from
 * dispatch() so that tests/unit/test_serve.c can drive it without a connection. */
static int answer(server *s, req *rq, const char *method, srv_buf *b)
{
    srv_request r = {.method = method,
                     .path = rq->path,
                     .params = rq->params,
                     .n_params = rq->n_params,
                     .body = rq->body,
                     .body_len = rq->body_len,
                     .doc_id = rq->doc_id};
    char key[SRV_CACHE_KEY_MAX];
    size_t key_n = s->cache ? cache_key(rq, method, key, sizeof key) : 0;
    uint64_t gen = 0;
    if (key_n && srv_api_generation(s->api, &gen)) key_n = 0; /* no generation: no cache */
    if (key_n) {
        cached_answer ca = {b, 0};
        if (kb_cache_get(s->cache, key, key_n, gen, copy_answer, &ca) == 1 && ca.status) {
            rq->cache_state = 1;
            return ca.status;
        }
        srv_buf_free(b);
        srv_buf_init(b, SRV_MAX_ANSWER_BYTES);
        rq->cache_state = 2;
    }
    int status;
    switch (rq->route) {
    case R_HEALTH:
        status = srv_api_health(s->api, &r, b);
        break;
    case R_SEARCH:
        status = srv_api_search(s->api, &r, b);
        break;
    case R_STATS:
        status = srv_api_stats(s->api, &r, b);
        break;
    case R_DOC:
        status = !strcmp(method, "DELETE") ? srv_api_delete(s->api, &r, b)
                                           : srv_api_document(s->api, &r, b);
        break;
    case R_DOC_SIMILAR:
        status = srv_api_similar(s->api, &r, b);
        break;
    case R_DOCS:
        status = srv_api_add(s->api, &r, b);
        break;
    default:
        status = srv_error_json(b, 404, "not_found", "no such resource");
        break;
    }
    /* Answers that depend on the request and the index alone: found ones and the 4xx that would
     * come out the same (a bad parameter, an unknown id); never a 5xx, which may be transient,
     * nor one marked no_store (a search out of time: another try may have more). */
    if (key_n && !b->failed && !b->no_store && status < 500) {
        /* an answer is kept as its status (an int) followed by its body */
        const void *parts[2] = {&status, b->p ? (const void *)b->p : ""};
        size_t part_n[2] = {sizeof status, b->n};
        kb_cache_put(s->cache, key, key_n, gen, parts, part_n, 2);
    }
    return status;
}

static enum MHD_Result dispatch(server *s, struct MHD_Connection *c, req *rq, const char *method)
{
    srv_buf b;
    srv_buf_init(&b, SRV_MAX_ANSWER_BYTES);
    int status = answer(s, rq, method, &b);
    return send_json(c, rq, status, &b);
}

static int method_allowed(enum route rt, const char *m)
{
    int get = !strcmp(m, "GET") || !strcmp(m, "HEAD");
    switch (rt) {
    case R_DOCS:
        return !strcmp(m, "POST");
    case R_DOC:
        return get || !strcmp(m, "DELETE");
    case R_NONE:
        return 1; /* 404 whatever the method */
    default:
        return get;
    }
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload_data,
                               size_t *upload_data_size, void **req_cls)
{
    server *s = cls;
    req *rq = *req_cls;
    (void)url;
    (void)version;
    if (!rq) return MHD_NO; /* out of memory in uri_log: drop the connection */
    if (rq->answered) {
        *upload_data_size = 0;
        return MHD_YES;
    }

    if (!rq->started) {
        rq->started = 1;
        atomic_fetch_add(&s->n_requests, 1);
        rq->deadline = now_s() + s->cfg->request_timeout;
        set_busy(s, c, 1, rq->deadline);
        if (rq->uri_too_long)
            return send_error(c, rq, 414, "uri_too_long", "the URL is longer than the limit");
        const char *why = "";
        int st = parse_uri(rq, &why);
        if (st) return send_error(c, rq, st, st == 414 ? "too_long" : "bad_request", why);
        if (!method_allowed(rq->route, method))
            return send_error(c, rq, 405, "method_not_allowed",
                              "this method is not allowed on this resource");
        int writes = !strcmp(method, "POST") || !strcmp(method, "DELETE");
        if (writes) {
            if (!s->cfg->token)
                return send_error(c, rq, 403, "read_only",
                                  "the server is read-only (started without --write-token)");
            if (!token_ok(s, MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                         MHD_HTTP_HEADER_AUTHORIZATION)))
                return send_error(c, rq, 401, "unauthorized", "a valid bearer token is required");
        }
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (cl) {
            char *e;
            errno = 0;
            unsigned long long v = strtoull(cl, &e, 10);
            if (errno || *e || v > s->cfg->max_body)
                return send_error(c, rq, 413, "body_too_large",
                                  "the request body is larger than the limit");
        }
        return MHD_YES; /* answered on a later call, once any body is in */
    }

    if (*upload_data_size) {
        if (now_s() > rq->deadline)
            return MHD_NO; /* a body trickling in past the request timeout: cut */
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (rq->route != R_DOCS || rq->body_too_big)
            return MHD_YES; /* bodies are read only where they mean something; else dropped */
        if (rq->body_len + n > s->cfg->max_body) {
            rq->body_too_big = 1;
            free(rq->body);
            rq->body = NULL;
            rq->body_len = rq->body_cap = 0;
            return MHD_YES;
        }
        if (rq->body_len + n + 1 > rq->body_cap) {
            size_t cap = rq->body_cap ? rq->body_cap : 64 * 1024;
            while (cap < rq->body_len + n + 1)
                cap *= 2;
            char *p = realloc(rq->body, cap);
            if (!p) return MHD_NO;
            rq->body = p;
            rq->body_cap = cap;
        }
        memcpy(rq->body + rq->body_len, upload_data, n);
        rq->body_len += n;
        rq->body[rq->body_len] = 0;
        return MHD_YES;
    }

    /* the whole request is in */
    if (rq->body_too_big)
        return send_error(c, rq, 413, "body_too_large",
                          "the request body is larger than the limit");
    if (rq->route == R_ASSET) return send_asset(c, rq, rq->asset);
    if (rq->route == R_DOCS && !rq->body) {
        rq->body = strdup("");
        if (!rq->body) return MHD_NO;
    }
    return dispatch(s, c, rq, method);
}

/* ---- start and stop ------------------------------------------------------------------------- */

/* Parses "HOST:PORT" / "[V6]:PORT" / "PORT" into a socket address. */
static int parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *len, int *v6)
{
    char host[256];
    const char *port;
    if (spec[0] == '[') {
        const char *rb = strchr(spec, ']');
        if (!rb || rb[1] != ':' || (size_t)(rb - spec - 1) >= sizeof host) return -1;
        memcpy(host, spec + 1, (size_t)(rb - spec - 1));
        host[rb - spec - 1] = 0;
        port = rb + 2;
    } else {
        const char *colon = strrchr(spec, ':');
        if (!colon) {
            strcpy(host, "127.0.0.1");
            port = spec;
        } else {
            if ((size_t)(colon - spec) >= sizeof host) return -1;
            memcpy(host, spec, (size_t)(colon - spec));
            host[colon - spec] = 0;
            port = colon + 1;
        }
    }
    char *e;
    long p = strtol(port, &e, 10);
    if (!*port || *e || p < 0 || p > 65535) return -1;
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV},
                    *res = NULL;
    if (getaddrinfo(host[0] ? host : NULL, port, &hints, &res) || !res) return -1;
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    *v6 = res->ai_family == AF_INET6;
    freeaddrinfo(res);
    return 0;
}

int srv_run(const srv_config *cfg_in)
{
    srv_config cfg = *cfg_in;
    if (!cfg.listen) cfg.listen = "127.0.0.1:8080";
    if (cfg.threads <= 0) cfg.threads = SRV_DEFAULT_THREADS;
    if (cfg.threads > SRV_MAX_THREADS) cfg.threads = SRV_MAX_THREADS;
    if (!cfg.request_timeout) cfg.request_timeout = SRV_REQUEST_TIMEOUT_S;
    if (!cfg.idle_timeout) cfg.idle_timeout = SRV_IDLE_TIMEOUT_S;
    if (!cfg.max_connections) cfg.max_connections = SRV_MAX_CONNECTIONS;
    if (!cfg.max_body) cfg.max_body = SRV_MAX_BODY_BYTES;
    if (cfg.cache_mb < 0) cfg.cache_mb = SRV_DEFAULT_CACHE_MB;
    if (cfg.cache_mb > SRV_MAX_CACHE_MB) cfg.cache_mb = SRV_MAX_CACHE_MB;
    if (cfg.doc_cache_mb < 0) cfg.doc_cache_mb = SRV_DEFAULT_DOC_CACHE_MB;
    if (cfg.doc_cache_mb > SRV_MAX_CACHE_MB) cfg.doc_cache_mb = SRV_MAX_CACHE_MB;
    if (!cfg.search_timeout) cfg.search_timeout = SRV_DEFAULT_SEARCH_TIMEOUT_MS;
    if (!cfg.search_timeout_max) cfg.search_timeout_max = SRV_DEFAULT_SEARCH_TIMEOUT_MAX_MS;
    if (cfg.search_timeout_max < cfg.search_timeout) cfg.search_timeout_max = cfg.search_timeout;

    struct sockaddr_storage ss;
    socklen_t sl;
    int v6;
    if (parse_listen(cfg.listen, &ss, &sl, &v6)) {
        fprintf(stderr, "khabar: serve: cannot use listen address '%s'\n", cfg.listen);
        return 2;
    }

    server s;
    memset(&s, 0, sizeof s);
    s.cfg = &cfg;
    s.token_len = cfg.token ? strlen(cfg.token) : 0;
    s.head.next = s.head.prev = &s.head;
    pthread_mutex_init(&s.mu, NULL);
    pthread_cond_init(&s.stop_cv, NULL);

    char err[512] = "";
    if (srv_api_open(cfg.index_dir, cfg.threads, cfg.token != NULL, (size_t)cfg.doc_cache_mb << 20,
                     &s.api, err, sizeof err)) {
        fprintf(stderr, "khabar: serve: %s\n", err);
        return 1;
    }

    if (cfg.cache_mb) {
        s.cache = kb_cache_new((size_t)cfg.cache_mb << 20);
        if (!s.cache) fprintf(stderr, "khabar: serve: no memory for the answer cache; going on without\n");
        srv_api_set_cache(s.api, s.cache);
    }
    srv_api_set_search_timeout(s.api, cfg.search_timeout, cfg.search_timeout_max);

    /* Signals are handled by sigwait() in this thread only: block them before any thread starts
     * so that every thread inherits the mask. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
    if (v6) flags |= MHD_USE_IPv6;
    s.daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, handler, &s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg.threads, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)(cfg.max_connections + SRV_CONNECTION_SLACK(cfg.max_connections)), MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg.idle_timeout,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SRV_CONNECTION_MEMORY,
        MHD_OPTION_URI_LOG_CALLBACK, uri_log, &s, MHD_OPTION_NOTIFY_COMPLETED, request_completed,
        &s, MHD_OPTION_NOTIFY_CONNECTION, notify_connection, &s, MHD_OPTION_END);
    if (!s.daemon) {
        fprintf(stderr, "khabar: serve: cannot listen on %s (address in use or not local?)\n",
                cfg.listen);
        srv_api_close(s.api);
        kb_cache_free(s.cache);
        return 1;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s.daemon, MHD_DAEMON_INFO_BIND_PORT);
    unsigned port = di ? di->port : 0;
    char host[INET6_ADDRSTRLEN] = "?";
    if (v6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host, sizeof host);
    else
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof host);

    pthread_t wd;
    int have_wd = !pthread_create(&wd, NULL, watchdog, &s);

    printf(v6 ? "listening on http://[%s]:%u/\n" : "listening on http://%s:%u/\n", host, port);
    fflush(stdout);
    fprintf(stderr, "khabar: serving %s with %d threads, %s, answer cache %d MiB, article cache %d MiB\n",
            cfg.index_dir, cfg.threads, cfg.token ? "writes with the bearer token" : "read-only",
            s.cache ? cfg.cache_mb : 0, cfg.doc_cache_mb);

    int sig = 0;
    while (sigwait(&sigs, &sig) != 0)
        ;
    fprintf(stderr, "khabar: %s received, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");

    MHD_stop_daemon(s.daemon);
    pthread_mutex_lock(&s.mu);
    s.stopping = 1;
    pthread_cond_signal(&s.stop_cv);
    pthread_mutex_unlock(&s.mu);
    if (have_wd) pthread_join(wd, NULL);
    srv_api_close(s.api);
    kb_cache_free(s.cache);
    fprintf(stderr,
            "khabar: stopped after %lu requests (%lu slow connections cut, %lu refused as over "
            "the limit)\n",
            (unsigned long)atomic_load(&s.n_requests), (unsigned long)atomic_load(&s.n_cut),
            (unsigned long)atomic_load(&s.n_refused));
    pthread_mutex_destroy(&s.mu);
    pthread_cond_destroy(&s.stop_cv);
    return 0;
}
