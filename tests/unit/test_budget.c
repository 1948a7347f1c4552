/*
 * test_budget.c — the search's time budget (kb_search_options.timeout_us), without timing: the
 * budget reads a test clock (kb__budget_clock) that moves 1 ms on every read, and reads it on
 * every round (kb__budget_every = 1), so a budget of N ms runs out at the N-th read, the same
 * round on every run. On a generated index (postings of many blocks, some documents deleted)
 * and on the search fixture, for every kind of loop (pruned OR, AND leapfrog, phrase, exclusions,
 * title-only, exact totals, any-word with its second stage, the fallback, dead postings), each
 * budget from 1 read up to past the search's end must give either the unbudgeted answer exactly
 * or an answer marked timed_out whose hits are real matches with their full scores and valid
 * snippets. And a budget that does not run out changes nothing.
 */
#include "harness.h"
#include "khabar_int.h"
#include "search_fixture.h"

#include <math.h>

static uint64_t fake_now;
static uint64_t (*real_clock)(void);
static uint32_t real_every;

/* The test clock: 1 ms further on every read. */
static uint64_t fake_clock(void)
{
    return fake_now += 1000;
}

/* The budget reads the test clock every `every` rounds; use_real() puts the real one back. */
static void use_fake(uint32_t every)
{
    kb__budget_clock = fake_clock;
    kb__budget_every = every;
}

static void use_real(void)
{
    kb__budget_clock = real_clock;
    kb__budget_every = real_every;
}

/* Words of the generated articles: w[i] is in article d when (d + 1) % (i + 2) == 0 or i < 3,
 * so the lists go from every article down to one in 13; titles hold two of them. */
static const char *const words[] = {"مدينة", "سوق", "طريق",  "مدرسة", "شارع", "حديقة",
                                    "مكتبة", "جسر", "ميناء", "مطار",  "ملعب", "مسجد"};
#define GEN_DOCS 3000 /* far more than a postings block (KB_BLOCK_MAX) */
#define GEN_WORDS (sizeof words / sizeof words[0])

static int gen_add(kb_index *ix, uint32_t d)
{
    char body[1024], title[256], id[32], date[16];
    size_t n = 0;
    for (uint32_t i = 0; i < GEN_WORDS; i++)
        if (i < 3 || (d + 1) % (i + 2) == 0)
            n += (size_t)snprintf(body + n, sizeof body - n, "%s %s ", words[i],
                                  i % 2 ? "كبير" : "جديد");
    snprintf(title, sizeof title, "%s %s", words[d % GEN_WORDS], words[(d * 7 + 3) % GEN_WORDS]);
    snprintf(id, sizeof id, "g%u", d);
    snprintf(date, sizeof date, "2016-%02u-%02u", 1 + d % 12, 1 + d % 28);
    fixture_doc doc = {id, d % 3 ? "sabq" : "okaz", date, title, body};
    return fx_add(ix, &doc);
}

/* The generated index; every seventh article deleted after the commit, so the cursors step
 * over dead postings. */
static kb_index *gen_index(char dir[64])
{
    snprintf(dir, 64, "/tmp/kb-budget.XXXXXX");
    if (!mkdtemp(dir)) return NULL;
    kb_index *ix = NULL;
    if (kb_index_open(dir, NULL, &ix) != 0) return NULL;
    int rc = 0;
    for (uint32_t d = 0; d < GEN_DOCS && !rc; d++)
        rc = gen_add(ix, d);
    if (!rc) rc = kb_index_commit(ix);
    for (uint32_t d = 0; d < GEN_DOCS && !rc; d += 7) {
        char id[32];
        snprintf(id, sizeof id, "g%u", d);
        rc = kb_index_delete(ix, id, strlen(id));
    }
    if (!rc) rc = kb_index_commit(ix);
    if (rc) {
        kb_index_close(ix);
        return NULL;
    }
    return ix;
}

static int same_slice(kb_slice a, kb_slice b)
{
    return a.n == b.n && (!a.n || !memcmp(a.p, b.p, a.n));
}

/* The same answer: hits (id, score, snippet, highlights), totals, notice. */
static int same_results(const kb_results *a, const kb_results *b)
{
    if (a->n_hits != b->n_hits || a->total != b->total || a->total_exact != b->total_exact ||
        a->fallback_any != b->fallback_any || a->n_sources != b->n_sources ||
        !a->notice != !b->notice || (a->notice && strcmp(a->notice, b->notice)))
        return 0;
    for (size_t i = 0; i < a->n_hits; i++) {
        const kb_hit *x = &a->hits[i], *y = &b->hits[i];
        if (!same_slice(x->id, y->id) || x->score != y->score ||
            !same_slice(x->snippet, y->snippet) || x->n_highlights != y->n_highlights ||
            x->similar != y->similar)
            return 0;
    }
    for (size_t i = 0; i < a->n_sources; i++)
        if (!same_slice(a->sources[i].value, b->sources[i].value) ||
            a->sources[i].count != b->sources[i].count)
            return 0;
    return 1;
}

/* The score of id among all's hits, or NAN. */
static double score_of(const kb_results *all, kb_slice id)
{
    for (size_t i = 0; i < all->n_hits; i++)
        if (same_slice(all->hits[i].id, id)) return all->hits[i].score;
    return NAN;
}

/* A timed-out answer is valid: its hits are matches (among all, the exhaustive answer with
 * every match), each with the score it has there (when scores is set: the any-word second
 * stage re-scores only the ones it reached), in descending order, with highlights inside their
 * snippet; its total is not called exact. */
static int valid_partial(const kb_results *r, const kb_results *all, int scores, uint32_t limit)
{
    if (!r->timed_out || r->n_hits > limit) return 0;
    for (size_t i = 0; i < r->n_hits; i++) {
        const kb_hit *h = &r->hits[i];
        double s = score_of(all, h->id);
        if (isnan(s) || (scores && fabs(s - h->score) > 1e-9 * fabs(s))) return 0;
        if (i && h->score > r->hits[i - 1].score) return 0;
        for (size_t k = 0; k < h->n_highlights; k++)
            if (h->highlights[k].start >= h->highlights[k].end ||
                h->highlights[k].end > h->snippet.n)
                return 0;
    }
    return 1;
}

typedef struct budget_row {
    const char *query;
    int any, exact;
    int rescored; /* the any-word second stage re-scores the top hits (any, or the fallback) */
} budget_row;

/* For each row, budgets of 1, 2, 3 ... reads (then growing by an eighth) until one lets the
 * search end: each answer is the unbudgeted one or a valid partial one. Counts the budgets that
 * ran out, and those of them that still had hits (for the caller to check that the rows did
 * exercise the budget). */
static void sweep(kb_index *ix, const budget_row *rows, size_t n_rows, const char *label,
                  unsigned *spent, unsigned *with_hits)
{
    for (size_t i = 0; i < n_rows; i++) {
        const char *q = rows[i].query;
        kb_search_options o;
        memset(&o, 0, sizeof o);
        o.limit = 5;
        o.no_collapse = 1;
        o.mode = rows[i].any ? KB_SEARCH_ANY : KB_SEARCH_ALL;
        o.exact_total = rows[i].exact;
        kb_search_options all_o = o;
        all_o.limit = KB_SEARCH_MAX_HITS;
        all_o.exact_total = 1;
        all_o.no_snippets = 1;
        kb_results *want = NULL, *all = NULL;
        use_fake(1);
        if (!CHECK(kb_search_run(ix, q, strlen(q), &o, &want) == 0 && want) ||
            !CHECK(kb_search_run(ix, q, strlen(q), &all_o, &all) == 0 && all)) {
            kb_results_free(want);
            kb_results_free(all);
            continue;
        }
        CHECK(!want->timed_out && !all->timed_out);
        int ok = 1, done = 0;
        for (uint64_t reads = 1; reads < 1000000 && ok && !done; reads += 1 + reads / 8) {
            o.timeout_us = reads * 1000;
            kb_results *r = NULL;
            int rc = kb_search_run(ix, q, strlen(q), &o, &r);
            ok = rc == 0 && r;
            if (ok && r->timed_out) {
                ++*spent;
                *with_hits += r->n_hits > 0;
                /* a total called exact was counted whole: the budget ran out after */
                ok = valid_partial(r, all, !rows[i].rescored, o.limit) &&
                     (!r->total_exact || r->total == want->total);
            } else if (ok) {
                ok = same_results(r, want);
                done = 1;
            }
            if (!kbt_check(ok, __FILE__, __LINE__, label))
                fprintf(stderr, "     %s: budget of %llu reads (rc %d)\n", q,
                        (unsigned long long)reads, rc);
            kb_results_free(r);
        }
        CHECK(done);
        kb_results_free(want);
        kb_results_free(all);
    }
    use_real();
}

static const budget_row gen_rows[] = {
    {"مدينة", 0, 0, 0},                         /* one word: every article */
    {"مدينة", 0, 1, 0},                         /* the same, counting every match */
    {"ملعب OR مسجد OR ميناء OR مطار", 0, 0, 0}, /* MaxScore */
    {"مدينة OR سوق OR طريق OR مسجد", 0, 1, 0},  /* an OR counted exhaustively */
    {"مسجد ملعب", 0, 0, 0},                     /* a leapfrog: 1 in 156 has both */
    {"مسجد ملعب", 0, 1, 0},
    {"\"مسجد كبير\"", 0, 0, 0}, /* a phrase */
    {"\"مطار جديد\"", 0, 1, 0},
    {"مدينة -سوق", 0, 0, 0}, /* nothing left: excluded every time */
    {"مدينة -مسجد", 0, 1, 0},
    {"title:مسجد", 0, 0, 0}, /* title-only */
    {"title:مسجد مدينة", 0, 1, 0},
    {"مسجد ملعب ميناء مطار جسر", 0, 0, 1},         /* nothing has them all: the fallback */
    {"أين يقع مسجد المدينة قرب الميناء", 1, 0, 1}, /* any-word, the second stage */
};

/* A budget that does not run out changes nothing: the fixture rows with no budget and with a
 * day's budget on the real clock, compared whole (snippets included). */
static void test_no_change(kb_index *fx)
{
    static const char *qs[] = {
        "العراق",         "مجلس الأمن",   "\"مجلس الأمن\"", "العراق -بغداد",
        "النفط OR الذهب", "title:العراق", "الهلال بغداد",   "كيف ارتفعت أسعار النفط"};
    for (size_t i = 0; i < KB_ARRAY_LEN(qs); i++)
        for (int mode = 0; mode < 4; mode++) {
            kb_search_options a;
            memset(&a, 0, sizeof a);
            a.mode = mode & 1 ? KB_SEARCH_ANY : KB_SEARCH_ALL;
            a.exact_total = mode >> 1;
            kb_search_options b = a;
            b.timeout_us = 86400ull * 1000000;
            kb_results *ra = NULL, *rb = NULL;
            CHECK_INT(kb_search_run(fx, qs[i], strlen(qs[i]), &a, &ra), 0);
            CHECK_INT(kb_search_run(fx, qs[i], strlen(qs[i]), &b, &rb), 0);
            if (ra && rb) {
                if (!CHECK(same_results(ra, rb) && !rb->timed_out))
                    fprintf(stderr, "     %s (mode %d)\n", qs[i], mode);
            }
            kb_results_free(ra);
            kb_results_free(rb);
        }
}

/* Spent before the hits are built: the first KB_SEARCH_BUDGET_MIN_HITS asked for are built
 * (with their snippets), no more. */
static void test_min_hits(kb_index *ix)
{
    kb_search_options o;
    memset(&o, 0, sizeof o);
    o.limit = 40;
    o.no_collapse = 1;
    use_fake(1000000); /* the ranking never reads the clock; the hits do, each */
    o.timeout_us = 1;
    kb_results *r = NULL;
    const char *q = "مدينة";
    CHECK_INT(kb_search_run(ix, q, strlen(q), &o, &r), 0);
    if (r) {
        CHECK(r->timed_out);
        CHECK_INT(r->n_hits, KB_SEARCH_BUDGET_MIN_HITS);
        for (size_t i = 0; i < r->n_hits; i++)
            CHECK(r->hits[i].snippet.n > 0 && r->hits[i].n_highlights > 0);
    }
    kb_results_free(r);
    /* a page further on: the first hits of that page */
    o.offset = 20;
    r = NULL;
    CHECK_INT(kb_search_run(ix, q, strlen(q), &o, &r), 0);
    if (r) CHECK_INT(r->n_hits, KB_SEARCH_BUDGET_MIN_HITS);
    kb_results_free(r);
    /* fewer asked than that: all of them */
    o.offset = 0;
    o.limit = 3;
    r = NULL;
    CHECK_INT(kb_search_run(ix, q, strlen(q), &o, &r), 0);
    if (r) CHECK_INT(r->n_hits, 3);
    kb_results_free(r);
    use_real();
}

int main(void)
{
    real_clock = kb__budget_clock;
    real_every = kb__budget_every;
    char dir[64], fxdir[64];
    kb_index *ix = gen_index(dir);
    kb_index *fx = fixture_index(fxdir);
    if (!kbt_check(ix && fx, __FILE__, __LINE__, "indexes")) return kbt_summary();
    unsigned spent = 0, with_hits = 0;
    sweep(ix, gen_rows, KB_ARRAY_LEN(gen_rows), "generated index", &spent, &with_hits);
    /* the budgets did run out, in many places, and often with hits to show */
    CHECK(spent > 200);
    CHECK(with_hits > 100);
    test_no_change(fx);
    test_min_hits(ix);
    kb_index_close(ix);
    kb_index_close(fx);
    fixture_remove(dir);
    fixture_remove(fxdir);
    return kbt_summary();
}
