/*
 * test_clean.c — the cleaner: dates, line rules, the user's sample article, HTML extraction,
 * cross-document statistics and their model file, JSON, and out-of-memory at every allocation.
 */
#include "harness.h"
#include "khabar_int.h"

#include <stdio.h>
#include <stdlib.h>

/* ---- dates ----------------------------------------------------------------------------------- */

static void test_dates(void)
{
    static const struct {
        const char *in, *out;
    } rows[] = {
        {"2017-02-25T13:41:00+01:00", "2017-02-25T13:41:00+01:00"},
        {"2015-07-21 02:51:32", "2015-07-21T02:51:32"},
        {"2020-01-05Z", "2020-01-05"},
        {"26/05/2014", "2014-05-26"},
        {"2017/03/02 08:05", "2017-03-02T08:05:00"},
        {"القاهرة في 12 يناير 2021", "2021-01-12"},
        {"الأحد ٣ أبريل ٢٠٢٢", "2022-04-03"},
        {"دمشق، 14 كانون الثاني 2021", "2021-01-14"},
        {"بيروت 1 كانون الأول 2019", "2019-12-01"},
        {"بغداد 9 تشرين الثاني 2020", "2020-11-09"},
        {"10 آب 2018", "2018-08-10"},
        {"تونس في 3 جانفي 2017", "2017-01-03"},
        {"الجزائر 15 جويلية 2016", "2016-07-15"},
        {"الرباط 27 يوليوز 2019", "2019-07-27"},
        {"5 غشت 2019", "2019-08-05"},
        {"March 5, 2021", "2021-03-05"},
        {"1 رمضان 1442 هـ", "2021-04-13"},
        /* Umm al-Qura, where the tabular calendar says a day (or two) later */
        {"1 محرم 1432 هـ", "2010-12-07"},
        {"9 ذو الحجة 1431 هـ", "2010-11-15"},
        {"1 صفر 1432 هـ", "2011-01-05"},
        {"الرياض 26 شوال 1436 هـ الموافق 11 أغسطس 2015 م", "2015-08-11"},
        {"31 فبراير 2021", ""},  /* no such day */
        {"مارس", ""},            /* a month alone */
        {"في عام 2019 فقط", ""}, /* a year alone */
        {"99/99/2020", ""},
        {"", ""},
    };
    for (size_t i = 0; i < KB_ARRAY_LEN(rows); i++) {
        char out[64] = "";
        int k = kb_date_parse(rows[i].in, strlen(rows[i].in), out, sizeof out);
        if (k <= 0) out[0] = 0;
        CHECK_STR_MSG(out, rows[i].out, rows[i].in);
    }
}

/* ---- text rules --------------------------------------------------------------------------------
 */

static kb_record text_record(const char *body)
{
    kb_record r;
    memset(&r, 0, sizeof r);
    r.body.p = body;
    r.body.n = strlen(body);
    r.format = KB_FORMAT_TEXT;
    r.file = "test.txt";
    r.line = 1;
    return r;
}

/* The article's blocks as a string of letters: P paragraph, H heading, Q quote. */
static void shape(const kb_article *a, char *out, size_t size)
{
    size_t k = 0;
    for (size_t i = 0; i < a->n_blocks && k + 1 < size; i++)
        out[k++] = "PHQ"[a->blocks[i].type];
    out[k] = 0;
}

static void reasons(const kb_article *a, char *out, size_t size)
{
    out[0] = 0;
    for (size_t i = 0; i < a->n_dropped; i++) {
        if (i) strncat(out, ",", size - strlen(out) - 1);
        strncat(out, a->dropped[i].reason, size - strlen(out) - 1);
    }
}

#define PARA1                                                                                      \
    "وقال المتحدث باسم الوزارة إن الاجتماع بحث سبل التعاون في مجالات الطاقة والنقل والتعليم."
#define PARA3                                                                                                                                                            \
    "وأوضح التقرير السنوي أن عدد المسافرين عبر المطارات الدولية ارتفع بنسبة كبيرة خلال العام " \
    "الماضي، مدفوعا بعودة الرحلات السياحية وافتتاح خطوط جديدة إلى عدد من العواصم الآسيوية."
#define PARA2                                                                                      \
    "وأضاف أن الجانبين اتفقا على عقد اجتماع آخر في الشهر المقبل لمتابعة تنفيذ ما تم الاتفاق عليه."

static void test_text_rules(void)
{
    static const struct {
        const char *body, *title, *shape, *reasons;
    } rows[] = {
        /* headline, body */
        {"اجتماع وزاري لبحث التعاون الاقتصادي\n\n" PARA1 "\n\n" PARA2,
         "اجتماع وزاري لبحث التعاون الاقتصادي", "PP", ""},
        /* a repeated two-line masthead before the headline */
        {"اسم الجريدة\nرئيس التحرير فلان\nاسم الجريدة\nرئيس التحرير فلان\nاجتماع وزاري لبحث "
         "التعاون\n" PARA1,
         "اجتماع وزاري لبحث التعاون", "P", "masthead,masthead,masthead,masthead"},
        /* a short unpunctuated line between paragraphs is a heading */
        {"عنوان الخبر هنا اليوم\n" PARA1 "\nتفاصيل الاجتماع\n" PARA2, "عنوان الخبر هنا اليوم",
         "PHP", ""},
        /* a line that ends with punctuation is not a heading */
        {"عنوان الخبر هنا اليوم\n" PARA1 "\nوقال أيضا:\n" PARA2, "عنوان الخبر هنا اليوم", "PPP",
         ""},
        /* a whole-line quotation */
        {"عنوان الخبر هنا اليوم\n" PARA1 "\n«نحن ماضون في طريق الإصلاح حتى النهاية»\n" PARA2,
         "عنوان الخبر هنا اليوم", "PQP", ""},
        /* boilerplate lines at the end */
        {"عنوان الخبر هنا اليوم\n" PARA1 "\nتابعونا على تويتر\nفيسبوك تويتر واتساب\n"
         "© 2021 جميع الحقوق محفوظة\n(أ ف ب)\n// انتهى //\n* * *",
         "عنوان الخبر هنا اليوم", "P", "share,share,copyright,agency-tag,agency-tag,empty"},
        /* an end marker glued to the last paragraph is split off and dropped; a sentence that
         * ends with the verb "انتهى" keeps it */
        {"عنوان الخبر هنا اليوم\n" PARA1 "\n" PARA2 " // انتهى //", "عنوان الخبر هنا اليوم", "PP",
         "agency-tag"},
        {"عنوان الخبر هنا اليوم\n" PARA1 " (انتهى)", "عنوان الخبر هنا اليوم", "P", "agency-tag"},
        {"عنوان الخبر هنا اليوم\n" PARA1 "\nوقال إن الموعد المحدد للتسجيل في البرنامج قد انتهى.",
         "عنوان الخبر هنا اليوم", "PP", ""},
        /* a repeated long paragraph is dropped, short repeats are kept (a refrain, a list) */
        {"عنوان الخبر هنا اليوم\n" PARA1 "\nالمباراة الأولى:\n" PARA2 "\n" PARA3
         "\nالمباراة الأولى:\n" PARA3 "\n" PARA1,
         "عنوان الخبر هنا اليوم", "PPPPPP", "duplicate"},
        /* a sentence that mentions copyright is prose */
        {"عنوان الخبر هنا اليوم\n" PARA1 "\nويعتبر هذا البرنامج هدفا للشركات حول العالم لأنه "
         "ينتهك قواعد حقوق النشر من خلال نسخ الأفلام والمسلسلات.",
         "عنوان الخبر هنا اليوم", "PP", ""},
        /* a Latin site name and a byline tag at the top, no headline */
        {"EXAMPLE.INFO - متابعة\n" PARA1, "", "P", "masthead"},
        /* a long line mentioning a share word is prose */
        {"عنوان الخبر هنا اليوم\n" PARA1 "\nشارك في الاجتماع ممثلون عن عشر وزارات ومؤسسات عامة "
         "وخاصة، إلى جانب خبراء من الجامعات ومراكز البحث والهيئات الدولية المختصة بقضايا التنمية.",
         "عنوان الخبر هنا اليوم", "PP", ""},
        /* whitespace: NBSP and runs of spaces are tidied, blank lines vanish */
        {"  عنوان\xC2\xA0الخبر   هنا اليوم  \n \n\t\n" PARA1, "عنوان الخبر هنا اليوم", "P", ""},
        /* nothing at all */
        {"", "", "", ""},
        {"\n\n   \n", "", "", ""},
    };
    kb_cleaner *c = kb_cleaner_new(NULL);
    CHECK(c != NULL);
    for (size_t i = 0; i < KB_ARRAY_LEN(rows); i++) {
        kb_record r = text_record(rows[i].body);
        kb_article a;
        char got[256], label[64];
        snprintf(label, sizeof label, "text rule row %zu", i);
        CHECK_INT(kb_cleaner_clean(c, &r, &a), 0);
        CHECK_STR_MSG(a.title.p ? a.title.p : "", rows[i].title, label);
        shape(&a, got, sizeof got);
        CHECK_STR_MSG(got, rows[i].shape, label);
        reasons(&a, got, sizeof got);
        CHECK_STR_MSG(got, rows[i].reasons, label);
    }
    kb_cleaner_free(c);
}

static void test_keep_boilerplate(void)
{
    kb_cleaner_options o = {.keep_boilerplate = 1};
    kb_cleaner *c = kb_cleaner_new(&o);
    kb_record r = text_record("اسم الجريدة\nاسم الجريدة\n" PARA1 "\n// انتهى //");
    kb_article a;
    CHECK_INT(kb_cleaner_clean(c, &r, &a), 0);
    CHECK_INT(a.n_blocks, 4);
    CHECK_INT(a.n_dropped, 0);
    kb_cleaner_free(c);
}

/* ---- the user's sample article ------------------------------------------------------------ */

static char *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *p = malloc(1 << 20);
    *n = p ? fread(p, 1, (1 << 20) - 1, f) : 0;
    fclose(f);
    if (p) p[*n] = 0;
    return p;
}

static int is_space_line(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\r') return 0;
    return 1;
}

static void test_fixture(void)
{
    size_t n;
    char *text = read_all("examples/000_250a8f08833c77cf.txt", &n);
    CHECK(text != NULL);
    if (!text) return;
    kb_cleaner *c = kb_cleaner_new(NULL);
    kb_record r = text_record(text);
    r.body.n = n;
    kb_article a;
    CHECK_INT(kb_cleaner_clean(c, &r, &a), 0);
    /* the structure: four masthead lines, one caption and its copy, one heading */
    int masthead = 0, dup = 0;
    for (size_t i = 0; i < a.n_dropped; i++) {
        masthead += !strcmp(a.dropped[i].reason, KB_DROP_MASTHEAD);
        dup += !strcmp(a.dropped[i].reason, KB_DROP_DUPLICATE);
    }
    CHECK_INT(masthead, 4);
    CHECK_INT(dup, 1);
    CHECK_INT(a.n_dropped, 5);
    CHECK_INT(a.n_captions, 1);
    int headings = 0;
    for (size_t i = 0; i < a.n_blocks; i++)
        headings += a.blocks[i].type == KB_BLOCK_HEADING;
    CHECK_INT(headings, 1);
    CHECK(a.title.n > 0 && a.title.p[0] == (char)0xC2); /* starts with « */
    /* word for word: every long source line is the title or a block, byte for byte */
    size_t found = 0, long_lines = 0;
    for (char *p = text; *p;) {
        char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len > 100 && !is_space_line(p, len)) {
            long_lines++;
            found += a.title.n == len && !memcmp(a.title.p, p, len);
            for (size_t i = 0; i < a.n_blocks; i++)
                if (a.blocks[i].text.n == len && !memcmp(a.blocks[i].text.p, p, len)) found++;
        }
        p = e ? e + 1 : p + len;
    }
    CHECK_INT(long_lines, 13); /* the headline and twelve paragraphs */
    CHECK_INT(found, long_lines);
    /* the article text is the blocks joined by blank lines */
    CHECK(a.text.n > 0 && a.blocks[0].text.p == a.text.p);
    CHECK(a.arabic_share > 0.99);
    kb_cleaner_free(c);
    free(text);
}

/* ---- HTML --------------------------------------------------------------------------------------
 */

static void test_html(void)
{
    static const char page[] =
        "<html><head><title>انتخابات بلدية في ثلاث مدن | موقع المثال</title>"
        "<meta property='og:site_name' content='موقع المثال'>"
        "<meta property='article:published_time' content='2019-05-06T10:00:00Z'></head><body>"
        "<div class='menu'><a href='/'>الرئيسية</a> <a href='/x'>سياسة</a> <a href='/y'>رياضة</a>"
        "</div><div class='content'><h1>انتخابات بلدية في ثلاث مدن</h1>"
        "<p>" PARA1 "</p><h2>نسب المشاركة</h2><p>" PARA2 "<br>" PARA1 " وتابع قائلا، إن "
        "النتائج ستعلن غدا.</p>"
        "<div class='share'><a href='#'>فيسبوك</a> <a href='#'>تويتر</a></div></div>"
        "<div class='footer'>جميع الحقوق محفوظة</div><script>var x = '<p>سكربت</p>';</script>"
        "</body></html>";
    kb_cleaner *c = kb_cleaner_new(NULL);
    kb_record r = text_record(page);
    r.format = KB_FORMAT_HTML;
    kb_article a;
    CHECK_INT(kb_cleaner_clean(c, &r, &a), 0);
    CHECK_STR(a.title.p, "انتخابات بلدية في ثلاث مدن");
    CHECK_STR(a.date.p, "2019-05-06T10:00:00Z");
    char got[64];
    shape(&a, got, sizeof got);
    CHECK_STR(got, "PHPP");
    int script = 0;
    for (size_t i = 0; i < a.n_blocks; i++)
        script += memmem(a.blocks[i].text.p, a.blocks[i].text.n, "سكربت", strlen("سكربت")) != NULL;
    CHECK_INT(script, 0);
    /* malformed pages never fail */
    static const char *const bad[] = {"",
                                      "<",
                                      "<<<>>>",
                                      "<html><body><p>نص",
                                      "\xff\xfe<p>",
                                      "<div><div><div></p></span></table>"};
    for (size_t i = 0; i < KB_ARRAY_LEN(bad); i++) {
        r = text_record(bad[i]);
        r.format = KB_FORMAT_HTML;
        CHECK_INT(kb_cleaner_clean(c, &r, &a), 0);
    }
    kb_cleaner_free(c);
}

/* ---- cross-document statistics ----------------------------------------------------------- */

static void test_linestats(void)
{
    static const char *const bodies[] = {
        "خبر أول عن الاقتصاد\n" PARA1 "\nللتواصل مع المحرر أرسل رسالة قصيرة",
        "خبر ثان عن السياسة\n" PARA2 "\nللتواصل مع المحرر أرسل رسالة قصيرة",
        ("خبر ثالث عن الرياضة\nفاز الفريق المحلي في مباراة الأمس بهدفين نظيفين أمام جمهوره.\n"
         "للتواصل مع المحرر أرسل رسالة قصيرة"),
    };
    kb_cleaner_options o = {.source_min_docs = 3};
    kb_cleaner *c = kb_cleaner_new(&o);
    kb_record r;
    for (int k = 0; k < 2; k++) /* 6 documents: each body twice */
        for (size_t i = 0; i < KB_ARRAY_LEN(bodies); i++) {
            r = text_record(bodies[i]);
            r.source.p = "موقع";
            r.source.n = strlen("موقع");
            CHECK_INT(kb_cleaner_learn(c, &r), 0);
        }
    kb_article a;
    CHECK_INT(kb_cleaner_clean(c, &r, &a), 0);
    char got[256];
    reasons(&a, got, sizeof got);
    CHECK_STR(got, "repeated-in-source");
    /* another source has no statistics */
    r.source.p = "آخر";
    r.source.n = strlen("آخر");
    CHECK_INT(kb_cleaner_clean(c, &r, &a), 0);
    CHECK_INT(a.n_dropped, 0);
    /* the model round trip */
    const char *path = "build-test-clean.model";
    CHECK_INT(kb_cleaner_model_save(c, path), 0);
    kb_cleaner *c2 = kb_cleaner_new(&o);
    CHECK_INT(kb_cleaner_model_load(c2, path), 0);
    r.source.p = "موقع";
    r.source.n = strlen("موقع");
    CHECK_INT(kb_cleaner_clean(c2, &r, &a), 0);
    reasons(&a, got, sizeof got);
    CHECK_STR(got, "repeated-in-source");
    kb_cleaner_free(c2);
    /* damaged models are refused */
    static const char *const damaged[] = {"",
                                          "not a model\n",
                                          "khabar-linestats 9\n",
                                          "khabar-linestats 1\nL\t00ff\t3\n",
                                          "khabar-linestats 1\nS\tx\t3\nL\tzz\t3\n",
                                          "khabar-linestats 1\nS\tx\tmany\n"};
    static const int want[] = {KB_ECORRUPT, KB_ECORRUPT, KB_EVERSION,
                               KB_ECORRUPT, KB_ECORRUPT, KB_ECORRUPT};
    for (size_t i = 0; i < KB_ARRAY_LEN(damaged); i++) {
        FILE *f = fopen(path, "w");
        fputs(damaged[i], f);
        fclose(f);
        c2 = kb_cleaner_new(NULL);
        CHECK_INT(kb_cleaner_model_load(c2, path), want[i]);
        kb_cleaner_free(c2);
    }
    remove(path);
    c2 = kb_cleaner_new(NULL);
    CHECK_INT(kb_cleaner_model_load(c2, "/nonexistent/dir/model"), KB_EIO);
    kb_cleaner_free(c2);
    kb_cleaner_free(c);
}

/* ---- JSON --------------------------------------------------------------------------------------
 */

static void test_json(void)
{
    kb_cleaner *c = kb_cleaner_new(NULL);
    kb_record r = text_record("عنوان \"مقتبس\" هنا\n" PARA1 "\n\\ ***");
    r.id.p = "id\t1";
    r.id.n = 4;
    kb_article a;
    CHECK_INT(kb_cleaner_clean(c, &r, &a), 0);
    char *json;
    size_t len;
    CHECK_INT(kb_article_to_json(&a, 0, &json, &len), 0);
    CHECK(strncmp(json,
                  "{\"id\":\"id\\t1\",\"source\":\"\",\"url\":\"\",\"date\":\"\",\"title\":\"عنوان "
                  "\\\"مقتبس\\\" هنا\",\"captions\":[],\"blocks\":[{\"type\":\"paragraph\"",
                  120) == 0);
    CHECK(strstr(json, "\"dropped\":[{\"text\":\"\\\\ ***\",\"reason\":\"empty\"}]") != NULL);
    CHECK(strstr(json, "\"arabic_share\":1.000,\"repaired\":0}") != NULL);
    CHECK_INT(len, strlen(json));
    kb_json_free(json);
    CHECK_INT(kb_article_to_json(&a, KB_JSON_NO_DROPPED | KB_JSON_NO_QUALITY, &json, NULL), 0);
    CHECK(strstr(json, "dropped") == NULL && strstr(json, "arabic_share") == NULL);
    kb_json_free(json);
    kb_json_free(NULL);
    CHECK_STR(kb_block_type_name(KB_BLOCK_QUOTE), "quote");
    kb_cleaner_free(c);
}

/* ---- out of memory at every allocation ------------------------------------------------------- */

static long budget;
static void *oom_malloc(void *ctx, size_t n)
{
    (void)ctx;
    return budget-- > 0 ? malloc(n) : NULL;
}
static void *oom_realloc(void *ctx, void *p, size_t n)
{
    (void)ctx;
    return budget-- > 0 ? realloc(p, n) : NULL;
}
static void oom_free(void *ctx, void *p)
{
    (void)ctx;
    free(p);
}

static void test_oom(void)
{
    kb_allocator al = {oom_malloc, oom_realloc, oom_free, NULL};
    static const char body[] = "اسم\nاسم\nعنوان الخبر هنا اليوم\n" PARA1 "\n" PARA2 "\n// انتهى //";
    int completed = 0, failed_cleanly = 0;
    for (long n = 0; n < 400 && !completed; n++) {
        kb_set_allocator(&al);
        budget = n;
        kb_cleaner *c = kb_cleaner_new(NULL);
        if (c) {
            kb_record r = text_record(body);
            kb_article a;
            int rc = kb_cleaner_learn(c, &r);
            if (!rc) rc = kb_cleaner_clean(c, &r, &a);
            char *json = NULL;
            if (!rc) rc = kb_article_to_json(&a, 0, &json, NULL);
            if (!rc)
                completed = 1;
            else if (rc == KB_ENOMEM)
                failed_cleanly++;
            kb_json_free(json);
        }
        kb_cleaner_free(c);
        kb_set_allocator(NULL);
    }
    CHECK(completed);
    CHECK(failed_cleanly > 5);
}

int main(void)
{
    test_dates();
    test_text_rules();
    test_keep_boilerplate();
    test_fixture();
    test_html();
    test_linestats();
    test_json();
    test_oom();
    return kbt_summary();
}
