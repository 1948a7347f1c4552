/*
 * cmd_serve.c — `khabar serve`: the HTTP JSON API and the Arabic web page over one index.
 *
 * Parses the options, reads the write token from a file (never from the command line, where
 * any local user could read it in the process list) and hands over to srv_run() (server/).
 */
#include "cli.h"
#include "server.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: khabar serve --index DIR [--listen HOST:PORT] [--threads N]\n"
            "                    [--write-token FILE] [--access-log]\n"
            "                    [--request-timeout S] [--idle-timeout S]\n"
            "                    [--max-connections N] [--max-body BYTES]\n"
            "                    [--cache-mb N] [--doc-cache-mb N]\n"
            "                    [--search-timeout MS] [--search-timeout-max MS]\n"
            "\n"
            "Serves the index over HTTP: the JSON API under /api/ and the web page at /.\n"
            "Binds to 127.0.0.1:8080 unless told otherwise (port 0 picks a free port; the\n"
            "address is printed on stdout). Read-only unless --write-token names a file whose\n"
            "first line is the bearer token (%d..%d printable ASCII characters) that\n"
            "POST /api/documents and DELETE /api/documents/ID require.\n"
            "--cache-mb N keeps up to N MiB of answers (default %d; 0: off); a commit makes\n"
            "every kept answer stale. --doc-cache-mb N keeps up to N MiB of decoded articles\n"
            "(default %d; 0: off). A search stops after --search-timeout MS (default %d) with\n"
            "the best hits found so far, marked timed_out; a request may ask for another budget\n"
            "with timeout=MS, up to --search-timeout-max MS (default %d).\n"
            "Stops cleanly on SIGINT or SIGTERM. Limits: docs/server.md.\n",
            SRV_TOKEN_MIN, SRV_TOKEN_MAX, SRV_DEFAULT_CACHE_MB, SRV_DEFAULT_DOC_CACHE_MB,
            SRV_DEFAULT_SEARCH_TIMEOUT_MS, SRV_DEFAULT_SEARCH_TIMEOUT_MAX_MS);
}

/* Reads the token: the first line of the file, trailing white space removed. */
static char *read_token(const char *path)
{
    size_t n = 0;
    char *t = cli_read_file(path, &n);
    if (!t) return NULL;
    struct stat st;
    if (!stat(path, &st) && (st.st_mode & 077))
        cli_error("warning: %s can be read by other users (chmod 600 it)", path);
    char *nl = strpbrk(t, "\r\n");
    if (nl) *nl = 0;
    n = strlen(t);
    while (n && (t[n - 1] == ' ' || t[n - 1] == '\t'))
        t[--n] = 0;
    int ok = n >= SRV_TOKEN_MIN && n <= SRV_TOKEN_MAX;
    for (size_t i = 0; ok && i < n; i++)
        ok = t[i] > 0x20 && t[i] < 0x7F;
    if (!ok) {
        cli_error("%s: the token must be %d..%d printable ASCII characters without spaces", path,
                  SRV_TOKEN_MIN, SRV_TOKEN_MAX);
        free(t);
        return NULL;
    }
    return t;
}

static int int_arg(const char *name, const char *s, long lo, long hi, long *v)
{
    char *e;
    long x = s ? strtol(s, &e, 10) : 0;
    if (!s || !*s || *e || x < lo || x > hi) {
        cli_error("serve: %s wants a number from %ld to %ld", name, lo, hi);
        return -1;
    }
    *v = x;
    return 0;
}

int cmd_serve(int argc, char **argv)
{
    srv_config cfg = {0};
    cfg.cache_mb = -1;
    cfg.doc_cache_mb = -1;
    const char *token_file = NULL;
    long max_body = 0;
    /* numeric options: name, range, where the value goes */
    struct {
        const char *name;
        long lo, hi;
        int *dst;
        long *ldst;
    } nums[] = {
        {"--threads", 1, SRV_MAX_THREADS, &cfg.threads, NULL},
        {"--request-timeout", 1, 3600, &cfg.request_timeout, NULL},
        {"--idle-timeout", 1, 3600, &cfg.idle_timeout, NULL},
        {"--max-connections", 1, 100000, &cfg.max_connections, NULL},
        {"--max-body", 1, (long)SRV_MAX_BODY_BYTES * 32, NULL, &max_body},
        {"--cache-mb", 0, SRV_MAX_CACHE_MB, &cfg.cache_mb, NULL},
        {"--doc-cache-mb", 0, SRV_MAX_CACHE_MB, &cfg.doc_cache_mb, NULL},
        {"--search-timeout", 1, SRV_MAX_SEARCH_TIMEOUT_MS, &cfg.search_timeout, NULL},
        {"--search-timeout-max", 1, SRV_MAX_SEARCH_TIMEOUT_MS, &cfg.search_timeout_max, NULL},
    };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        size_t k = 0;
        while (k < sizeof nums / sizeof nums[0] && strcmp(a, nums[k].name))
            k++;
        if (k < sizeof nums / sizeof nums[0]) {
            long x;
            if (int_arg(a, v, nums[k].lo, nums[k].hi, &x)) return CLI_USAGE;
            if (nums[k].dst)
                *nums[k].dst = (int)x;
            else
                *nums[k].ldst = x;
            i++;
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return CLI_OK;
        } else if (!strcmp(a, "--index") && v) {
            cfg.index_dir = v;
            i++;
        } else if (!strcmp(a, "--listen") && v) {
            cfg.listen = v;
            i++;
        } else if (!strcmp(a, "--write-token") && v) {
            token_file = v;
            i++;
        } else if (!strcmp(a, "--access-log")) {
            cfg.access_log = 1;
        } else {
            cli_error("serve: unknown or incomplete option '%s'", a);
            usage(stderr);
            return CLI_USAGE;
        }
    }
    cfg.max_body = (size_t)max_body;
    if (!cfg.index_dir) {
        cli_error("serve: --index DIR is required");
        usage(stderr);
        return CLI_USAGE;
    }
    char *token = NULL;
    if (token_file) {
        token = read_token(token_file);
        if (!token) return CLI_USAGE;
        cfg.token = token;
    }
    int rc = srv_run(&cfg);
    if (token) {
        memset(token, 0, strlen(token));
        free(token);
    }
    return rc == 0 ? CLI_OK : rc == 2 ? CLI_USAGE : CLI_FAILED;
}
