/*
 * server.h — the HTTP server of khabar (`khabar serve`): the JSON API and the Arabic web page.
 *
 * The server is a client of the library like the CLI: it uses include/khabar.h only. Its parts:
 *
 *   server.c   libmicrohttpd set-up, limits, request parsing (URL, query string, body), routing,
 *              JSON errors, bearer-token check, static assets, watchdog, clean stop on a signal
 *   api.c      the endpoints, each calling the public API (kb_index_*, kb_search_*, kb_article …)
 *   json.c     a small bounded output buffer with JSON string escaping
 *   gen/assets.c (generated at build time from server/web/ by scripts/embed_assets.py)
 *
 * Every limit is a named constant below with the reason for its value; docs/server.md lists them.
 */
#ifndef KHABAR_SERVER_H
#define KHABAR_SERVER_H

#include "khabar.h"

#include <stddef.h>
#include <stdint.h>

/* ---- limits -------------------------------------------------------------------------------- */

/* Request line + path + query string. 8 KiB is what common proxies accept; a search URL with a
 * long Arabic query (percent-encoded, 6 bytes per letter) and every filter stays far below. */
#define SRV_MAX_URL_BYTES 8192
/* The decoded q parameter. 1 KiB is ~190 Arabic words: more than any person types; longer
 * input is pasted text, which the query engine would only truncate. */
#define SRV_MAX_QUERY_BYTES 1024
/* Any other decoded parameter (source, from, to, …). Source names are short. */
#define SRV_MAX_PARAM_BYTES 256
/* Hits per page. 100 keeps one answer under ~0.5 MB of JSON with snippets. */
#define SRV_MAX_LIMIT 100
/* Deepest offset for paging. Top-k search costs grow with offset+limit; nobody pages past
 * 10,000 hits in a browser, and programs export with the CLI instead. */
#define SRV_MAX_OFFSET 10000
/* A POST /api/documents body: JSONL. 32 MiB is ~10,000 news articles; larger loads belong to
 * `khabar index`, and the whole body is held in memory until the commit. */
#define SRV_MAX_BODY_BYTES ((size_t)32 << 20)
/* libmicrohttpd's per-connection memory pool: it holds the request line and all headers (and
 * the read buffer), so it bounds header size. 32 KiB is the size of nginx's large header
 * buffers (4 x 8 KiB); a request whose headers do not fit gets 431. */
#define SRV_CONNECTION_MEMORY ((size_t)32 << 10)
/* Seconds a client may take from opening a connection (or finishing the previous request on
 * it) to the end of the request headers, and to send a whole body. Slow clients (one byte a
 * second) are cut off after this instead of holding a connection for hours. */
#define SRV_REQUEST_TIMEOUT_S 10
/* Seconds of silence after which an idle (keep-alive) connection is closed. */
#define SRV_IDLE_TIMEOUT_S 15
/* Concurrent connections. Each costs one socket and SRV_CONNECTION_MEMORY; 1,000 is far above
 * what two cores serve usefully, far below the usual 1024 descriptor limit minus the index
 * files. Further connections are refused at accept. */
#define SRV_MAX_CONNECTIONS 1000
/* Worker threads by default; each holds one read-only index handle. */
#define SRV_DEFAULT_THREADS 4
#define SRV_MAX_THREADS 64
/* The answer cache, in MiB (--cache-mb; 0 turns it off). 32 MiB holds ~4,000 pages of search
 * results; every commit empties it in effect (answers are tagged with the commit generation). */
#define SRV_DEFAULT_CACHE_MB 32
#define SRV_MAX_CACHE_MB 4096
/* Decoded stored articles shared by the readers (--doc-cache-mb; 0 turns it off), each with the
 * analysis its snippets are cut with: ~12 KiB an article, so 128 MiB holds ~10,000 articles;
 * unlike answers, they stay valid across commits. */
#define SRV_DEFAULT_DOC_CACHE_MB 128
/* A search's time budget in ms (--search-timeout): a news search answers in about a
 * millisecond, a many-word OR counting every match in tens; 1 s bounds what any query may hold
 * a worker thread for (without it a large exhaustive query could take seconds) and never cuts
 * a query a person types. The answer then says timed_out and holds the best hits found. */
#define SRV_DEFAULT_SEARCH_TIMEOUT_MS 1000
/* The most a request may ask for with timeout=MS (--search-timeout-max): the request timeout,
 * past which a client has given up anyway. */
#define SRV_DEFAULT_SEARCH_TIMEOUT_MAX_MS 10000
#define SRV_MAX_SEARCH_TIMEOUT_MS 3600000

/* The write token file: a token is a line of printable ASCII; 16..1024 bytes. */
#define SRV_TOKEN_MIN 16
#define SRV_TOKEN_MAX 1024

/* ---- configuration --------------------------------------------------------------------------- */

typedef struct srv_config {
    const char *index_dir; /* the index to serve */
    const char *listen;    /* "HOST:PORT", "[V6]:PORT"; default "127.0.0.1:8080"; port 0 picks */
    int threads;           /* worker threads; 0 means SRV_DEFAULT_THREADS */
    const char *token;     /* bearer token for writes, or NULL: read-only */
    int access_log;        /* one line per request on stderr */
    /* limits; 0 means the SRV_* default */
    int request_timeout; /* seconds, SRV_REQUEST_TIMEOUT_S */
    int idle_timeout;    /* seconds, SRV_IDLE_TIMEOUT_S */
    int max_connections; /* SRV_MAX_CONNECTIONS */
    size_t max_body;     /* bytes, SRV_MAX_BODY_BYTES */
    int cache_mb;        /* answer cache in MiB; -1 means SRV_DEFAULT_CACHE_MB, 0 off */
    int doc_cache_mb;    /* article cache in MiB; -1 means SRV_DEFAULT_DOC_CACHE_MB, 0 off */
    int search_timeout;  /* ms, SRV_DEFAULT_SEARCH_TIMEOUT_MS: a search's budget by default */
    int search_timeout_max; /* ms, SRV_DEFAULT_SEARCH_TIMEOUT_MAX_MS: the most timeout= gets */
} srv_config;

/* Runs the server until SIGINT or SIGTERM. Prints "listening on http://HOST:PORT/" on stdout
 * once it accepts connections. Returns 0 after a clean stop, non-zero when it could not start
 * (message on stderr). */
int srv_run(const srv_config *cfg);

/* ---- json.c: bounded output buffer -------------------------------------------------------- */

typedef struct srv_buf {
    char *p;
    size_t n, cap, max;
    int failed;   /* sticky: out of memory or past max */
    int no_store; /* the answer must not be kept in the answer cache (a search out of time) */
} srv_buf;

void srv_buf_init(srv_buf *b, size_t max);
void srv_buf_free(srv_buf *b);
void srv_buf_add(srv_buf *b, const void *p, size_t n);
void srv_buf_puts(srv_buf *b, const char *s);
void srv_buf_putc(srv_buf *b, char c);
void srv_buf_printf(srv_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s[0..n) as a JSON string with its quotes; invalid UTF-8 becomes U+FFFD. */
void srv_buf_json_str(srv_buf *b, const char *s, size_t n);
static inline void srv_buf_json_slice(srv_buf *b, kb_slice s)
{
    srv_buf_json_str(b, s.p, s.n);
}
/* True when s[0..n) is valid UTF-8 (no overlongs, no surrogates). */
int srv_utf8_valid(const char *s, size_t n);

/* ---- api.c: endpoints ---------------------------------------------------------------------- */

/* A parsed request handed to an endpoint. Strings are decoded, NUL-terminated and valid UTF-8. */
typedef struct srv_param {
    const char *name, *value;
} srv_param;

typedef struct srv_request {
    const char *method;
    const char *path;        /* decoded path */
    const srv_param *params; /* decoded query parameters */
    size_t n_params;
    const char *body; /* POST body (NUL-terminated) or NULL */
    size_t body_len;
    const char *doc_id; /* {id} of /api/documents/{id}[...] (decoded) */
} srv_request;

/* An answer: status and a JSON body built into out. */
typedef struct srv_api srv_api;

/* Opens the index dir with n_readers read-only handles (and a writer when writable), sharing a
 * cache of decoded articles of doc_cache_bytes (0: none). */
int srv_api_open(const char *dir, int n_readers, int writable, size_t doc_cache_bytes,
                 srv_api **out, char *err, size_t err_size);
void srv_api_close(srv_api *api);
/* The index's commit generation now (kb_index_generation on a reader); 0 or a KB_E* code. */
int srv_api_generation(srv_api *api, uint64_t *gen);
/* The answer cache the stats endpoint reports on (set by the server; may be NULL). */
void srv_api_set_cache(srv_api *api, kb_cache *cache);
/* A search's time budget in ms when the request gives none, and the most timeout= may ask. */
void srv_api_set_search_timeout(srv_api *api, int default_ms, int max_ms);

/* Endpoints: each writes a JSON body into out and returns the HTTP status. On an error the
 * body is the error object (srv_error_json). */
int srv_api_search(srv_api *api, const srv_request *rq, srv_buf *out);
int srv_api_document(srv_api *api, const srv_request *rq, srv_buf *out);
int srv_api_similar(srv_api *api, const srv_request *rq, srv_buf *out);
int srv_api_stats(srv_api *api, const srv_request *rq, srv_buf *out);
int srv_api_health(srv_api *api, const srv_request *rq, srv_buf *out);
int srv_api_add(srv_api *api, const srv_request *rq, srv_buf *out);
int srv_api_delete(srv_api *api, const srv_request *rq, srv_buf *out);

/* Writes {"error":{"code":code,"message":msg}} into out (reset first); returns status. */
int srv_error_json(srv_buf *out, int status, const char *code, const char *msg);

/* Looks a query parameter up; NULL when absent. */
const char *srv_param_get(const srv_request *rq, const char *name);

/* ---- gen/assets.c ------------------------------------------------------------------------- */

typedef struct srv_asset {
    const char *path;         /* "/index.html" */
    const char *content_type; /* "text/html; charset=utf-8" */
    const unsigned char *data;
    size_t size;
    const char *etag; /* "\"<hash>\"" of the content */
} srv_asset;

extern const srv_asset srv_assets[];
extern const size_t srv_n_assets;

#endif /* KHABAR_SERVER_H */
