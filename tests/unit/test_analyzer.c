/*
 * test_analyzer.c — unit tests of the analyzer: tokens and offsets, normalization, the light
 * stemmer's must-merge and must-not-merge pairs (issue 2, must-hold 1 and 2), stopwords,
 * sentences, the three stemmer modes, display repair, and hostile input.
 */
#include "harness.h"
#include "khabar.h"
#include "khabar_int.h"
#include "gen/stem_lists.h"

#include <stdlib.h>

/* Analyzes s and writes "norm|norm|…" (or stems, or offsets) into out. */
enum { NORMS, STEMS, SPANS, FLAGS, SENTS };
static void run(kb_analyzer *a, const char *s, int what, char *out, size_t size)
{
    kb_token t;
    size_t k = 0;
    out[0] = 0;
    kb_analyzer_reset(a, s, strlen(s));
    while (kb_analyzer_next(a, &t) > 0 && k + 1 < size) {
        int w = 0;
        const char *sep = k ? "|" : "";
        if (what == NORMS)
            w = snprintf(out + k, size - k, "%s%.*s", sep, (int)t.norm_len, t.norm);
        else if (what == STEMS)
            w = snprintf(out + k, size - k, "%s%.*s", sep, (int)t.stem_len, t.stem);
        else if (what == SPANS)
            w = snprintf(out + k, size - k, "%s%zu-%zu", sep, t.start, t.end);
        else if (what == FLAGS)
            w = snprintf(out + k, size - k, "%s%x", sep, t.flags);
        else
            w = snprintf(out + k, size - k, "%s%u", sep, t.sentence);
        if (w < 0) break;
        k += (size_t)w;
    }
}

static void stem_of(kb_analyzer *a, const char *w, char *out, size_t size)
{
    int n = kb_analyzer_stem_word(a, w, strlen(w), out, size);
    if (n < 0) out[0] = 0;
}

/* Must-hold 1: same stem in light mode. */
static const char *const must_merge[][2] = {
    {"والعراق", "العراق"},
    {"بالعراق", "العراق"},
    {"العراقية", "العراقي"},
    {"الوزيرة", "وزيرة"},
    {"للتحالف", "التحالف"},
    {"فالطالبات", "طالبات"},
    {"وأغراضها", "أغراض"},
    {"بدمج", "دمج"},
    {"المجاورة", "مجاورة"},
    {"أحمد", "احمد"},
    {"إرهاب", "ارهاب"},
    {"مدرسة", "مدرسه"},
    {"مستشفى", "مستشفي"},
    {"فى", "في"},
    {"كَتَبَ", "كتب"},
    {"الــعراق", "العراق"},
    {"٢٠١٧", "2017"},
    {"ﻣﺼﻄﻔﻰ", "مصطفى"},
    {"مصطفى\u200F", "مصطفى"},
    {"مصط\u200Cفى", "مصطفى"},
    {"\u200Fمصطفى", "مصطفى"},
    /* hamza carriers and Egyptian spellings */
    {"مسؤول", "مسئول"},
    {"شؤون", "شئون"},
    {"شيء", "شئ"},
    {"شىء", "شيء"},
    {"إلغاء", "الإلغاء"},
    {"الإلكتروني", "إلكتروني"},
    {"ألمانيا", "المانيا"},
    {"حكومتها", "الحكومة"},
    {"العراقيين", "العراقي"},
    {"وسيتم", "يتم"},
    {"اللاعبون", "لاعبين"},
    {"ڤيروس", "فيروس"},
    {"ی", "ي"},
    {"۲۰۱۷", "2017"},
    {"هاتفيًا", "هاتفي"},
};

/* Must-hold 2: the stem is not the word stripped of its first letter. */
static const char *const must_not[][2] = {
    {"وزيرة", "زير"}, {"وطن", "طن"},    {"فيلم", "يلم"},  {"كلام", "لام"},
    {"بنك", "نك"},    {"بطاقة", "طاق"}, {"فرنسا", "رنس"}, {"لبنان", "بنان"},
    {"عربة", "عرب"},  {"وزارة", "زار"}, {"سيارة", "يار"}, {"فريق", "ريق"},
};

static void test_stemmer_pairs(void)
{
    kb_analyzer *a = kb_analyzer_new(NULL);
    char s1[128], s2[128], label[256];
    for (size_t i = 0; i < sizeof must_merge / sizeof must_merge[0]; i++) {
        stem_of(a, must_merge[i][0], s1, sizeof s1);
        stem_of(a, must_merge[i][1], s2, sizeof s2);
        snprintf(label, sizeof label, "merge %s / %s", must_merge[i][0], must_merge[i][1]);
        CHECK(s1[0] != 0);
        CHECK_STR_MSG(s1, s2, label);
    }
    for (size_t i = 0; i < sizeof must_not / sizeof must_not[0]; i++) {
        stem_of(a, must_not[i][0], s1, sizeof s1);
        snprintf(label, sizeof label, "%s must not stem to %s", must_not[i][0], must_not[i][1]);
        kbt_check(strcmp(s1, must_not[i][1]) != 0, __FILE__, __LINE__, label);
    }
    /* عربة (cart) and عرب (Arabs) stay apart. */
    stem_of(a, "عربة", s1, sizeof s1);
    stem_of(a, "عرب", s2, sizeof s2);
    CHECK(strcmp(s1, s2) != 0);
    kb_analyzer_free(a);
}

static const struct {
    const char *in, *norms;
} norm_rows[] = {
    {"أإآٱ", "اااا"},
    {"مُحَمَّدٌ", "محمد"},
    {"مدرسة", "مدرسه"},
    {"على", "علي"},
    {"ﻻ", "لا"}, /* lam-alef ligature */
    {"ﷲ", "الله"},
    {"پژوهش چگونه", "بزوهش|جكونه"}, /* Persian letters */
    {"Hello WORLD", "hello|world"},
    {"ÉCOLE Straße", "école|strasse"}, /* NFKC + case folding */
    {"١٢٣ ۴۵۶", "123|456"},
    {"١٬٠٠٠ 1,000 ٣٫٥", "1000|1000|3.5"},
    {"شىء شئ", "شء|شء"},
    {"مسؤول مسئول", "مسءول|مسءول"},
    {"قرآن", "قران"},
    {"الْعَرَبِيَّةِ", "العربيه"},
    {"ٱلرَّحْمَٰنِ", "الرحمن"},                             /* Quranic: wasla and dagger alef */
    {"كرة\u00ADالقدم", "كرهالقدم"},                   /* a soft hyphen never splits */
    {"café cafe\u0301 CAFE\u0301", "café|café|café"}, /* composed or not, one form */
    {"فيل\u0677\u200Cلام", "فيلءلام"}, /* the slow path maps table letters as the fast one */
};

static void test_normalize(void)
{
    kb_analyzer *a = kb_analyzer_new(NULL);
    char out[512];
    for (size_t i = 0; i < sizeof norm_rows / sizeof norm_rows[0]; i++) {
        run(a, norm_rows[i].in, NORMS, out, sizeof out);
        CHECK_STR_MSG(out, norm_rows[i].norms, norm_rows[i].in);
    }
    kb_analyzer_free(a);
}

static const struct {
    const char *in, *spans, *norms;
} tok_rows[] = {
    {"", "", ""},
    {"  \n\t ", "", ""},
    {"قال، الرئيس؛ لماذا؟", "0-6|9-21|24-34", "قال|الرءيس|لماذا"},
    {"«الكاظمي» يبحث", "2-16|19-27", "الكاظمي|يبحث"},
    {"العدد 3.5 مليون", "0-10|11-14|15-25", "العدد|3.5|مليون"},
    {"في ٢٠١٧م", "0-4|5-13|13-15", "في|2017|م"},
    {"G20 mp3 4G", "0-3|4-7|8-10", "g20|mp3|4g"},
    {"زوروا https://example.com/a_b?x=1.", "0-10|11-38", "زوروا|https://example.com/a_b?x=1"},
    {"www.Example.com و info@Example.org", "0-15|16-18|19-35",
     "www.example.com|و|info@example.org"},
    {"#عاصي_الحلاني @Khabar_1", "0-24|25-34", "#عاصي_الحلاني|@khabar_1"},
    {"مصطفى\u200F الكاظمي", "0-10|14-28", "مصطفي|الكاظمي"},
    {"كورونا-19", "0-12|13-15", "كورونا|19"},
    {"abc\xff"
     "def",
     "0-7",
     "abc\xef\xbf\xbd"
     "def"},
};

static void test_tokenize(void)
{
    kb_analyzer *a = kb_analyzer_new(NULL);
    char out[512];
    for (size_t i = 0; i < sizeof tok_rows / sizeof tok_rows[0]; i++) {
        run(a, tok_rows[i].in, SPANS, out, sizeof out);
        CHECK_STR_MSG(out, tok_rows[i].spans, tok_rows[i].in);
        run(a, tok_rows[i].in, NORMS, out, sizeof out);
        CHECK_STR_MSG(out, tok_rows[i].norms, tok_rows[i].in);
    }
    /* flags */
    run(a, "في عام 2015 زار @x موقع a@b.co و #وسم", FLAGS, out, sizeof out);
    char want[128];
    snprintf(want, sizeof want, "%x|%x|%x|%x|%x|%x|%x|%x|%x",
             KB_TOK_ARABIC | KB_TOK_STOP | KB_TOK_SENTENCE, KB_TOK_ARABIC, KB_TOK_NUMBER,
             KB_TOK_ARABIC, KB_TOK_MENTION, KB_TOK_ARABIC, KB_TOK_EMAIL,
             KB_TOK_ARABIC | KB_TOK_STOP, KB_TOK_HASHTAG | KB_TOK_ARABIC);
    CHECK_STR(out, want);
    /* invalid UTF-8 is counted and flagged */
    kb_token t;
    kb_analyzer_reset(a, "\xc3(ab\x80", 6);
    while (kb_analyzer_next(a, &t) > 0)
        CHECK(t.flags & KB_TOK_REPAIRED);
    CHECK_INT(kb_analyzer_invalid_count(a), 2);
    kb_analyzer_free(a);
}

static const struct {
    const char *in, *sentences;
} sent_rows[] = {
    {"جاء. ذهب! لماذا؟ لا؛ نعم", "0|1|2|3|4"},
    {"السعر 3.5 دولار. انتهى", "0|0|0|1"},
    {"قال د. أحمد إن", "0|0|0|0"},
    {"Mr. Smith left. He said", "0|0|0|1|1"},
    {"سطر أول\nسطر ثان", "0|0|1|1"},
    {"انتظر… ثم", "0|1"},
    {"J. R. Tolkien", "0|0|0"},
};

static void test_sentences(void)
{
    kb_analyzer *a = kb_analyzer_new(NULL);
    char out[256];
    for (size_t i = 0; i < sizeof sent_rows / sizeof sent_rows[0]; i++) {
        run(a, sent_rows[i].in, SENTS, out, sizeof out);
        CHECK_STR_MSG(out, sent_rows[i].sentences, sent_rows[i].in);
    }
    kb_analyzer_free(a);
}

static void test_modes(void)
{
    kb_stemmer_mode m;
    CHECK_INT(kb_stemmer_parse("light", &m), 0);
    CHECK_INT(m, KB_STEM_LIGHT);
    CHECK_INT(kb_stemmer_parse("snowball", &m), 0);
    CHECK_INT(m, KB_STEM_SNOWBALL);
    CHECK_INT(kb_stemmer_parse("none", &m), 0);
    CHECK_INT(m, KB_STEM_NONE);
    CHECK_INT(kb_stemmer_parse("porter", &m), KB_EINVAL);
    CHECK_STR(kb_stemmer_name(KB_STEM_SNOWBALL), "snowball");
    CHECK(kb_stemmer_name((kb_stemmer_mode)7) == NULL);

    char out[128];
    kb_analyzer_options o = {KB_STEM_NONE};
    kb_analyzer *a = kb_analyzer_new(&o);
    run(a, "والعراق", STEMS, out, sizeof out);
    CHECK_STR(out, "والعراق");
    kb_analyzer_free(a);
    o.stemmer = KB_STEM_SNOWBALL;
    a = kb_analyzer_new(&o);
    CHECK(a != NULL);
    run(a, "والعراق بالعراق", STEMS, out, sizeof out);
    CHECK(out[0] != 0);
    kb_analyzer_free(a);
    o.stemmer = (kb_stemmer_mode)9;
    CHECK(kb_analyzer_new(&o) == NULL);
    kb_analyzer_free(NULL);
    CHECK_INT(kb_analyzer_invalid_count(NULL), 0);
}

static void test_stopwords(void)
{
    /* Every entry is normalized (or the lookup could never find it). */
    kb_buf b;
    kb__buf_init(&b, 0);
    int bad = 0;
    for (size_t i = 0; i < kb__n_stopwords; i++) {
        kb__buf_reset(&b);
        kb__normalize_token(kb__stopwords[i], strlen(kb__stopwords[i]), 0, &b, NULL);
        if (strcmp(b.p, kb__stopwords[i]) != 0) {
            fprintf(stderr, "stopword not normalized: %s\n", kb__stopwords[i]);
            bad++;
        }
    }
    CHECK_INT(bad, 0);
    /* So is every entry of the stemmer's lists (hand-written and generated). */
    static const struct {
        const char *const *words;
        const size_t *n;
        size_t stride;
    } lists[] = {
        {kb__stem_protect, &kb__stem_n_protect, 1}, {kb__stem_keep, &kb__stem_n_keep, 1},
        {kb__stem_except, &kb__stem_n_except, 2},   {kb__gen_protect, &kb__gen_n_protect, 1},
        {kb__gen_keep, &kb__gen_n_keep, 1},
    };
    bad = 0;
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++)
        for (size_t i = 0; i < *lists[l].n; i++) {
            /* A core (a word with its endings stripped) may end in يء: the final-hamza rule
             * applies to whole words only. */
            const char *w = lists[l].words[i * lists[l].stride];
            char fixed[128];
            size_t k = strlen(w) < sizeof fixed ? strlen(w) : sizeof fixed - 1;
            memcpy(fixed, w, k);
            fixed[kb__normalize_final_hamza(fixed, k)] = 0;
            kb__buf_reset(&b);
            kb__normalize_token(w, strlen(w), 0, &b, NULL);
            if (strcmp(b.p, fixed) != 0) {
                fprintf(stderr, "stemmer list entry not normalized: %s\n", w);
                bad++;
            }
        }
    CHECK_INT(bad, 0);
    kb__buf_free(&b);
    CHECK(kb__stopword("في", strlen("في")));
    CHECK(!kb__stopword("العراق", strlen("العراق")));
    kb_analyzer *a = kb_analyzer_new(NULL);
    char out[128];
    run(a, "فى الذى على", FLAGS, out, sizeof out);
    char want[64];
    unsigned f = KB_TOK_ARABIC | KB_TOK_STOP;
    snprintf(want, sizeof want, "%x|%x|%x", f | KB_TOK_SENTENCE, f, f);
    CHECK_STR(out, want);
    kb_analyzer_free(a);
}

static const struct {
    const char *in, *out;
    size_t repaired;
} repair_rows[] = {
    {"ﻣﺼﻄﻔﻰ", "مصطفى", 5},
    {"الــعراق", "العراق", 2},
    {"\xEF\xBB\xBFنص", "نص", 1},
    {"مصطفى\u200F \u200Eقال", "مصطفى قال", 2},
    {"كَتَبَ", "كَتَبَ", 0},       /* harakat are kept */
    {"a  b\n", "a  b\n", 0}, /* whitespace untouched */
    {"x\xffy", "x\xEF\xBF\xBDy", 1},
    {"\xEF\xBF\xBD", "\xEF\xBF\xBD", 0}, /* U+FFFD kept */
    {"ﺁﻻﻑ", "آلاف", 3},
    {"\u2067عنوان\u2069", "عنوان", 2},
};

static void test_repair(void)
{
    kb_buf b;
    kb__buf_init(&b, 0);
    for (size_t i = 0; i < sizeof repair_rows / sizeof repair_rows[0]; i++) {
        size_t n = 99;
        kb__buf_reset(&b);
        CHECK_INT(kb__repair(repair_rows[i].in, strlen(repair_rows[i].in), &b, &n), 0);
        CHECK_STR_MSG(b.p ? b.p : "", repair_rows[i].out, repair_rows[i].in);
        CHECK_INT(n, repair_rows[i].repaired);
    }
    kb__buf_free(&b);
}

static void test_normalize_text(void)
{
    kb_buf b;
    kb__buf_init(&b, 0);
    CHECK_INT(
        kb__normalize_text("قالَ الرئيسُ: «إنّ ٢٠١٧ عامٌ»", strlen("قالَ الرئيسُ: «إنّ ٢٠١٧ عامٌ»"), &b),
        0);
    CHECK_STR(b.p, "قال الرءيس ان 2017 عام");
    kb__buf_reset(&b);
    CHECK_INT(kb__normalize_word("  أحمد،", strlen("  أحمد،"), &b), 0);
    CHECK_STR(b.p, "احمد");
    kb__buf_free(&b);
}

/* Hostile input: long runs, lone marks, every byte value, truncated sequences. */
static void test_hostile(void)
{
    kb_analyzer *a = kb_analyzer_new(NULL);
    size_t n = 100000;
    char *s = malloc(n);
    kb_token t;
    int count = 0, ok = 1;
    memset(s, 'a', n);
    kb_analyzer_reset(a, s, n);
    size_t last = 0;
    while (kb_analyzer_next(a, &t) > 0) {
        ok &= t.start == last && t.end - t.start <= KB_TOKEN_MAX_BYTES;
        last = t.end;
        count++;
    }
    CHECK(ok);
    CHECK_INT(last, n);
    CHECK(count > 1);
    for (size_t i = 0; i < n; i++)
        s[i] = (char)(i * 7 + (i >> 8));
    kb_analyzer_reset(a, s, n);
    ok = 1;
    while (kb_analyzer_next(a, &t) > 0)
        ok &= t.start < t.end && t.end <= n && t.norm[t.norm_len] == 0;
    CHECK(ok);
    /* harakat only, tatweel only */
    kb_analyzer_reset(a, "َُِ ـــ", strlen("َُِ ـــ"));
    CHECK_INT(kb_analyzer_next(a, &t), 0);
    char out[4];
    CHECK(kb_analyzer_stem_word(a, "مصطفى", strlen("مصطفى"), out, sizeof out) <= 3);
    CHECK(strlen(out) == 2);
    free(s);
    kb_analyzer_free(a);
}

/* The analyzer gives words of up to 3 letters their own stem without running the stemmer
 * (analyze.c's hot path): true of the rules for every 3-letter word of U+0621..U+064A and every
 * hamza mask, exceptions (لله → الله) aside. One check, so that a rule change that breaks it
 * fails here. */
static void test_short_words_unstemmed(void)
{
    unsigned changed = 0, exceptions = 0;
    char w[16], out[16 + KB_STEM_SLACK];
    for (int a = 0x621; a <= 0x64A; a++)
        for (int b = 0x621; b <= 0x64A; b++)
            for (int c = 0x621; c <= 0x64A; c++) {
                size_t n = kb__utf8_encode(a, w);
                n += kb__utf8_encode(b, w + n);
                n += kb__utf8_encode(c, w + n);
                int except = (kb__lex_lookup(w, n, NULL) & KB_LEX_EXCEPT) != 0;
                for (uint32_t mask = 0; mask < 8; mask++) {
                    size_t k = kb__stem_light(w, n, mask, out);
                    if (k != n || memcmp(out, w, n) != 0) *(except ? &exceptions : &changed) += 1;
                }
            }
    CHECK_INT(changed, 0);
    CHECK(exceptions > 0); /* لله */
}

int main(void)
{
    test_stemmer_pairs();
    test_normalize();
    test_tokenize();
    test_sentences();
    test_modes();
    test_stopwords();
    test_repair();
    test_normalize_text();
    test_hostile();
    test_short_words_unstemmed();
    return kbt_summary();
}
