/*
 * test_store.c — stored articles through a shared cache of decoded articles (kb_cache,
 * src/cache.c, src/store.c) and the commit generation (kb_index_generation). Two read-only handles share a
 * cache over the search fixture: answers with the cache equal answers without it, the second
 * handle reads what the first one filled, a replaced article is never served from the cache,
 * and a cache too small to keep anything changes nothing.
 */
#include "harness.h"
#include "search_fixture.h"

/* One search's hits as text: ids, titles, snippets and highlight ranges, in order. */
static void answer(kb_index *ix, const char *q, char *out, size_t cap)
{
    kb_results *r = NULL;
    size_t o = 0;
    out[0] = 0;
    if (kb_search_run(ix, q, strlen(q), NULL, &r) != 0) {
        snprintf(out, cap, "error");
        kb_results_free(r);
        return;
    }
    for (size_t i = 0; i < r->n_hits && o < cap; i++) {
        const kb_hit *h = &r->hits[i];
        int w = snprintf(out + o, cap - o, "%.*s|%.*s|%.*s|", (int)h->id.n, h->id.p,
                         (int)h->title.n, h->title.p, (int)h->snippet.n, h->snippet.p);
        o += w > 0 ? (size_t)w : 0;
        for (size_t k = 0; k < h->n_highlights && o < cap; k++) {
            w = snprintf(out + o, cap - o, "%u-%u,", h->highlights[k].start, h->highlights[k].end);
            o += w > 0 ? (size_t)w : 0;
        }
        if (o < cap) out[o++] = '\n';
    }
    if (o >= cap) o = cap - 1;
    out[o] = 0;
    kb_results_free(r);
}

static void add_article(kb_index *ix, const char *id, const char *title, const char *body)
{
    kb_block b = {KB_BLOCK_PARAGRAPH, fx_slice(body)};
    kb_article a;
    memset(&a, 0, sizeof a);
    a.id = fx_slice(id);
    a.source = fx_slice("test");
    a.date = fx_slice("2016-04-01");
    a.title = fx_slice(title);
    a.blocks = &b;
    a.n_blocks = 1;
    a.text = b.text;
    a.arabic_share = 1.0;
    CHECK(kb_index_add(ix, &a) >= 0);
}

static void test_shared_cache(void)
{
    char dir[64];
    kb_index *w = fixture_index(dir);
    CHECK(w != NULL);
    if (!w) return;
    kb_index_options ro = {.read_only = 1};
    kb_index *plain = NULL, *r1 = NULL, *r2 = NULL;
    CHECK_INT(kb_index_open(dir, &ro, &plain), 0);
    CHECK_INT(kb_index_open(dir, &ro, &r1), 0);
    CHECK_INT(kb_index_open(dir, &ro, &r2), 0);
    kb_cache *c = kb_cache_new(1 << 20);
    CHECK(c != NULL);
    CHECK(kb_cache_new(0) == NULL);
    kb_index_set_doc_cache(r1, c);
    kb_index_set_doc_cache(r2, c);

    static char want[8192], got[8192];
    const char *queries[] = {"العراق", "مجلس الأمن", "أسعار", "\"مجلس الوزراء\""};
    kb_cache_stats st;
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        answer(plain, queries[i], want, sizeof want);
        answer(r1, queries[i], got, sizeof got);
        CHECK_STR_MSG(got, want, "first read through the cache");
        answer(r2, queries[i], got, sizeof got);
        CHECK_STR_MSG(got, want, "second handle, from the cache");
    }
    kb_cache_stats_get(c, &st);
    CHECK(st.misses > 0 && st.hits >= st.misses && st.entries > 0 && st.bytes <= st.max_bytes);

    /* kb_index_get through the cache: the whole article, every time */
    kb_stored *a = NULL, *b = NULL;
    CHECK_INT(kb_index_get(plain, "d01", 3, &a), 0);
    CHECK_INT(kb_index_get(r2, "d01", 3, &b), 0);
    CHECK(a && b && a->body.n == b->body.n && !memcmp(a->body.p, b->body.p, a->body.n) &&
          a->title.n == b->title.n && a->n_blocks == b->n_blocks && a->url.n == b->url.n);
    kb_stored_free(a);
    kb_stored_free(b);

    /* a replaced article gets a new number: the old cached copy is never served for it */
    uint64_t g0 = 0, g1 = 0;
    CHECK_INT(kb_index_generation(r1, &g0), 0);
    add_article(w, "d01", "عنوان جديد عن الزيتون", "نص جديد عن موسم الزيتون في الشمال.");
    CHECK_INT(kb_index_commit(w), 0);
    CHECK_INT(kb_index_generation(r1, &g1), 0);
    CHECK_INT(g1, g0 + 1);
    answer(plain, "الزيتون", want, sizeof want);
    answer(r1, "الزيتون", got, sizeof got);
    CHECK(strstr(got, "d01|عنوان جديد") != NULL);
    CHECK_STR(got, want);
    answer(plain, "العراق", want, sizeof want);
    answer(r2, "العراق", got, sizeof got);
    CHECK_STR_MSG(got, want, "after the replacement");
    CHECK_INT(kb_index_get(r2, "d01", 3, &b), 0);
    CHECK(b && b->title.n == strlen("عنوان جديد عن الزيتون"));
    kb_stored_free(b);

    /* a writer inside its transaction does not use the cache, and the generation refuses */
    kb_index_set_doc_cache(w, c);
    add_article(w, "d99", "مقال معلق", "مقال لم يحفظ بعد عن الزيتون.");
    uint64_t g2 = 0;
    CHECK_INT(kb_index_generation(w, &g2), KB_EINVAL);
    kb_index_set_doc_cache(w, NULL);

    /* a cache too small to keep an article changes nothing */
    kb_cache *tiny = kb_cache_new(64);
    kb_index_set_doc_cache(r1, tiny);
    answer(plain, "مجلس", want, sizeof want);
    answer(r1, "مجلس", got, sizeof got);
    CHECK_STR(got, want);
    kb_cache_stats_get(tiny, &st);
    CHECK_INT(st.entries, 0);
    kb_cache_stats_get(NULL, &st);
    CHECK_INT(st.max_bytes, 0);

    kb_index_close(w);
    kb_index_close(plain);
    kb_index_close(r1);
    kb_index_close(r2);
    kb_cache_free(c);
    kb_cache_free(tiny);
    kb_cache_free(NULL);
    fixture_remove(dir);
}

/* kb_cache itself: tags, least recently used eviction, the size bound, oversized values. */
static int copy_value(void *ctx, const void *v, size_t n)
{
    char *out = ctx;
    memcpy(out, v, n);
    out[n] = 0;
    return 0;
}

static void put_str(kb_cache *c, const char *key, uint64_t tag, const char *a, const char *b)
{
    const void *parts[2] = {a, b};
    size_t part_n[2] = {strlen(a), strlen(b)};
    kb_cache_put(c, key, strlen(key), tag, parts, part_n, 2);
}

static void test_cache(void)
{
    static char got[70000];
    kb_cache *c = kb_cache_new(64 << 10);
    kb_cache_stats st;
    put_str(c, "k", 7, "hello ", "world");
    CHECK_INT(kb_cache_get(c, "k", 1, 7, copy_value, got), 1);
    CHECK_STR(got, "hello world");
    CHECK_INT(kb_cache_get(c, "x", 1, 7, copy_value, got), 0);
    CHECK_INT(kb_cache_get(c, "k", 1, 8, copy_value, got), 0); /* another tag: stale, dropped */
    CHECK_INT(kb_cache_get(c, "k", 1, 7, copy_value, got), 0);
    kb_cache_stats_get(c, &st);
    CHECK(st.hits == 1 && st.misses == 3 && st.stale == 1 && st.entries == 0 && st.bytes == 0);
    /* fill past the size: the oldest go first, the bound holds, the newest stay */
    char key[32], val[1024];
    memset(val, 'v', sizeof val - 1);
    val[sizeof val - 1] = 0;
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof key, "key%d", i);
        put_str(c, key, 1, val, "");
        if (i == 10) CHECK_INT(kb_cache_get(c, "key0", 4, 1, copy_value, got), 1); /* used */
    }
    kb_cache_stats_get(c, &st);
    CHECK(st.bytes <= st.max_bytes && st.entries > 10 && st.entries < 64);
    CHECK_INT(kb_cache_get(c, "key199", 6, 1, copy_value, got), 1);
    CHECK_INT(kb_cache_get(c, "key1", 4, 1, copy_value, got), 0);
    /* a value past an eighth of the cache is not kept; replacing a key keeps one entry */
    static char big[(64 << 10) / 8 + 1];
    memset(big, 'b', sizeof big - 1);
    put_str(c, "big", 1, big, "");
    CHECK_INT(kb_cache_get(c, "big", 3, 1, copy_value, got), 0);
    put_str(c, "key199", 2, "new", "");
    CHECK_INT(kb_cache_get(c, "key199", 6, 2, copy_value, got), 1);
    CHECK_STR(got, "new");
    kb_cache_free(c);
    /* a NULL cache keeps nothing and says so */
    put_str(NULL, "k", 1, "a", "b");
    CHECK_INT(kb_cache_get(NULL, "k", 1, 1, copy_value, got), 0);
}

int main(void)
{
    test_cache();
    test_shared_cache();
    return kbt_summary();
}
