/*
 * test_dedup.c — duplicate stories: the fold, signatures, verification, clusters.
 *
 *   - table tests of the fold: pairs of texts whose exact hashes must (or must not) be equal;
 *   - generated copies of one story that differ only in diacritics, tatweel, presentation forms,
 *     format controls, whitespace and a masthead line always land in one cluster;
 *   - near copies (a sentence cut, a short excerpt) cluster; different stories do not;
 *   - the stream filter keeps the first copy;
 *   - a property test: random add / remove / re-add sequences keep the clusters equal to a
 *     from-scratch recomputation over the live documents (exact and estimate-only modes).
 *
 * All texts are written here or generated from a small word list written here.
 */
#include "harness.h"
#include "khabar_int.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* ---- helpers -------------------------------------------------------------------------------- */

static kb__dedup_sig sig_of_text(const char *text)
{
    kb__dedup_work w;
    kb__dedup_sig sig;
    kb__dedup_work_init(&w);
    kb__dedup_feed(&w, text, strlen(text));
    kb__dedup_finish(&w, KB_DEDUP_SHINGLE, &sig);
    kb__dedup_work_free(&w);
    return sig;
}

static kb_slice S(const char *s)
{
    return (kb_slice){s, strlen(s)};
}

static int slice_eq(kb_slice a, kb_slice b)
{
    return a.n == b.n && (!a.n || !memcmp(a.p, b.p, a.n));
}

static uint64_t rng_state;
static uint32_t rnd(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng_state >> 33);
}

/* ---- the fold ------------------------------------------------------------------------------- */

static void test_fold_table(void)
{
    static const struct {
        const char *a, *b;
        int equal;
        const char *why;
    } rows[] = {
        {"كتب الطالب الدرس", "كَتَبَ الطَّالِبُ الدَّرْسَ", 1, "harakat"},
        {"كتب الطالب الدرس", "كتـــب الطـالب الدرس", 1, "tatweel"},
        {"كتب الطالب", "\xef\xbb\x9b\xef\xba\x98\xef\xba\x90 الطالب", 1, "presentation forms"},
        {"لا شيء", "\xef\xbb\xbb شيء", 1, "lam-alef ligature"},
        {"كتب الطالب",
         "كت\xe2\x80\x8d"
         "ب\xe2\x80\x8f الطالب\xef\xbb\xbf",
         1, "ZWJ, RLM, BOM"},
        {"كتب الطالب", "  كتب\n\n\tالطالب  ", 1, "whitespace"},
        {"كتب، الطالب.", "كتب الطالب", 1, "punctuation separates"},
        {"أحمد إلى آخر", "احمد الي اخر", 1, "alef forms and final yeh"},
        {"مدرسة جديدة", "مدرسه جديده", 1, "teh marbuta"},
        {"سؤال مسائل", "سوال مسايل", 1, "hamza carriers"},
        {"کتاب فی", "كتاب في", 1, "Persian kaf and yeh"},
        {"عام ٢٠١٥ و۲۰۱۵", "عام 2015 و2015", 1, "Arabic-Indic and Eastern digits"},
        {"Reuters NEWS", "reuters news", 1, "ASCII case"},
        {"كتب الطالب", "كتاب الطالب", 0, "a different word"},
        {"كتب الطالب", "كتبالطالب", 0, "a missing space joins words"},
        {"كتب الطالب الدرس", "الدرس الطالب كتب", 0, "word order"},
    };
    for (size_t i = 0; i < KB_ARRAY_LEN(rows); i++) {
        kb__dedup_sig a = sig_of_text(rows[i].a), b = sig_of_text(rows[i].b);
        int eq = a.exact == b.exact && a.n_words == b.n_words;
        if (!kbt_check(eq == rows[i].equal, __FILE__, __LINE__, rows[i].why))
            fprintf(stderr, "     row %zu: \"%s\" vs \"%s\"\n", i, rows[i].a, rows[i].b);
    }
}

static void test_counts(void)
{
    static const struct {
        const char *text;
        uint32_t words, shingles;
    } rows[] = {
        {"", 0, 0},
        {" ،. \n", 0, 0},
        {"واحد", 1, 1},
        {"واحد اثنان ثلاثة", 3, 1}, /* shorter than a shingle: one shingle */
        {"a b c d e", 5, 1},
        {"a b c d e f g", 7, 3},
        {"a b c d e a b c d e", 10, 5}, /* repeated shingles count once */
        {"a\xcc\x81 b", 2, 1},          /* a combining mark joins its letter */
    };
    for (size_t i = 0; i < KB_ARRAY_LEN(rows); i++) {
        kb__dedup_sig s = sig_of_text(rows[i].text);
        CHECK_INT(s.n_words, rows[i].words);
        CHECK_INT(s.n_shingles, rows[i].shingles);
    }
    CHECK(sizeof(kb__dedup_sig) <= 1024); /* the stored signature budget */
}

static void test_estimate_tracks_exact(void)
{
    /* Two texts sharing a known share of words: the MinHash estimate is within 4 standard
     * errors of the exact Jaccard. */
    static const char *w[] = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta"};
    kb_buf a, b;
    kb__buf_init(&a, 0);
    kb__buf_init(&b, 0);
    rng_state = 7;
    for (int i = 0; i < 600; i++) {
        char word[32];
        snprintf(word, sizeof word, "%s%u ", w[rnd() % 7], rnd() % 1000);
        kb__buf_puts(&a, word);
        if (i % 16 == 0) snprintf(word, sizeof word, "other%u ", rnd());
        kb__buf_puts(&b, word);
    }
    kb__dedup_work wa, wb;
    kb__dedup_sig sa, sb;
    kb__dedup_work_init(&wa);
    kb__dedup_work_init(&wb);
    kb__dedup_feed(&wa, a.p, a.n);
    kb__dedup_finish(&wa, 5, &sa);
    kb__dedup_feed(&wb, b.p, b.n);
    kb__dedup_finish(&wb, 5, &sb);
    double j = kb__dedup_jaccard_exact(wa.shingles, wa.n_shingles, wb.shingles, wb.n_shingles);
    double e = kb__dedup_estimate(&sa, &sb);
    CHECK(j > 0.05 && j < 0.6);
    double se = sqrt(j * (1 - j) / KB_DEDUP_HASHES);
    if (!CHECK(fabs(e - j) < 4 * se)) fprintf(stderr, "     exact %.3f estimate %.3f\n", j, e);
    kb__dedup_work_free(&wa);
    kb__dedup_work_free(&wb);
    kb__buf_free(&a);
    kb__buf_free(&b);
}

/* ---- generated stories ---------------------------------------------------------------------- */

/* A word list written for these tests: ordinary news vocabulary. */
static const char *const vocab[] = {
    "أعلن",      "وزير",      "الخارجية", "اليوم",    "أن",          "المملكة", "ستعقد",
    "اجتماعا",   "مع",        "ممثلي",    "الدول",    "المشاركة",    "في",      "المؤتمر",
    "الاقتصادي", "الذي",      "يبدأ",     "أعماله",   "الأسبوع",     "المقبل",  "بمشاركة",
    "عدد",       "من",        "رجال",     "الأعمال",  "والمستثمرين", "وقال",    "المتحدث",
    "الرسمي",    "إن",        "الحكومة",  "تعمل",     "على",         "تطوير",   "البنية",
    "التحتية",   "للمدن",     "الصغيرة",  "وتوفير",   "فرص",         "العمل",   "للشباب",
    "وأضاف",     "البرنامج",  "يشمل",     "بناء",     "مدارس",       "جديدة",   "ومستشفيات",
    "وطرق",      "تربط",      "القرى",    "بالمدن",   "الكبرى",      "وأكد",    "رئيس",
    "اللجنة",    "أهمية",     "التعاون",  "بين",      "القطاعين",    "العام",   "والخاص",
    "لتحقيق",    "أهداف",     "الخطة",    "الوطنية",  "خلال",        "السنوات", "الخمس",
    "وأشار",     "إلى",       "ارتفاع",   "أسعار",    "النفط",       "ساعد",    "الميزانية",
    "وتابع",     "المواطنين", "سيشعرون",  "بالتغيير", "قريبا",       "وفي",     "سياق",
    "متصل",      "افتتح",     "أمير",     "المنطقة",  "معرضا",       "للكتاب",  "يضم",
    "دور",       "نشر",       "عربية",    "وأجنبية",  "ويستمر",      "عشرة",    "أيام",
    "الجامعة",   "الطلاب",    "الصحة",    "المرضى",   "الرياض",      "جدة",     "مكة",
    "الشرطة",    "الحادث",    "الطريق",   "السيارة",  "المباراة",    "الفريق",  "الهلال",
    "النصر",     "الدوري",    "الموسم",   "الأمطار",  "الطقس",       "درجات",   "الحرارة",
};
#define N_VOCAB KB_ARRAY_LEN(vocab)

/* A story of n words drawn from the word list with a seed. */
static void story(kb_buf *b, uint64_t seed, int n)
{
    uint64_t saved = rng_state;
    rng_state = seed * 0x9e3779b97f4a7c15ull + 1;
    for (int i = 0; i < n; i++) {
        if (i) kb__buf_puts(b, i % 13 == 0 ? ".\n" : " ");
        kb__buf_puts(b, vocab[rnd() % N_VOCAB]);
    }
    rng_state = saved;
}

/* Presentation (isolated) forms for some letters: ب ت ل م ن ر ع ا */
static const struct {
    const char *letter, *form;
} pforms[] = {
    {"ب", "\xef\xba\x8f"}, {"ت", "\xef\xba\x95"}, {"ل", "\xef\xbb\x9d"}, {"م", "\xef\xbb\xa1"},
    {"ن", "\xef\xbb\xa5"}, {"ر", "\xef\xba\xad"}, {"ع", "\xef\xbb\x89"}, {"ا", "\xef\xba\x8d"},
};

/* Writes a copy of src with the debris of the bitmask kinds: 1 harakat, 2 tatweel,
 * 4 presentation forms, 8 format controls, 16 whitespace, 32 a masthead line. */
static void debris_copy(kb_buf *out, const char *src, unsigned kinds)
{
    if (kinds & 32) kb__buf_puts(out, "AHDATH.INFO – أحداث أنفو\n");
    const unsigned char *s = (const unsigned char *)src;
    size_t i = 0, n = strlen(src);
    while (i < n) {
        size_t k = 1;
        if (s[i] >= 0xc0) k = s[i] >= 0xe0 ? 3 : 2;
        int is_arabic_letter = k == 2 && (s[i] == 0xd8 || s[i] == 0xd9);
        int done = 0;
        if ((kinds & 4) && k == 2 && rnd() % 3 == 0) {
            for (size_t f = 0; f < KB_ARRAY_LEN(pforms); f++)
                if (!memcmp(s + i, pforms[f].letter, 2)) {
                    kb__buf_puts(out, pforms[f].form);
                    done = 1;
                    break;
                }
        }
        if (!done) {
            if ((kinds & 16) && s[i] == ' ')
                kb__buf_puts(out, rnd() % 2 ? "  " : "\n\t ");
            else
                kb__buf_append(out, s + i, k);
        }
        i += k;
        int next_letter = i < n && (s[i] == 0xd8 || s[i] == 0xd9);
        if (is_arabic_letter && next_letter) {
            if ((kinds & 2) && rnd() % 4 == 0) kb__buf_puts(out, "ـ");
            if ((kinds & 8) && rnd() % 6 == 0)
                kb__buf_puts(out, rnd() % 2 ? "\xe2\x80\x8d" : "\xe2\x80\x8f");
        }
        if (is_arabic_letter && (kinds & 1) && rnd() % 2 == 0)
            kb__buf_puts(out, rnd() % 2 ? "َ" : "ِ");
    }
}

static void test_debris_copies_cluster(void)
{
    kb_dedup *d = kb_dedup_new(NULL);
    kb_buf base, other;
    kb__buf_init(&base, 0);
    kb__buf_init(&other, 0);
    story(&base, 1, 120);
    story(&other, 2, 120);
    uint32_t h0, h1, dup;
    kb_dedup_doc doc = {S("base"), S("src0"), S("2015-07-21"), S("عنوان الخبر"), S(base.p)};
    CHECK_INT(kb_dedup_add(d, &doc, &h0, &dup), 0);
    CHECK_INT(dup, KB_DEDUP_NONE);
    doc = (kb_dedup_doc){S("other"), S("src0"), S("2015-07-21"), S("عنوان آخر"), S(other.p)};
    CHECK_INT(kb_dedup_add(d, &doc, &h1, &dup), 0);
    CHECK_INT(dup, KB_DEDUP_NONE);
    /* Every combination of debris, several random draws each: always the base's cluster. */
    rng_state = 42;
    int n_copies = 0, n_together = 0;
    for (unsigned kinds = 1; kinds < 64; kinds++) {
        for (int draw = 0; draw < 3; draw++) {
            kb_buf c;
            kb__buf_init(&c, 0);
            debris_copy(&c, base.p, kinds);
            char id[32];
            snprintf(id, sizeof id, "copy-%u-%d", kinds, draw);
            doc = (kb_dedup_doc){S(id), S("src1"), S("2015-07-22"), S("عنوان الخبر"), S(c.p)};
            uint32_t h;
            kb_dedup_add(d, &doc, &h, &dup);
            n_copies++;
            if (kb_dedup_cluster_of(d, h) == kb_dedup_cluster_of(d, h0))
                n_together++;
            else
                fprintf(stderr, "     copy with debris %#x not clustered (sim %.3f)\n", kinds,
                        kb_dedup_similarity(d, h, h0));
            kb__buf_free(&c);
        }
    }
    CHECK_INT(n_together, n_copies);
    /* Copies without the masthead line are exact copies: similarity 1. */
    kb_buf c;
    kb__buf_init(&c, 0);
    debris_copy(&c, base.p, 1 | 2 | 4 | 8 | 16);
    doc = (kb_dedup_doc){S("exact"), S("src2"), S(""), S("عنوان الخبر"), S(c.p)};
    uint32_t he;
    kb_dedup_add(d, &doc, &he, &dup);
    CHECK(kb_dedup_similarity(d, he, h0) == 1.0);
    kb__buf_free(&c);
    /* The representative is the earliest dated; the unrelated story stays alone. */
    CHECK_INT(kb_dedup_cluster_of(d, he), h0);
    CHECK_INT(kb_dedup_cluster_of(d, h1), h1);
    kb_dedup_info info;
    CHECK_INT(kb_dedup_info_get(d, h1, &info), 0);
    CHECK_INT(info.cluster_size, 1);
    CHECK_INT(kb_dedup_info_get(d, h0, &info), 0);
    CHECK_INT(info.cluster_size, n_copies + 2);
    kb__buf_free(&base);
    kb__buf_free(&other);
    kb_dedup_free(d);
}

static void test_near_copies(void)
{
    kb_buf longer, cut, excerpt, half, unrelated;
    kb__buf_init(&half, 0);
    kb__buf_init(&longer, 0);
    kb__buf_init(&cut, 0);
    kb__buf_init(&excerpt, 0);
    kb__buf_init(&unrelated, 0);
    story(&longer, 10, 400);
    /* The same story with its last 30 words cut and a line added: J ≈ 0.88. */
    story(&cut, 10, 370);
    kb__buf_puts(&cut, "\nللمزيد من الأخبار تابعونا على حسابنا");
    /* The story's first 60 words alone: J ≈ 0.14, containment ≈ 1. */
    story(&excerpt, 10, 60);
    /* The first half: J ≈ 0.5, containment ≈ 1. */
    story(&half, 10, 200);
    story(&unrelated, 11, 400);
    const struct {
        const kb_buf *text;
        const char *id;
        int with_containment, expect_dup, expect_dup_estimated; /* -1: the estimate is too rough */
    } rows[] = {
        {&cut, "cut", 1, 1, 1},
        {&excerpt, "excerpt", 1, 1, -1},
        {&half, "half", 1, 1, 1},
        {&excerpt, "excerpt-no-containment", 0, 0, 0},
        {&half, "half-no-containment", 0, 0, 0},
        {&unrelated, "unrelated", 1, 0, 0},
    };
    for (size_t i = 0; i < KB_ARRAY_LEN(rows); i++) {
        for (int est = 0; est < 2; est++) {
            int expect = est ? rows[i].expect_dup_estimated : rows[i].expect_dup;
            if (expect < 0) continue;
            kb_dedup_options o = {0};
            o.containment = rows[i].with_containment ? 0 : -1;
            o.estimate_only = est;
            kb_dedup *d = kb_dedup_new(&o);
            kb_dedup_doc a = {S("long"), S(""), S(""), S(""), S(longer.p)};
            kb_dedup_doc b = {S(rows[i].id), S(""), S(""), S(""), S(rows[i].text->p)};
            uint32_t ha, hb, dup;
            kb_dedup_add(d, &a, &ha, &dup);
            kb_dedup_add(d, &b, &hb, &dup);
            int together = kb_dedup_cluster_of(d, ha) == kb_dedup_cluster_of(d, hb);
            if (!kbt_check(together == expect, __FILE__, __LINE__, rows[i].id))
                fprintf(stderr, "     estimate_only=%d sim %.3f\n", est,
                        kb_dedup_similarity(d, ha, hb));
            kb_dedup_free(d);
        }
    }
    kb__buf_free(&longer);
    kb__buf_free(&cut);
    kb__buf_free(&excerpt);
    kb__buf_free(&half);
    kb__buf_free(&unrelated);
}

static void test_filter(void)
{
    kb_buf a, b;
    kb__buf_init(&a, 0);
    kb__buf_init(&b, 0);
    story(&a, 20, 150);
    story(&b, 21, 150);
    kb_dedup *d = kb_dedup_new(NULL);
    static const struct {
        int which;  /* 0: a, 1: b, 2: a with debris */
        int expect; /* kb_dedup_filter's return */
        uint32_t dup_of;
    } rows[] = {{0, 0, KB_DEDUP_NONE}, {1, 0, KB_DEDUP_NONE}, {2, 1, 0}, {0, 1, 0}, {1, 1, 1}};
    rng_state = 5;
    for (size_t i = 0; i < KB_ARRAY_LEN(rows); i++) {
        kb_buf c;
        kb__buf_init(&c, 0);
        if (rows[i].which == 2)
            debris_copy(&c, a.p, 63);
        else
            kb__buf_puts(&c, rows[i].which ? b.p : a.p);
        kb_dedup_doc doc = {S("x"), S(""), S(""), S(""), S(c.p)};
        uint32_t dup = 12345;
        double sim = -1;
        CHECK_INT(kb_dedup_filter(d, &doc, &dup, &sim), rows[i].expect);
        CHECK_INT(dup, rows[i].dup_of);
        CHECK(rows[i].expect ? sim >= 0.7 : sim == 0);
        kb__buf_free(&c);
    }
    CHECK_INT(kb_dedup_count(d), 2); /* only kept documents are added */
    kb_dedup_free(d);
    kb__buf_free(&a);
    kb__buf_free(&b);
}

/* Articles: blocks are the text (a block boundary separates words like a space); the filter
 * reports the kept copy's id. */
static void test_articles(void)
{
    kb_buf one, two;
    kb__buf_init(&one, 0);
    kb__buf_init(&two, 0);
    story(&one, 30, 90);
    story(&two, 31, 90);
    size_t half = one.n / 2;
    while (half < one.n && one.p[half] != ' ')
        half++;
    kb_block split[2] = {{KB_BLOCK_PARAGRAPH, {one.p, half}},
                         {KB_BLOCK_HEADING, {one.p + half + 1, one.n - half - 1}}};
    kb_block whole[1] = {{KB_BLOCK_PARAGRAPH, {one.p, one.n}}};
    kb_block other[1] = {{KB_BLOCK_PARAGRAPH, {two.p, two.n}}};
    kb_article a, b, c;
    memset(&a, 0, sizeof a);
    a.id = S("first");
    a.title = S("عنوان");
    a.blocks = split;
    a.n_blocks = 2;
    b = a;
    b.id = S("second");
    b.blocks = whole;
    b.n_blocks = 1;
    c = a;
    c.id = S("third");
    c.blocks = other;
    c.n_blocks = 1;
    kb_dedup *d = kb_dedup_new(NULL);
    uint32_t dup;
    double sim;
    CHECK_INT(kb_dedup_filter_article(d, &a, &dup, &sim), 0);
    CHECK_INT(kb_dedup_filter_article(d, &b, &dup, &sim), 1);
    kb_dedup_info info;
    CHECK_INT(kb_dedup_info_get(d, dup, &info), 0);
    CHECK(slice_eq(info.id, S("first")));
    CHECK(sim == 1.0);
    CHECK_INT(kb_dedup_filter_article(d, &c, &dup, &sim), 0);
    uint32_t h;
    CHECK_INT(kb_dedup_add_article(d, &b, &h, &dup), 0);
    CHECK_INT(dup, 0);
    CHECK_INT(kb_dedup_cluster_of(d, h), 0);
    kb_dedup_free(d);
    kb__buf_free(&one);
    kb__buf_free(&two);
}

/* ---- property: incremental clusters equal a from-scratch recomputation --------------------- */

#define P_DOCS 48

/* Generates document i of the property test: 12 stories, each with variants at varied
 * similarity (exact copies, copies with debris, cuts of 5–60 words, swapped sentences). */
static void property_doc(kb_buf *b, int i)
{
    int storyno = i / 4, variant = i % 4;
    int n = 80 + (storyno * 37) % 150;
    uint64_t saved = rng_state;
    rng_state = (uint64_t)i * 7919 + 3;
    switch (variant) {
    case 0:
        story(b, 100 + storyno, n);
        break;
    case 1: /* exact copy with debris */
    {
        kb_buf t;
        kb__buf_init(&t, 0);
        story(&t, 100 + storyno, n);
        debris_copy(b, t.p, rnd() % 64 & ~32u);
        kb__buf_free(&t);
        break;
    }
    case 2: /* a cut: similarity from ~0.4 to ~0.95, around the threshold */
        story(b, 100 + storyno, n - 5 - (storyno * 11) % 55);
        break;
    default: /* a chained variant: the cut plus a different tail */
        story(b, 100 + storyno, n - (storyno * 7) % 40);
        kb__buf_puts(b, " ");
        story(b, 500 + storyno, 10 + storyno);
        break;
    }
    rng_state = saved;
}

static void property_run(int estimate_only, uint64_t seed)
{
    kb_buf texts[P_DOCS];
    char ids[P_DOCS][16];
    for (int i = 0; i < P_DOCS; i++) {
        kb__buf_init(&texts[i], 0);
        property_doc(&texts[i], i);
        snprintf(ids[i], sizeof ids[i], "d%02d", i);
    }
    kb_dedup_options o = {0};
    o.estimate_only = estimate_only;
    kb_dedup *d = kb_dedup_new(&o);
    uint32_t handle[P_DOCS];
    for (int i = 0; i < P_DOCS; i++)
        handle[i] = KB_DEDUP_NONE;
    rng_state = seed;
    int mismatches = 0, checks = 0, edges_seen = 0;
    for (int step = 0; step < 400; step++) {
        int i = (int)(rnd() % P_DOCS);
        if (handle[i] == KB_DEDUP_NONE) {
            char date[16];
            snprintf(date, sizeof date, "2015-07-%02d", 1 + i % 28);
            kb_dedup_doc doc = {S(ids[i]), S("s"), S(i % 5 ? date : ""), S(""), S(texts[i].p)};
            kb_dedup_add(d, &doc, &handle[i], NULL);
        } else if (rnd() % 3 == 0) {
            CHECK_INT(kb_dedup_remove(d, handle[i]), 0);
            CHECK_INT(kb_dedup_remove(d, handle[i]), KB_ENOTFOUND);
            handle[i] = KB_DEDUP_NONE;
        }
        if (step % 20 != 19) continue;
        /* From scratch: the live documents, added in a shuffled order. */
        kb_dedup *f = kb_dedup_new(&o);
        uint32_t fh[P_DOCS];
        int order[P_DOCS];
        for (int k = 0; k < P_DOCS; k++)
            order[k] = k;
        for (int k = P_DOCS - 1; k > 0; k--) {
            int r = (int)(rnd() % (uint32_t)(k + 1)), t = order[k];
            order[k] = order[r];
            order[r] = t;
        }
        for (int k = 0; k < P_DOCS; k++) {
            int j = order[k];
            fh[j] = KB_DEDUP_NONE;
            if (handle[j] == KB_DEDUP_NONE) continue;
            char date[16];
            snprintf(date, sizeof date, "2015-07-%02d", 1 + j % 28);
            kb_dedup_doc doc = {S(ids[j]), S("s"), S(j % 5 ? date : ""), S(""), S(texts[j].p)};
            kb_dedup_add(f, &doc, &fh[j], NULL);
        }
        for (int a = 0; a < P_DOCS; a++) {
            if (handle[a] == KB_DEDUP_NONE) continue;
            kb_dedup_info ia, fa;
            kb_dedup_info_get(d, kb_dedup_cluster_of(d, handle[a]), &ia);
            kb_dedup_info_get(f, kb_dedup_cluster_of(f, fh[a]), &fa);
            checks++;
            if (slice_eq(ia.id, fa.id) == 0) mismatches++;
            for (int b = a + 1; b < P_DOCS; b++) {
                if (handle[b] == KB_DEDUP_NONE) continue;
                int t1 = kb_dedup_cluster_of(d, handle[a]) == kb_dedup_cluster_of(d, handle[b]);
                int t2 = kb_dedup_cluster_of(f, fh[a]) == kb_dedup_cluster_of(f, fh[b]);
                edges_seen += t1;
                checks++;
                mismatches += t1 != t2;
            }
        }
        kb_dedup_free(f);
    }
    if (!CHECK(mismatches == 0)) fprintf(stderr, "     %d mismatches\n", mismatches);
    if (mismatches)
        fprintf(stderr, "     estimate_only=%d seed=%llu\n", estimate_only,
                (unsigned long long)seed);
    CHECK(checks > 1000);
    CHECK(edges_seen > 50); /* the test meets clusters, not only singletons */
    kb_dedup_free(d);
    for (int i = 0; i < P_DOCS; i++)
        kb__buf_free(&texts[i]);
}

static void test_property(void)
{
    for (uint64_t seed = 1; seed <= 4; seed++) {
        property_run(0, seed);
        property_run(1, seed);
    }
}

/* ---- the index's tables (dedup_store.c) ---------------------------------------------------- */

static kb_article article_of(const char *id, const char *date, const kb_buf *text, kb_block *blk)
{
    kb_article a;
    memset(&a, 0, sizeof a);
    a.id = S(id);
    a.date = S(date);
    a.source = S("src");
    blk->type = KB_BLOCK_PARAGRAPH;
    blk->text = (kb_slice){text->p, text->n};
    a.blocks = blk;
    a.n_blocks = 1;
    return a;
}

static int64_t rep_of(sqlite3 *db, int64_t docid)
{
    int64_t rep;
    uint32_t size;
    kb__dedup_store *rd = NULL;
    if (kb__dedup_store_open_read(db, &rd)) return -1;
    int rc = kb__dedup_cluster_of(rd, docid, &rep, &size);
    kb__dedup_store_close(rd);
    return rc ? -1 : rep;
}

/*
 * The same property against the tables: random adds (each with a new docid, as the index gives),
 * deletes and re-adds; at checkpoints the representative of every live document must equal the
 * one in a fresh database where only the live documents were added.
 */
static void test_store_property(void)
{
    kb_buf texts[P_DOCS];
    for (int i = 0; i < P_DOCS; i++) {
        kb__buf_init(&texts[i], 0);
        property_doc(&texts[i], i);
    }
    for (uint64_t seed = 11; seed <= 14; seed++) {
        sqlite3 *db;
        CHECK_INT(sqlite3_open(":memory:", &db), SQLITE_OK);
        /* Seeds 13 and 14 go through a store (statements kept prepared), the others through the
         * plain hooks. */
        kb__dedup_store *store = NULL;
        if (seed >= 13) CHECK_INT(kb__dedup_store_open(db, &store), 0);
        int64_t docid_of[P_DOCS], next_docid = 1;
        for (int i = 0; i < P_DOCS; i++)
            docid_of[i] = 0;
        rng_state = seed;
        int mismatches = 0, together = 0, checks = 0;
        for (int step = 0; step < 240; step++) {
            int i = (int)(rnd() % P_DOCS);
            char id[16], date[16];
            snprintf(id, sizeof id, "d%02d", i);
            snprintf(date, sizeof date, "2015-07-%02d", 1 + i % 28);
            kb_block blk;
            if (!docid_of[i]) {
                kb_article a = article_of(id, i % 5 ? date : "", &texts[i], &blk);
                docid_of[i] = next_docid++;
                CHECK_INT(store ? kb__dedup_store_add(store, docid_of[i], &a)
                                : kb__dedup_on_add(db, docid_of[i], &a),
                          0);
            } else if (rnd() % 3 == 0) {
                CHECK_INT(store ? kb__dedup_store_delete(store, docid_of[i])
                                : kb__dedup_on_delete(db, docid_of[i]),
                          0);
                docid_of[i] = 0;
            }
            if (step % 30 != 29) continue;
            sqlite3 *f;
            sqlite3_open(":memory:", &f);
            /* In docid order, as a rebuilt index would add them. */
            for (int64_t d = 1; d < next_docid; d++)
                for (int j = 0; j < P_DOCS; j++)
                    if (docid_of[j] == d) {
                        snprintf(id, sizeof id, "d%02d", j);
                        snprintf(date, sizeof date, "2015-07-%02d", 1 + j % 28);
                        kb_article a = article_of(id, j % 5 ? date : "", &texts[j], &blk);
                        kb__dedup_on_add(f, d, &a);
                    }
            for (int j = 0; j < P_DOCS; j++) {
                if (!docid_of[j]) continue;
                int64_t r1 = rep_of(db, docid_of[j]), r2 = rep_of(f, docid_of[j]);
                checks++;
                mismatches += r1 != r2;
                together += r1 != docid_of[j];
            }
            sqlite3_close(f);
        }
        if (!CHECK(mismatches == 0))
            fprintf(stderr, "     seed %llu: %d mismatches\n", (unsigned long long)seed,
                    mismatches);
        CHECK(checks > 100);
        CHECK(together > 10);
        kb__dedup_store_close(store);
        CHECK_INT(sqlite3_close(db), SQLITE_OK); /* no statement left behind */
    }
    for (int i = 0; i < P_DOCS; i++)
        kb__buf_free(&texts[i]);
}

/* Clusters are stored: closing and reopening the database changes nothing. */
/* A temporary database file in path (a mkstemp template), and three texts: a story, a copy of
 * it under debris, and another story. */
static void db_and_texts(char *path, kb_buf *a, kb_buf *b, kb_buf *c, uint64_t seed)
{
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    kb__buf_init(a, 0);
    kb__buf_init(b, 0);
    kb__buf_init(c, 0);
    story(a, seed, 200);
    rng_state = 3;
    debris_copy(b, a->p, 63);
    story(c, seed + 1, 200);
}

/* Removes db_and_texts' database (and its WAL files) and frees the texts. */
static void db_and_texts_free(const char *path, kb_buf *a, kb_buf *b, kb_buf *c)
{
    unlink(path);
    char side[64];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    kb__buf_free(a);
    kb__buf_free(b);
    kb__buf_free(c);
}

static void test_store_restart(void)
{
    char path[] = "/tmp/kb_dedup_test_XXXXXX";
    kb_buf a, b, c;
    db_and_texts(path, &a, &b, &c, 70);
    sqlite3 *db;
    sqlite3_open(path, &db);
    kb_block blk;
    kb_article x = article_of("a", "2015-08-02", &a, &blk);
    CHECK_INT(kb__dedup_on_add(db, 1, &x), 0);
    x = article_of("b", "2015-08-01", &b, &blk);
    CHECK_INT(kb__dedup_on_add(db, 2, &x), 0);
    x = article_of("c", "2015-08-01", &c, &blk);
    CHECK_INT(kb__dedup_on_add(db, 3, &x), 0);
    CHECK_INT(rep_of(db, 1), 2); /* the earlier date represents */
    sqlite3_close(db);
    sqlite3_open(path, &db);
    CHECK_INT(rep_of(db, 1), 2);
    CHECK_INT(rep_of(db, 2), 2);
    CHECK_INT(rep_of(db, 3), 3);
    int64_t members[4];
    uint32_t n;
    kb__dedup_store *rd = NULL;
    CHECK_INT(kb__dedup_store_open_read(db, &rd), 0);
    CHECK_INT(kb__dedup_cluster_members(rd, 2, members, 4, &n), 0);
    kb__dedup_store_close(rd);
    CHECK_INT(n, 2);
    CHECK_INT(members[0], 1);
    /* Deleting the representative hands the cluster on. */
    CHECK_INT(kb__dedup_on_delete(db, 2), 0);
    CHECK_INT(rep_of(db, 1), 1);
    CHECK_INT(kb__dedup_on_delete(db, 99), 0); /* unknown: nothing to do */
    /* A damaged signature is KB_ECORRUPT, not a crash. */
    sqlite3_exec(db, "UPDATE dedup_docs SET sig = x'00' WHERE docid = 3", NULL, NULL, NULL);
    x = article_of("d", "", &c, &blk);
    CHECK_INT(kb__dedup_on_add(db, 4, &x), KB_ECORRUPT);
    sqlite3_close(db);
    unlink(path);
    kb__buf_free(&a);
    kb__buf_free(&b);
    kb__buf_free(&c);
}

static int64_t count_rows(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    int64_t n = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* A WAL database at path with a store on it (empty: mirrored). */
static sqlite3 *wal_db_with_store(const char *path, kb__dedup_store **s)
{
    sqlite3 *db;
    CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
    *s = NULL;
    CHECK_INT(kb__dedup_store_open(db, s), 0);
    return db;
}

static void store_txn_begin(sqlite3 *db, kb__dedup_store *s)
{
    sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    CHECK_INT(kb__dedup_store_begin(s), 0);
}

static void store_txn_commit(sqlite3 *db, kb__dedup_store *s)
{
    CHECK_INT(kb__dedup_store_flush(s), 0);
    CHECK_INT(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    kb__dedup_store_committed(s);
}

/*
 * A store keeps its key rows in memory until kb__dedup_store_flush: copies must still meet
 * within a transaction, across a commit (mirror), in a later session that reads the committed
 * rows with SQL, after a rollback (the pending rows are gone, the committed ones stay), and after
 * another connection wrote rows the store never saw (PRAGMA data_version ends the mirror).
 */
static void test_store_pending_keys(void)
{
    char path[] = "/tmp/kb_dedup_keys_XXXXXX";
    kb_buf a, b, c;
    db_and_texts(path, &a, &b, &c, 80);
    kb_block blk;
    kb_article xa = article_of("a", "2015-08-02", &a, &blk);
    kb_block blk2;
    kb_article xb = article_of("b", "2015-08-03", &b, &blk2);
    kb_block blk3;
    kb_article xc = article_of("c", "2015-08-04", &c, &blk3);
    const int64_t keys_per_doc = KB_DEDUP_BANDS + 1;

    sqlite3 *other;
    kb__dedup_store *s;
    sqlite3 *db = wal_db_with_store(path, &s);
    store_txn_begin(db, s);
    CHECK_INT(kb__dedup_store_add(s, 1, &xa), 0);
    CHECK_INT(kb__dedup_store_add(s, 2, &xb), 0);
    CHECK_INT(rep_of(db, 2), 1); /* met in memory */
    CHECK_INT(count_rows(db, "SELECT count(*) FROM dedup_keys"), 0);
    CHECK_INT(kb__dedup_store_add(s, 3, &xc), 0);
    CHECK_INT(kb__dedup_store_delete(s, 3), 0); /* its pending rows must not be written */
    store_txn_commit(db, s);
    CHECK_INT(count_rows(db, "SELECT count(*) FROM dedup_keys"), 2 * keys_per_doc);

    /* A rolled-back batch leaves neither rows nor memory of them. */
    store_txn_begin(db, s);
    CHECK_INT(kb__dedup_store_add(s, 4, &xc), 0);
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    kb__dedup_store_abort(s);
    store_txn_begin(db, s);
    xc.id = S("c2");
    CHECK_INT(kb__dedup_store_add(s, 4, &xc), 0); /* docid 4 again, as the index reuses it */
    CHECK_INT(rep_of(db, 4), 4);                   /* alone: the rolled-back row is forgotten */
    xa.id = S("a2");
    CHECK_INT(kb__dedup_store_add(s, 5, &xa), 0); /* meets 1 and 2 through the mirror */
    CHECK_INT(rep_of(db, 5), 1);
    store_txn_commit(db, s);
    CHECK_INT(count_rows(db, "SELECT count(*) FROM dedup_keys"), 4 * keys_per_doc);

    /* Another connection adds a copy of c; the store must see it although it never had its rows. */
    CHECK_INT(sqlite3_open(path, &other), SQLITE_OK);
    xc.id = S("c3");
    CHECK_INT(kb__dedup_on_add(other, 6, &xc), 0);
    CHECK_INT(rep_of(other, 6), 4);
    sqlite3_close(other);
    store_txn_begin(db, s);
    xc.id = S("c4");
    CHECK_INT(kb__dedup_store_add(s, 7, &xc), 0);
    CHECK_INT(count_rows(db, "SELECT count(*) FROM dedup_pairs WHERE b = 7"), 2); /* 4 and 6 */
    store_txn_commit(db, s);
    kb__dedup_store_close(s);

    /* A later session finds the committed rows with SQL, and this session's rows in memory. */
    s = NULL;
    CHECK_INT(kb__dedup_store_open(db, &s), 0);
    store_txn_begin(db, s);
    xb.id = S("b2");
    CHECK_INT(kb__dedup_store_add(s, 8, &xb), 0);
    CHECK_INT(rep_of(db, 8), 1);
    xb.id = S("b3");
    CHECK_INT(kb__dedup_store_add(s, 9, &xb), 0);
    CHECK_INT(count_rows(db, "SELECT count(*) FROM dedup_pairs WHERE b = 9"), 4); /* 1 2 5 8 */
    store_txn_commit(db, s);
    CHECK_INT(count_rows(db, "SELECT count(*) FROM dedup_keys"), 8 * keys_per_doc);
    kb__dedup_store_close(s);
    CHECK_INT(sqlite3_close(db), SQLITE_OK);
    db_and_texts_free(path, &a, &b, &c);
}

/* Adds x as documents from..to, ids "a<docid>". */
static void add_copies(kb__dedup_store *s, kb_article *x, int from, int to)
{
    char id[16];
    for (int d = from; d <= to; d++) {
        snprintf(id, sizeof id, "a%d", d);
        x->id = (kb_slice){id, strlen(id)};
        CHECK_INT(kb__dedup_store_add(s, d, x), 0);
    }
}

/*
 * The mirror across commits with deletions: a deleted document's rows stay in the store's table
 * (skipped) until they are a quarter of it, then a rebuild drops them; copies added afterwards
 * meet exactly the documents still there.
 */
static void test_store_mirror_deletes(void)
{
    char path[] = "/tmp/kb_dedup_mdel_XXXXXX";
    kb_buf a, b, c;
    db_and_texts(path, &a, &b, &c, 70);
    kb_block blk;
    kb_article xa = article_of("a", "2015-08-02", &a, &blk);
    kb__dedup_store *s;
    sqlite3 *db = wal_db_with_store(path, &s);
    store_txn_begin(db, s);
    add_copies(s, &xa, 1, 8); /* eight copies */
    store_txn_commit(db, s);
    store_txn_begin(db, s);
    for (int d = 1; d <= 5; d++) /* five of them deleted, the representative among them */
        CHECK_INT(kb__dedup_store_delete(s, d), 0);
    store_txn_commit(db, s);
    CHECK_INT(kb__dedup_store_mirrored(s), 1);
    store_txn_begin(db, s);
    add_copies(s, &xa, 9, 9);
    CHECK_INT(count_rows(db, "SELECT count(*) FROM dedup_pairs WHERE b = 9"), 3);
    CHECK_INT(count_rows(db, "SELECT count(*) FROM dedup_pairs WHERE b = 9 AND a < 6"), 0);
    CHECK_INT(rep_of(db, 9), 6);
    store_txn_commit(db, s);
    CHECK_INT(kb__dedup_store_mirrored(s), 1);
    CHECK_INT(count_rows(db, "SELECT count(*) FROM dedup_keys"), 4 * (KB_DEDUP_BANDS + 1));
    CHECK_INT(count_rows(db, "SELECT count(*) FROM dedup_docs WHERE rep = 6"), 4);
    kb__dedup_store_close(s);
    CHECK_INT(sqlite3_close(db), SQLITE_OK);
    db_and_texts_free(path, &a, &b, &c);
}

/* Many documents on one key (a story copied N times): each copy meets every earlier one, across
 * a commit, and the rows of each key stay in docid order (the representative is the first). */
static void test_store_many_copies(void)
{
    enum { N = 300 };
    char path[] = "/tmp/kb_dedup_many_XXXXXX";
    kb_buf a, b, c;
    db_and_texts(path, &a, &b, &c, 60);
    kb_block blk;
    kb_article xa = article_of("a", "2015-08-02", &a, &blk);
    kb__dedup_store *s;
    sqlite3 *db = wal_db_with_store(path, &s);
    for (int half = 0; half < 2; half++) {
        store_txn_begin(db, s);
        add_copies(s, &xa, 1 + half * N / 2, (half + 1) * N / 2);
        store_txn_commit(db, s);
    }
    CHECK_INT(count_rows(db, "SELECT count(*) FROM dedup_pairs"), (int64_t)N * (N - 1) / 2);
    CHECK_INT(count_rows(db, "SELECT count(*) FROM dedup_docs WHERE rep = 1"), N);
    CHECK_INT(count_rows(db, "SELECT count(*) FROM dedup_keys"), (int64_t)N * (KB_DEDUP_BANDS + 1));
    kb__dedup_store_close(s);
    CHECK_INT(sqlite3_close(db), SQLITE_OK);
    db_and_texts_free(path, &a, &b, &c);
}

/* Every row of the dedup_* tables as text, in key order. */
static void tables_text(sqlite3 *db, kb_buf *out)
{
    static const char *const sql[] = {
        "SELECT docid, rep, n_words, date, hex(sig) FROM dedup_docs ORDER BY docid",
        "SELECT key, docid FROM dedup_keys ORDER BY key, docid",
        "SELECT a, b, sim, kind FROM dedup_pairs ORDER BY a, b",
    };
    kb__buf_reset(out);
    for (size_t q = 0; q < sizeof sql / sizeof *sql; q++) {
        sqlite3_stmt *st;
        CHECK_INT(sqlite3_prepare_v2(db, sql[q], -1, &st, NULL), SQLITE_OK);
        while (sqlite3_step(st) == SQLITE_ROW) {
            for (int c = 0; c < sqlite3_column_count(st); c++) {
                const unsigned char *v = sqlite3_column_text(st, c);
                kb__buf_append(out, v ? (const char *)v : "NULL", v ? strlen((const char *)v) : 4);
                kb__buf_append(out, c + 1 < sqlite3_column_count(st) ? "|" : "\n", 1);
            }
        }
        sqlite3_finalize(st);
        kb__buf_append(out, "--\n", 3);
    }
}

/*
 * A docid added again without a delete (the index never does; the hooks allow it): its rows go
 * in with a plain INSERT first, then through INSERT OR REPLACE when the key is taken. Adding the
 * same article again under the same docid leaves every row as it was, through the plain hooks and
 * through a store.
 */
static void test_store_add_again(void)
{
    char path[] = "/tmp/kb_dedup_again_XXXXXX";
    kb_buf a, b, c, before, after;
    db_and_texts(path, &a, &b, &c, 90);
    kb__buf_init(&before, 0);
    kb__buf_init(&after, 0);
    kb_block blk, blk2, blk3;
    kb_article xa = article_of("a", "2015-08-02", &a, &blk);
    kb_article xb = article_of("b", "2015-08-03", &b, &blk2);
    kb_article xc = article_of("c", "2015-08-04", &c, &blk3);
    for (int use_store = 0; use_store < 2; use_store++) {
        sqlite3 *db;
        CHECK_INT(sqlite3_open(":memory:", &db), SQLITE_OK);
        kb__dedup_store *s = NULL;
        if (use_store) CHECK_INT(kb__dedup_store_open(db, &s), 0);
        sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
        CHECK_INT(kb__dedup_store_begin(s), use_store ? 0 : KB_EINVAL);
#define ADD(d, x) (s ? kb__dedup_store_add(s, d, x) : kb__dedup_on_add(db, d, x))
        CHECK_INT(ADD(1, &xa), 0);
        CHECK_INT(ADD(2, &xb), 0);
        CHECK_INT(ADD(3, &xc), 0);
        if (s) CHECK_INT(kb__dedup_store_flush(s), 0);
        tables_text(db, &before);
        CHECK_INT(rep_of(db, 2), 1);
        CHECK_INT(count_rows(db, "SELECT count(*) FROM dedup_pairs"), 1);
        if (s) kb__dedup_store_committed(s);
        CHECK_INT(ADD(2, &xb), 0); /* its doc row and its pair with 1 are there already */
        CHECK_INT(ADD(1, &xa), 0); /* the representative, its cluster led by docid 1 itself */
        if (s) CHECK_INT(kb__dedup_store_flush(s), 0);
#undef ADD
        tables_text(db, &after);
        CHECK_INT(before.rc, 0);
        CHECK_INT(after.rc, 0);
        CHECK(before.n == after.n && memcmp(before.p, after.p, before.n) == 0);
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        kb__dedup_store_close(s);
        CHECK_INT(sqlite3_close(db), SQLITE_OK);
    }
    kb__buf_free(&before);
    kb__buf_free(&after);
    db_and_texts_free(path, &a, &b, &c);
}

/* kb__dedup_store_flush_step (the commit interleaves it with its other work): steps of any size
 * write the same rows as one flush, at least one group per step, and say when they are done. */
static void test_store_flush_steps(void)
{
    char path[] = "/tmp/kb_dedup_steps_XXXXXX";
    kb_buf a, b, c;
    db_and_texts(path, &a, &b, &c, 80);
    kb_block blk;
    kb_article xa = article_of("a", "2015-08-02", &a, &blk);
    const int64_t keys_per_doc = KB_DEDUP_BANDS + 1;
    sqlite3 *db;
    CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
    kb__dedup_store *s = NULL;
    CHECK_INT(kb__dedup_store_open(db, &s), 0);
    sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    CHECK_INT(kb__dedup_store_begin(s), 0);
    char id[16];
    for (int d = 1; d <= 9; d++) {
        snprintf(id, sizeof id, "a%d", d);
        xa.id = (kb_slice){id, strlen(id)};
        CHECK_INT(kb__dedup_store_add(s, d, &xa), 0);
    }
    CHECK_INT(kb__dedup_store_delete(s, 9), 0); /* its rows are never written */
    int steps = 0, r;
    while ((r = kb__dedup_store_flush_step(s, 1)) == 1) /* 1: at least a group per step */
        steps++;
    CHECK_INT(r, 0);
    CHECK(steps >= 2);
    CHECK_INT(kb__dedup_store_flush_step(s, 1), 0); /* done: nothing more */
    CHECK_INT(kb__dedup_store_flush(s), 0);
    CHECK_INT(count_rows(db, "SELECT count(*) FROM dedup_keys"), 8 * keys_per_doc);
    CHECK_INT(count_rows(db, "SELECT count(DISTINCT docid) FROM dedup_keys"), 8);
    CHECK_INT(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    kb__dedup_store_committed(s);
    /* The next batch flushes from its own start. */
    sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    CHECK_INT(kb__dedup_store_begin(s), 0);
    xa.id = S("a10");
    CHECK_INT(kb__dedup_store_add(s, 10, &xa), 0);
    CHECK_INT(kb__dedup_store_flush_step(s, 1000), 0);
    CHECK_INT(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    kb__dedup_store_committed(s);
    CHECK_INT(count_rows(db, "SELECT count(*) FROM dedup_keys"), 9 * keys_per_doc);
    kb__dedup_store_close(s);
    CHECK_INT(sqlite3_close(db), SQLITE_OK);
    db_and_texts_free(path, &a, &b, &c);
}

int main(void)
{
    test_fold_table();
    test_counts();
    test_estimate_tracks_exact();
    test_debris_copies_cluster();
    test_near_copies();
    test_filter();
    test_articles();
    test_property();
    test_store_property();
    test_store_restart();
    test_store_pending_keys();
    test_store_flush_steps();
    test_store_add_again();
    test_store_mirror_deletes();
    test_store_many_copies();
    return kbt_summary();
}
