/*
 * bench_clean.c — cleaning throughput, one thread.
 *
 *   bench_clean [--rounds N] [--html-repeat N] [--jsonl FILE] [--html DIR]
 *
 * Text: every record of FILE (JSONL, .zst allowed) is read into memory first (not timed), then
 * cleaned with kb_cleaner_clean() — and, in a second measure, also serialized with
 * kb_article_to_json() — and the body bytes per second are reported. HTML: the *.html pages of DIR
 * are read once and cleaned N times over (pages per second). Each figure is the median of the
 * rounds. bench/bench_clean.sh runs this next to a peer extractor on the same pages.
 */
#include "bench_records.h"

#include <dirent.h>

/* Rounds of each measure: enough for a stable median on a shared machine. */
#define DEFAULT_ROUNDS 5
/* The nine fixture pages repeated this many times make one HTML round (~0.5 s). */
#define DEFAULT_HTML_REPEAT 100

/* One round: clean (and serialize when json) every record `repeat` times; returns seconds. */
static double round_time(kb_cleaner *c, const rec *v, size_t n, int repeat, int json,
                         size_t *blocks)
{
    double t0 = now();
    *blocks = 0;
    for (int k = 0; k < repeat; k++)
        for (size_t i = 0; i < n; i++) {
            kb_record r = as_record(&v[i], 0);
            kb_article a;
            if (kb_cleaner_clean(c, &r, &a)) exit(1);
            *blocks += a.n_blocks;
            if (json) {
                char *j;
                if (kb_article_to_json(&a, 0, &j, NULL)) exit(1);
                kb_json_free(j);
            }
        }
    return now() - t0;
}

int main(int argc, char **argv)
{
    const char *jsonl = "../shared/corpus/saudinewsnet.jsonl.zst";
    const char *html = "../shared/fixtures/html";
    int rounds = DEFAULT_ROUNDS, html_repeat = DEFAULT_HTML_REPEAT;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--jsonl"))
            jsonl = argv[i + 1];
        else if (!strcmp(argv[i], "--html"))
            html = argv[i + 1];
        else if (!strcmp(argv[i], "--rounds"))
            rounds = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--html-repeat"))
            html_repeat = atoi(argv[i + 1]);
    }
    if (rounds < 1 || rounds > 99 || html_repeat < 1) {
        fprintf(stderr, "bench_clean: bad --rounds or --html-repeat\n");
        return 2;
    }
    kb_cleaner *c = kb_cleaner_new(NULL);
    double t[99];
    size_t blocks;

    size_t n, bytes;
    const char *jp[] = {jsonl};
    rec *v = load(jp, 1, &n, &bytes, NULL);
    if (n) {
        round_time(c, v, n, 1, 0, &blocks); /* warm-up */
        for (int r = 0; r < rounds; r++)
            t[r] = round_time(c, v, n, 1, 0, &blocks);
        double m = median(t, rounds);
        printf(
            "text clean       %-28s %7zu docs %7.1f MB  median %.3f s  %7.1f MB/s  %8.0f docs/s\n",
            "(records in memory)", n, bytes / 1e6, m, bytes / 1e6 / m, n / m);
        for (int r = 0; r < rounds; r++)
            t[r] = round_time(c, v, n, 1, 1, &blocks);
        m = median(t, rounds);
        printf(
            "text clean+json  %-28s %7zu docs %7.1f MB  median %.3f s  %7.1f MB/s  %8.0f docs/s\n",
            "(records in memory)", n, bytes / 1e6, m, bytes / 1e6 / m, n / m);
    } else {
        printf("text: no records in %s\n", jsonl);
    }

    /* HTML pages */
    DIR *d = opendir(html);
    const char *hp[64];
    size_t nh = 0;
    char *names[64];
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) && nh < 64) {
            size_t k = strlen(e->d_name);
            if (k > 5 && !strcmp(e->d_name + k - 5, ".html")) {
                names[nh] = malloc(strlen(html) + k + 2);
                sprintf(names[nh], "%s/%s", html, e->d_name);
                hp[nh] = names[nh];
                nh++;
            }
        }
        closedir(d);
    }
    size_t npages = 0, hbytes = 0;
    rec *hv = nh ? load(hp, nh, &npages, &hbytes, NULL) : NULL;
    if (npages) {
        round_time(c, hv, npages, 1, 0, &blocks);
        for (int r = 0; r < rounds; r++)
            t[r] = round_time(c, hv, npages, html_repeat, 0, &blocks);
        double m = median(t, rounds);
        double pages = (double)npages * html_repeat;
        printf("html clean       %-28s %7.0f pages %5.1f MB  median %.3f s  %7.1f MB/s  %8.0f "
               "pages/s\n",
               "(pages in memory)", pages, hbytes * (double)html_repeat / 1e6, m,
               hbytes * (double)html_repeat / 1e6 / m, pages / m);
    } else {
        printf("html: no pages in %s\n", html);
    }
    kb_cleaner_free(c);
    return 0;
}
