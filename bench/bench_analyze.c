/*
 * bench_analyze.c — the analyzer's throughput, side by side with libstemmer (issue 2, must-hold 5).
 *
 *   bench_analyze [--runs N] [CORPUS.jsonl.zst]      (default ../shared/corpus/saudinewsnet…)
 *
 * Loads the title and body of every article of the corpus into memory (zstd + jansson), then
 * times, one thread, each pipeline over the whole text, N runs each (default 5), interleaved so
 * that machine noise hits all alike, and prints the median and the range:
 *
 *   khabar light     decode + tokenize + normalize + stem (light) + stopwords, article by article
 *   khabar snowball  the same with libstemmer's Arabic stemmer on khabar's normalized tokens
 *   khabar none      decode + tokenize + normalize + stopwords, no stemming
 *   snowball split   whitespace-split tokens, each through sb_stemmer_stem("arabic") — the peer
 *
 * MB/s are of input bytes (1 MB = 10^6 bytes) per second of the thread's CPU time (the machine is
 * shared; wall-clock MB/s are printed beside). The peer does less work (no normalization, no
 * offsets, punctuation left on words), which is the point of the comparison.
 */
#include "khabar.h"

#include <jansson.h>
#include <libstemmer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zstd.h>

typedef struct corpus {
    char *text;
    size_t n, cap;
    size_t *starts; /* article boundaries */
    size_t n_docs, cap_docs;
} corpus;

static void add(corpus *c, const char *s, size_t n)
{
    if (c->n + n + 2 > c->cap) {
        while (c->n + n + 2 > c->cap)
            c->cap = c->cap ? c->cap * 2 : 1 << 24;
        c->text = realloc(c->text, c->cap);
        if (!c->text) exit(1);
    }
    memcpy(c->text + c->n, s, n);
    c->n += n;
    c->text[c->n++] = '\n';
}

static void add_doc(corpus *c, const char *line, size_t n)
{
    json_error_t err;
    json_t *o = json_loadb(line, n, 0, &err);
    if (!o) return;
    if (c->n_docs == c->cap_docs) {
        c->cap_docs = c->cap_docs ? c->cap_docs * 2 : 1024;
        c->starts = realloc(c->starts, (c->cap_docs + 1) * sizeof *c->starts);
        if (!c->starts) exit(1);
    }
    c->starts[c->n_docs++] = c->n;
    static const char *const fields[] = {"title", "content", "text", "body"};
    for (size_t i = 0; i < 4; i++) {
        json_t *v = json_object_get(o, fields[i]);
        if (json_is_string(v)) add(c, json_string_value(v), json_string_length(v));
    }
    json_decref(o);
}

static int load(corpus *c, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    ZSTD_DStream *z = ZSTD_createDStream();
    size_t in_cap = ZSTD_DStreamInSize(), out_cap = ZSTD_DStreamOutSize();
    char *in = malloc(in_cap), *out = malloc(out_cap);
    if (!z || !in || !out) {
        fprintf(stderr, "bench_analyze: out of memory\n");
        exit(1);
    }
    char *line = NULL;
    size_t line_n = 0, line_cap = 0, k;
    while ((k = fread(in, 1, in_cap, f)) > 0) {
        ZSTD_inBuffer ib = {in, k, 0};
        while (ib.pos < ib.size) {
            ZSTD_outBuffer ob = {out, out_cap, 0};
            size_t r = ZSTD_decompressStream(z, &ob, &ib);
            if (ZSTD_isError(r)) {
                fprintf(stderr, "%s: %s\n", path, ZSTD_getErrorName(r));
                return -1;
            }
            for (size_t i = 0; i < ob.pos; i++) {
                if (out[i] == '\n') {
                    add_doc(c, line, line_n);
                    line_n = 0;
                    continue;
                }
                if (line_n == line_cap) {
                    line_cap = line_cap ? line_cap * 2 : 1 << 16;
                    char *bigger = realloc(line, line_cap);
                    if (!bigger) {
                        fprintf(stderr, "bench_analyze: out of memory\n");
                        exit(1);
                    }
                    line = bigger;
                }
                line[line_n++] = out[i];
            }
        }
    }
    if (line_n) add_doc(c, line, line_n);
    c->starts[c->n_docs] = c->n;
    free(line);
    free(in);
    free(out);
    ZSTD_freeDStream(z);
    fclose(f);
    return 0;
}

/* CPU time of this thread: the machine is shared, and wall time would count other processes'
 * turns on the core. Wall time is reported beside it. */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static volatile size_t sink;

/* Analyzes every article with a; returns the token count. */
static size_t run_khabar(const corpus *c, kb_analyzer *a)
{
    kb_token t;
    size_t n = 0, h = 0;
    for (size_t d = 0; d < c->n_docs; d++) {
        kb_analyzer_reset(a, c->text + c->starts[d], c->starts[d + 1] - c->starts[d]);
        while (kb_analyzer_next(a, &t) > 0) {
            n++;
            h += t.stem_len;
        }
    }
    sink = h;
    return n;
}

/* The peer: split on ASCII white space, stem each token with libstemmer. */
static size_t run_snowball(const corpus *c, struct sb_stemmer *sb)
{
    const char *s = c->text;
    size_t n = 0, h = 0, i = 0, len = c->n;
    while (i < len) {
        while (i < len && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r'))
            i++;
        size_t j = i;
        while (j < len && !(s[j] == ' ' || s[j] == '\n' || s[j] == '\t' || s[j] == '\r'))
            j++;
        if (j > i) {
            const sb_symbol *r = sb_stemmer_stem(sb, (const sb_symbol *)s + i, (int)(j - i));
            h += r ? (size_t)sb_stemmer_length(sb) : 0;
            n++;
        }
        i = j;
    }
    sink = h;
    return n;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

enum { N_PIPES = 4, MAX_RUNS = 31 };

int main(int argc, char **argv)
{
    const char *path = "../shared/corpus/saudinewsnet.jsonl.zst";
    int runs = 5;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else
            path = argv[i];
    }
    if (runs < 1 || runs > MAX_RUNS) runs = 5;
    corpus c = {0};
    if (load(&c, path) || !c.n_docs) {
        fprintf(stderr, "bench_analyze: no articles in %s\n", path);
        return 1;
    }
    const char *names[N_PIPES] = {"khabar light", "khabar snowball", "khabar none",
                                  "snowball split"};
    kb_analyzer_options o[3] = {{KB_STEM_LIGHT}, {KB_STEM_SNOWBALL}, {KB_STEM_NONE}};
    kb_analyzer *an[3];
    for (int i = 0; i < 3; i++)
        an[i] = kb_analyzer_new(&o[i]);
    struct sb_stemmer *sb = sb_stemmer_new("arabic", NULL);
    if (!an[0] || !an[1] || !an[2] || !sb) {
        fprintf(stderr, "bench_analyze: cannot create the stemmers\n");
        return 1;
    }
    double t[N_PIPES][MAX_RUNS], w[N_PIPES][MAX_RUNS];
    size_t tokens[N_PIPES] = {0};
    for (int r = 0; r < runs; r++) {
        for (int p = 0; p < N_PIPES; p++) {
            double t0 = now(), w0 = wall();
            tokens[p] = p < 3 ? run_khabar(&c, an[p]) : run_snowball(&c, sb);
            t[p][r] = now() - t0;
            w[p][r] = wall() - w0;
        }
    }
    printf("corpus: %s — %zu articles, %.1f MB of text; %d runs each, one thread\n", path, c.n_docs,
           c.n / 1e6, runs);
    printf("%-16s %10s %10s %18s %12s %12s\n", "pipeline", "MB/s (cpu)", "median s", "range s",
           "MB/s (wall)", "tokens");
    double base = 0;
    for (int p = 0; p < N_PIPES; p++) {
        qsort(t[p], (size_t)runs, sizeof(double), cmp);
        qsort(w[p], (size_t)runs, sizeof(double), cmp);
        double med = t[p][runs / 2];
        if (p == 3) base = med;
        printf("%-16s %10.1f %10.3f %8.3f–%-8.3f %12.1f %12zu\n", names[p], c.n / 1e6 / med, med,
               t[p][0], t[p][runs - 1], c.n / 1e6 / w[p][runs / 2], tokens[p]);
    }
    printf("khabar light vs snowball split: %.2fx the speed\n", base / t[0][runs / 2]);
    for (int i = 0; i < 3; i++)
        kb_analyzer_free(an[i]);
    sb_stemmer_delete(sb);
    free(c.text);
    free(c.starts);
    return 0;
}
