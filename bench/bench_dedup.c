/*
 * bench_dedup.c — duplicate detection throughput, side by side with a brute-force baseline.
 *
 *   bench_dedup [options] FILE...      (JSONL, .zst/.gz welcome; e.g.
 * ../shared/corpus/saudinewsnet.jsonl.zst)
 *
 * Documents are loaded into memory first (not timed). Then, on one thread, each timed --repeat
 * times and reported as the median:
 *   signature   fold + shingles + MinHash (+ sorted shingle set) per document;
 *   khabar      kb_dedup_add for every document: signature, LSH candidate search, verification,
 *               clusters (exact Jaccard from kept sets, and --estimate-only as the index does);
 *   brute       the plain baseline on the first --sample documents: every pair's exact Jaccard
 *               from sorted shingle sets. Its docs/s is the sample over the time; it grows
 *               quadratically, so the figure only holds for that sample size.
 * On the sample, the recall of khabar against brute force (pairs at J >= threshold) is printed.
 * --store also times the index hooks (kb__dedup_on_add into the dedup_* tables of a temporary
 * SQLite database, one transaction, a 64 MiB page cache as the index uses): the cost duplicates
 * add to `khabar index`.
 *
 * --clusters OUT writes "handle<TAB>representative" for every document in a cluster of 2 or more.
 * --counts OUT writes each document's folded word and distinct shingle counts, one line each (the
 * truth script compares them with its own fold to show the two folds agree).
 * --pairs OUT writes khabar's verified pairs as "a<TAB>b<TAB>sim<TAB>jaccard|containment" lines,
 * a < b being 0-based record numbers in input order (tests/eval/dedup.sh scores them against
 * scripts/dedup_truth.py). A benchmark prints figures; it asserts nothing.
 */
#include "khabar.h"
#include "khabar_int.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct doc {
    char *title, *body, *date, *source;
    size_t title_n, body_n;
} doc;

/* Times are the CPU time of this (only) thread by default: the work of one core, whatever else
 * the machine runs. --wall measures elapsed time instead. */
static clockid_t bench_clock = CLOCK_THREAD_CPUTIME_ID;

static double now(void)
{
    struct timespec ts;
    clock_gettime(bench_clock, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static char *dup_slice(kb_slice s)
{
    char *p = malloc(s.n + 1);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    memcpy(p, s.p, s.n);
    p[s.n] = 0;
    return p;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static kb_dedup_doc as_dedup_doc(const doc *x, char *idbuf, size_t i)
{
    snprintf(idbuf, 24, "%zu", i);
    return (kb_dedup_doc){{idbuf, strlen(idbuf)},
                          {x->source, strlen(x->source)},
                          {x->date, strlen(x->date)},
                          {x->title, x->title_n},
                          {x->body, x->body_n}};
}

/* Runs kb_dedup over docs[0..n); returns seconds, leaves the deduplicator in *out if asked. */
static double run_khabar(const doc *docs, size_t n, const kb_dedup_options *o, kb_dedup **out)
{
    kb_dedup *d = kb_dedup_new(o);
    char idbuf[24];
    double t0 = now();
    for (size_t i = 0; i < n; i++) {
        kb_dedup_doc dd = as_dedup_doc(&docs[i], idbuf, i);
        if (kb_dedup_add(d, &dd, NULL, NULL)) {
            fprintf(stderr, "kb_dedup_add failed\n");
            exit(1);
        }
    }
    double t = now() - t0;
    if (out)
        *out = d;
    else
        kb_dedup_free(d);
    return t;
}

int main(int argc, char **argv)
{
    kb_dedup_options o = {0};
    const char *pairs_path = NULL, *clusters_path = NULL, *counts_path = NULL;
    size_t sample = 2000, limit = SIZE_MAX;
    int repeat = 3, store = 0;
    const char *paths[64];
    size_t n_paths = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--pairs") && v)
            pairs_path = v, i++;
        else if (!strcmp(a, "--clusters") && v)
            clusters_path = v, i++;
        else if (!strcmp(a, "--counts") && v)
            counts_path = v, i++;
        else if (!strcmp(a, "--threshold") && v)
            o.threshold = atof(v), i++;
        else if (!strcmp(a, "--bands") && v)
            o.bands = atoi(v), i++;
        else if (!strcmp(a, "--rows") && v)
            o.rows = atoi(v), i++;
        else if (!strcmp(a, "--shingle") && v)
            o.shingle = atoi(v), i++;
        else if (!strcmp(a, "--sample") && v)
            sample = (size_t)atol(v), i++;
        else if (!strcmp(a, "--limit") && v)
            limit = (size_t)atol(v), i++;
        else if (!strcmp(a, "--repeat") && v)
            repeat = atoi(v), i++;
        else if (!strcmp(a, "--wall"))
            bench_clock = CLOCK_MONOTONIC;
        else if (!strcmp(a, "--store"))
            store = 1;
        else if (!strcmp(a, "--no-containment"))
            o.containment = -1;
        else if (!strcmp(a, "--estimate-only"))
            o.estimate_only = 1;
        else if (a[0] != '-' && n_paths < 64)
            paths[n_paths++] = a;
        else {
            fprintf(stderr,
                    "usage: bench_dedup [--pairs OUT] [--threshold J] [--bands B --rows R] "
                    "[--shingle K] [--sample N] [--limit N] [--repeat N] [--no-containment] "
                    "[--estimate-only] [--store] [--wall] FILE...\n");
            return 2;
        }
    }
    if (!n_paths) {
        fprintf(stderr, "bench_dedup: no input\n");
        return 2;
    }
    if (repeat < 1) repeat = 1;

    /* Load (not timed). */
    kb_reader *r = kb_reader_open(paths, n_paths, NULL);
    if (!r) return 1;
    size_t n = 0, cap = 1024, bytes = 0;
    doc *docs = malloc(cap * sizeof *docs);
    kb_record rec;
    int rc;
    while (n < limit && (rc = kb_reader_next(r, &rec)) != 0) {
        if (rc < 0) {
            fprintf(stderr, "%s\n", kb_reader_errmsg(r));
            continue;
        }
        if (n == cap) docs = realloc(docs, (cap *= 2) * sizeof *docs);
        if (!docs) return 1;
        docs[n] = (doc){dup_slice(rec.title),  dup_slice(rec.body), dup_slice(rec.date),
                        dup_slice(rec.source), rec.title.n,         rec.body.n};
        bytes += rec.title.n + rec.body.n;
        n++;
    }
    kb_reader_stats rs;
    kb_reader_stats_get(r, &rs);
    kb_reader_close(r);
    if (rs.errors)
        fprintf(stderr, "warning: %llu unreadable records: record numbers shift\n",
                (unsigned long long)rs.errors);
    printf("documents %zu, %.1f MB of title+text, avg %.0f bytes\n", n, bytes / 1e6,
           n ? (double)bytes / n : 0.0);

    kb__dedup_params p;
    kb__dedup_params_default(&p);
    printf("parameters: shingle %d, %d hashes, %d bands x %d rows, threshold %.2f%s\n",
           o.shingle ? o.shingle : p.shingle, KB_DEDUP_HASHES, o.bands ? o.bands : p.bands,
           o.rows ? o.rows : p.rows, o.threshold > 0 ? o.threshold : p.threshold,
           o.estimate_only ? ", estimate only" : "");
    printf("clock: %s\n", bench_clock == CLOCK_MONOTONIC ? "elapsed (wall) time"
                                                         : "CPU time of the benchmark thread");
    printf("stored signature: %zu bytes per document (MinHash %zu + exact hash + counts)\n",
           sizeof(kb__dedup_sig), sizeof(((kb__dedup_sig *)0)->mh));

    double *t = calloc((size_t)repeat, sizeof *t);
    /* Signatures alone. */
    kb__dedup_work w;
    kb__dedup_work_init(&w);
    uint64_t total_shingles = 0;
    FILE *counts = counts_path ? fopen(counts_path, "w") : NULL;
    for (int k = 0; k < repeat; k++) {
        double t0 = now();
        total_shingles = 0;
        for (size_t i = 0; i < n; i++) {
            kb__dedup_sig sig;
            kb__dedup_work_reset(&w);
            kb__dedup_feed(&w, docs[i].title, docs[i].title_n);
            kb__dedup_feed(&w, docs[i].body, docs[i].body_n);
            kb__dedup_finish(&w, o.shingle, &sig);
            total_shingles += sig.n_shingles;
            if (counts && k == 0) fprintf(counts, "%u\t%u\n", sig.n_words, sig.n_shingles);
        }
        t[k] = now() - t0;
    }
    if (counts) fclose(counts);
    double ts = median(t, repeat);
    printf("%-34s %10.0f docs/s  %7.1f MB/s  (median of %d, %.3f s)\n", "signature only", n / ts,
           bytes / ts / 1e6, repeat, ts);

    /* khabar: signature + candidates + verification + clusters. */
    kb_dedup *kept = NULL;
    for (int k = 0; k < repeat; k++)
        t[k] = run_khabar(docs, n, &o, k == repeat - 1 ? &kept : NULL);
    double tk = median(t, repeat);
    printf("%-34s %10.0f docs/s  %7.1f MB/s  (median of %d, %.3f s)\n",
           o.estimate_only ? "khabar add (estimate only)" : "khabar add (exact verification)",
           n / tk, bytes / tk / 1e6, repeat, tk);
    size_t live_pairs = 0, clustered = 0, clusters = 0;
    for (size_t i = 0; i < kb_dedup_pair_count(kept); i++) {
        kb_dedup_pair pr;
        live_pairs += kb_dedup_pair_get(kept, i, &pr) == 0 && pr.live;
    }
    for (uint32_t h = 0; h < kb_dedup_count(kept); h++) {
        kb_dedup_info info;
        kb_dedup_info_get(kept, h, &info);
        if (info.cluster_size > 1) {
            clustered++;
            clusters += info.rep == h;
        }
    }
    printf("pairs %zu; %zu documents in %zu clusters of 2 or more; avg %.0f shingles/doc\n",
           live_pairs, clustered, clusters, n ? (double)total_shingles / n : 0.0);
    if (pairs_path) {
        FILE *f = fopen(pairs_path, "w");
        if (!f) {
            perror(pairs_path);
            return 1;
        }
        for (size_t i = 0; i < kb_dedup_pair_count(kept); i++) {
            kb_dedup_pair pr;
            if (kb_dedup_pair_get(kept, i, &pr) == 0 && pr.live)
                fprintf(f, "%u\t%u\t%.4f\t%s\n", pr.a, pr.b, pr.similarity,
                        pr.by_containment ? "containment" : "jaccard");
        }
        fclose(f);
    }
    if (clusters_path) {
        FILE *f = fopen(clusters_path, "w");
        if (!f) {
            perror(clusters_path);
            return 1;
        }
        for (uint32_t h = 0; h < kb_dedup_count(kept); h++) {
            kb_dedup_info info;
            if (kb_dedup_info_get(kept, h, &info) == 0 && info.cluster_size > 1)
                fprintf(f, "%u\t%u\n", h, info.rep);
        }
        fclose(f);
    }
    kb_dedup_free(kept);

    for (int mode = 0; store && mode < 2; mode++) { /* the plain hooks, then a store */
        char path[] = "/tmp/bench_dedup_XXXXXX";
        int fd = mkstemp(path);
        sqlite3 *db;
        if (fd < 0 || sqlite3_open(path, &db) != SQLITE_OK) {
            fprintf(stderr, "bench_dedup: cannot create a temporary database\n");
            return 1;
        }
        close(fd);
        sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA cache_size=-65536; BEGIN", NULL, NULL,
                     NULL);
        double t0 = now();
        kb__dedup_store *ds = NULL;
        if (mode && kb__dedup_store_open(db, &ds)) {
            fprintf(stderr, "kb__dedup_store_open failed\n");
            return 1;
        }
        for (size_t i = 0; i < n; i++) {
            kb_block blk = {KB_BLOCK_PARAGRAPH, {docs[i].body, docs[i].body_n}};
            kb_article a;
            memset(&a, 0, sizeof a);
            a.title = (kb_slice){docs[i].title, docs[i].title_n};
            a.date = (kb_slice){docs[i].date, strlen(docs[i].date)};
            a.blocks = &blk;
            a.n_blocks = 1;
            if (ds ? kb__dedup_store_add(ds, (int64_t)i + 1, &a)
                   : kb__dedup_on_add(db, (int64_t)i + 1, &a)) {
                fprintf(stderr, "kb__dedup_on_add failed\n");
                return 1;
            }
        }
        if (ds && kb__dedup_store_flush(ds)) { /* the key rows it kept in memory */
            fprintf(stderr, "kb__dedup_store_flush failed\n");
            return 1;
        }
        kb__dedup_store_close(ds);
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        double tt = now() - t0;
        sqlite3_stmt *st;
        long long pairs = 0, pages = 0, psize = 0;
        if (sqlite3_prepare_v2(db, "SELECT count(*) FROM dedup_pairs", -1, &st, NULL) ==
                SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            pairs = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        if (sqlite3_prepare_v2(db, "PRAGMA page_count", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            pages = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        if (sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            psize = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        printf("%-34s %10.0f docs/s  (%.3f s, one run); %lld pairs; tables %.1f MB = %.0f "
               "bytes/doc\n",
               mode ? "index hooks, prepared (store)" : "index hooks (dedup_* tables)", n / tt, tt,
               pairs, pages * psize / 1e6, n ? (double)pages * psize / n : 0.0);
        sqlite3_close(db);
        unlink(path);
        char wal[64];
        snprintf(wal, sizeof wal, "%s-wal", path);
        unlink(wal);
        snprintf(wal, sizeof wal, "%s-shm", path);
        unlink(wal);
    }

    /* Brute force on a sample, and khabar on the same sample for recall. */
    size_t m = sample < n ? sample : n;
    uint32_t **sets = calloc(m, sizeof *sets);
    uint32_t *lens = calloc(m, sizeof *lens);
    double threshold = o.threshold > 0 ? o.threshold : p.threshold;
    size_t brute_pairs = 0, found = 0;
    kb_dedup *ks = NULL;
    double tks = run_khabar(docs, m, &o, &ks);
    for (int k = 0; k < repeat; k++) {
        double t0 = now();
        for (size_t i = 0; i < m; i++) {
            kb__dedup_sig sig;
            kb__dedup_work_reset(&w);
            kb__dedup_feed(&w, docs[i].title, docs[i].title_n);
            kb__dedup_feed(&w, docs[i].body, docs[i].body_n);
            kb__dedup_finish(&w, o.shingle, &sig);
            free(sets[i]);
            sets[i] = malloc((w.n_shingles + 1) * sizeof(uint32_t));
            memcpy(sets[i], w.shingles, w.n_shingles * sizeof(uint32_t));
            lens[i] = (uint32_t)w.n_shingles;
        }
        brute_pairs = found = 0;
        for (size_t i = 0; i < m; i++)
            for (size_t j = i + 1; j < m; j++) {
                if (!lens[i] || !lens[j]) continue;
                double jac = kb__dedup_jaccard_exact(sets[i], lens[i], sets[j], lens[j]);
                if (jac >= threshold) {
                    brute_pairs++;
                    if (kb_dedup_cluster_of(ks, (uint32_t)i) ==
                        kb_dedup_cluster_of(ks, (uint32_t)j))
                        found++;
                }
            }
        t[k] = now() - t0;
    }
    double tb = median(t, repeat);
    printf("on the first %zu documents:\n", m);
    printf("  %-32s %10.0f docs/s  (%.3f s)\n", "khabar add", m / tks, tks);
    printf("  %-32s %10.0f docs/s  (%.3f s, median of %d)\n", "brute force, all pairs exact",
           m / tb, tb, repeat);
    printf("  pairs at J >= %.2f: brute force %zu, in one khabar cluster %zu (recall %.3f)\n",
           threshold, brute_pairs, found, brute_pairs ? (double)found / brute_pairs : 1.0);
    kb_dedup_free(ks);
    for (size_t i = 0; i < m; i++)
        free(sets[i]);
    free(sets);
    free(lens);
    free(t);
    kb__dedup_work_free(&w);
    for (size_t i = 0; i < n; i++) {
        free(docs[i].title);
        free(docs[i].body);
        free(docs[i].date);
        free(docs[i].source);
    }
    free(docs);
    return 0;
}
