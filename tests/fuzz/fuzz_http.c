/*
 * fuzz_http.c — HTTP request handling of `khabar serve` on arbitrary requests: the request-target
 * parser (path, percent-decoding, UTF-8 checks, the /api/documents/{id}[/similar] routes, query
 * parameters and their limits), the method check, and every JSON endpoint it routes to, run
 * against a small index of test articles (tests/search_fixture.h) opened writable, so POST and
 * DELETE go through too.
 *
 * libmicrohttpd itself (request line and header parsing, connection handling) is a Debian
 * library fuzzed upstream; what is khabar's starts where it hands over the URL, method and body,
 * which is where this harness starts. server.c's parser is static, so this file includes
 * server.c (and links api.c, json.c and the assets in its place).
 *
 * Input: the first byte picks the method (GET, HEAD, POST, DELETE, PUT, OPTIONS); the rest up to
 * the first newline is the request target, the remainder the body. Checked besides ASan/UBSan:
 * the status is a valid HTTP status, and the answer is non-empty, valid UTF-8 JSON text (an
 * object) within the answer limit.
 */
#include "../../server/server.c"

#include "search_fixture.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static srv_api *api;
static char fx_dir[64];

static void cleanup(void)
{
    srv_api_close(api);
    fixture_remove(fx_dir);
}

static int setup(void)
{
    if (api) return 0;
    kb_index *ix = fixture_index(fx_dir);
    if (!ix) return -1;
    kb_index_close(ix);
    char err[256];
    if (srv_api_open(fx_dir, 1, 1, 0, &api, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_http: %s\n", err);
        abort();
    }
    atexit(cleanup);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const methods[] = {"GET", "HEAD", "POST", "DELETE", "PUT", "OPTIONS"};
    if (size < 1 || setup() != 0) return 0;
    const char *method = methods[data[0] % 6];
    const char *p = (const char *)data + 1;
    size_t n = size - 1;
    const char *nl = memchr(p, '\n', n);
    size_t un = nl ? (size_t)(nl - p) : n;
    /* libmicrohttpd hands over a NUL-terminated target; it refuses longer ones before us. */
    const char *nul = memchr(p, 0, un);
    if (nul) un = (size_t)(nul - p);
    if (un > SRV_MAX_URL_BYTES) return 0;

    req rq;
    memset(&rq, 0, sizeof rq);
    rq.uri = malloc(un + 1);
    if (!rq.uri) return 0;
    memcpy(rq.uri, p, un);
    rq.uri[un] = 0;
    if (nl && !strcmp(method, "POST")) {
        rq.body_len = n - (size_t)(nl - p) - 1; /* the target may have been cut at a NUL */
        rq.body = malloc(rq.body_len + 1);
        if (!rq.body) goto out;
        memcpy(rq.body, nl + 1, rq.body_len);
        rq.body[rq.body_len] = 0;
    }

    const char *why = NULL;
    int status = parse_uri(&rq, &why);
    srv_buf b;
    srv_buf_init(&b, SRV_MAX_ANSWER_BYTES);
    if (status) {
        if (status < 400 || status > 599 || !why) abort();
        status = srv_error_json(&b, status, "bad_request", why);
    } else if (!method_allowed(rq.route, method)) {
        status = srv_error_json(&b, 405, "method_not_allowed", "method not allowed");
    } else if (rq.route == R_ASSET) {
        if (!rq.asset) abort();
        status = 200;
        srv_buf_puts(&b, "{}");
    } else {
        srv_request r = {.method = method,
                         .path = rq.path,
                         .params = rq.params,
                         .n_params = rq.n_params,
                         .body = rq.body,
                         .body_len = rq.body_len,
                         .doc_id = rq.doc_id};
        switch (rq.route) {
        case R_HEALTH:
            status = srv_api_health(api, &r, &b);
            break;
        case R_SEARCH:
            status = srv_api_search(api, &r, &b);
            break;
        case R_STATS:
            status = srv_api_stats(api, &r, &b);
            break;
        case R_DOC:
            status = !strcmp(method, "DELETE") ? srv_api_delete(api, &r, &b)
                                               : srv_api_document(api, &r, &b);
            break;
        case R_DOC_SIMILAR:
            status = srv_api_similar(api, &r, &b);
            break;
        case R_DOCS:
            status = srv_api_add(api, &r, &b);
            break;
        default:
            status = srv_error_json(&b, 404, "not_found", "no such resource");
            break;
        }
    }
    if (status < 200 || status > 599) abort();
    if (!b.failed && (b.n == 0 || b.p[0] != '{' || !srv_utf8_valid(b.p, b.n))) abort();
    srv_buf_free(&b);
out:
    free(rq.arena);
    free(rq.uri);
    free(rq.body);
    return 0;
}
