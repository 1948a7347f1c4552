/*
 * fuzz_query.c — the query language on arbitrary bytes: the parser (both flag sets), the
 * explanation, and a full kb_search_run() on a small index built once (tests/search_fixture.h),
 * in every-word and any-word mode, with and without pruning, then again with a time budget
 * that runs out at a round the input chooses (a test clock, no timing). Nothing may crash, leak
 * or hang; results must be well formed (highlights inside their snippet, hits within the
 * limit), and a budget that did not run out must not change the answer.
 */
#include "khabar_int.h"
#include "../search_fixture.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static kb_index *ix;
static char dir[64];
static uint64_t fake_now;

/* The budget's clock in the second search: 1 ms further on every read. */
static uint64_t fake_clock(void)
{
    return fake_now += 1000;
}

/* Aborts unless r is well formed. */
static void check_hits(const kb_results *r, uint32_t limit)
{
    if (!r || r->n_hits > limit) abort();
    for (size_t i = 0; i < r->n_hits; i++) {
        const kb_hit *h = &r->hits[i];
        for (size_t k = 0; k < h->n_highlights; k++)
            if (h->highlights[k].start >= h->highlights[k].end ||
                h->highlights[k].end > h->snippet.n)
                abort();
        for (size_t k = 0; k < h->n_title_highlights; k++)
            if (h->title_highlights[k].end > h->title.n) abort();
    }
}

static void cleanup(void)
{
    kb_index_close(ix);
    fixture_remove(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static kb_analyzer *an;
    if (!an) {
        an = kb_analyzer_new(NULL);
        ix = fixture_index(dir);
        if (!ix) abort();
        atexit(cleanup);
    }
    const char *q = (const char *)data;
    for (int flags = 0; flags <= KB_QP_KEEP_STOP; flags++) {
        kb__query pq;
        kb__query_parse(an, q, size, flags, &pq);
        if (pq.root != KB_QN_NONE && pq.root >= pq.n_nodes) abort();
        kb_buf b;
        kb__buf_init(&b, 0);
        if (pq.root != KB_QN_NONE) kb__query_explain(&pq, &b);
        kb__buf_free(&b);
        kb__query_free(&pq);
    }
    char out[256];
    kb_query_explain(q, size, out, sizeof out);

    kb_search_options o;
    memset(&o, 0, sizeof o);
    uint8_t sel = size ? data[0] : 0;
    o.mode = sel & 1 ? KB_SEARCH_ANY : KB_SEARCH_ALL;
    o.exact_total = (sel >> 1) & 1;
    o.limit = 1 + (sel >> 2) % 12;
    o.offset = (sel >> 6) & 1;
    o.snippet_bytes = (sel & 0x80) ? 16 : 0;
    kb_results *r = NULL;
    int rc = kb_search_run(ix, q, size, &o, &r);
    if (rc == 0) check_hits(r, o.limit);

    /* with a budget of 1..64 clock reads, one read a round */
    uint64_t (*real_clock)(void) = kb__budget_clock;
    uint32_t real_every = kb__budget_every;
    kb__budget_clock = fake_clock;
    kb__budget_every = 1;
    o.timeout_us = 1000 * (1 + (size ? data[size - 1] % 64 : 0));
    kb_results *t = NULL;
    int rc_t = kb_search_run(ix, q, size, &o, &t);
    kb__budget_clock = real_clock;
    kb__budget_every = real_every;
    if (rc_t != rc) abort(); /* a budget is never an error */
    if (rc == 0) {
        check_hits(t, o.limit);
        /* out of time: a total called exact was counted whole (the budget ran out after) */
        if (t->total_exact && r->total_exact && t->total != r->total) abort();
        if (!t->timed_out && (t->n_hits != r->n_hits || t->total != r->total)) abort();
    }
    kb_results_free(t);
    kb_results_free(r);
    return 0;
}
