/*
 * test_postings.c — the postings block codec: round trips over a table of shapes, and damaged
 * blocks (every single-bit flip, truncations) ending in KB_ECORRUPT, never a crash.
 */
#include "harness.h"
#include "khabar_int.h"

#include <stdlib.h>

typedef struct shape {
    const char *name;
    uint32_t n;     /* postings */
    uint32_t first; /* first docid */
    uint32_t gap;   /* docid gap (0: pseudo-random 1..gap_max) */
    uint32_t gap_max;
    uint32_t tf_max; /* body tf 1..tf_max */
    int title;       /* some postings also in the title */
    int with_pos;
} shape;

static const shape shapes[] = {
    {"single posting", 1, 1, 1, 0, 1, 0, 1},
    {"single, large docid", 1, 4000000000u, 1, 0, 3, 1, 1},
    {"dense run", 128, 1, 1, 0, 1, 0, 1},
    {"sparse", 128, 7, 0, 100000, 5, 1, 1},
    {"huge gaps", 40, 1, 0, 90000000, 2, 0, 1},
    {"high tf", 17, 100, 3, 0, 900, 1, 1},
    {"stems, no positions", 128, 5, 0, 30, 12, 1, 0},
    {"two postings", 2, 9, 4, 0, 2, 0, 0},
};

static uint32_t rng = 12345;
static uint32_t rnd(void)
{
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
}

/* Builds the postings for a shape into arrays the caller provides. */
static void build(const shape *s, kb__posting_in *in, uint32_t *posbuf)
{
    uint32_t doc = s->first, at = 0;
    for (uint32_t i = 0; i < s->n; i++) {
        if (i) doc += s->gap ? s->gap : 1 + rnd() % s->gap_max;
        in[i].doc = doc;
        in[i].tf[KB_FIELD_TITLE] = s->title && i % 3 == 0 ? 1 + rnd() % 2 : 0;
        in[i].tf[KB_FIELD_HEAD] = i % 5 == 1 ? 1 : 0;
        in[i].tf[KB_FIELD_BODY] = 1 + rnd() % s->tf_max;
        uint32_t np = in[i].tf[0] + in[i].tf[1] + in[i].tf[2], p = rnd() % 50;
        in[i].pos = s->with_pos ? posbuf + at : NULL;
        for (uint32_t j = 0; j < np; j++) {
            posbuf[at++] = p;
            p += 1 + rnd() % (j % 7 == 6 ? 5000 : 40);
        }
    }
}

static uint32_t docs[KB_BLOCK_MAX], tfs[KB_N_FIELDS][KB_BLOCK_MAX], pstart[KB_BLOCK_MAX + 1];

static void test_round_trips(void)
{
    static uint32_t posbuf[KB_BLOCK_MAX * 1000];
    for (size_t k = 0; k < KB_ARRAY_LEN(shapes); k++) {
        const shape *s = &shapes[k];
        kb__posting_in in[KB_BLOCK_MAX];
        build(s, in, posbuf);
        uint32_t min_len[KB_N_FIELDS] = {3, 0, 120};
        kb_buf b;
        kb__buf_init(&b, 0);
        kb__block_encode(&b, in, s->n, s->with_pos, min_len);
        kb__buf_reserve(&b, KB_BLOCK_PAD);
        memset(b.p + b.n, 0, KB_BLOCK_PAD);
        CHECK(b.rc == 0);
        kb__block_head h;
        CHECK_INT(kb__block_read_head((const unsigned char *)b.p, b.n, &h), 0);
        uint32_t *pos = NULL, cap = 0;
        int rc = kb__block_decode((const unsigned char *)b.p, b.n, &h, docs, tfs,
                                  s->with_pos ? &pos : NULL, &cap, pstart);
        if (!kbt_check(rc == 0, __FILE__, __LINE__, s->name)) continue;
        CHECK_INT(h.n, s->n);
        CHECK_INT(h.first, in[0].doc);
        CHECK_INT(h.last, in[s->n - 1].doc);
        CHECK_INT(h.min_len[2], s->n >= 16 ? 120 : 0); /* small blocks keep no minimum */
        int same = 1;
        for (uint32_t i = 0; i < s->n; i++) {
            same &= docs[i] == in[i].doc;
            for (int f = 0; f < KB_N_FIELDS; f++) {
                same &= tfs[f][i] == in[i].tf[f];
                same &= h.max_tf[f] >= in[i].tf[f];
            }
            if (s->with_pos) {
                uint32_t np = in[i].tf[0] + in[i].tf[1] + in[i].tf[2];
                same &= pstart[i + 1] - pstart[i] == np;
                for (uint32_t j = 0; j < np && same; j++)
                    same &= pos[pstart[i] + j] == in[i].pos[j];
            }
        }
        kbt_check(same, __FILE__, __LINE__, s->name);
        kb__free(pos);
        kb__buf_free(&b);
    }
}

/* Every bit flip of a block must be caught (checksum) or decode consistently; truncations and
 * garbage must end in KB_ECORRUPT. Nothing may crash (the ASan build runs this too). */
static void test_damage(void)
{
    static uint32_t posbuf[KB_BLOCK_MAX * 1000];
    kb__posting_in in[KB_BLOCK_MAX];
    build(&shapes[3], in, posbuf);
    uint32_t min_len[KB_N_FIELDS] = {0, 0, 0};
    kb_buf b;
    kb__buf_init(&b, 0);
    kb__block_encode(&b, in, shapes[3].n, 1, min_len);
    size_t n = b.n;
    unsigned char *copy = malloc(n + KB_BLOCK_PAD);
    int flips_caught = 1;
    uint32_t *pos = NULL, cap = 0;
    for (size_t bit = 0; bit < n * 8; bit++) {
        memcpy(copy, b.p, n);
        memset(copy + n, 0, KB_BLOCK_PAD);
        copy[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        kb__block_head h;
        int rc = kb__block_decode(copy, n, &h, docs, tfs, &pos, &cap, pstart);
        flips_caught &= rc == KB_ECORRUPT;
    }
    CHECK(flips_caught);
    int trunc_caught = 1;
    for (size_t len = 0; len < n; len++) {
        memcpy(copy, b.p, len);
        memset(copy + len, 0, KB_BLOCK_PAD);
        kb__block_head h;
        trunc_caught &=
            kb__block_decode(copy, len, &h, docs, tfs, &pos, &cap, pstart) == KB_ECORRUPT;
    }
    CHECK(trunc_caught);
    free(copy);
    kb__free(pos);
    kb__buf_free(&b);
}

int main(void)
{
    test_round_trips();
    test_damage();
    return kbt_summary();
}
