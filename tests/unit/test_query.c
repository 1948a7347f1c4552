/*
 * test_query.c — the query language: each row is a query and the tree it must parse to, written
 * as kb_query_explain() prints it. Stems and forms in the expected text are written {S:word} and
 * {F:word} and expanded with the analyzer itself, so the rows test the parser's shape, not the
 * analyzer's current stemming rules.
 */
#include "harness.h"
#include "khabar_int.h"

#include <stdio.h>
#include <stdlib.h>

static kb_analyzer *an;

static void analyze1(const char *w, int stem, char *out, size_t size)
{
    kb_token t;
    kb_analyzer_reset(an, w, strlen(w));
    if (kb_analyzer_next(an, &t) <= 0) {
        snprintf(out, size, "?");
        return;
    }
    snprintf(out, size, "%.*s", (int)(stem ? t.stem_len : t.norm_len), stem ? t.stem : t.norm);
}

/* Expands {S:word} and {F:word} in pattern. */
static void expand(const char *pat, char *out, size_t size)
{
    size_t o = 0;
    while (*pat && o + 1 < size) {
        if (pat[0] == '{' && (pat[1] == 'S' || pat[1] == 'F') && pat[2] == ':') {
            const char *end = strchr(pat, '}');
            char word[256], res[256];
            snprintf(word, sizeof word, "%.*s", (int)(end - pat - 3), pat + 3);
            analyze1(word, pat[1] == 'S', res, sizeof res);
            o += (size_t)snprintf(out + o, size - o, "%s", res);
            pat = end + 1;
            continue;
        }
        out[o++] = *pat++;
    }
    out[o < size ? o : size - 1] = 0;
}

static int is_stop(const char *w)
{
    kb_token t;
    kb_analyzer_reset(an, w, strlen(w));
    return kb_analyzer_next(an, &t) > 0 && (t.flags & KB_TOK_STOP);
}

static void explain_row(const char *query, const char *pattern)
{
    char want[2048], got[2048];
    expand(pattern, want, sizeof want);
    int rc = kb_query_explain(query, strlen(query), got, sizeof got);
    if (!kbt_check(rc >= 0, __FILE__, __LINE__, query))
        fprintf(stderr, "     rc %d for \"%s\"\n", rc, query);
    else
        CHECK_STR_MSG(got, want, query);
}

static const struct {
    const char *query, *expected;
} rows[] = {
    {"العراق", "(stem \"{S:العراق}\")"},
    {"  العراق  ", "(stem \"{S:العراق}\")"},
    {"والعراق سوريا", "(and (stem \"{S:والعراق}\") (stem \"{S:سوريا}\"))"},
    {"العراق AND سوريا", "(and (stem \"{S:العراق}\") (stem \"{S:سوريا}\"))"},
    {"\"مجلس الأمن\"", "(phrase \"{F:مجلس}\" \"{F:الأمن}\")"},
    {"«مجلس الأمن»", "(phrase \"{F:مجلس}\" \"{F:الأمن}\")"},
    {"“مجلس الأمن”", "(phrase \"{F:مجلس}\" \"{F:الأمن}\")"},
    {"\"العراق\"", "(form \"{F:العراق}\")"},
    {"العراق -سوريا", "(and (stem \"{S:العراق}\") (not (stem \"{S:سوريا}\")))"},
    {"العراق NOT سوريا", "(and (stem \"{S:العراق}\") (not (stem \"{S:سوريا}\")))"},
    {"العراق -\"مجلس الأمن\"",
     "(and (stem \"{S:العراق}\") (not (phrase \"{F:مجلس}\" \"{F:الأمن}\")))"},
    {"العراق OR سوريا", "(or (stem \"{S:العراق}\") (stem \"{S:سوريا}\"))"},
    {"العراق | سوريا", "(or (stem \"{S:العراق}\") (stem \"{S:سوريا}\"))"},
    {"العراق OR سوريا OR مصر",
     "(or (stem \"{S:العراق}\") (stem \"{S:سوريا}\") (stem \"{S:مصر}\"))"},
    {"(العراق OR سوريا) مصر",
     "(and (or (stem \"{S:العراق}\") (stem \"{S:سوريا}\")) (stem \"{S:مصر}\"))"},
    {"مصر العراق OR سوريا",
     "(and (stem \"{S:مصر}\") (or (stem \"{S:العراق}\") (stem \"{S:سوريا}\")))"},
    {"((العراق))", "(stem \"{S:العراق}\")"},
    {"(العراق (سوريا مصر))", "(and (stem \"{S:العراق}\") (stem \"{S:سوريا}\") (stem \"{S:مصر}\"))"},
    {"title:العراق", "(stem title: \"{S:العراق}\")"},
    {"title:\"مجلس الأمن\"", "(phrase title: \"{F:مجلس}\" \"{F:الأمن}\")"},
    {"title:(العراق سوريا)", "(and (stem title: \"{S:العراق}\") (stem title: \"{S:سوريا}\"))"},
    {"source:sabq العراق", "(stem \"{S:العراق}\") source:sabq"},
    {"العراق source:\"Al Riyadh\"", "(stem \"{S:العراق}\") source:Al Riyadh"},
    {"date:2018-02-01..2018-03-31 العراق", "(stem \"{S:العراق}\") date:2018-02-01..2018-03-31"},
    {"العراق date:2018", "(stem \"{S:العراق}\") date:2018-01-01..2018-12-31"},
    {"العراق date:2018-02", "(stem \"{S:العراق}\") date:2018-02-01..2018-02-28"},
    {"العراق date:2018-02-05", "(stem \"{S:العراق}\") date:2018-02-05..2018-02-05"},
    {"العراق date:..2018-03", "(stem \"{S:العراق}\") date:..2018-03-31"},
    {"العراق date:2015-07-01..", "(stem \"{S:العراق}\") date:2015-07-01.."},
    /* repairs: the query is still answered */
    {"\"مجلس الأمن", "(phrase \"{F:مجلس}\" \"{F:الأمن}\")"},
    {"(العراق سوريا", "(and (stem \"{S:العراق}\") (stem \"{S:سوريا}\"))"},
    {"العراق )", "(stem \"{S:العراق}\")"},
    {"OR العراق", "(stem \"{S:العراق}\")"},
    {"العراق OR", "(stem \"{S:العراق}\")"},
    {"العراق OR OR سوريا", "(or (stem \"{S:العراق}\") (stem \"{S:سوريا}\"))"},
    {"العراق -", "(stem \"{S:العراق}\")"},
    {"العراق --", "(stem \"{S:العراق}\")"},
    {"العراق ()", "(stem \"{S:العراق}\")"},
    {"العراق \"\"", "(stem \"{S:العراق}\")"},
    {"title: العراق", "(and (stem \"{S:title}\") (stem \"{S:العراق}\"))"},
    {"العراق OR -سوريا", "(stem \"{S:العراق}\")"},
    /* a group of exclusions alone has nothing to take from outside an AND (fuzz_query found the
     * OR case walking every docid up to 2^32) */
    {"العراق OR (-سوريا -مصر)", "(stem \"{S:العراق}\")"},
    {"العراق OR (-سوريا (-مصر))", "(stem \"{S:العراق}\")"},
    {"العراق -(-سوريا -مصر)", "(stem \"{S:العراق}\")"},
    {"العراق -(-سوريا)", "(stem \"{S:العراق}\")"},
    {"العراق (-سوريا -مصر)",
     "(and (stem \"{S:العراق}\") (not (stem \"{S:سوريا}\")) (not (stem \"{S:مصر}\")))"},
    {"-(-العراق)", "()"},
    {"(-العراق) OR (-سوريا)", "()"},
    {"-العراق", "()"},
    {"", "()"},
    {"   ", "()"},
    {"((()))", "()"},
    {"source:sabq", "() source:sabq"},
};

static void test_rows(void)
{
    for (size_t i = 0; i < KB_ARRAY_LEN(rows); i++)
        explain_row(rows[i].query, rows[i].expected);
}

static const struct {
    const char *query;
    int rc;
} errors[] = {
    {"العراق date:2018-13-01", KB_EQUERY},
    {"العراق date:2018-05-01..2018-01-01", KB_EQUERY},
    {"العراق date:yesterday", KB_EQUERY},
    {"العراق date:18-01-01", KB_EQUERY},
};

static void test_errors(void)
{
    char out[256];
    for (size_t i = 0; i < KB_ARRAY_LEN(errors); i++) {
        int rc = kb_query_explain(errors[i].query, strlen(errors[i].query), out, sizeof out);
        if (!kbt_check(rc == errors[i].rc, __FILE__, __LINE__, errors[i].query))
            fprintf(stderr, "     got %d, expected %d\n", rc, errors[i].rc);
    }
    /* the message says what is wrong */
    kb__query q;
    const char *bad = "date:2018-13-01";
    CHECK_INT(kb__query_parse(an, bad, strlen(bad), 0, &q), KB_EQUERY);
    CHECK(q.notice.n && strstr(q.notice.p, "date:"));
    kb__query_free(&q);
}

static void test_limits(void)
{
    char *big = malloc(KB_QUERY_MAX_BYTES + 2);
    memset(big, 'a', KB_QUERY_MAX_BYTES + 1);
    big[KB_QUERY_MAX_BYTES + 1] = 0;
    char out[64];
    CHECK_INT(kb_query_explain(big, KB_QUERY_MAX_BYTES + 1, out, sizeof out), KB_ETOOBIG);
    /* exactly at the limit is fine */
    CHECK(kb_query_explain(big, KB_QUERY_MAX_BYTES, out, sizeof out) > 0);

    /* KB_QUERY_MAX_TERMS words pass, one more is refused with a message */
    size_t o = 0;
    for (int i = 0; i < KB_QUERY_MAX_TERMS + 1; i++)
        o += (size_t)sprintf(big + o, "w%d ", i);
    size_t n_ok = 0;
    for (int i = 0, spaces = 0; big[n_ok]; n_ok++)
        if (big[n_ok] == ' ' && ++spaces == KB_QUERY_MAX_TERMS) {
            (void)i;
            break;
        }
    CHECK(kb_query_explain(big, n_ok, out, sizeof out) > 0);
    kb__query q;
    CHECK_INT(kb__query_parse(an, big, o, 0, &q), KB_ETOOBIG);
    CHECK(q.notice.n && strstr(q.notice.p, "words"));
    kb__query_free(&q);

    /* parentheses nested far past KB_QUERY_MAX_DEPTH: repaired, no crash */
    o = 0;
    for (int i = 0; i < 500; i++)
        big[o++] = '(';
    memcpy(big + o, "x", 1);
    o += 1;
    for (int i = 0; i < 500; i++)
        big[o++] = ')';
    CHECK(kb__query_parse(an, big, o, 0, &q) == 0 || q.notice.n > 0);
    kb__query_free(&q);

    /* title:title:title:… and long runs of operators stay bounded */
    o = 0;
    while (o + 8 < KB_QUERY_MAX_BYTES)
        o += (size_t)sprintf(big + o, "title:");
    big[o++] = 'x';
    CHECK(kb__query_parse(an, big, o, 0, &q) >= KB_ETOOBIG);
    kb__query_free(&q);
    o = 0;
    while (o + 4 < KB_QUERY_MAX_BYTES)
        o += (size_t)sprintf(big + o, "OR ");
    CHECK_INT(kb__query_parse(an, big, o, 0, &q), 0);
    CHECK(q.root == KB_QN_NONE);
    kb__query_free(&q);
    free(big);
}

static void test_repair_notice(void)
{
    static const char *repaired[] = {"\"مجلس الأمن", "(العراق", "العراق )", "OR العراق",
                                     "العراق OR", "العراق OR (-سوريا -مصر)",
                                     "العراق -(-سوريا)"};
    for (size_t i = 0; i < KB_ARRAY_LEN(repaired); i++) {
        kb__query q;
        int rc = kb__query_parse(an, repaired[i], strlen(repaired[i]), 0, &q);
        CHECK_INT(rc, 0);
        if (!kbt_check(q.repaired && q.notice.n > 0, __FILE__, __LINE__, repaired[i]))
            fprintf(stderr, "     no repair notice for \"%s\"\n", repaired[i]);
        kb__query_free(&q);
    }
    kb__query q;
    CHECK_INT(kb__query_parse(an, "العراق سوريا", strlen("العراق سوريا"), 0, &q), 0);
    CHECK(!q.repaired && q.notice.n == 0);
    kb__query_free(&q);
    CHECK_INT(kb__query_parse(an, "-العراق", strlen("-العراق"), 0, &q), 0);
    CHECK(q.root == KB_QN_NONE && q.notice.n > 0);
    kb__query_free(&q);
}

/* Stopwords go unless the query is only stopwords (checked only for words the analyzer stops). */
static void test_stopwords(void)
{
    const char *stop = "في";
    if (!is_stop(stop)) {
        printf("note: the analyzer does not flag \"%s\" as a stopword; stopword rows skipped\n",
               stop);
        return;
    }
    explain_row("في العراق", "(stem \"{S:العراق}\")");
    explain_row("في", "(stem \"{S:في}\")");
    explain_row("\"الحرب في العراق\"", "(phrase \"{F:الحرب}\" \"{F:في}\" \"{F:العراق}\")");
    /* an any-word query keeps them (ranked low) */
    kb__query q;
    kb_buf b;
    kb__buf_init(&b, 0);
    CHECK_INT(kb__query_parse(an, "في العراق", strlen("في العراق"), KB_QP_KEEP_STOP, &q), 0);
    kb__query_explain(&q, &b);
    char want[256];
    expand("(and (stem \"{S:في}\") (stem \"{S:العراق}\"))", want, sizeof want);
    CHECK_STR(b.p, want);
    kb__buf_free(&b);
    kb__query_free(&q);
}

/* The query side analyzes as the document side: clitic forms meet on one stem. */
static void test_same_analyzer(void)
{
    char a[64], b[64];
    analyze1("والعراق", 1, a, sizeof a);
    analyze1("العراق", 1, b, sizeof b);
    char e1[256], e2[256];
    CHECK(kb_query_explain("والعراق", strlen("والعراق"), e1, sizeof e1) > 0);
    snprintf(e2, sizeof e2, "(stem \"%s\")", a);
    CHECK_STR(e1, e2);
    if (strcmp(a, b) != 0)
        printf("note: analyzer does not yet merge والعراق and العراق (%s vs %s)\n", a, b);
}

static void test_explain_truncation(void)
{
    char small[8];
    int full = kb_query_explain("العراق سوريا", strlen("العراق سوريا"), small, sizeof small);
    CHECK(full > (int)sizeof small);
    CHECK_INT(strlen(small), sizeof small - 1);
    CHECK_INT(kb_query_explain(NULL, 3, small, sizeof small), KB_EINVAL);
    CHECK_INT(kb_query_explain(NULL, 0, small, sizeof small), 2); /* "()" */
}

int main(void)
{
    an = kb_analyzer_new(NULL);
    test_rows();
    test_errors();
    test_limits();
    test_repair_notice();
    test_stopwords();
    test_same_analyzer();
    test_explain_truncation();
    kb_analyzer_free(an);
    return kbt_summary();
}
