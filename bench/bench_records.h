/*
 * bench_records.h — the records of a corpus held in memory, for the one-thread benchmarks that
 * pass over them (bench_clean.c, bench_prepare.c), and their CPU-time medians.
 */
#ifndef KB_BENCH_RECORDS_H
#define KB_BENCH_RECORDS_H

#include "khabar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct rec {
    char *body, *title, *source, *id, *date, *url;
    size_t n_body;
    kb_format format;
} rec;

/* CPU time of this (single-threaded) process: on a shared, loaded machine wall time measures the
 * neighbours too. */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *dup_slice(kb_slice s)
{
    char *p = malloc(s.n + 1);
    if (!p) exit(1);
    memcpy(p, s.p ? s.p : "", s.n);
    p[s.n] = 0;
    return p;
}

/* Every record of paths, copied; *bytes counts the bodies, *title_bytes (if not NULL) the titles. */
static rec *load(const char *const *paths, size_t n_paths, size_t *n_out, size_t *bytes,
                 size_t *title_bytes)
{
    kb_reader *r = kb_reader_open(paths, n_paths, NULL);
    size_t n = 0, cap = 1024;
    rec *v = malloc(cap * sizeof *v);
    kb_record kr;
    int rc;
    *bytes = 0;
    if (title_bytes) *title_bytes = 0;
    while (v && (rc = kb_reader_next(r, &kr)) != 0) {
        if (rc < 0) continue;
        if (n == cap) v = realloc(v, (cap *= 2) * sizeof *v);
        if (!v) exit(1);
        v[n].body = dup_slice(kr.body);
        v[n].n_body = kr.body.n;
        v[n].title = dup_slice(kr.title);
        v[n].source = dup_slice(kr.source);
        v[n].id = dup_slice(kr.id);
        v[n].date = dup_slice(kr.date);
        v[n].url = dup_slice(kr.url);
        v[n].format = kr.format;
        *bytes += kr.body.n;
        if (title_bytes) *title_bytes += kr.title.n;
        n++;
    }
    kb_reader_close(r);
    if (!v) exit(1);
    *n_out = n;
    return v;
}

/* The record as the reader gave it; with_meta: its date and url too. */
static kb_record as_record(const rec *x, int with_meta)
{
    kb_record r;
    memset(&r, 0, sizeof r);
    r.body.p = x->body, r.body.n = x->n_body;
    r.title.p = x->title, r.title.n = strlen(x->title);
    r.source.p = x->source, r.source.n = strlen(x->source);
    r.id.p = x->id, r.id.n = strlen(x->id);
    if (with_meta) {
        r.date.p = x->date, r.date.n = strlen(x->date);
        r.url.p = x->url, r.url.n = strlen(x->url);
    }
    r.format = x->format;
    r.file = "bench";
    return r;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, cmp_d);
    return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

#endif
