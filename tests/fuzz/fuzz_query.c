/*
 * fuzz_query.c — the query language on arbitrary bytes: the parser (both flag sets), the
 * explanation, and a full kb_search_run() on a small index built once (tests/search_fixture.h),
 * in every-word and any-word mode, with and without pruning. Nothing may crash, leak or hang;
 * results must be well formed (highlights inside their snippet, hits within the limit).
 */
#include "khabar_int.h"
#include "../search_fixture.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static kb_index *ix;
static char dir[64];

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
    if (rc == 0) {
        if (!r || r->n_hits > o.limit) abort();
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
    kb_results_free(r);
    return 0;
}
