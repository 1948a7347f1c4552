/*
 * cmd_maint.c — index maintenance verbs: `khabar stats | check | delete | compact --index DIR`.
 *
 * stats prints the index's counts and sizes (text, or --json); check verifies everything the
 * library can (kb_index_check) and prints each problem, exiting 1 when any is found; delete
 * removes articles by id (arguments, or one id per line from --ids FILE); compact drops deleted
 * articles' postings and reclaims space.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/* An id read from --ids FILE longer than this is refused: ids are short keys. */
#define MAX_ID_BYTES 4096

/* Parses "--index DIR" and "--json" out of argv; the rest stays in rest[]. */
static int parse(int argc, char **argv, const char *verb, const char **dir, int *json,
                 const char **ids_file, char **rest, int *n_rest)
{
    *dir = NULL;
    *n_rest = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--index") && i + 1 < argc) {
            *dir = argv[++i];
        } else if (json && !strcmp(argv[i], "--json")) {
            *json = 1;
        } else if (ids_file && !strcmp(argv[i], "--ids") && i + 1 < argc) {
            *ids_file = argv[++i];
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: khabar %s --index DIR%s\n", verb,
                   !strcmp(verb, "stats")    ? " [--json]"
                   : !strcmp(verb, "delete") ? " [--ids FILE] [ID...]"
                                             : "");
            return -1;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            cli_error("%s: unknown option '%s'", verb, argv[i]);
            return -2;
        } else {
            rest[(*n_rest)++] = argv[i];
        }
    }
    if (!*dir) {
        cli_error("%s: --index DIR is required", verb);
        return -2;
    }
    return 0;
}

/* Why kb_index_open failed: its detailed message when there is one, else the code's text. */
static const char *open_error(int rc)
{
    const char *m = kb_index_errmsg(NULL);
    return m[0] ? m : kb_strerror(rc);
}

/* The same, prefixed with the directory unless the message names it already. */
static void open_failed(const char *verb, const char *dir, int rc)
{
    const char *m = open_error(rc);
    if (strstr(m, dir))
        cli_error("%s: %s", verb, m);
    else
        cli_error("%s: %s: %s", verb, dir, m);
}

static kb_index *open_index(const char *verb, const char *dir, int read_only)
{
    kb_index_options o = {0};
    o.read_only = read_only;
    kb_index *ix = NULL;
    int rc = kb_index_open(dir, &o, &ix);
    if (rc) {
        open_failed(verb, dir, rc);
        return NULL;
    }
    return ix;
}

int cmd_stats(int argc, char **argv)
{
    const char *dir;
    int json = 0, n_rest;
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int p = rest ? parse(argc, argv, "stats", &dir, &json, NULL, rest, &n_rest) : -2;
    free(rest);
    if (p) return p == -1 ? CLI_OK : CLI_USAGE;
    kb_index *ix = open_index("stats", dir, 1);
    if (!ix) return CLI_FAILED;
    kb_index_stats s;
    int rc = kb_index_stats_get(ix, &s);
    if (rc) {
        cli_error("stats: %s", kb_index_errmsg(ix));
        kb_index_close(ix);
        return CLI_FAILED;
    }
    if (json) {
        printf("{\"docs\":%llu,\"terms\":%llu,\"postings_bytes\":%llu,\"stored_bytes\":%llu,"
               "\"file_bytes\":%llu,\"dead_docs\":%llu,\"commits\":%llu,\"stemmer\":\"%s\","
               "\"format\":%d}\n",
               (unsigned long long)s.docs, (unsigned long long)s.terms,
               (unsigned long long)s.postings_bytes, (unsigned long long)s.stored_bytes,
               (unsigned long long)s.file_bytes, (unsigned long long)s.dead_docs,
               (unsigned long long)s.commits, kb_stemmer_name(s.stemmer), KB_INDEX_FORMAT_VERSION);
    } else {
        printf("documents       %llu\n", (unsigned long long)s.docs);
        printf("terms           %llu (forms and stems)\n", (unsigned long long)s.terms);
        printf("postings        %.2f MB (postings + term dictionary)\n", s.postings_bytes / 1e6);
        printf("stored text     %.2f MB (zstd)\n", s.stored_bytes / 1e6);
        printf("files           %.2f MB\n", s.file_bytes / 1e6);
        printf("dead documents  %llu (compact drops their postings)\n",
               (unsigned long long)s.dead_docs);
        printf("commits         %llu\n", (unsigned long long)s.commits);
        printf("stemmer         %s\n", kb_stemmer_name(s.stemmer));
        printf("format          %d\n", KB_INDEX_FORMAT_VERSION);
    }
    kb_index_close(ix);
    return CLI_OK;
}

static void print_problem(void *ctx, const char *msg)
{
    (*(unsigned long *)ctx)++;
    printf("problem: %s\n", msg);
}

/* Parses the options of a verb that takes only --index DIR. Returns -1 to go on, or the exit
 * status to return (help printed, or bad usage). */
static int parse_dir_only(int argc, char **argv, const char *verb, const char **dir)
{
    int n_rest;
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int p = rest ? parse(argc, argv, verb, dir, NULL, NULL, rest, &n_rest) : -2;
    free(rest);
    return p == 0 ? -1 : p == -1 ? CLI_OK : CLI_USAGE;
}

int cmd_check(int argc, char **argv)
{
    const char *dir;
    int p = parse_dir_only(argc, argv, "check", &dir);
    if (p >= 0) return p;
    kb_index_options o = {0};
    o.read_only = 1;
    kb_index *ix = NULL;
    int rc = kb_index_open(dir, &o, &ix);
    if (rc) {
        printf("problem: cannot open the index: %s\n", open_error(rc));
        printf("check: %s: damaged\n", dir);
        return CLI_FAILED;
    }
    unsigned long n = 0;
    rc = kb_index_check(ix, print_problem, &n);
    kb_index_stats s;
    memset(&s, 0, sizeof s);
    kb_index_stats_get(ix, &s);
    kb_index_close(ix);
    if (rc == 0) {
        printf("check: %s: ok (%llu documents, %llu terms)\n", dir, (unsigned long long)s.docs,
               (unsigned long long)s.terms);
        return CLI_OK;
    }
    printf("check: %s: %s (%lu problem%s)\n", dir, rc == KB_ECORRUPT ? "damaged" : kb_strerror(rc),
           n, n == 1 ? "" : "s");
    return CLI_FAILED;
}

int cmd_delete(int argc, char **argv)
{
    const char *dir, *ids_file = NULL;
    int n_rest;
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int p = rest ? parse(argc, argv, "delete", &dir, NULL, &ids_file, rest, &n_rest) : -2;
    if (p) {
        free(rest);
        return p == -1 ? CLI_OK : CLI_USAGE;
    }
    kb_index *ix = open_index("delete", dir, 0);
    if (!ix) {
        free(rest);
        return CLI_FAILED;
    }
    unsigned long deleted = 0, missing = 0;
    int failed = 0;
    for (int i = 0; i < n_rest && !failed; i++) {
        int rc = kb_index_delete(ix, rest[i], strlen(rest[i]));
        if (rc == 0)
            deleted++;
        else if (rc == KB_ENOTFOUND)
            missing++, cli_error("delete: no article with id '%s'", rest[i]);
        else
            failed = 1, cli_error("delete: %s", kb_index_errmsg(ix));
    }
    if (ids_file && !failed) {
        FILE *f = strcmp(ids_file, "-") ? fopen(ids_file, "r") : stdin;
        if (!f) {
            cli_error("delete: cannot open %s", ids_file);
            failed = 1;
        }
        char line[MAX_ID_BYTES + 2];
        while (f && !failed && fgets(line, sizeof line, f)) {
            size_t n = strcspn(line, "\r\n");
            line[n] = 0;
            if (!n) continue;
            int rc = kb_index_delete(ix, line, n);
            if (rc == 0)
                deleted++;
            else if (rc == KB_ENOTFOUND)
                missing++;
            else
                failed = 1, cli_error("delete: %s", kb_index_errmsg(ix));
        }
        if (f && f != stdin) fclose(f);
    }
    if (!failed && kb_index_commit(ix)) {
        cli_error("delete: commit failed: %s", kb_index_errmsg(ix));
        failed = 1;
    }
    if (!failed) printf("deleted %lu, not found %lu\n", deleted, missing);
    kb_index_close(ix);
    free(rest);
    return failed || missing ? CLI_FAILED : CLI_OK;
}

int cmd_compact(int argc, char **argv)
{
    const char *dir;
    int p = parse_dir_only(argc, argv, "compact", &dir);
    if (p >= 0) return p;
    kb_index *ix = open_index("compact", dir, 0);
    if (!ix) return CLI_FAILED;
    kb_index_stats before, after;
    kb_index_stats_get(ix, &before);
    int rc = kb_index_compact(ix);
    if (rc) {
        cli_error("compact: %s", kb_index_errmsg(ix));
        kb_index_close(ix);
        return CLI_FAILED;
    }
    kb_index_stats_get(ix, &after);
    printf("compacted: %llu dead documents dropped; files %.2f MB -> %.2f MB\n",
           (unsigned long long)before.dead_docs, before.file_bytes / 1e6, after.file_bytes / 1e6);
    kb_index_close(ix);
    return CLI_OK;
}
