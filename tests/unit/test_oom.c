/*
 * test_oom.c — out of memory, everywhere: fails the Nth allocation through kb_set_allocator, for
 * every N over a small index-and-search workload, and checks that each run ends in a clean error.
 *
 * The workload is the data path in miniature: read JSONL from memory (kb_reader), clean each
 * record (kb_cleaner), add it to a fresh index (kb_index_add) and commit; close; reopen read-only,
 * read a term's postings and stored documents (the internal reader API), search (kb_search_run,
 * with snippets), fetch an article by id (kb_index_get) and verify the index (kb_index_check).
 * SQLite's own allocations go through the hook too (src/alloc.c), so its page cache, statements and
 * schema fail as well.
 *
 * For every N from 0 to the number of allocations the workload makes, the Nth allocation fails
 * (just that one: the code goes on and must cope with it). Each run must then
 *   - return KB_ENOMEM from the call that met the failure (never crash, never another code),
 *     or succeed with exactly the results of the run without failures (a failure the library
 *     absorbed, e.g. a cache that could not grow);
 *   - leave no allocation of the hook alive once every handle is closed (a leak count, on top of
 *     LeakSanitizer in the ASan build for allocations that bypass the hook);
 *   - leave the index on disk usable: it opens with the normal allocator, kb_index_check passes,
 *     and it holds either no document or all of them (a commit is all or nothing).
 * A second pass fails every allocation from the Nth on (memory stays exhausted), which reaches the
 * error paths of the error paths (every 4th N by default: KB_OOM_STICKY_STRIDE). KB_OOM_STRIDE=K
 * tests every Kth N only (for quick local runs).
 */
#include "harness.h"
#include "index_int.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Sticky runs: every 4th N, every 16th under AddressSanitizer (several times slower; the single
 * failures still cover every N there). */
#if defined(__SANITIZE_ADDRESS__)
#define KB_OOM_STICKY_DEFAULT 16
#else
#define KB_OOM_STICKY_DEFAULT 4
#endif

/* ---- the failing allocator ----
 * The library may allocate from several threads at once (a large commit encodes its postings in
 * a thread of its own; this test makes every commit do so in its second pass), so the counts are
 * atomic. With two threads allocating, which allocation is the Nth varies from run to run; each
 * run's checks hold whichever it is. */
static atomic_long g_calls;   /* allocations (malloc, realloc) seen in this run */
static long g_fail_at;        /* index of the allocation that fails; -1: none */
static int g_sticky;          /* fail every allocation from g_fail_at on */
static atomic_long g_live;    /* live allocations made through the hook */
static atomic_long g_failed;  /* allocations refused in this run */

static int should_fail(void)
{
    long i = atomic_fetch_add(&g_calls, 1);
    int f = g_fail_at >= 0 && (g_sticky ? i >= g_fail_at : i == g_fail_at);
    if (f) atomic_fetch_add(&g_failed, 1);
    return f;
}

static void *t_malloc(void *ctx, size_t n)
{
    (void)ctx;
    if (should_fail()) return NULL;
    void *p = malloc(n);
    if (p) atomic_fetch_add(&g_live, 1);
    return p;
}

static void *t_realloc(void *ctx, void *p, size_t n)
{
    (void)ctx;
    if (should_fail()) return NULL;
    void *q = realloc(p, n);
    if (q && !p) atomic_fetch_add(&g_live, 1);
    return q;
}

static void t_free(void *ctx, void *p)
{
    (void)ctx;
    if (p) atomic_fetch_sub(&g_live, 1);
    free(p);
}

static const kb_allocator failing = {t_malloc, t_realloc, t_free, NULL};

/* ---- the workload ---- */

/* Three short articles written for this test (one repeats an id: a replacement). */
static const char input[] =
    "{\"id\":\"a1\",\"title\":\"مجلس الأمن يناقش الوضع في العراق\",\"source\":\"وكالة\","
    "\"date\":\"2015-07-14\",\"body\":\"ناقش مجلس الأمن الدولي اليوم الوضع في العراق.\\n"
    "وقال المندوب إن المجلس سيعقد جلسة أخرى الأسبوع المقبل لبحث المساعدات الإنسانية.\"}\n"
    "{\"id\":\"a2\",\"title\":\"افتتاح معرض الكتاب في الرياض\",\"source\":\"صحيفة\","
    "\"date\":\"2015-08-02\",\"body\":\"افتتح معرض الكتاب أبوابه للزوار بمشاركة مئات دور النشر "
    "من العراق ومصر والمغرب.\\nويستمر المعرض عشرة أيام.\"}\n"
    "{\"id\":\"a3\",\"title\":\"أمطار غزيرة على السواحل\",\"source\":\"وكالة\","
    "\"date\":\"2015-08-03\",\"body\":\"توقعت الأرصاد هطول أمطار غزيرة على السواحل الغربية "
    "خلال الأيام المقبلة، ودعت السائقين إلى الحذر.\"}\n";
#define N_DOCS 3

static char dir[256];

/* What a run observed, compared with the run without failures. */
typedef struct outcome {
    int rc;               /* 0, or the first error met */
    const char *where;    /* the step that returned it */
    uint64_t docs;        /* documents in the reopened index */
    int hits;             /* documents matching the probe term */
    uint32_t hit_sum;     /* sum of their docids */
    size_t title_len;     /* title length of a fetched article */
    size_t search_hits;   /* kb_search_run's hits for the probe word */
    size_t snippet_bytes; /* and the total length of their snippets */
    size_t any_hits;      /* hits of an any-word question (its second stage re-reads them) */
} outcome;

static void remove_index(void)
{
    const char *files[] = {"khabar.db", "khabar.db-wal", "khabar.db-shm", "khabar.db-journal"};
    char p[400];
    for (size_t i = 0; i < KB_ARRAY_LEN(files); i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        unlink(p);
    }
}

#define STEP(name, expr)                                                                           \
    do {                                                                                           \
        int r_ = (expr);                                                                           \
        if (r_ < 0) {                                                                              \
            o->rc = r_;                                                                            \
            o->where = name;                                                                       \
            goto out;                                                                              \
        }                                                                                          \
    } while (0)

/* Writes the index: reader → cleaner → kb_index_add, one commit. */
static void write_part(outcome *o)
{
    kb_reader *rd = kb_reader_open_mem(input, sizeof input - 1, "oom.jsonl", NULL);
    kb_cleaner *cl = kb_cleaner_new(NULL);
    kb_index *ix = NULL;
    if (!rd || !cl) {
        o->rc = KB_ENOMEM;
        o->where = rd ? "kb_cleaner_new" : "kb_reader_open_mem";
        goto out;
    }
    STEP("kb_index_open", kb_index_open(dir, NULL, &ix));
    for (;;) {
        kb_record rec;
        int r = kb_reader_next(rd, &rec);
        if (r == 0) break;
        STEP("kb_reader_next", r);
        kb_article a;
        STEP("kb_cleaner_clean", kb_cleaner_clean(cl, &rec, &a));
        STEP("kb_index_add", kb_index_add(ix, &a));
    }
    STEP("kb_index_commit", kb_index_commit(ix));
out:
    kb_index_close(ix);
    kb_cleaner_free(cl);
    kb_reader_close(rd);
}

/* Reads it back: stats, a term's postings with each hit's stored document, get by id, check. */
static void read_part(outcome *o)
{
    kb_index *ix = NULL;
    kb_index_options ro = {.read_only = 1};
    kb__postings p;
    kb__doc d;
    kb__postings_init(&p);
    kb__doc_init(&d);
    kb_stored *st = NULL;
    kb_results *res = NULL;
    int in_read = 0;
    STEP("kb_index_open(ro)", kb_index_open(dir, &ro, &ix));
    kb_index_stats s;
    STEP("kb_index_stats_get", kb_index_stats_get(ix, &s));
    o->docs = s.docs;
    /* "العراق" is in a1 and a2; its stem is what a plain query looks up. */
    char stem[64];
    STEP("kb_analyzer_stem_word", kb_analyzer_stem_word(kb__index_analyzer(ix), "العراق",
                                                        strlen("العراق"), stem, sizeof stem));
    STEP("kb__index_read_begin", kb__index_read_begin(ix));
    in_read = 1;
    int r = kb__postings_open(ix, KB_TERM_STEM, stem, strlen(stem), &p);
    if (r != KB_ENOTFOUND) STEP("kb__postings_open", r);
    while ((r = kb__postings_next(&p)) == 1) {
        STEP("kb__index_doc_get", kb__index_doc_get(ix, p.doc, &d));
        o->hits++;
        o->hit_sum += p.doc;
    }
    STEP("kb__postings_next", r);
    kb__index_read_end(ix);
    in_read = 0;
    STEP("kb_search_run", kb_search_run(ix, "العراق", strlen("العراق"), NULL, &res));
    o->search_hits = res->n_hits;
    for (size_t i = 0; i < res->n_hits; i++)
        o->snippet_bytes += res->hits[i].snippet.n;
    kb_results_free(res);
    res = NULL;
    kb_search_options any = {0};
    any.mode = KB_SEARCH_ANY;
    STEP("kb_search_run (any)",
         kb_search_run(ix, "متى ذكر العراق", strlen("متى ذكر العراق"), &any, &res));
    o->any_hits = res->n_hits;
    STEP("kb_index_get", kb_index_get(ix, "a2", 2, &st));
    o->title_len = st->title.n;
    STEP("kb_index_check", kb_index_check(ix, NULL, NULL));
out:
    if (in_read) kb__index_read_end(ix);
    kb_stored_free(st);
    kb_results_free(res);
    kb__doc_free(&d);
    kb__postings_free(&p);
    kb_index_close(ix);
}

/* One run with the Nth allocation failing (fail_at < 0: none). Returns the allocations made. */
static long run(long fail_at, int sticky, outcome *o)
{
    memset(o, 0, sizeof *o);
    remove_index();
    g_calls = g_failed = g_live = 0;
    g_fail_at = fail_at;
    g_sticky = sticky;
    kb_set_allocator(&failing);
    write_part(o);
    if (!o->rc) read_part(o);
    kb_set_allocator(NULL); /* also shuts SQLite down: its last allocations come back */
    return g_calls;
}

static void print_problem(void *ctx, const char *problem)
{
    (void)ctx;
    fprintf(stderr, "     check: %s\n", problem);
}

/* After a failed run, the index on disk must be usable with memory back: it opens, check
 * passes, and the commit happened entirely or not at all. Returns 1 when that holds. */
static int disk_state_ok(uint64_t *docs_out)
{
    kb_index *ix = NULL;
    kb_index_options ro = {.read_only = 1};
    int r = kb_index_open(dir, &ro, &ix);
    *docs_out = 0;
    if (r == KB_ENOTFOUND) return 1; /* the failure came before the index was created */
    if (r) {
        fprintf(stderr, "     reopen after the failure: %s (%s)\n", kb_err_name(r),
                kb_index_errmsg(ix));
        return 0;
    }
    kb_index_stats s = {0};
    int ok = kb_index_stats_get(ix, &s) == 0 && kb_index_check(ix, print_problem, NULL) == 0;
    if (ok) *docs_out = s.docs;
    if (s.docs != 0 && s.docs != N_DOCS) {
        fprintf(stderr, "     %llu of %d documents after the failed commit\n",
                (unsigned long long)s.docs, N_DOCS);
        ok = 0;
    }
    kb_index_close(ix);
    return ok;
}

/* Runs every N with one mode; returns the number of runs. */
static long sweep(int sticky, long total, long stride, const outcome *ref)
{
    long runs = 0, enomem = 0, absorbed = 0, bad_code = 0, bad_result = 0, leaks = 0, bad_disk = 0;
    for (long n = 0; n < total; n += stride, runs++) {
        outcome o;
        run(n, sticky, &o);
        if (g_live != 0) {
            leaks++;
            fprintf(stderr, "FAIL %s N=%ld: %ld allocations leaked (failed in %s)\n",
                    sticky ? "sticky" : "single", n, g_live, o.where ? o.where : "-");
        }
        if (o.rc == 0) {
            absorbed++;
            if (o.docs != ref->docs || o.hits != ref->hits || o.hit_sum != ref->hit_sum ||
                o.title_len != ref->title_len || o.search_hits != ref->search_hits ||
                o.snippet_bytes != ref->snippet_bytes || o.any_hits != ref->any_hits) {
                bad_result++;
                fprintf(stderr, "FAIL %s N=%ld: succeeded with wrong results (docs %llu hits %d)\n",
                        sticky ? "sticky" : "single", n, (unsigned long long)o.docs, o.hits);
            }
        } else if (o.rc == KB_ENOMEM) {
            enomem++;
        } else {
            bad_code++;
            fprintf(stderr, "FAIL %s N=%ld: %s returned %s, not KB_ENOMEM\n",
                    sticky ? "sticky" : "single", n, o.where, kb_err_name(o.rc));
        }
        uint64_t docs = 0;
        if (!disk_state_ok(&docs)) {
            bad_disk++;
            fprintf(stderr, "FAIL %s N=%ld: index unusable or half-committed after %s failed\n",
                    sticky ? "sticky" : "single", n, o.where ? o.where : "-");
        }
    }
    printf("%s failure: %ld runs: %ld KB_ENOMEM, %ld absorbed; %ld other codes, %ld wrong results, "
           "%ld leaks, %ld damaged indexes\n",
           sticky ? "sticky" : "single", runs, enomem, absorbed, bad_code, bad_result, leaks,
           bad_disk);
    CHECK_INT(bad_code, 0);
    CHECK_INT(bad_result, 0);
    CHECK_INT(leaks, 0);
    CHECK_INT(bad_disk, 0);
    CHECK(enomem > 0);
    return runs;
}

int main(void)
{
    /* tmpfs when there is one: thousands of runs, each creating an index, would mostly wait on
     * fsync on a disk. */
    snprintf(dir, sizeof dir, "%s/kb_test_oom_XXXXXX",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    const char *s = getenv("KB_OOM_STRIDE");
    long stride = s && atol(s) > 0 ? atol(s) : 1;

    /* The reference run: no failure. It must succeed and find what the articles hold. */
    outcome ref;
    long total = run(-1, 0, &ref);
    CHECK_INT(ref.rc, 0);
    if (ref.rc) fprintf(stderr, "     reference run failed in %s\n", ref.where);
    CHECK_INT(g_live, 0);
    CHECK_INT(ref.docs, N_DOCS);
    CHECK_INT(ref.hits, 2);
    CHECK_INT(ref.search_hits, 2);
    CHECK(ref.any_hits >= 2);
    CHECK(ref.title_len > 0);
    CHECK(total > 100); /* SQLite's allocations are counted too */
    printf("workload: %ld allocations through the hook\n", total);

    /* KB_OOM_ONLY=N runs that one N (single failure) and says what happened, for debugging. */
    const char *only = getenv("KB_OOM_ONLY");
    if (only) {
        outcome o;
        run(atol(only), 0, &o);
        printf("N=%s: %s in %s, %ld leaked\n", only, kb_err_name(o.rc), o.where ? o.where : "-",
               g_live);
        uint64_t docs = 0;
        printf("index on disk: %s, %llu documents\n", disk_state_ok(&docs) ? "ok" : "NOT OK",
               (unsigned long long)docs);
        return kbt_summary();
    }
    /* Sticky failures reach the error paths of error paths; neighbouring Ns mostly share them, so
     * CI samples every KB_OOM_STICKY_STRIDE-th N (default 4, 16 under ASan; 1 in the slow tier). */
    const char *ss = getenv("KB_OOM_STICKY_STRIDE");
    long sticky_stride = ss && atol(ss) > 0 ? atol(ss) : KB_OOM_STICKY_DEFAULT;
    /* Twice: the commit encoding in the writer's thread (small commits), then in a thread of
     * its own (large commits; forced here on the workload's small one). */
    for (int pass = 0; pass < 2; pass++) {
        if (pass) {
            kb__commit_thread_terms = 0;
            total = run(-1, 0, &ref);
            CHECK_INT(ref.rc, 0);
            CHECK_INT(ref.docs, N_DOCS);
            printf("commit encoding in its own thread: %ld allocations\n", total);
        }
        sweep(0, total, stride, &ref);
        sweep(1, total, stride * sticky_stride, &ref);
    }

    remove_index();
    rmdir(dir);
    return kbt_summary();
}
