/*
 * test_index.c — the index: add/commit/replace/delete, postings cursors (next, advance, shallow,
 * positions) against a brute-force model, snapshots, stored articles, check on damage, format
 * version refusal, compaction; a reader kept across commits updating its arrays from the deaths
 * log.
 */
#include "harness.h"
#include "index_int.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char dir[256];

static kb_article article(const char *id, const char *title, const char *body, kb_block *blk)
{
    kb_article a;
    memset(&a, 0, sizeof a);
    a.id = (kb_slice){id, strlen(id)};
    a.title = (kb_slice){title, strlen(title)};
    a.source = (kb_slice){"src-a", 5};
    a.date = (kb_slice){"2015-07-14", 10};
    blk->type = KB_BLOCK_PARAGRAPH;
    blk->text = (kb_slice){body, strlen(body)};
    a.blocks = blk;
    a.n_blocks = 1;
    return a;
}

/* The normalized form and stem the index's analyzer gives a word. */
static void word_terms(kb_index *ix, const char *w, char *norm, char *stem)
{
    kb_analyzer *an = kb__index_analyzer(ix);
    kb_token t;
    kb_analyzer_reset(an, w, strlen(w));
    norm[0] = stem[0] = 0;
    if (kb_analyzer_next(an, &t) > 0) {
        snprintf(norm, 128, "%.*s", (int)t.norm_len, t.norm);
        snprintf(stem, 128, "%.*s", (int)t.stem_len, t.stem);
    }
}

/* Docids of a term's live postings, via next(). */
static int list_docs(kb_index *ix, kb__term_kind kind, const char *w, uint32_t *out, int max)
{
    char norm[128], stem[128];
    word_terms(ix, w, norm, stem);
    const char *t = kind == KB_TERM_FORM ? norm : stem;
    kb__postings p;
    kb__postings_init(&p);
    int n = 0;
    int rc = kb__postings_open(ix, kind, t, strlen(t), &p), r = 0;
    if (rc == 0)
        while (n < max && (r = kb__postings_next(&p)) == 1)
            out[n++] = p.doc;
    if (r < 0) rc = r;
    kb__postings_free(&p);
    return rc == KB_ENOTFOUND ? 0 : rc < 0 ? rc : n;
}

static void test_basic(void)
{
    kb_index *ix = NULL;
    CHECK_INT(kb_index_open(dir, NULL, &ix), 0);
    kb_block b;
    kb_article a1 = article("a1", "alpha beta", "gamma alpha delta alpha", &b);
    CHECK_INT(kb_index_add(ix, &a1), 0);
    kb_article a2 = article("a2", "beta", "gamma gamma", &b);
    CHECK_INT(kb_index_add(ix, &a2), 0);
    kb_article bad = article("", "x", "y", &b);
    CHECK_INT(kb_index_add(ix, &bad), KB_EINVAL);

    /* Another handle sees nothing before the commit (snapshot isolation). */
    kb_index *rd = NULL;
    kb_index_options ro = {.read_only = 1};
    CHECK_INT(kb_index_open(dir, &ro, &rd), 0);
    uint32_t d[16];
    CHECK_INT(kb__index_read_begin(rd), 0);
    CHECK_INT(list_docs(rd, KB_TERM_FORM, "alpha", d, 16), 0);
    kb__index_read_end(rd);

    CHECK_INT(kb_index_commit(ix), 0);
    CHECK_INT(kb__index_read_begin(rd), 0);
    CHECK_INT(list_docs(rd, KB_TERM_FORM, "alpha", d, 16), 1);
    CHECK_INT(list_docs(rd, KB_TERM_STEM, "gamma", d, 16), 2);
    kb__collection c;
    kb__index_collection(rd, &c);
    CHECK_INT(c.docs, 2);
    CHECK_INT(c.total_len[KB_FIELD_TITLE], 3);
    CHECK_INT(c.total_len[KB_FIELD_BODY], 6);

    /* tf per field and positions: alpha in a1 is title position 0, body positions 1 and 3. */
    char norm[128], stem[128];
    word_terms(rd, "alpha", norm, stem);
    kb__postings p;
    kb__postings_init(&p);
    CHECK_INT(kb__postings_open(rd, KB_TERM_FORM, norm, strlen(norm), &p), 0);
    CHECK_INT(p.df, 1);
    CHECK_INT(p.max_tf[KB_FIELD_TITLE], 1); /* list maxima, inline list too */
    CHECK_INT(p.max_tf[KB_FIELD_BODY], 2);
    CHECK_INT(kb__postings_next(&p), 1);
    CHECK_INT(p.tf[KB_FIELD_TITLE], 1);
    CHECK_INT(p.tf[KB_FIELD_BODY], 2);
    const uint32_t *pos;
    uint32_t np;
    CHECK_INT(kb__postings_positions(&p, &pos, &np), 0);
    CHECK_INT(np, 3);
    if (np == 3) {
        CHECK_INT(pos[0], 0);
        CHECK_INT(pos[1], 2 + KB_FIELD_GAP + 1);
        CHECK_INT(pos[2], 2 + KB_FIELD_GAP + 3);
    }
    CHECK_INT(kb__postings_next(&p), 0);
    CHECK_INT(p.doc, KB_DOC_END);
    CHECK_INT(kb__postings_open(rd, KB_TERM_FORM, "nosuchword", 10, &p), KB_ENOTFOUND);
    CHECK_INT(kb__postings_next(&p), 0);
    kb__postings_free(&p);
    CHECK(kb__index_doc_source(rd, 1) != 0);
    kb_slice sn = kb__index_source_name(rd, kb__index_doc_source(rd, 1));
    CHECK(sn.n == 5 && !memcmp(sn.p, "src-a", 5));
    CHECK_INT(kb__index_doc_date(rd, 1), 20150714);
    /* Lengths of two documents held at once (each pointer stays valid). */
    const uint32_t *l1 = kb__index_doc_lens(rd, 1), *l2 = kb__index_doc_lens(rd, 2);
    CHECK(l1 && l2);
    if (l1 && l2) {
        CHECK_INT(l1[KB_FIELD_TITLE], 2);
        CHECK_INT(l1[KB_FIELD_BODY], 4);
        CHECK_INT(l2[KB_FIELD_TITLE], 1);
        CHECK_INT(l2[KB_FIELD_BODY], 2);
    }
    CHECK(kb__index_doc_lens(rd, 99) == NULL);
    kb__index_read_end(rd);

    /* Replace a1, delete a2. */
    kb_article a1b = article("a1", "omega", "alpha", &b);
    CHECK_INT(kb_index_add(ix, &a1b), 1);
    CHECK_INT(kb_index_delete(ix, "a2", 2), 0);
    CHECK_INT(kb_index_delete(ix, "zz", 2), KB_ENOTFOUND);
    CHECK_INT(kb_index_commit(ix), 0);
    CHECK_INT(kb__index_read_begin(rd), 0);
    CHECK_INT(list_docs(rd, KB_TERM_FORM, "gamma", d, 16), 0);
    CHECK_INT(list_docs(rd, KB_TERM_FORM, "alpha", d, 16), 1);
    CHECK_INT(d[0], 3);
    kb__index_read_end(rd);

    kb_stored *s = NULL;
    CHECK_INT(kb_index_get(rd, "a1", 2, &s), 0);
    if (s) {
        CHECK_STR(s->title.p, "omega");
        CHECK_STR(s->body.p, "alpha");
        CHECK_STR(s->date.p, "2015-07-14");
    }
    kb_stored_free(s);
    CHECK_INT(kb_index_get(rd, "a2", 2, &s), KB_ENOTFOUND);

    /* The stored article keeps the clean structure: typed blocks, captions, dropped lines. */
    kb_block blocks3[3] = {{KB_BLOCK_PARAGRAPH, {"first words", 11}},
                           {KB_BLOCK_HEADING, {"a heading", 9}},
                           {KB_BLOCK_QUOTE, {"said words", 10}}};
    kb_slice caps3[1] = {{"a caption", 9}};
    kb_dropped drop3[2] = {{{"masthead line", 13}, "masthead"}, {{"", 0}, "empty"}};
    kb_article a3 = article("a3", "structured", "unused", &b);
    a3.blocks = blocks3;
    a3.n_blocks = 3;
    a3.captions = caps3;
    a3.n_captions = 1;
    a3.dropped = drop3;
    a3.n_dropped = 2;
    CHECK_INT(kb_index_add(ix, &a3), 0);
    CHECK_INT(kb_index_commit(ix), 0);
    CHECK_INT(kb_index_get(rd, "a3", 2, &s), 0);
    if (s) {
        CHECK_INT(s->n_blocks, 3);
        CHECK_INT(s->n_captions, 1);
        CHECK_INT(s->n_dropped, 2);
        if (s->n_blocks == 3 && s->n_captions == 1 && s->n_dropped == 2) {
            CHECK_INT(s->blocks[1].type, KB_BLOCK_HEADING);
            CHECK_INT(s->blocks[2].type, KB_BLOCK_QUOTE);
            CHECK(s->blocks[2].text.n == 10 && !memcmp(s->blocks[2].text.p, "said words", 10));
            CHECK(s->captions[0].n == 9 && !memcmp(s->captions[0].p, "a caption", 9));
            CHECK_STR(s->dropped[0].reason, "masthead");
            CHECK_STR(s->dropped[0].text.p, "masthead line");
            CHECK_STR(s->dropped[1].reason, "empty");
            CHECK_INT(s->dropped[1].text.n, 0);
        }
    }
    kb_stored_free(s);
    /* Empty blocks, the first one too (found by tests/fuzz/fuzz_search.c: the stored copy could
     * not be read back), keep their place: the body joins them with their separators. */
    kb_block blocks4[3] = {{KB_BLOCK_PARAGRAPH, {"", 0}},
                           {KB_BLOCK_HEADING, {"kappa", 5}},
                           {KB_BLOCK_PARAGRAPH, {"", 0}}};
    kb_article a4 = article("a4", "", "unused", &b);
    a4.blocks = blocks4;
    a4.n_blocks = 3;
    CHECK_INT(kb_index_add(ix, &a4), 0);
    CHECK_INT(kb_index_commit(ix), 0);
    CHECK_INT(kb_index_get(rd, "a4", 2, &s), 0);
    if (s) {
        CHECK_INT(s->body.n, 9);
        CHECK(s->body.n == 9 && !memcmp(s->body.p, "\n\nkappa\n\n", 9));
        CHECK_INT(s->n_blocks, 3);
        if (s->n_blocks == 3) {
            CHECK_INT(s->blocks[0].text.n, 0);
            CHECK(s->blocks[1].text.n == 5 && !memcmp(s->blocks[1].text.p, "kappa", 5));
            CHECK_INT(s->blocks[2].text.n, 0);
        }
    }
    kb_stored_free(s);
    kb_results *r = NULL;
    CHECK_INT(kb_search_run(rd, "kappa", 5, NULL, &r), 0); /* a snippet from that body */
    CHECK(r && r->n_hits == 1 && r->hits[0].n_highlights == 1);
    kb_results_free(r);
    CHECK_INT(kb_index_delete(ix, "a4", 2), 0);
    CHECK_INT(kb_index_delete(ix, "a3", 2), 0);
    CHECK_INT(kb_index_commit(ix), 0);

    kb_index_stats st;
    CHECK_INT(kb_index_stats_get(ix, &st), 0);
    CHECK_INT(st.docs, 1);
    CHECK_INT(st.dead_docs, 4); /* a1's first version, a2, a3, a4 */
    CHECK_INT(kb_index_check(ix, NULL, NULL), 0);
    if (!CHECK(kb_index_compact(ix) == 0)) fprintf(stderr, "     %s\n", kb_index_errmsg(ix));
    CHECK_INT(kb_index_check(ix, NULL, NULL), 0);
    CHECK_INT(kb_index_stats_get(ix, &st), 0);
    CHECK_INT(st.dead_docs, 0);
    kb_index_close(rd);
    kb_index_close(ix);
}

/* Many documents over several commits: lists long enough for block rows, compared with a model
 * through next(), advance() and shallow(). */
static void test_long_lists(const char *name)
{
    char sub[300];
    snprintf(sub, sizeof sub, "%s/%s", dir, name);
    kb_index *ix = NULL;
    CHECK_INT(kb_index_open(sub, NULL, &ix), 0);
    enum { N = 1000 };
    static uint8_t has_x[N + 1], has_y[N + 1];
    char id[32], body[256];
    kb_block b;
    for (int i = 1; i <= N; i++) {
        snprintf(id, sizeof id, "d%d", i);
        has_x[i] = (i % 3 == 0) || (i % 7 == 0);
        has_y[i] = i % 2 == 0;
        snprintf(body, sizeof body, "filler %s words %s here", has_x[i] ? "xword" : "nothing",
                 has_y[i] ? "yword yword" : "other");
        kb_article a = article(id, "title", body, &b);
        CHECK_INT(kb_index_add(ix, &a), 0);
        if (i % 250 == 0 || i == 77) CHECK_INT(kb_index_commit(ix), 0);
    }
    CHECK_INT(kb_index_commit(ix), 0);
    CHECK_INT(kb__index_read_begin(ix), 0);
    static uint32_t got[N];
    int n = list_docs(ix, KB_TERM_FORM, "xword", got, N);
    int want = 0, ok = 1;
    for (int i = 1; i <= N; i++)
        if (has_x[i]) {
            ok &= want < n && got[want] == (uint32_t)i;
            want++;
        }
    CHECK_INT(n, want);
    CHECK(ok);

    /* advance to every target: the first doc >= target that has y. */
    char norm[128], stem[128];
    word_terms(ix, "yword", norm, stem);
    kb__postings p;
    kb__postings_init(&p);
    int adv_ok = 1, shallow_ok = 1;
    for (uint32_t t = 1; t <= N + 1; t += 37) {
        CHECK_INT(kb__postings_open(ix, KB_TERM_FORM, norm, strlen(norm), &p), 0);
        CHECK_INT(p.df, N / 2);
        CHECK_INT(p.max_tf[KB_FIELD_BODY], 2);
        int r = kb__postings_shallow(&p, t);
        uint32_t expect = t;
        while (expect <= N && !has_y[expect])
            expect++;
        if (expect > N) {
            shallow_ok &= r == 0 && p.blk_last == KB_DOC_END;
        } else {
            shallow_ok &= r == 1 && p.blk_last >= expect && p.blk_max_tf[KB_FIELD_BODY] >= 2;
        }
        r = kb__postings_advance(&p, t);
        if (r == 1) adv_ok &= kb__postings_tfs(&p) == 0;
        adv_ok &= expect > N ? (r == 0 && p.doc == KB_DOC_END)
                             : (r == 1 && p.doc == expect && p.tf[KB_FIELD_BODY] == 2);
        if (r == 1) {
            const uint32_t *pos;
            uint32_t np;
            adv_ok &= kb__postings_positions(&p, &pos, &np) == 0 && np == 2 && pos[1] == pos[0] + 1;
        }
    }
    CHECK(adv_ok);
    CHECK(shallow_ok);

    /* One cursor over a list of 8 block rows, moved forward by strides that stay in a block,
     * step to a following row, or jump past several rows (the cursor steps through the rows
     * after the last one fetched, or seeks from the root past a few): every doc has "filler". */
    static const uint32_t strides[] = {1, 3, 100, 129, 300, 700};
    word_terms(ix, "filler", norm, stem);
    for (size_t k = 0; k < sizeof strides / sizeof *strides; k++) {
        int walk_ok = 1;
        CHECK_INT(kb__postings_open(ix, KB_TERM_FORM, norm, strlen(norm), &p), 0);
        for (uint32_t t = 1; t <= N + 1; t += strides[k]) {
            if (strides[k] > 1 && t + strides[k] / 2 <= N) /* a shallow look ahead first */
                walk_ok &= kb__postings_shallow(&p, t + strides[k] / 2) == 1 &&
                           p.blk_last >= t + strides[k] / 2;
            int r = kb__postings_advance(&p, t);
            walk_ok &= t > N ? (r == 0 && p.doc == KB_DOC_END) : (r == 1 && p.doc == t);
        }
        CHECK(walk_ok);
    }
    kb__postings_free(&p);
    kb__index_read_end(ix);
    CHECK_INT(kb_index_check(ix, NULL, NULL), 0);
    kb_index_close(ix);
}

static int n_problems;
static void count_problem(void *ctx, const char *msg)
{
    (void)ctx;
    n_problems++;
    fprintf(stderr, "  (expected) check: %s\n", msg);
}

/* Opens an index's database behind its back, through the checksum VFS, so that the pages it
 * changes keep valid page checksums and only the damage meant by the test remains. */
static int open_raw(const char *db, sqlite3 **h)
{
    int rc = kb__checksum_vfs_register();
    return rc ? rc : sqlite3_open_v2(db, h, SQLITE_OPEN_READWRITE, KB_CHECKSUM_VFS);
}

/* The terms and blocks tables of two indexes, row for row. */
static void same_postings(const char *a, const char *b)
{
    char pa[300], pb[300];
    snprintf(pa, sizeof pa, "%s/%s/khabar.db", dir, a);
    snprintf(pb, sizeof pb, "%s/%s/khabar.db", dir, b);
    sqlite3 *h;
    CHECK_INT(open_raw(pa, &h), SQLITE_OK);
    char sql[1400];
    snprintf(sql, sizeof sql,
             "ATTACH '%s' AS o; "
             "CREATE TEMP TABLE d AS SELECT (SELECT count(*) FROM (SELECT * FROM main.terms EXCEPT "
             "SELECT * FROM o.terms)) + (SELECT count(*) FROM (SELECT * FROM o.terms EXCEPT SELECT "
             "* FROM main.terms)) + (SELECT count(*) FROM (SELECT * FROM main.blocks EXCEPT SELECT "
             "* FROM o.blocks)) + (SELECT count(*) FROM (SELECT * FROM o.blocks EXCEPT SELECT * "
             "FROM main.blocks)) AS n, (SELECT count(*) FROM main.blocks) AS nb",
             pb);
    CHECK_INT(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    CHECK_INT(sqlite3_prepare_v2(h, "SELECT n, nb FROM d", -1, &st, NULL), SQLITE_OK);
    CHECK_INT(sqlite3_step(st), SQLITE_ROW);
    CHECK_INT(sqlite3_column_int(st, 0), 0); /* no row of one missing from the other */
    CHECK(sqlite3_column_int(st, 1) > 8);    /* block rows, not only inline lists */
    sqlite3_finalize(st);
    sqlite3_close(h);
}

/* Damage a block row behind the index's back: check and the cursor must say KB_ECORRUPT. */
static void test_damage(void)
{
    char sub[300], db[400];
    snprintf(sub, sizeof sub, "%s/long", dir);
    snprintf(db, sizeof db, "%s/khabar.db", sub);
    sqlite3 *h;
    CHECK_INT(open_raw(db, &h), SQLITE_OK);
    CHECK_INT(
        sqlite3_exec(h,
                     "UPDATE blocks SET data = substr(data,1,8) || CASE WHEN substr(data,9,1) ="
                     " x'00' THEN x'01' ELSE x'00' END || substr(data,10)"
                     " WHERE k = (SELECT min(k) FROM blocks)",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(h);
    kb_index *ix = NULL;
    CHECK_INT(kb_index_open(sub, NULL, &ix), 0);
    n_problems = 0;
    CHECK_INT(kb_index_check(ix, count_problem, NULL), KB_ECORRUPT);
    CHECK(n_problems >= 1);
    /* Every cursor over every term either works or reports KB_ECORRUPT. */
    const char *words[] = {"xword", "yword", "filler", "words", "here", "title"};
    int any_corrupt = 0, only_clean_errors = 1;
    CHECK_INT(kb__index_read_begin(ix), 0);
    for (size_t i = 0; i < KB_ARRAY_LEN(words); i++) {
        uint32_t d[1200];
        int r = list_docs(ix, KB_TERM_FORM, words[i], d, 1200);
        any_corrupt |= r == KB_ECORRUPT;
        only_clean_errors &= r >= 0 || r == KB_ECORRUPT;
    }
    kb__index_read_end(ix);
    CHECK(any_corrupt);
    CHECK(only_clean_errors);
    kb_index_close(ix);
}

static void test_version(void)
{
    char sub[300], db[700];
    snprintf(sub, sizeof sub, "%s/ver", dir);
    kb_index *ix = NULL;
    CHECK_INT(kb_index_open(sub, NULL, &ix), 0);
    CHECK_INT(kb_index_stemmer(ix), KB_STEM_LIGHT);
    kb_index_close(ix);
    /* An index keeps the stemmer it was made with, whatever a later open asks for; `khabar
     * index` analyzes with what kb_index_stemmer() says. */
    snprintf(db, sizeof db, "%s/ver-snowball", dir);
    kb_index_options so = {.stemmer = KB_STEM_SNOWBALL};
    CHECK_INT(kb_index_open(db, &so, &ix), 0);
    CHECK_INT(kb_index_stemmer(ix), KB_STEM_SNOWBALL);
    kb_index_close(ix);
    CHECK_INT(kb_index_open(db, NULL, &ix), 0);
    CHECK_INT(kb_index_stemmer(ix), KB_STEM_SNOWBALL);
    kb_index_stats st;
    CHECK_INT(kb_index_stats_get(ix, &st), 0);
    CHECK_INT(st.stemmer, KB_STEM_SNOWBALL);
    kb_index_close(ix);
    snprintf(db, sizeof db, "%s/khabar.db", sub);
    sqlite3 *h;
    CHECK_INT(open_raw(db, &h), SQLITE_OK);
    CHECK_INT(sqlite3_exec(h, "UPDATE meta SET value = 99 WHERE key = 'format'", NULL, NULL, NULL),
              SQLITE_OK);
    sqlite3_close(h);
    CHECK_INT(kb_index_open(sub, NULL, &ix), KB_EVERSION);
    CHECK(ix == NULL);
    kb_index_options ro = {.read_only = 1};
    snprintf(sub, sizeof sub, "%s/absent", dir);
    CHECK_INT(kb_index_open(sub, &ro, &ix), KB_ENOTFOUND);
    /* A file that is not SQLite at all. */
    snprintf(sub, sizeof sub, "%s/junk", dir);
    snprintf(db, sizeof db, "mkdir -p %s && printf 'not a database at all, no' > %s/khabar.db", sub,
             sub);
    CHECK_INT(system(db), 0);
    int r = kb_index_open(sub, NULL, &ix);
    CHECK(r == KB_ECORRUPT);
}

static int count_cluster(void *ctx, const kb_dups_member *m, size_t n)
{
    (void)m;
    *(size_t *)ctx += n;
    return 0;
}

/*
 * The duplicates signature is made while preparing (the analysis threads of `khabar index`); a
 * prepared document told to skip it still gets one from the writer when the index keeps
 * duplicates, so copies cluster either way; with no_dedup no cluster is kept.
 */
static void test_prepared_signature(void)
{
    const char *body = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi "
                       "omicron pi rho sigma tau upsilon phi chi psi omega";
    for (int no_dedup = 0; no_dedup <= 1; no_dedup++) {
        char sub[300];
        snprintf(sub, sizeof sub, "%s/sig%d", dir, no_dedup);
        kb_index_options o = {0};
        o.no_dedup = no_dedup;
        kb_index *ix = NULL;
        CHECK_INT(kb_index_open(sub, &o, &ix), 0);
        kb_analyzer *an = kb_analyzer_new(NULL);
        CHECK(an != NULL);
        kb_block b;
        const char *ids[3] = {"s1", "s2", "s3"};
        for (int i = 0; i < 3; i++) {
            kb_prepared *p = kb_prepared_new(); /* fresh: no signature left from another */
            CHECK(p != NULL);
            kb_prepared_skip_dups(p, i == 1); /* s2: the writer signs it */
            kb_article a = article(ids[i], "copy", body, &b);
            CHECK_INT(kb_index_prepare(an, &a, p), 0);
            CHECK_INT(kb_index_add_prepared(ix, p), 0);
            kb_prepared_free(p);
        }
        CHECK_INT(kb_index_commit(ix), 0);
        size_t members = 0;
        CHECK_INT(kb_index_dups(ix, 0.7, count_cluster, &members), 0);
        CHECK_INT(members, no_dedup ? 0 : 3);
        kb_analyzer_free(an);
        kb_index_close(ix);
    }
}

/* kb_prepared_memory counts what a prepared document holds, its per-word arrays too (the job ring
 * of `khabar index` bounds itself by it). */
static void test_prepared_memory(void)
{
    CHECK_INT(kb_prepared_memory(NULL), 0);
    kb_analyzer *an = kb_analyzer_new(NULL);
    kb_prepared *p = kb_prepared_new();
    CHECK(an != NULL && p != NULL);
    size_t n = 200000;
    char *body = malloc(n + 1);
    CHECK(body != NULL);
    for (size_t i = 0; i < n; i++)
        body[i] = "word "[i % 5];
    body[n] = 0;
    kb_block b;
    kb_article a = article("m1", "short", "one two three", &b);
    CHECK_INT(kb_index_prepare(an, &a, p), 0);
    size_t small = kb_prepared_memory(p);
    CHECK(small >= kb_prepared_text_bytes(p));
    kb_prepared_free(p);
    p = kb_prepared_new();
    CHECK(p != NULL);
    a = article("m2", "long", body, &b);
    CHECK_INT(kb_index_prepare(an, &a, p), 0);
    CHECK(kb_prepared_text_bytes(p) >= n);
    /* the text's copy, and a position (4 bytes) and a token (8) for each of its n / 5 words */
    CHECK(kb_prepared_memory(p) >= kb_prepared_text_bytes(p) + 12 * (n / 5));
    CHECK(kb_prepared_memory(p) > small);
    free(body);
    kb_prepared_free(p);
    kb_analyzer_free(an);
}

/*
 * The duplicates store mirrors dedup_keys in memory while no other connection writes. A fresh
 * index's first commit switches the journal mode twice, which PRAGMA data_version reports as if
 * another connection had written: the mirror must survive that, and end (copies still found)
 * when another handle really commits.
 */
static void test_dedup_mirror(void)
{
    const char *body = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi "
                       "omicron pi rho sigma tau upsilon phi chi psi omega";
    char sub[300];
    snprintf(sub, sizeof sub, "%s/mirror", dir);
    kb_index *ix = NULL, *other = NULL;
    CHECK_INT(kb_index_open(sub, NULL, &ix), 0);
    kb_block b;
    kb_article a = article("m1", "copy", body, &b);
    CHECK_INT(kb_index_add(ix, &a), 0);
    CHECK_INT(kb_index_commit(ix), 0);
    CHECK(ix->dedup != NULL);
    CHECK_INT(kb__dedup_store_mirrored(ix->dedup), 1);
    a = article("m2", "copy", body, &b);
    CHECK_INT(kb_index_add(ix, &a), 0);
    CHECK_INT(kb__dedup_store_mirrored(ix->dedup), 1); /* still, in the second transaction */
    CHECK_INT(kb_index_commit(ix), 0);
    size_t members = 0;
    CHECK_INT(kb_index_dups(ix, 0.7, count_cluster, &members), 0);
    CHECK_INT(members, 2);
    /* Another handle commits a copy: the first one's next add must find it with SQL. */
    CHECK_INT(kb_index_open(sub, NULL, &other), 0);
    a = article("m3", "copy", body, &b);
    CHECK_INT(kb_index_add(other, &a), 0);
    CHECK_INT(kb_index_commit(other), 0);
    kb_index_close(other);
    a = article("m4", "copy", body, &b);
    CHECK_INT(kb_index_add(ix, &a), 0);
    CHECK_INT(kb__dedup_store_mirrored(ix->dedup), 0);
    CHECK_INT(kb_index_commit(ix), 0);
    members = 0;
    CHECK_INT(kb_index_dups(ix, 0.7, count_cluster, &members), 0);
    CHECK_INT(members, 4);
    kb_index_close(ix);
}

/* ---- a reader kept across commits: its arrays updated from the deaths log ---- */

/* The reader's arrays and statistics equal those of a handle opened afresh. */
static void same_arrays(kb_index *r, kb_index *f)
{
    CHECK_INT(kb__index_read_begin(r), 0);
    CHECK_INT(kb__index_read_begin(f), 0);
    CHECK_INT(r->max_docid, f->max_docid);
    CHECK_INT(r->coll_docs, f->coll_docs);
    CHECK_INT(r->all_live, f->all_live);
    for (int k = 0; k < KB_N_FIELDS; k++)
        CHECK_INT(r->total_len[k], f->total_len[k]);
    int same = 1;
    for (uint32_t d = 0; d <= f->max_docid && d <= r->max_docid; d++) {
        same &= r->src[d] == f->src[d] && r->ymd[d] == f->ymd[d];
        for (int k = 0; k < KB_N_FIELDS; k++)
            same &= r->lens[d * KB_N_FIELDS + k] == f->lens[d * KB_N_FIELDS + k];
    }
    CHECK(same);
    CHECK_INT(r->n_sources, f->n_sources);
    for (uint32_t s = 1; s <= f->n_sources && s <= r->n_sources; s++) {
        kb_slice a = kb__index_source_name(r, s), b = kb__index_source_name(f, s);
        CHECK(a.n == b.n && !memcmp(a.p, b.p, a.n));
    }
    kb__index_read_end(r);
    kb__index_read_end(f);
}

/* The same answers from both handles: full hits and ids-only ones (the ids table). */
static void same_answers(kb_index *r, kb_index *f, const char *q)
{
    for (int ids = 0; ids <= 1; ids++) {
        kb_search_options o = {.limit = 50, .exact_total = 1, .ids_only = ids, .no_collapse = 1};
        kb_results *a = NULL, *b = NULL;
        CHECK_INT(kb_search_run(r, q, strlen(q), &o, &a), 0);
        CHECK_INT(kb_search_run(f, q, strlen(q), &o, &b), 0);
        if (!a || !b) {
            kb_results_free(a);
            kb_results_free(b);
            continue;
        }
        CHECK_INT(a->total, b->total);
        CHECK_INT(a->n_hits, b->n_hits);
        int same = a->n_hits == b->n_hits;
        for (size_t i = 0; same && i < a->n_hits; i++)
            same = a->hits[i].id.n == b->hits[i].id.n &&
                   !memcmp(a->hits[i].id.p, b->hits[i].id.p, a->hits[i].id.n) &&
                   a->hits[i].score == b->hits[i].score && a->hits[i].source.n == b->hits[i].source.n &&
                   a->hits[i].url.n == b->hits[i].url.n;
        CHECK(same);
        kb_results_free(a);
        kb_results_free(b);
    }
}

static void test_incremental(void)
{
    char sub[300];
    snprintf(sub, sizeof sub, "%s/incr", dir);
    kb_index *w = NULL, *r = NULL;
    CHECK_INT(kb_index_open(sub, NULL, &w), 0);
    kb_block b;
    kb_article a = article("seed", "بداية", "كلمة اولى", &b);
    CHECK_INT(kb_index_add(w, &a), 0);
    CHECK_INT(kb_index_commit(w), 0);
    kb_index_options ro = {.read_only = 1};
    CHECK_INT(kb_index_open(sub, &ro, &r), 0);
    static const char *words[] = {"العراق", "بغداد", "مجلس", "الامن", "النفط", "سوريا", "مصر"};
    static const char *sources[] = {"src-a", "src-b", "src-c", "src-d"};
    uint32_t seed = 12345, n_ids = 0;
    char id[32], title[200], body[600];
    uint32_t reloads0 = 0;
    char db[400];
    snprintf(db, sizeof db, "%s/khabar.db", sub);
    sqlite3 *h;
    /* The writer's own handle: after its commits, its arrays come from the log too, unless it
     * searched inside its batch (arrays holding uncommitted rows: reloaded whole once). Some
     * batches it searches in, and some of those fail to commit (a trigger planted in meta
     * refuses the new commit count): the docids of a rolled-back batch are given out again by
     * the next one, so arrays updated from such a view would keep the rolled-back documents. */
    int w_reload_next = 1; /* w has no arrays yet */
    for (int round = 0; round < 40; round++) {
        int fail = round % 9 == 5, in_batch = fail || round % 4 == 1;
        if (fail) {
            CHECK_INT(open_raw(db, &h), SQLITE_OK);
            CHECK_INT(sqlite3_exec(h,
                                   "CREATE TRIGGER planted_failure BEFORE INSERT ON meta"
                                   " WHEN NEW.key = 'commits' BEGIN"
                                   " SELECT RAISE(ABORT, 'a commit made to fail'); END",
                                   NULL, NULL, NULL),
                      SQLITE_OK);
            sqlite3_close(h);
        }
        /* Some adds (new ids, or an old id again: a replacement), some deletes. */
        int n_ops = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 6;
        for (int op = 0; op < n_ops; op++) {
            seed = seed * 1103515245u + 12345u;
            uint32_t x = seed >> 8;
            if (x % 5 == 0 && n_ids) { /* delete */
                snprintf(id, sizeof id, "d%u", (x >> 4) % n_ids);
                int rc = kb_index_delete(w, id, strlen(id));
                CHECK(rc == 0 || rc == KB_ENOTFOUND);
                continue;
            }
            uint32_t which = x % 3 == 0 && n_ids ? (x >> 4) % n_ids : n_ids++;
            snprintf(id, sizeof id, "d%u", which);
            size_t tn = 0, bn = 0;
            for (int k = 0; k < 1 + (int)(x % 3); k++)
                tn += (size_t)snprintf(title + tn, sizeof title - tn, "%s ", words[(x >> k) % 7]);
            for (int k = 0; k < 3 + (int)(x % 11); k++)
                bn += (size_t)snprintf(body + bn, sizeof body - bn, "%s ",
                                       words[(x >> (k % 13)) % 7]);
            a = article(id, title, body, &b);
            /* Now and then a source no one had. */
            char src[32];
            if (x % 17 == 0)
                snprintf(src, sizeof src, "new-%d-%d", round, op);
            else
                snprintf(src, sizeof src, "%s", sources[(x >> 3) % 4]);
            a.source = (kb_slice){src, strlen(src)};
            int rc = kb_index_add(w, &a);
            CHECK(rc == 0 || rc == 1); /* 1: replaced */
        }
        /* A round that only deletes the newest document: max(docid) goes down. */
        if (round == 7) {
            snprintf(id, sizeof id, "d%u", n_ids - 1);
            int rc = kb_index_delete(w, id, strlen(id));
            CHECK(rc == 0 || rc == KB_ENOTFOUND);
        }
        if (in_batch) { /* a search on the writer inside its batch, which adds one at least */
            snprintf(id, sizeof id, "b%d", round);
            a = article(id, "العراق بغداد", "النفط مصر سوريا", &b);
            CHECK_INT(kb_index_add(w, &a), 0);
            kb_search_options o = {.ids_only = 1};
            kb_results *res = NULL;
            CHECK_INT(kb_search_run(w, "العراق", strlen("العراق"), &o, &res), 0);
            kb_results_free(res);
        }
        if (fail) {
            CHECK(kb_index_commit(w) != 0);
            CHECK_INT(open_raw(db, &h), SQLITE_OK);
            CHECK_INT(sqlite3_exec(h, "DROP TRIGGER planted_failure", NULL, NULL, NULL), SQLITE_OK);
            sqlite3_close(h);
            w_reload_next = 1;
            continue; /* no read on w before its next commit */
        }
        uint32_t w_updates = w->n_updates, w_reloads = w->n_reloads;
        if (round % 13 == 12) {
            CHECK_INT(kb_index_commit(w), 0);
            reloads0 = r->n_reloads;
            CHECK_INT(kb_index_compact(w), 0);
        } else {
            CHECK_INT(kb_index_commit(w), 0);
        }
        uint32_t updates = r->n_updates, reloads = r->n_reloads;
        kb_index *f = NULL;
        CHECK_INT(kb_index_open(sub, &ro, &f), 0);
        same_arrays(r, f);
        same_answers(r, f, "العراق");
        same_answers(r, f, "بغداد النفط");
        if (round % 13 == 12) {
            CHECK_INT(r->n_reloads, reloads0 + 1); /* the log started again: once whole */
        } else if (round > 0 && round % 13 != 0 && round % 9 != 6) {
            CHECK_INT(r->n_updates, updates + 1); /* the commit came from the log */
            CHECK_INT(r->n_reloads, reloads);
        }
        same_arrays(w, f);
        same_answers(w, f, "العراق");
        same_answers(w, f, "بغداد النفط");
        if (round % 13 == 12) { /* in compaction's transaction, and after it (the log restarted) */
            CHECK_INT(w->n_reloads, w_reloads + 2);
        } else if (w_reload_next || in_batch) {
            CHECK_INT(w->n_reloads, w_reloads + 1); /* arrays of its batch (or none yet) */
        } else {
            CHECK_INT(w->n_updates, w_updates + 1); /* its own commit, from the log */
            CHECK_INT(w->n_reloads, w_reloads);
        }
        w_reload_next = 0;
        kb_index_close(f);
    }
    CHECK(r->n_updates >= 30);
    CHECK(w->n_updates >= 20);
    CHECK_INT(kb_index_check(w, NULL, NULL), 0); /* the log agrees with the docs table */
    kb_index_close(r);
    kb_index_close(w);

    /* An index of format version 3 (no deaths log): read as it is, reloaded whole; opened for
     * writing, upgraded, and from then on updated. */
    CHECK_INT(open_raw(db, &h), SQLITE_OK);
    CHECK_INT(sqlite3_exec(h,
                           "DROP TABLE deaths; DELETE FROM meta WHERE key = 'deaths_since';"
                           "UPDATE meta SET value = 3 WHERE key = 'format'",
                           NULL, NULL, NULL),
              SQLITE_OK);
    sqlite3_close(h);
    CHECK_INT(kb_index_open(sub, &ro, &r), 0);
    same_answers(r, r, "العراق");
    CHECK_INT(kb_index_open(sub, NULL, &w), 0);
    kb_index_delete(w, "d1", 2); /* 0, or KB_ENOTFOUND when gone already */
    a = article("v4", "العراق", "بغداد", &b);
    CHECK_INT(kb_index_add(w, &a), 0);
    CHECK_INT(kb_index_commit(w), 0);
    kb_index *f = NULL;
    CHECK_INT(kb_index_open(sub, &ro, &f), 0);
    same_arrays(r, f);
    same_answers(r, f, "العراق");
    uint32_t updates = r->n_updates;
    kb_index_delete(w, "d2", 2);
    a = article("v4b", "العراق", "بغداد", &b);
    CHECK_INT(kb_index_add(w, &a), 0);
    CHECK_INT(kb_index_commit(w), 0);
    kb_index_close(f);
    CHECK_INT(kb_index_open(sub, &ro, &f), 0);
    same_arrays(r, f);
    CHECK_INT(r->n_updates, updates + 1);
    kb_index_close(f);
    kb_index_close(r);
    kb_index_close(w);
    CHECK_INT(open_raw(db, &h), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    CHECK_INT(sqlite3_prepare_v2(h, "SELECT value FROM meta WHERE key = 'format'", -1, &st, NULL),
              SQLITE_OK);
    CHECK_INT(sqlite3_step(st), SQLITE_ROW);
    CHECK_INT(sqlite3_column_int(st, 0), KB_INDEX_FORMAT_VERSION);
    sqlite3_finalize(st);
    /* A live document in the deaths log (readers would drop it): check says so. */
    CHECK_INT(sqlite3_exec(h,
                           "INSERT INTO deaths(gen, docid) SELECT (SELECT value FROM meta WHERE"
                           " key = 'commits'), max(docid) FROM docs",
                           NULL, NULL, NULL),
              SQLITE_OK);
    sqlite3_close(h);
    CHECK_INT(kb_index_open(sub, NULL, &w), 0);
    n_problems = 0;
    CHECK_INT(kb_index_check(w, count_problem, NULL), KB_ECORRUPT);
    CHECK_INT(n_problems, 1);
    kb_index_close(w);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/kb_test_index_XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_basic();
    test_long_lists("long");
    /* The same with every commit encoding its postings in a thread of its own (large commits
     * do): the same rows. */
    uint32_t keep = kb__commit_thread_terms;
    kb__commit_thread_terms = 0;
    test_long_lists("long-threaded");
    kb__commit_thread_terms = keep;
    same_postings("long", "long-threaded");
    test_damage();
    test_version();
    test_prepared_signature();
    test_prepared_memory();
    test_dedup_mirror();
    test_incremental();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return kbt_summary();
}
