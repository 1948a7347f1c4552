/*
 * test_search.c — kb_search_run() on a small index (tests/search_fixture.h). Rows give a query,
 * options and the ids that must (and must not) be among the hits, and the expected first hit
 * where the ranking is clear. Properties checked besides: pruned and exhaustive evaluation agree
 * on the top hits; highlights lie inside their snippet on whole words; paging is consistent;
 * bad queries get a message, not a crash.
 */
#include "harness.h"
#include "khabar_int.h"
#include "search_fixture.h"

#include <math.h>
#include <sqlite3.h>

static kb_index *ix;

static int has(const kb_results *r, const char *id)
{
    for (size_t i = 0; i < r->n_hits; i++)
        if (r->hits[i].id.n == strlen(id) && !memcmp(r->hits[i].id.p, id, r->hits[i].id.n))
            return 1;
    return 0;
}

/* ids: space-separated; "!id" must be absent */
static void check_ids(const char *label, const kb_results *r, const char *ids)
{
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s", ids);
    for (char *w = strtok(tmp, " "); w; w = strtok(NULL, " ")) {
        int neg = w[0] == '!';
        int ok = has(r, w + neg) != neg;
        if (!kbt_check(ok, __FILE__, __LINE__, label))
            fprintf(stderr, "     %s %s\n", w + neg, neg ? "should be absent" : "missing");
    }
}

static const struct {
    const char *query;
    int mode;
    const char *source, *from, *to;
    const char *ids;   /* must / must not */
    const char *first; /* expected first hit, or NULL */
    int n_hits;        /* exact count, or -1 */
    int fallback;
} rows[] = {
    {"العراق", 0, NULL, NULL, NULL, "d01 d02 d09 !d03 !d04", NULL, -1, 0},
    {"والعراق", 0, NULL, NULL, NULL, "d01 d02 d09", NULL, -1, 0},
    {"\"مجلس الأمن\"", 0, NULL, NULL, NULL, "d01 !d06 !d08", "d01", 1, 0},
    {"مجلس", 0, NULL, NULL, NULL, "d01 d06 !d02", NULL, 2, 0},
    {"العراق -بغداد", 0, NULL, NULL, NULL, "d01 d09 !d02", NULL, -1, 0},
    {"النفط OR الذهب", 0, NULL, NULL, NULL, "d03 d10 !d01", NULL, 2, 0},
    {"(النفط OR الذهب) الأسواق", 0, NULL, NULL, NULL, "d03 !d10", "d03", 1, 0},
    {"title:العراق", 0, NULL, NULL, NULL, "d01 d09 !d02", NULL, -1, 0},
    {"title:\"مجلس الوزراء\"", 0, NULL, NULL, NULL, "d06 !d01", "d06", 1, 0},
    {"source:okaz العراق", 0, NULL, NULL, NULL, "d02 !d01 !d09", NULL, -1, 0},
    {"source:nobody العراق", 0, NULL, NULL, NULL, "", NULL, 0, 0},
    {"date:2016 أسعار", 0, NULL, NULL, NULL, "d10 !d03", "d10", 1, 0},
    {"date:2015-07-01..2015-07-31 أسعار", 0, NULL, NULL, NULL, "d03 !d10", "d03", 1, 0},
    {"مجلس", 0, "sabq", NULL, NULL, "d01 d06", NULL, 2, 0},
    {"العراق", 0, NULL, "2016-01-01", NULL, "d09 !d01 !d02", NULL, -1, 0},
    {"العراق", 0, NULL, NULL, "2015-07-02", "d01 !d02 !d09", "d01", 1, 0},
    {"الهلال بغداد", 0, NULL, NULL, NULL, "d04 d02", NULL, -1, 1},
    {"كيف ارتفعت أسعار النفط في الأسواق", 1, NULL, NULL, NULL, "d03", "d03", -1, 0},
    {"الهلال النصر", 0, NULL, NULL, NULL, "d04", "d04", 1, 0},
    {"\"unclosed مجلس", 0, NULL, NULL, NULL, "", NULL, -1, 0},
};

static void test_rows(void)
{
    for (size_t i = 0; i < KB_ARRAY_LEN(rows); i++) {
        kb_search_options o;
        memset(&o, 0, sizeof o);
        o.mode = rows[i].mode ? KB_SEARCH_ANY : KB_SEARCH_ALL;
        o.source = fx_slice(rows[i].source);
        o.date_from = fx_slice(rows[i].from);
        o.date_to = fx_slice(rows[i].to);
        kb_results *r = NULL;
        int rc = kb_search_run(ix, rows[i].query, strlen(rows[i].query), &o, &r);
        if (!kbt_check(rc == 0 && r, __FILE__, __LINE__, rows[i].query)) {
            fprintf(stderr, "     rc %d\n", rc);
            kb_results_free(r);
            continue;
        }
        check_ids(rows[i].query, r, rows[i].ids);
        if (rows[i].first) {
            int ok = r->n_hits && r->hits[0].id.n == strlen(rows[i].first) &&
                     !memcmp(r->hits[0].id.p, rows[i].first, r->hits[0].id.n);
            if (!kbt_check(ok, __FILE__, __LINE__, rows[i].query))
                fprintf(stderr, "     first hit %.*s, expected %s\n",
                        r->n_hits ? (int)r->hits[0].id.n : 4, r->n_hits ? r->hits[0].id.p : "none",
                        rows[i].first);
        }
        if (rows[i].n_hits >= 0 &&
            !kbt_check((int)r->n_hits == rows[i].n_hits, __FILE__, __LINE__, rows[i].query))
            fprintf(stderr, "     %zu hits, expected %d\n", r->n_hits, rows[i].n_hits);
        CHECK_INT(r->fallback_any, rows[i].fallback);
        if (rows[i].fallback) CHECK(r->notice != NULL);
        kb_results_free(r);
    }
}

/* Every hit's highlights are inside its snippet and cover a query word's token. */
static void test_snippets(void)
{
    const char *q = "النفط";
    kb_results *r = NULL;
    CHECK_INT(kb_search_run(ix, q, strlen(q), NULL, &r), 0);
    CHECK(r && r->n_hits == 1);
    if (r && r->n_hits) {
        const kb_hit *h = &r->hits[0];
        CHECK(h->snippet.n > 0 && h->n_highlights >= 1);
        for (size_t k = 0; k < h->n_highlights; k++) {
            CHECK(h->highlights[k].end <= h->snippet.n);
            CHECK(h->highlights[k].end - h->highlights[k].start == strlen("النفط"));
            CHECK(!memcmp(h->snippet.p + h->highlights[k].start, "النفط", strlen("النفط")));
        }
        CHECK_INT(h->n_title_highlights, 1);
        CHECK(h->title.n > 0);
    }
    kb_results_free(r);

    /* ids_only: no title or snippet, the id still there */
    kb_search_options o;
    memset(&o, 0, sizeof o);
    o.ids_only = 1;
    CHECK_INT(kb_search_run(ix, q, strlen(q), &o, &r), 0);
    CHECK(r && r->n_hits == 1 && r->hits[0].id.n == 3 && r->hits[0].title.n == 0 &&
          r->hits[0].snippet.n == 0 && r->hits[0].source.n == 4);
    kb_results_free(r);
}

/* Pruned (top-k) and exhaustive evaluation rank the same documents first (with the same scores
 * up to the last bits: MaxScore sums the words in another order), whichever way the pruned
 * evaluation takes its candidates (block-max, MaxScore, written forms leading, the form gate,
 * two phases). */
static void test_pruning_agrees(void)
{
    /* the questions run MaxScore with stopwords and written-form bonuses: a probed kid's form
     * bonus once went missing from the cut bound; lone words and ANDs with limits 1, 2 and 4:
     * once the best hits have the written form, the form's postings lead (drive_by_forms), and
     * a page longer than the form's documents still gets the stem's */
    static const char *qs[] = {"العراق", "العراق OR أسعار OR الهلال", "مجلس الأمن", "الأسواق أسعار",
                               "العراق بغداد الحدود",
                               "ما هي أسعار النفط في الأسواق العالمية",
                               "من فاز في مباراة الدوري بين الهلال والنصر",
                               "متى يفتح معرض الكتاب أبوابه للزوار في بغداد",
                               "ما الذي قاله مندوب العراق في مجلس الأمن عن الحدود",
                               "والعراق", "أسعار", "الأسعار", "بغداد",
                               "والعراق بغداد", "بالعراق بغداد", "العراقيون بغداد",
                               /* written forms rarer than their stems: the form gate (AND,
                                * OR) and the two phases of run_seeded (lone words, OR) */
                               "بالعراق", "بالعراق OR الأسعار", "الأسعار OR بالعراق OR بغداد",
                               "والعراقيون OR الذهب", "بالعراق الحوار", "بالعيد OR بالعراق",
                               /* a word far rarer than the other: its documents first
                                * (run_rare_first) */
                               "بغداد OR العراق", "الهلال OR العراق", "النفط OR العراق",
                               "الحدود OR العراق", "الأمن OR العراق", "مجلس OR الهلال",
                               /* ... one with fewer documents than the top k, the other's
                                * written forms first (run_seeded on it) */
                               "الأسعار OR والعراقيون", "العراق OR بالعراق", "مجلس OR والعراقيون",
                               "أسعار OR بالعيد", "الهلال OR والعراقيون",
                               /* phrases: scored before their positions are read */
                               "\"مجلس الأمن\"", "\"أسعار النفط\"", "\"في العراق\"",
                               "\"مجلس الوزراء\" الميزانية"};
    static const uint32_t limits[] = {2, 1, 4};
    for (size_t i = 0; i < KB_ARRAY_LEN(limits) * KB_ARRAY_LEN(qs); i++) {
        /* mode bit 0: any-word; bit 1: no collapsing, so the top-k is the page and fills up
         * on this small index (with collapsing it keeps 3 x limit + 10) */
        for (int mode = 0; mode < 4; mode++) {
            kb_search_options a, b;
            memset(&a, 0, sizeof a);
            a.limit = limits[i / KB_ARRAY_LEN(qs)];
            a.mode = mode & 1 ? KB_SEARCH_ANY : KB_SEARCH_ALL;
            a.no_collapse = mode >> 1;
            a.no_snippets = 1;
            b = a;
            b.exact_total = 1;
            kb_results *ra = NULL, *rb = NULL;
            const char *q = qs[i % KB_ARRAY_LEN(qs)];
            CHECK_INT(kb_search_run(ix, q, strlen(q), &a, &ra), 0);
            CHECK_INT(kb_search_run(ix, q, strlen(q), &b, &rb), 0);
            if (ra && rb) {
                int same = ra->n_hits == rb->n_hits;
                for (size_t k = 0; same && k < ra->n_hits; k++)
                    same = ra->hits[k].id.n == rb->hits[k].id.n &&
                           !memcmp(ra->hits[k].id.p, rb->hits[k].id.p, ra->hits[k].id.n) &&
                           fabs(ra->hits[k].score - rb->hits[k].score) <= 1e-9 * rb->hits[k].score;
                if (!kbt_check(same, __FILE__, __LINE__, q))
                    fprintf(stderr, "     pruned and exhaustive differ (mode %d)\n", mode);
                CHECK(rb->total_exact);
                CHECK(rb->total >= rb->n_hits);
            }
            kb_results_free(ra);
            kb_results_free(rb);
        }
    }
}

/* A pruned answer that says its total is exact counted every match: MaxScore once left the
 * documents of its non-essential words uncounted (they are only probed) and still called the
 * total exact (found by tests/fuzz/fuzz_search.c). */
static void test_exact_totals(void)
{
    static const char *qs[] = {"العراق OR أسعار OR الهلال", "بغداد OR الأمن OR النفط OR الكتاب",
                               "أسعار OR الوزراء OR العيد", "العراق OR الحدود"};
    for (size_t i = 0; i < KB_ARRAY_LEN(qs); i++)
        for (uint32_t limit = 1; limit <= 3; limit++) {
            kb_search_options a, b;
            memset(&a, 0, sizeof a);
            a.limit = limit;
            a.no_collapse = 1;
            a.ids_only = 1;
            b = a;
            b.exact_total = 1;
            kb_results *ra = NULL, *rb = NULL;
            CHECK_INT(kb_search_run(ix, qs[i], strlen(qs[i]), &a, &ra), 0);
            CHECK_INT(kb_search_run(ix, qs[i], strlen(qs[i]), &b, &rb), 0);
            if (ra && rb && ra->total_exact &&
                !kbt_check(ra->total == rb->total, __FILE__, __LINE__, qs[i]))
                fprintf(stderr, "     limit %u: exact total %llu, %llu match\n", limit,
                        (unsigned long long)ra->total, (unsigned long long)rb->total);
            kb_results_free(ra);
            kb_results_free(rb);
        }
}

/* The title signals of the any-word ranking (src/search.c): النفط is once in d03's body and once
 * in its 6-word title, so the body count is not capped and, with the title weighted and
 * normalized as in the every-word ranking (KHABAR_RANK's last two values), the any-word score is
 * the every-word score plus the title share 2 * 1/6, plus the second stage's window signal
 * (src/rerank.c): the question's one word is all of it, found, weight 2 (the lead signal off). */
static void test_title_share(void)
{
    const char *q = "النفط";
    double score[2] = {0, 0};
    setenv("KHABAR_RANK", "2.5 1.5 1 0.6 0.6 0.75 1.2 0.3 0.2 0 0 1 2 0.3 2 1 2.5 0.6 0", 1);
    for (int mode = 0; mode < 2; mode++) {
        kb_search_options o;
        memset(&o, 0, sizeof o);
        o.mode = mode ? KB_SEARCH_ANY : KB_SEARCH_ALL;
        o.ids_only = 1;
        kb_results *r = NULL;
        CHECK_INT(kb_search_run(ix, q, strlen(q), &o, &r), 0);
        CHECK(r && r->n_hits == 1 && r->hits[0].id.n == 3 && !memcmp(r->hits[0].id.p, "d03", 3));
        if (r && r->n_hits) score[mode] = r->hits[0].score;
        kb_results_free(r);
    }
    unsetenv("KHABAR_RANK");
    CHECK(fabs(score[1] - score[0] - 2.0 / 6 - 2.0) < 1e-9);
}

/* The rough root of the second stage's root signal (kb__rerank_key): stems in, keys out. Words of
 * one root meet (حدود / يحد, ليبي / ليبيا, مدرس / دراس, مصري / مصر); crude on purpose: one
 * prefix only comes off, so يتزوج does not meet تزوج, and مصر loses its م as a prefix. */
static void test_rerank_key(void)
{
    static const struct {
        const char *stem, *key;
    } cases[] = {
        {"حدود", "حد"},  {"يحد", "حد"},    {"ليبي", "ليب"},    {"ليبيا", "ليب"},
        {"مصري", "صر"},  {"مصر", "صر"},    {"مدرس", "درس"},    {"دراس", "درس"},
        {"تزوج", "زوج"}, {"يتزوج", "تزج"}, {"استخدام", "خدم"}, {"tramadol", "tramadol"},
        {"", ""},
    };
    for (size_t i = 0; i < KB_ARRAY_LEN(cases); i++) {
        int32_t key[KB__RERANK_KEY_MAX];
        uint32_t n = kb__rerank_key(cases[i].stem, strlen(cases[i].stem), key);
        char out[KB__RERANK_KEY_MAX * 4 + 1];
        size_t o = 0;
        for (uint32_t k = 0; k < n; k++)
            o += kb__utf8_encode(key[k], out + o);
        out[o] = 0;
        if (!kbt_check(!strcmp(out, cases[i].key), __FILE__, __LINE__, cases[i].stem))
            fprintf(stderr, "     key %s, expected %s\n", out, cases[i].key);
    }
}

/* KHABAR_RANK with the defaults but the second stage off */
#define FIRST_STAGE_ONLY "2.5 1.5 1 0.6 0.6 0.75 1.2 0.3 0.2 0 0 1 2 0 0 0 1.5 0.3 0"

/* An any-word, ids-only search of q, not collapsed; 0 or the error. */
static int any_ids(kb_index *x, const char *q, kb_results **r)
{
    kb_search_options o;
    memset(&o, 0, sizeof o);
    o.mode = KB_SEARCH_ANY;
    o.ids_only = 1;
    o.no_collapse = 1;
    return kb_search_run(x, q, strlen(q), &o, r);
}

/* The any-word score of article id for q in index dir: with the second stage (KHABAR_RANK
 * unset) or the first stage alone; -1 when it is not among the hits, -2 when the search fails. */
static double any_score(const char *dir, const char *q, const char *id, int first_only)
{
    if (first_only) setenv("KHABAR_RANK", FIRST_STAGE_ONLY, 1);
    kb_index *dx = NULL;
    kb_index_options ro = {.read_only = 1};
    double score = -2;
    if (kb_index_open(dir, &ro, &dx) == 0) {
        kb_results *r = NULL;
        if (any_ids(dx, q, &r) == 0) {
            score = -1;
            for (size_t k = 0; k < r->n_hits; k++)
                if (r->hits[k].id.n == strlen(id) && !memcmp(r->hits[k].id.p, id, strlen(id)))
                    score = r->hits[k].score;
        }
        kb_results_free(r);
        kb_index_close(dx);
    }
    unsetenv("KHABAR_RANK");
    return score;
}

/* A search with titles and snippets whose hits include g, whose stored copy is damaged: g is still
 * listed, flagged, with its id, source and date from the docs table and no title or snippet;
 * the notice points to khabar check; h (intact, unless its page is the damaged one too: all) keeps
 * its title and snippet. Every-word and any-word searches, collapsed or not. */
static void damaged_hits(const char *dir, int all)
{
    kb_index *dx = NULL;
    kb_index_options ro = {.read_only = 1};
    CHECK_INT(kb_index_open(dir, &ro, &dx), 0);
    for (int mode = 0; mode < 2 && dx; mode++) {
        for (int collapse = 0; collapse < 2; collapse++) {
            kb_search_options o = {.mode = mode ? KB_SEARCH_ANY : KB_SEARCH_ALL,
                                   .no_collapse = !collapse};
            kb_results *r = NULL;
            CHECK_INT(kb_search_run(dx, "مكتبة", strlen("مكتبة"), &o, &r), 0);
            int seen_g = 0, seen_h = 0;
            for (size_t k = 0; r && k < r->n_hits; k++) {
                const kb_hit *x = &r->hits[k];
                if (x->id.n == 1 && x->id.p[0] == 'g') {
                    seen_g = 1;
                    CHECK(x->damaged);
                    CHECK(x->title.n == 0 && x->snippet.n == 0 && x->n_highlights == 0);
                    CHECK(x->source.n > 0 && x->date.n == 10 && x->score > 0);
                }
                if (x->id.n == 1 && x->id.p[0] == 'h') {
                    seen_h = 1;
                    CHECK_INT(x->damaged, all);
                    CHECK(all ? x->title.n == 0 : x->title.n > 0 && x->snippet.n > 0);
                }
            }
            CHECK(seen_g && seen_h);
            CHECK(r && r->notice && strstr(r->notice, "khabar check"));
            kb_results_free(r);
        }
    }
    /* A search none of whose hits is damaged says nothing of it. */
    kb_results *r = NULL;
    if (dx && !all) {
        kb_search_options o = {0};
        CHECK_INT(kb_search_run(dx, "المتحف", strlen("المتحف"), &o, &r), 0);
        CHECK(r && r->n_hits > 0 && (!r->notice || !strstr(r->notice, "khabar check")));
        for (size_t k = 0; r && k < r->n_hits; k++)
            CHECK(!r->hits[k].damaged);
        kb_results_free(r);
    }
    kb_index_close(dx);
}

/* A damaged stored copy (the store row of g overwritten, through the checksum VFS so the page
 * itself is sound): the second stage cannot read g, so g keeps its first-stage score, h still
 * gains, and an ids-only any-word search answers instead of failing with KB_ECORRUPT. */
static void rerank_damaged(const char *dir)
{
    char path[128];
    snprintf(path, sizeof path, "%s/khabar.db", dir);
    double g_first = any_score(dir, "مكتبة", "g", 1), h_first = any_score(dir, "مكتبة", "h", 1);
    sqlite3 *h = NULL;
    CHECK_INT(sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE, KB_CHECKSUM_VFS), SQLITE_OK);
    CHECK_INT(sqlite3_exec(h,
                           "UPDATE store SET data = x'0102030405' WHERE docid = "
                           "(SELECT docid FROM docs WHERE id = 'g')",
                           NULL, NULL, NULL),
              SQLITE_OK);
    CHECK_INT(sqlite3_changes(h), 1);
    sqlite3_close(h);
    double g = any_score(dir, "مكتبة", "g", 0), hh = any_score(dir, "مكتبة", "h", 0);
    CHECK(g_first > 0 && fabs(g - g_first) < 1e-9);
    CHECK(hh > h_first && hh > g);
    damaged_hits(dir, 0);
    /* A damaged page of the store table (bytes overwritten in the file, so its checksum fails):
     * every article on it reads as damaged, the docs rows are elsewhere and the answers stay. */
    sqlite3_stmt *st = NULL;
    int page = 0;
    CHECK_INT(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, KB_CHECKSUM_VFS), SQLITE_OK);
    if (sqlite3_prepare_v2(h, "SELECT pageno FROM dbstat WHERE name = 'store' AND pagetype = 'leaf'",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        page = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    CHECK(page > 1);
    FILE *f = fopen(path, "r+b");
    CHECK(f != NULL);
    if (f && page > 1) {
        fseek(f, (long)(page - 1) * 4096 + 2000, SEEK_SET);
        fwrite("damaged damaged damaged", 1, 23, f);
    }
    if (f) fclose(f);
    damaged_hits(dir, 1);
}

/* The second stage of the any-word ranking (src/rerank.c) decides between pairs of articles the
 * first stage ties (the same words, so the same BM25F; the first added wins the tie): with it
 * the second of each pair ranks first, without it (KHABAR_RANK, weights 0) the first does.
 * root: يحدها answers حدود (the rough root حد); answer: a question with متى wants a year;
 * window: the question's words together rather than 20 words apart; lead: the question's word
 * opens the body rather than closing it. */
static void test_rerank(void)
{
    static const char *filler = " قرية قرية قرية قرية قرية قرية قرية قرية قرية قرية"
                                " قرية قرية قرية قرية قرية قرية قرية قرية قرية قرية";
    char far[512], near[512];
    snprintf(far, sizeof far, "نهر النيل%s طويل", filler);
    snprintf(near, sizeof near, "نهر النيل طويل%s", filler);
    char late[512], early[512];
    snprintf(late, sizeof late, "%s مكتبة", filler);
    snprintf(early, sizeof early, "مكتبة%s", filler);
    const fixture_doc docs[] = {
        {"b", NULL, NULL, "بلد", "فيها نهر كبير"},
        {"a", NULL, NULL, "بلد", "يحدها نهر كبير"},
        {"d", NULL, NULL, "بلد", "افتتح المتحف بحضور الوزير للزوار"},
        {"c", NULL, NULL, "بلد", "افتتح المتحف عام 1990 للزوار"},
        {"f", NULL, NULL, "بلد", far},
        {"e", NULL, NULL, "بلد", near},
        {"h", "sabq", "2015-07-02", "بلد", late}, /* a source and date: damaged_hits */
        {"g", "okaz", "2015-07-03", "بلد", early},
    };
    static const struct {
        const char *q, *second, *first;
    } cases[] = {
        {"حدود نهر", "a", "b"}, {"متى افتتح المتحف", "c", "d"}, {"نهر النيل طويل", "e", "f"}, {"مكتبة", "g", "h"}};
    char dir[64];
    snprintf(dir, sizeof dir, "/tmp/kb-rerank.XXXXXX");
    kb_index *rx = NULL;
    if (!kbt_check(mkdtemp(dir) && kb_index_open(dir, NULL, &rx) == 0, __FILE__, __LINE__,
                   "rerank index"))
        return;
    for (size_t i = 0; i < KB_ARRAY_LEN(docs); i++)
        CHECK_INT(fx_add(rx, &docs[i]), 0);
    CHECK_INT(kb_index_commit(rx), 0);
    for (int off = 0; off < 2; off++) {
        if (off) setenv("KHABAR_RANK", FIRST_STAGE_ONLY, 1);
        for (size_t i = 0; i < KB_ARRAY_LEN(cases); i++) {
            kb_results *r = NULL;
            CHECK_INT(any_ids(rx, cases[i].q, &r), 0);
            const char *want = off ? cases[i].first : cases[i].second;
            const char *other = off ? cases[i].second : cases[i].first;
            size_t at_want = SIZE_MAX, at_other = SIZE_MAX;
            for (size_t k = 0; r && k < r->n_hits; k++) {
                if (r->hits[k].id.n == 1 && r->hits[k].id.p[0] == want[0]) at_want = k;
                if (r->hits[k].id.n == 1 && r->hits[k].id.p[0] == other[0]) at_other = k;
            }
            if (!kbt_check(at_want < at_other && at_other != SIZE_MAX, __FILE__, __LINE__,
                           cases[i].q))
                fprintf(stderr, "     %s should rank above %s (second stage %s)\n", want, other,
                        off ? "off" : "on");
            kb_results_free(r);
        }
    }
    unsetenv("KHABAR_RANK");
    kb_index_close(rx);
    rerank_damaged(dir);
    fixture_remove(dir);
}

static void test_totals_facets_paging(void)
{
    kb_search_options o;
    memset(&o, 0, sizeof o);
    o.exact_total = 1;
    o.limit = 10;
    kb_results *r = NULL;
    const char *q = "العراق";
    CHECK_INT(kb_search_run(ix, q, strlen(q), &o, &r), 0);
    uint64_t sum = 0;
    for (size_t i = 0; r && i < r->n_sources; i++)
        sum += r->sources[i].count;
    CHECK(r && r->total_exact && r->total == r->n_hits && sum == r->total && r->n_sources >= 2);
    /* scores descend */
    for (size_t i = 1; r && i < r->n_hits; i++)
        CHECK(r->hits[i - 1].score >= r->hits[i].score);
    /* page 2 of size 1 is the second hit */
    kb_search_options p;
    memset(&p, 0, sizeof p);
    p.limit = 1;
    p.offset = 1;
    p.no_collapse = 1;
    kb_results *r2 = NULL;
    CHECK_INT(kb_search_run(ix, q, strlen(q), &p, &r2), 0);
    if (r && r2 && r->n_hits >= 2 && r2->n_hits == 1)
        CHECK(r2->hits[0].id.n == r->hits[1].id.n &&
              !memcmp(r2->hits[0].id.p, r->hits[1].id.p, r2->hits[0].id.n));
    else
        CHECK(0);
    kb_results_free(r);
    kb_results_free(r2);
}

static const struct {
    const char *query;
    int rc;
} bad[] = {
    {"-العراق", KB_EQUERY},
    {"", KB_EQUERY},
    {"((( )))", KB_EQUERY},
    {"العراق date:2015-13-01", KB_EQUERY},
};

static void test_errors(void)
{
    for (size_t i = 0; i < KB_ARRAY_LEN(bad); i++) {
        kb_results *r = NULL;
        int rc = kb_search_run(ix, bad[i].query, strlen(bad[i].query), NULL, &r);
        if (!kbt_check(rc == bad[i].rc, __FILE__, __LINE__, bad[i].query))
            fprintf(stderr, "     rc %d, expected %d\n", rc, bad[i].rc);
        CHECK(r && r->notice && r->notice[0] && r->n_hits == 0);
        kb_results_free(r);
    }
    kb_search_options o;
    memset(&o, 0, sizeof o);
    o.limit = KB_SEARCH_MAX_HITS;
    o.offset = 1;
    kb_results *r = NULL;
    CHECK_INT(kb_search_run(ix, "العراق", strlen("العراق"), &o, &r), KB_ETOOBIG);
    CHECK(r && r->notice);
    kb_results_free(r);
    o.limit = 10;
    o.offset = 0;
    o.date_from = fx_slice("yesterday");
    r = NULL;
    int rc = kb_search_run(ix, "العراق", strlen("العراق"), &o, &r);
    CHECK(rc == KB_EQUERY || rc == 0);
    kb_results_free(r);
    CHECK_INT(kb_search_run(NULL, "x", 1, NULL, &r), KB_EINVAL);
    CHECK_INT(kb_search_run(ix, "x", 1, NULL, NULL), KB_EINVAL);
    kb_results_free(NULL);
}

static int same_slice(kb_slice a, kb_slice b)
{
    return a.n == b.n && (!a.n || !memcmp(a.p, b.p, a.n));
}

/* An ids-only answer (its ids, dates and urls come from a per-snapshot copy of the docs table)
 * names the same documents as the full answer, and follows commits: an added article shows,
 * a replaced one shows its new date, a deleted one is gone. Runs last: it changes the index. */
static void test_ids_only_follows_snapshot(void)
{
    static const char *qs[] = {"العراق", "مجلس", "النفط OR الذهب", "\"مجلس الأمن\""};
    kb_search_options full, ids;
    memset(&full, 0, sizeof full);
    full.no_collapse = 1;
    ids = full;
    ids.ids_only = 1;
    for (size_t i = 0; i < KB_ARRAY_LEN(qs); i++) {
        kb_results *a = NULL, *b = NULL;
        CHECK_INT(kb_search_run(ix, qs[i], strlen(qs[i]), &full, &a), 0);
        CHECK_INT(kb_search_run(ix, qs[i], strlen(qs[i]), &ids, &b), 0);
        int same = a && b && a->n_hits == b->n_hits && a->n_hits > 0;
        for (size_t k = 0; same && k < a->n_hits; k++) {
            const kb_hit *x = &a->hits[k], *y = &b->hits[k];
            same = same_slice(x->id, y->id) && same_slice(x->date, y->date) &&
                   same_slice(x->url, y->url) && same_slice(x->source, y->source) &&
                   x->score == y->score;
        }
        CHECK(same);
        kb_results_free(a);
        kb_results_free(b);
    }

    static const struct {
        const char *date; /* NULL: delete d99 */
        int add_rc;       /* 0 added, 1 replaced */
        int n_hits;
    } steps[] = {{"2017-03-04", 0, 1}, {"2018-05-06", 1, 1}, {NULL, 0, 0}};
    const char *q = "زمرد";
    for (size_t i = 0; i < KB_ARRAY_LEN(steps); i++) {
        if (steps[i].date) {
            kb_block b = {KB_BLOCK_PARAGRAPH, fx_slice("حجر زمرد نادر في المعرض")};
            kb_article a;
            memset(&a, 0, sizeof a);
            a.id = fx_slice("d99");
            a.source = fx_slice("sabq");
            a.date = fx_slice(steps[i].date);
            a.title = fx_slice("معرض الأحجار");
            a.blocks = &b;
            a.n_blocks = 1;
            a.text = b.text;
            a.arabic_share = 1.0;
            CHECK_INT(kb_index_add(ix, &a), steps[i].add_rc);
        } else {
            CHECK_INT(kb_index_delete(ix, "d99", 3), 0);
        }
        CHECK_INT(kb_index_commit(ix), 0);
        kb_results *r = NULL;
        CHECK_INT(kb_search_run(ix, q, strlen(q), &ids, &r), 0);
        CHECK(r && (int)r->n_hits == steps[i].n_hits);
        if (r && r->n_hits == 1 && steps[i].date) {
            CHECK(same_slice(r->hits[0].id, fx_slice("d99")));
            CHECK(same_slice(r->hits[0].date, fx_slice(steps[i].date)));
        }
        kb_results_free(r);
    }
}

/* Form-led cursors (drive_by_forms): a later article that has a word only through other
 * written forms (its stem), and ranks above an earlier one that has the typed form, must still
 * come first with a one-hit page, for a lone word and for an AND. Changes the index. */
static void test_form_led_cursors(void)
{
    static const fixture_doc docs[] = {
        {"f1", "sabq", NULL, "سوق",
         "زيتون قهوة في السوق، ثم حديث طويل عن التجارة والأسعار والطقس والمرور "
         "والمدارس والملاعب والمطارات والموانئ والمصانع والمزارع والأسواق الشعبية "
         "والحدائق العامة والمكتبات والمتاحف والمسارح والمستشفيات والجامعات"},
        {"f2", "sabq", NULL, "بالزيتون والقهوة بالزيتون والقهوة", "الزيتون القهوة الزيتون"},
    };
    for (size_t i = 0; i < KB_ARRAY_LEN(docs); i++)
        CHECK_INT(fx_add(ix, &docs[i]), 0);
    CHECK_INT(kb_index_commit(ix), 0);
    static const char *qs[] = {"زيتون", "قهوة", "زيتون قهوة"};
    for (size_t i = 0; i < KB_ARRAY_LEN(qs); i++) {
        kb_search_options o;
        memset(&o, 0, sizeof o);
        o.limit = 1;
        o.no_collapse = 1;
        kb_results *r = NULL, *x = NULL;
        CHECK_INT(kb_search_run(ix, qs[i], strlen(qs[i]), &o, &r), 0);
        o.exact_total = 1;
        CHECK_INT(kb_search_run(ix, qs[i], strlen(qs[i]), &o, &x), 0);
        CHECK(x && x->n_hits == 1 && same_slice(x->hits[0].id, fx_slice("f2")));
        if (!kbt_check(r && r->n_hits == 1 && same_slice(r->hits[0].id, fx_slice("f2")) && x &&
                           x->n_hits == 1 && r->hits[0].score == x->hits[0].score,
                       __FILE__, __LINE__, qs[i]))
            fprintf(stderr, "     the article with the stem only should rank first\n");
        kb_results_free(r);
        kb_results_free(x);
    }
}

int main(void)
{
    char dir[64];
    ix = fixture_index(dir);
    if (!kbt_check(ix != NULL, __FILE__, __LINE__, "fixture index")) return kbt_summary();
    test_rows();
    test_snippets();
    test_pruning_agrees();
    test_exact_totals();
    test_title_share();
    test_rerank_key();
    test_rerank();
    test_totals_facets_paging();
    test_errors();
    test_ids_only_follows_snapshot();
    test_form_led_cursors();
    kb_index_close(ix);
    fixture_remove(dir);
    return kbt_summary();
}
