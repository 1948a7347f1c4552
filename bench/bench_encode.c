/*
 * bench_encode.c — the postings block encoder (kb__block_encode, src/postings.c) on an index's
 * real blocks: what the commit's encoder thread spends per block, posting and position, without
 * the rest of a commit around it.
 *
 *   bench_encode INDEX_DIR [ROUNDS]
 *
 * Reads every block of the index (the blocks table's rows and the terms rows' inline blocks)
 * with the sqlite3 library, decodes each into postings (kb__block_decode), then encodes them
 * all ROUNDS times (default 15) and prints the median thread CPU time of a round, per block,
 * posting and position. Re-encoding must give back the stored bytes, the format being fixed:
 * the first round compares them and prints how many blocks differ (the exit status is 1 if
 * any does). Memory: ~24 bytes per posting and 4 per position (the benchmark's index of
 * 13 M postings: ~0.4 GB). A benchmark prints figures; apart from that check it asserts nothing.
 */
#include "index_int.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct block {
    size_t first;    /* its first posting in postings[] */
    size_t raw_off;  /* its stored bytes in raw */
    uint32_t n, raw_n;
    uint32_t min_len[KB_N_FIELDS];
    int with_pos;
} block;

static block *blocks;
static size_t n_blocks, cap_blocks;
static kb__posting_in *postings;
static size_t n_postings, cap_postings;
static uint32_t **pos_lists; /* per block, the array its postings' positions are in */
static size_t cap_pos_lists;
static uint64_t n_positions;
static kb_buf raw;

static double cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return p;
    size_t c = *cap ? *cap : 4096;
    while (c < need)
        c *= 2;
    p = realloc(p, c * elem);
    if (!p) {
        fprintf(stderr, "bench_encode: out of memory\n");
        exit(2);
    }
    *cap = c;
    return p;
}

/* Decodes one stored block into the arrays. */
static int add_block(const void *b, size_t n)
{
    static uint32_t docs[KB_BLOCK_MAX], tfs[KB_N_FIELDS][KB_BLOCK_MAX], pstart[KB_BLOCK_MAX + 1];
    unsigned char *copy = calloc(1, n + KB_BLOCK_PAD);
    if (!copy) return KB_ENOMEM;
    memcpy(copy, b, n);
    uint32_t *pos = NULL, cap_pos = 0;
    kb__block_head h;
    int rc = kb__block_decode(copy, n, &h, docs, tfs, &pos, &cap_pos, pstart);
    if (!h.with_pos) {
        kb__free(pos);
        pos = NULL;
    }
    free(copy);
    if (rc) {
        kb__free(pos);
        return rc;
    }
    blocks = grow(blocks, &cap_blocks, n_blocks + 1, sizeof *blocks);
    postings = grow(postings, &cap_postings, n_postings + h.n, sizeof *postings);
    block *k = &blocks[n_blocks++];
    k->first = n_postings;
    k->n = h.n;
    k->with_pos = h.with_pos;
    memcpy(k->min_len, h.min_len, sizeof k->min_len);
    k->raw_off = raw.n;
    k->raw_n = (uint32_t)n;
    kb__buf_append(&raw, b, n);
    for (uint32_t i = 0; i < h.n; i++) {
        kb__posting_in *p = &postings[n_postings++];
        p->doc = docs[i];
        for (int f = 0; f < KB_N_FIELDS; f++)
            p->tf[f] = tfs[f][i];
        p->pos = h.with_pos ? pos + pstart[i] : NULL;
    }
    if (h.with_pos) n_positions += pstart[h.n];
    pos_lists = grow(pos_lists, &cap_pos_lists, n_blocks, sizeof *pos_lists);
    pos_lists[n_blocks - 1] = pos; /* the block's postings point into it (NULL: none) */
    return raw.rc;
}

static int load(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/khabar.db", dir);
    sqlite3 *db;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "bench_encode: cannot open %s\n", path);
        return 1;
    }
    sqlite3_stmt *st;
    int rc = 0;
    if (sqlite3_prepare_v2(db, "SELECT v FROM terms", -1, &st, NULL) == SQLITE_OK) {
        while (!rc && sqlite3_step(st) == SQLITE_ROW) {
            kb__term_row row;
            if (kb__term_value_parse(sqlite3_column_blob(st, 0),
                                     (size_t)sqlite3_column_bytes(st, 0), &row))
                continue;
            if (row.inl) rc = add_block(row.inl, row.inl_n);
        }
        sqlite3_finalize(st);
    }
    if (!rc && sqlite3_prepare_v2(db, "SELECT data FROM blocks", -1, &st, NULL) == SQLITE_OK) {
        while (!rc && sqlite3_step(st) == SQLITE_ROW)
            rc = add_block(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0));
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    if (rc) fprintf(stderr, "bench_encode: a block did not decode (%s)\n", kb_strerror(rc));
    return rc != 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_encode INDEX_DIR [ROUNDS]\n");
        return 2;
    }
    int rounds = argc > 2 ? atoi(argv[2]) : 15;
    if (rounds < 1) rounds = 1;
    kb__buf_init(&raw, 0);
    if (load(argv[1])) return 1;
    kb_buf out;
    kb__buf_init(&out, 0);
    size_t differ = 0;
    double *t = calloc((size_t)rounds, sizeof *t);
    if (!t) return 2;
    for (int r = 0; r < rounds; r++) {
        double t0 = cpu_s();
        for (size_t i = 0; i < n_blocks; i++) {
            const block *k = &blocks[i];
            kb__buf_reset(&out);
            kb__block_encode(&out, postings + k->first, k->n, k->with_pos, k->min_len);
            if (r == 0 && (out.n != k->raw_n || memcmp(out.p, raw.p + k->raw_off, out.n)))
                differ++;
        }
        t[r] = cpu_s() - t0;
    }
    qsort(t, (size_t)rounds, sizeof *t, cmp_double);
    double med = t[rounds / 2];
    printf("%zu blocks, %zu postings, %llu positions, %zu bytes: median of %d rounds %.4f CPU-s "
           "(%.1f ns a block, %.2f ns a posting, %.2f ns a posting or position); %zu blocks "
           "differ from the stored bytes\n",
           n_blocks, n_postings, (unsigned long long)n_positions, raw.n, rounds, med,
           med * 1e9 / (double)n_blocks, med * 1e9 / (double)n_postings,
           med * 1e9 / (double)(n_postings + n_positions), differ);
    for (size_t i = 0; i < n_blocks; i++)
        kb__free(pos_lists[i]);
    free(pos_lists);
    free(blocks);
    free(postings);
    free(t);
    kb__buf_free(&raw);
    kb__buf_free(&out);
    return differ != 0;
}
