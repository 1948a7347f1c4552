/*
 * cmd_dups.c — `khabar dups`: duplicate story clusters.
 *
 *   khabar dups --index DIR [--threshold J] [--format text|jsonl]
 *       the clusters kept in an index (linked as documents were added), largest first;
 *   khabar dups [--threshold J] [--format text|jsonl|pairs] FILE|DIR|- ...
 *       the same over input files, in memory, without an index (a stream filter a batch engine
 *       can run per shard). --format pairs prints every verified pair as
 *       "A<TAB>B<TAB>JACCARD<TAB>jaccard|containment", A < B being 0-based record numbers.
 *
 * Each cluster lists its members with source, date and their similarity to the representative
 * (the earliest dated, then the longest), which comes first.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

enum { FMT_TEXT, FMT_JSONL, FMT_PAIRS };

struct out {
    int format;
    uint64_t clusters, documents;
};

static void usage(FILE *f)
{
    fprintf(f, "usage: khabar dups --index DIR [--threshold J] [--format text|jsonl]\n"
               "       khabar dups [--threshold J] [--format text|jsonl|pairs] FILE|DIR|-...\n"
               "Lists near-duplicate story clusters (Jaccard of 5-word shingles >= J, default "
               "0.7;\nexact copies, and a short text inside a longer one, always count).\n");
}

static void print_slice(kb_slice s)
{
    fwrite(s.p, 1, s.n, stdout);
}

static int print_cluster(void *ctx, const kb_dups_member *m, size_t n)
{
    struct out *o = ctx;
    o->clusters++;
    o->documents += n;
    if (o->format == FMT_JSONL) {
        printf("{\"cluster\":%llu,\"size\":%zu,\"representative\":",
               (unsigned long long)o->clusters, n);
        cli_json_str(stdout, m[0].id.p, m[0].id.n);
        fputs(",\"members\":[", stdout);
        for (size_t i = 0; i < n; i++) {
            fputs(i ? ",{\"id\":" : "{\"id\":", stdout);
            cli_json_str(stdout, m[i].id.p, m[i].id.n);
            fputs(",\"source\":", stdout);
            cli_json_str(stdout, m[i].source.p, m[i].source.n);
            fputs(",\"date\":", stdout);
            cli_json_str(stdout, m[i].date.p, m[i].date.n);
            if (m[i].url.n) {
                fputs(",\"url\":", stdout);
                cli_json_str(stdout, m[i].url.p, m[i].url.n);
            }
            printf(",\"similarity\":%.3f}", m[i].similarity);
        }
        fputs("]}\n", stdout);
    } else {
        printf("cluster %llu: %zu documents\n", (unsigned long long)o->clusters, n);
        for (size_t i = 0; i < n; i++) {
            fputs(i ? "    " : "  * ", stdout);
            print_slice(m[i].id);
            fputs("  ", stdout);
            print_slice(m[i].source.n ? m[i].source : (kb_slice){"-", 1});
            fputs("  ", stdout);
            print_slice(m[i].date.n ? m[i].date : (kb_slice){"-", 1});
            if (i)
                printf("  %.2f\n", m[i].similarity);
            else
                fputs("  (representative)\n", stdout);
        }
    }
    return 0;
}

static int cmp_by_rep(const void *a, const void *b, void *ctx);

/* Stream mode: every record of the inputs into an in-memory deduplicator, then the listing. */
static int run_stream(char **paths, size_t n_paths, double threshold, struct out *o)
{
    kb_dedup_options opts = {0};
    opts.threshold = threshold;
    kb_dedup *d = kb_dedup_new(&opts);
    kb_reader *r = kb_reader_open((const char *const *)paths, n_paths, NULL);
    if (!d || !r) {
        cli_error("out of memory");
        kb_dedup_free(d);
        kb_reader_close(r);
        return CLI_FAILED;
    }
    kb_record rec;
    int rc, failed = 0;
    while ((rc = kb_reader_next(r, &rec)) != 0) {
        if (rc < 0) {
            cli_error("%s", kb_reader_errmsg(r));
            failed = 1;
            if (rc == KB_ENOMEM) break;
            continue;
        }
        kb_dedup_doc doc = {rec.id, rec.source, rec.date, rec.title, rec.body};
        rc = kb_dedup_add(d, &doc, NULL, NULL);
        if (rc) {
            cli_error("%s", kb_strerror(rc));
            failed = 1;
            break;
        }
    }
    kb_reader_close(r);
    uint32_t n = kb_dedup_count(d);
    if (o->format == FMT_PAIRS) {
        for (size_t i = 0; i < kb_dedup_pair_count(d); i++) {
            kb_dedup_pair p;
            if (kb_dedup_pair_get(d, i, &p) == 0 && p.live)
                printf("%u\t%u\t%.4f\t%s\n", p.a, p.b, p.similarity,
                       p.by_containment ? "containment" : "jaccard");
        }
        kb_dedup_free(d);
        return failed ? CLI_FAILED : CLI_OK;
    }
    /* Group members by representative: sort handles by (cluster size desc, rep, handle). */
    uint32_t *h = malloc((size_t)n * sizeof *h + 1);
    if (!h) {
        kb_dedup_free(d);
        return CLI_FAILED;
    }
    uint32_t m = 0;
    for (uint32_t i = 0; i < n; i++) {
        kb_dedup_info info;
        if (kb_dedup_info_get(d, i, &info) == 0 && info.cluster_size > 1) h[m++] = i;
    }
    qsort_r(h, m, sizeof *h, cmp_by_rep, d);
    kb_dups_member *mem = malloc((size_t)m * sizeof *mem + 1);
    for (uint32_t i = 0; mem && i < m;) {
        kb_dedup_info first;
        kb_dedup_info_get(d, h[i], &first);
        uint32_t k = 0;
        for (; i < m; i++) {
            kb_dedup_info info;
            kb_dedup_info_get(d, h[i], &info);
            if (info.rep != first.rep) break;
            mem[k] = (kb_dups_member){info.id,
                                      info.source,
                                      info.date,
                                      {NULL, 0},
                                      kb_dedup_similarity(d, h[i], info.rep),
                                      (int64_t)h[i]};
            if (h[i] == info.rep && k) { /* the representative first */
                kb_dups_member t = mem[0];
                mem[0] = mem[k];
                mem[k] = t;
            }
            k++;
        }
        print_cluster(o, mem, k);
    }
    free(mem);
    free(h);
    kb_dedup_free(d);
    return failed ? CLI_FAILED : CLI_OK;
}

static int cmp_by_rep(const void *a, const void *b, void *ctx)
{
    kb_dedup *d = ctx;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    kb_dedup_info ix, iy;
    kb_dedup_info_get(d, x, &ix);
    kb_dedup_info_get(d, y, &iy);
    if (ix.cluster_size != iy.cluster_size) return ix.cluster_size > iy.cluster_size ? -1 : 1;
    if (ix.rep != iy.rep) return ix.rep < iy.rep ? -1 : 1;
    return (x > y) - (x < y);
}

int cmd_dups(int argc, char **argv)
{
    const char *dir = NULL;
    double threshold = 0;
    struct out o = {FMT_TEXT, 0, 0};
    char **paths = calloc((size_t)argc + 1, sizeof *paths);
    size_t n_paths = 0;
    if (!paths) return CLI_FAILED;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            free(paths);
            return CLI_OK;
        } else if (!strcmp(a, "--index") && v) {
            dir = v;
            i++;
        } else if (!strcmp(a, "--threshold") && v) {
            char *end;
            threshold = strtod(v, &end);
            if (*end || threshold <= 0 || threshold > 1) {
                cli_error("dups: --threshold wants a number in (0, 1], not '%s'", v);
                free(paths);
                return CLI_USAGE;
            }
            i++;
        } else if (!strcmp(a, "--format") && v) {
            if (!strcmp(v, "text"))
                o.format = FMT_TEXT;
            else if (!strcmp(v, "jsonl"))
                o.format = FMT_JSONL;
            else if (!strcmp(v, "pairs"))
                o.format = FMT_PAIRS;
            else {
                cli_error("dups: unknown format '%s' (text, jsonl, pairs)", v);
                free(paths);
                return CLI_USAGE;
            }
            i++;
        } else if (a[0] == '-' && a[1]) {
            cli_error("dups: unknown option '%s'", a);
            usage(stderr);
            free(paths);
            return CLI_USAGE;
        } else {
            paths[n_paths++] = argv[i];
        }
    }
    int rc;
    if (dir && (n_paths || o.format == FMT_PAIRS)) {
        cli_error("dups: --index lists an index; input files and --format pairs are for stream "
                  "mode");
        rc = CLI_USAGE;
    } else if (!dir && !n_paths) {
        usage(stderr);
        rc = CLI_USAGE;
    } else if (!dir) {
        rc = run_stream(paths, n_paths, threshold, &o);
    } else {
        kb_index_options io = {0};
        io.read_only = 1;
        kb_index *ix = NULL;
        int e = kb_index_open(dir, &io, &ix);
        if (e) {
            cli_error("%s: %s", dir, kb_strerror(e));
            rc = CLI_FAILED;
        } else {
            e = kb_index_dups(ix, threshold, print_cluster, &o);
            if (e)
                cli_error("%s: %s", dir,
                          kb_index_errmsg(ix)[0] ? kb_index_errmsg(ix) : kb_strerror(e));
            rc = e ? CLI_FAILED : CLI_OK;
            kb_index_close(ix);
        }
    }
    if (rc == CLI_OK && o.format == FMT_TEXT)
        printf("%llu clusters, %llu documents\n", (unsigned long long)o.clusters,
               (unsigned long long)o.documents);
    free(paths);
    return rc;
}
