/*
 * fuzz_html.c — libFuzzer harness for the HTML path of the cleaner: libxml2's parser under
 * khabar's content scoring, metadata and title extraction, then the text rules, over arbitrary
 * bytes given as an HTML record. Besides memory errors (ASan/UBSan) it checks the article's
 * promises and aborts when one breaks: every block lies inside the article text, in order and
 * separated by "\n\n"; every string is NUL-terminated where the API says so; every dropped line
 * has a known reason; the Arabic share is within 0..1; the JSON serialization succeeds.
 * Built as fuzz_html with -Dfuzzing=true (clang), and as replay_html for CI.
 */
#include "khabar.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_at(int ok, int line)
{
    if (!ok) {
        fprintf(stderr, "fuzz_html.c:%d: invariant broken\n", line);
        abort();
    }
}
#define check(ok) check_at((ok), __LINE__)

static int known_reason(const char *r)
{
    static const char *const reasons[] = {
        KB_DROP_MASTHEAD,  KB_DROP_DUPLICATE, KB_DROP_TITLE, KB_DROP_DATELINE, KB_DROP_SHARE,
        KB_DROP_COPYRIGHT, KB_DROP_AGENCY,    KB_DROP_EMPTY, KB_DROP_REPEATED, KB_DROP_NAVIGATION};
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
        if (!strcmp(r, reasons[i])) return 1;
    return 0;
}

/* The promises of a kb_article. */

static void fuzz_check_article(const kb_article *a)
{
    const char *p = a->text.p;
    for (size_t i = 0; i < a->n_blocks; i++) {
        const kb_block *b = &a->blocks[i];
        check(b->text.p >= a->text.p && b->text.p + b->text.n <= a->text.p + a->text.n);
        check(b->text.p >= p);
        check(b->text.n > 0);
        check(b->type == KB_BLOCK_PARAGRAPH || b->type == KB_BLOCK_HEADING ||
              b->type == KB_BLOCK_QUOTE);
        if (i) check(b->text.p - p == 2 && !memcmp(p, "\n\n", 2));
        p = b->text.p + b->text.n;
    }
    check(p == a->text.p + a->text.n || (!a->n_blocks && a->text.n == 0));
    for (size_t i = 0; i < a->n_dropped; i++) {
        check(known_reason(a->dropped[i].reason));
        check(a->dropped[i].text.p[a->dropped[i].text.n] == 0);
    }
    for (size_t i = 0; i < a->n_captions; i++)
        check(a->captions[i].n > 0 && a->captions[i].p[a->captions[i].n] == 0);
    check(a->title.n == 0 || a->title.p[a->title.n] == 0);
    check(a->date.n == 0 || (a->date.n >= 10 && a->date.p[4] == '-'));
    check(a->arabic_share >= 0.0 && a->arabic_share <= 1.0);
    char *json;
    size_t len;
    check(kb_article_to_json(a, 0, &json, &len) == 0);
    check(len == strlen(json) && json[0] == '{' && json[len - 1] == '}');
    kb_json_free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static kb_cleaner *c;
    if (!c) check((c = kb_cleaner_new(NULL)) != NULL);
    kb_record r;
    memset(&r, 0, sizeof r);
    r.body.p = (const char *)data;
    r.body.n = size;
    r.format = KB_FORMAT_HTML;
    r.file = "fuzz.html";
    kb_article a;
    check(kb_cleaner_clean(c, &r, &a) == 0);
    fuzz_check_article(&a);
    return 0;
}
