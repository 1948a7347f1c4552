/*
 * test_snippet.c — snippet windows and highlights. Rows give a text, the query words and a byte
 * budget, and the expected snippet with each highlight written [like this]. Properties checked
 * on every row as well: the snippet is a slice of the original text starting and ending on word
 * boundaries, and every highlight covers one whole token.
 */
#include "harness.h"
#include "khabar_int.h"

#include <stdio.h>
#include <stdlib.h>

static kb_analyzer *an;

/* Query words analyzed as the search side does; storage for up to 8 words. */
typedef struct qwords {
    kb__snip_term t[8];
    char buf[8][2][128];
    size_t n;
} qwords;

static void make_terms(const char *words, qwords *q)
{
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s", words);
    q->n = 0;
    for (char *w = strtok(tmp, " "); w && q->n < 8; w = strtok(NULL, " ")) {
        kb_token t;
        kb_analyzer_reset(an, w, strlen(w));
        if (kb_analyzer_next(an, &t) <= 0) continue;
        size_t i = q->n++;
        snprintf(q->buf[i][0], 128, "%.*s", (int)t.norm_len, t.norm);
        snprintf(q->buf[i][1], 128, "%.*s", (int)t.stem_len, t.stem);
        q->t[i].norm = q->buf[i][0];
        q->t[i].norm_len = strlen(q->buf[i][0]);
        q->t[i].stem = q->buf[i][1];
        q->t[i].stem_len = strlen(q->buf[i][1]);
    }
}

/* Renders text[s..e) with highlights bracketed. */
static void render(const char *text, size_t s, size_t e, const kb_highlight *hl, size_t n_hl,
                   char *out, size_t size)
{
    size_t o = 0, h = 0;
    for (size_t i = s; i <= e && o + 4 < size; i++) {
        if (h < n_hl && hl[h].end == i - s && i > s) {
            out[o++] = ']';
            h++;
        }
        if (i == e) break;
        if (h < n_hl && hl[h].start == i - s) out[o++] = '[';
        out[o++] = text[i];
    }
    out[o] = 0;
}

static int is_boundary(const char *text, size_t n, size_t i)
{
    if (i == 0 || i == n) return 1;
    unsigned char c = (unsigned char)text[i];
    return (c & 0xC0) != 0x80; /* at least never inside a UTF-8 sequence */
}

static void check_props(const char *label, const char *text, size_t s, size_t e,
                        const kb_highlight *hl, size_t n_hl)
{
    size_t n = strlen(text);
    int ok = s <= e && e <= n && is_boundary(text, n, s) && is_boundary(text, n, e);
    /* the snippet starts at the text's start or right after a space */
    ok = ok && (s == 0 || text[s - 1] == ' ' || text[s - 1] == '\n');
    for (size_t k = 0; k < n_hl && ok; k++) {
        size_t a = s + hl[k].start, b = s + hl[k].end;
        ok = a < b && b <= e && (k == 0 || hl[k - 1].end <= hl[k].start);
        /* whole word: bounded by space, punctuation or the text's ends */
        ok = ok && (a == 0 || text[a - 1] == ' ' || text[a - 1] == '\n' || text[a - 1] == '(');
    }
    if (!kbt_check(ok, __FILE__, __LINE__, label))
        fprintf(stderr, "     bad boundaries for \"%s\": [%zu,%zu)\n", label, s, e);
}

static const struct {
    const char *text, *words;
    size_t target;
    const char *expected;
} rows[] = {
    {"اجتمع مجلس الأمن اليوم.", "مجلس", 200, "اجتمع [مجلس] الأمن اليوم."},
    {"اجتمع مجلس الأمن اليوم.", "غائب", 200, "اجتمع مجلس الأمن اليوم."},
    {"", "مجلس", 200, ""},
    {"أ ب ت ث ج ح خ د ذ ر ز س ش ص ض ط ظ ع غ ف ق ك ل م ن ه و ي مجلس", "مجلس", 20, "ن ه و ي [مجلس]"},
    /* the window with both words wins over a window with one */
    {"مجلس قال شيئا هنا ثم كلاما كثيرا لا علاقة له بالموضوع على الإطلاق ثم مجلس الأمن انعقد",
     "مجلس الأمن", 40, "ثم [مجلس] [الأمن] انعقد"},
    /* punctuation stays glued to the last word, a word is never cut */
    {"الكلمة الأولى، الكلمة الثانية، الكلمة الثالثة.", "الثالثة", 200,
     "الكلمة الأولى، الكلمة الثانية، الكلمة [الثالثة]."},
    {"Latin words too: the council met today", "council", 200,
     "Latin words too: the [council] met today"},
};

static void test_rows(void)
{
    for (size_t i = 0; i < KB_ARRAY_LEN(rows); i++) {
        qwords q;
        make_terms(rows[i].words, &q);
        size_t s, e, n_hl = 0, cap = 0;
        kb_highlight *hl = NULL;
        const char *text = rows[i].text;
        int rc = kb__snippet_best(an, text, strlen(text), q.t, q.n, rows[i].target, &s, &e, &hl,
                                  &n_hl, &cap);
        CHECK_INT(rc, 0);
        char got[2048];
        render(text, s, e, hl, n_hl, got, sizeof got);
        CHECK_STR_MSG(got, rows[i].expected, rows[i].text);
        check_props(rows[i].text, text, s, e, hl, n_hl);
        kb__free(hl);
    }
}

/* A long article: the window finds the match deep inside, stays near the budget, keeps words
 * whole and never splits a UTF-8 sequence, for every budget. */
static void test_long(void)
{
    char *text = malloc(20000);
    size_t o = 0;
    for (int i = 0; i < 300; i++)
        o += (size_t)sprintf(text + o, "كلمة%d ", i);
    o += (size_t)sprintf(text + o, "انعقد مجلس الأمن في نيويورك ");
    for (int i = 0; i < 300; i++)
        o += (size_t)sprintf(text + o, "نص%d ", i);
    text[o] = 0;
    qwords q;
    make_terms("مجلس نيويورك", &q);
    for (size_t target = 1; target < 400; target += 7) {
        size_t s, e, n_hl = 0, cap = 0;
        kb_highlight *hl = NULL;
        CHECK_INT(kb__snippet_best(an, text, o, q.t, q.n, target, &s, &e, &hl, &n_hl, &cap), 0);
        char label[64];
        snprintf(label, sizeof label, "long text, target %zu", target);
        check_props(label, text, s, e, hl, n_hl);
        /* never much longer than asked: the budget, plus the lead-in and one word */
        if (!kbt_check(e - s <= target + 60 || n_hl <= 1, __FILE__, __LINE__, label))
            fprintf(stderr, "     %zu bytes for a %zu budget\n", e - s, target);
        CHECK(n_hl >= 1);
        if (n_hl)
            CHECK(!memcmp(text + s + hl[0].start, "مجلس", strlen("مجلس")) ||
                  !memcmp(text + s + hl[0].start, "نيويورك", strlen("نيويورك")));
        kb__free(hl);
    }
    free(text);
}

/* Words with clitics and diacritics are marked whole when the analyzer merges them. */
static void test_clitics(void)
{
    char a[64], b[64];
    kb_analyzer_stem_word(an, "والعراق", strlen("والعراق"), a, sizeof a);
    kb_analyzer_stem_word(an, "العراق", strlen("العراق"), b, sizeof b);
    if (strcmp(a, b)) {
        printf("note: analyzer keeps والعراق and العراق apart; clitic rows skipped\n");
        return;
    }
    const char *text = "زار الوفد سوريا والعراق ثم عاد.";
    qwords q;
    make_terms("العراق", &q);
    size_t s, e, n_hl = 0, cap = 0;
    kb_highlight *hl = NULL;
    CHECK_INT(kb__snippet_best(an, text, strlen(text), q.t, q.n, 200, &s, &e, &hl, &n_hl, &cap), 0);
    char got[512];
    render(text, s, e, hl, n_hl, got, sizeof got);
    CHECK_STR(got, "زار الوفد سوريا [والعراق] ثم عاد.");
    kb__free(hl);
}

static void test_mark_all(void)
{
    const char *title = "مجلس الأمن يجتمع ومجلس الوزراء";
    qwords q;
    make_terms("مجلس", &q);
    size_t n_hl = 0, cap = 0;
    kb_highlight *hl = NULL;
    CHECK_INT(kb__snippet_mark_all(an, title, strlen(title), q.t, q.n, &hl, &n_hl, &cap), 0);
    CHECK(n_hl >= 1);
    if (n_hl) CHECK(hl[0].start == 0 && hl[0].end == strlen("مجلس"));
    kb__free(hl);
}

int main(void)
{
    an = kb_analyzer_new(NULL);
    test_rows();
    test_long();
    test_clitics();
    test_mark_all();
    kb_analyzer_free(an);
    return kbt_summary();
}
