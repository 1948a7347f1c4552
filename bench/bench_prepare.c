/*
 * bench_prepare.c — the analysis workers' stages of `khabar index`, one thread, in memory.
 *
 *   bench_prepare [--rounds N] FILE...      (JSONL, .zst allowed; e.g. the two files of
 *                                            bench/bench_index.sh)
 *
 * Every record of FILE... is read into memory first (not timed). Then each round passes over all
 * of them as a worker of `khabar index` does (cli/cmd_index.c prepare_job), timed three ways:
 *   clean            kb_cleaner_clean only
 *   + prepare        then kb_index_prepare without the duplicates signature: the analyzer, the
 *                    document's term table, the postings' bytes, the zstd stored copy
 *   + signature      the same with the signature (what `khabar index` runs)
 * CPU seconds of the process (one thread), the median of the rounds; the differences between the
 * lines are the stages' costs. The rounds alternate the three ways so that the machine's load
 * falls on each alike. A benchmark prints figures; it asserts nothing.
 */
#include "bench_records.h"

#define DEFAULT_ROUNDS 5

/* One round; way 0 cleans only, 1 prepares without the signature, 2 with it. Seconds. */
static double round_time(kb_cleaner *c, kb_analyzer *an, kb_prepared *p, const rec *v, size_t n,
                         int way, size_t *stored)
{
    kb_prepared_skip_dups(p, way < 2);
    double t0 = now();
    *stored = 0;
    for (size_t i = 0; i < n; i++) {
        kb_record r = as_record(&v[i], 1);
        kb_article a;
        if (kb_cleaner_clean(c, &r, &a)) exit(1);
        if (way == 0 || !a.id.n || (!a.title.n && !a.n_blocks && !a.n_captions)) continue;
        int rc = kb_index_prepare(an, &a, p);
        if (rc && rc != KB_ETOOBIG) {
            fprintf(stderr, "bench_prepare: %s\n", kb_strerror(rc));
            exit(1);
        }
        *stored += kb_prepared_text_bytes(p);
    }
    return now() - t0;
}

int main(int argc, char **argv)
{
    int rounds = DEFAULT_ROUNDS, a = 1;
    if (a + 1 < argc && !strcmp(argv[a], "--rounds")) {
        rounds = atoi(argv[a + 1]);
        a += 2;
    }
    if (rounds < 1 || rounds > 99 || a >= argc) {
        fprintf(stderr, "usage: bench_prepare [--rounds N] FILE...\n");
        return 2;
    }
    size_t n, bytes, title_bytes, stored;
    rec *v = load((const char *const *)argv + a, (size_t)(argc - a), &n, &bytes, &title_bytes);
    bytes += title_bytes;
    kb_cleaner *c = kb_cleaner_new(NULL);
    kb_analyzer *an = kb_analyzer_new(NULL);
    kb_prepared *p = kb_prepared_new();
    if (!c || !an || !p) return 1;
    double t[3][99];
    for (int w = 0; w < 3; w++)
        round_time(c, an, p, v, n, w, &stored); /* warm-up */
    for (int r = 0; r < rounds; r++)
        for (int w = 0; w < 3; w++)
            t[w][r] = round_time(c, an, p, v, n, w, &stored);
    static const char *const name[] = {"clean", "+ prepare", "+ signature"};
    double m[3];
    for (int w = 0; w < 3; w++) {
        m[w] = median(t[w], rounds);
        printf("%-12s %7zu docs %7.1f MB  median %.3f s  (stage %.3f s)\n", name[w], n, bytes / 1e6,
               m[w], w ? m[w] - m[w - 1] : m[w]);
    }
    kb_prepared_free(p);
    kb_analyzer_free(an);
    kb_cleaner_free(c);
    return 0;
}
