/*
 * bench_reload.c — what a reader's first search after a commit costs, as a server under
 * continuous ingestion sees it.
 *
 *   bench_reload INDEX_DIR [ROUNDS [QUERY]]     (a COPY of an index: it is written to)
 *
 * One process, two handles on the index: a writer and a read-only reader (a server's). Each round
 * the writer adds 5 articles, replaces one and deletes one (ids taken from the index), and
 * commits; then the reader runs QUERY (default العراق, 10 hits with snippets) twice, and the
 * writer's own handle too (a server's writer answers searches as well). The first search brings
 * the handle's per-document arrays to the new snapshot (src/index.c: an update from the deaths
 * log, or a whole reload); the second finds them current. Printed, for each handle: the medians
 * over ROUNDS (default 15) of each search's thread CPU time, and of their difference (what the
 * new snapshot cost). The first round (the handles' first load) is left out. A benchmark prints
 * figures; it asserts nothing.
 */
#include "khabar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n ? v[n / 2] : 0;
}

static double search_ms(kb_index *ix, const char *q)
{
    kb_search_options o = {0};
    kb_results *r = NULL;
    double t0 = cpu_ms();
    int rc = kb_search_run(ix, q, strlen(q), &o, &r);
    double t = cpu_ms() - t0;
    if (rc) {
        fprintf(stderr, "search: %s (%s)\n", kb_strerror(rc), kb_index_errmsg(ix));
        exit(1);
    }
    kb_results_free(r);
    return t;
}

static int add(kb_index *w, const char *id, int round)
{
    char title[128], body[512];
    snprintf(title, sizeof title, "خبر عاجل من بغداد رقم %d", round);
    snprintf(body, sizeof body,
             "قال مسؤولون في العراق اليوم إن الحكومة ناقشت ملف النفط والموازنة في جلسة %d "
             "استمرت ساعات، وأكد المتحدث أن القرار سيصدر خلال أيام.",
             round);
    kb_block b = {.type = KB_BLOCK_PARAGRAPH, .text = {body, strlen(body)}};
    kb_article a;
    memset(&a, 0, sizeof a);
    a.id = (kb_slice){id, strlen(id)};
    a.title = (kb_slice){title, strlen(title)};
    a.source = (kb_slice){"bench-reload", 12};
    a.date = (kb_slice){"2026-11-29", 10};
    a.blocks = &b;
    a.n_blocks = 1;
    a.arabic_share = 1.0;
    return kb_index_add(w, &a);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_reload INDEX_DIR [ROUNDS [QUERY]]\n");
        return 2;
    }
    int rounds = argc > 2 ? atoi(argv[2]) : 15;
    const char *q = argc > 3 ? argv[3] : "العراق";
    if (rounds < 1 || rounds > 1000) rounds = 15;
    kb_index *w = NULL, *r = NULL;
    kb_index_options ro = {.read_only = 1};
    int rc = kb_index_open(argv[1], NULL, &w);
    if (!rc) rc = kb_index_open(argv[1], &ro, &r);
    if (rc) {
        fprintf(stderr, "%s: %s (%s)\n", argv[1], kb_strerror(rc), kb_index_errmsg(NULL));
        return 1;
    }
    /* Ids to replace and delete: the reader's ids-only answer to QUERY. */
    kb_search_options io = {.limit = 2 * (uint32_t)rounds + 2, .ids_only = 1};
    kb_results *ids = NULL;
    if (kb_search_run(r, q, strlen(q), &io, &ids) || ids->n_hits < 2 * (size_t)rounds + 2) {
        fprintf(stderr, "not enough hits for %s\n", q);
        return 1;
    }
    /* [0]: the reader, [1]: the writer */
    double *first[2], *again[2], *diff[2];
    for (int h = 0; h < 2; h++) {
        first[h] = calloc((size_t)rounds, sizeof *first[h]);
        again[h] = calloc((size_t)rounds, sizeof *again[h]);
        diff[h] = calloc((size_t)rounds, sizeof *diff[h]);
        if (!first[h] || !again[h] || !diff[h]) return 1;
    }
    char id[64];
    for (int i = 0; i <= rounds; i++) {
        for (int k = 0; k < 5; k++) {
            snprintf(id, sizeof id, "bench-reload-%d-%d", i, k);
            if (add(w, id, i) < 0) return 1;
        }
        const kb_hit *h = &ids->hits[2 * (size_t)i];
        snprintf(id, sizeof id, "%.*s", (int)h->id.n, h->id.p);
        if (add(w, id, i) < 0) return 1; /* a replacement */
        kb_index_delete(w, h[1].id.p, h[1].id.n);
        if ((rc = kb_index_commit(w))) {
            fprintf(stderr, "commit: %s\n", kb_strerror(rc));
            return 1;
        }
        for (int hd = 0; hd < 2; hd++) {
            kb_index *ix = hd ? w : r;
            double a = search_ms(ix, q), b = search_ms(ix, q);
            if (i == 0) continue;
            first[hd][i - 1] = a;
            again[hd][i - 1] = b;
            diff[hd][i - 1] = a - b;
        }
    }
    printf("%d commits of 5 adds + 1 replacement + 1 delete, query %s\n", rounds, q);
    for (int h = 0; h < 2; h++) {
        printf("%s's handle:\n", h ? "the writer" : "a reader");
        printf("  first search after the commit  %.2f ms CPU (median)\n", median(first[h], rounds));
        printf("  the same search again          %.2f ms CPU\n", median(again[h], rounds));
        printf("  the new snapshot's cost        %.2f ms CPU\n", median(diff[h], rounds));
        free(first[h]);
        free(again[h]);
        free(diff[h]);
    }
    kb_results_free(ids);
    kb_index_close(r);
    kb_index_close(w);
    return 0;
}
