/*
 * fuzz_clean.c — libFuzzer harness for the text cleaner, the date parser and the statistics
 * model reader. The input's first byte picks the options (keep boilerplate or not, statistics or
 * not, a record title or not); the rest is the record body, also given to kb_date_parse() and,
 * written to a file, to kb_cleaner_model_load(). Checks the article's promises (see fuzz_html.c's
 * list, repeated here) and the date format, besides ASan/UBSan. Built as fuzz_clean with
 * -Dfuzzing=true (clang), and as replay_clean for CI.
 */
#include "khabar.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_at(int ok, int line)
{
    if (!ok) {
        fprintf(stderr, "fuzz_clean.c:%d: invariant broken\n", line);
        abort();
    }
}
#define check(ok) check_at((ok), __LINE__)

static void check_article(const kb_article *a)
{
    const char *p = a->text.p;
    for (size_t i = 0; i < a->n_blocks; i++) {
        const kb_block *b = &a->blocks[i];
        check(b->text.p >= a->text.p && b->text.p + b->text.n <= a->text.p + a->text.n);
        check(b->text.n > 0 && b->text.p[0] != ' ' && b->text.p[b->text.n - 1] != ' ');
        if (i) check(b->text.p - p == 2 && !memcmp(p, "\n\n", 2));
        p = b->text.p + b->text.n;
    }
    for (size_t i = 0; i < a->n_dropped; i++)
        check(a->dropped[i].reason && a->dropped[i].text.p[a->dropped[i].text.n] == 0);
    check(a->arabic_share >= 0.0 && a->arabic_share <= 1.0);
    char *json;
    size_t len;
    check(kb_article_to_json(a, 0, &json, &len) == 0);
    check(len == strlen(json));
    kb_json_free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size) return 0;
    unsigned opt = data[0];
    const char *body = (const char *)data + 1;
    size_t n = size - 1;

    /* dates: YYYY-MM-DD at least, digits and dashes where ISO puts them */
    char iso[64];
    int k = kb_date_parse(body, n, iso, sizeof iso);
    check(k >= 0 && k < (int)sizeof iso);
    if (k) {
        check(k >= 10 && iso[4] == '-' && iso[7] == '-' && (size_t)k == strlen(iso));
        int month = (iso[5] - '0') * 10 + (iso[6] - '0');
        int day = (iso[8] - '0') * 10 + (iso[9] - '0');
        check(month >= 1 && month <= 12 && day >= 1 && day <= 31);
    }

    kb_cleaner_options o = {.keep_boilerplate = (int)(opt & 1), .source_min_docs = 1};
    kb_cleaner *c = kb_cleaner_new(&o);
    check(c != NULL);
    kb_record r;
    memset(&r, 0, sizeof r);
    r.body.p = body;
    r.body.n = n;
    r.format = KB_FORMAT_TEXT;
    r.file = "dir/fuzz.txt";
    if (opt & 2) { /* the first line as the record's title */
        const char *nl = memchr(body, '\n', n);
        r.title.p = body;
        r.title.n = nl ? (size_t)(nl - body) : n;
    }
    if (opt & 4) /* statistics from the document itself */
        check(kb_cleaner_learn(c, &r) == 0);
    kb_article a;
    check(kb_cleaner_clean(c, &r, &a) == 0);
    check_article(&a);
    if (opt & 8) { /* the same bytes as a statistics model file: refused or loaded, never a crash */
        char path[64];
        snprintf(path, sizeof path, "/tmp/kb-fuzz-model.%d", (int)getpid());
        FILE *f = fopen(path, "wb");
        if (f) {
            fwrite(body, 1, n, f);
            fclose(f);
            int rc = kb_cleaner_model_load(c, path);
            check(rc == 0 || rc == KB_ECORRUPT || rc == KB_EVERSION || rc == KB_ENOMEM);
            remove(path);
            check(kb_cleaner_clean(c, &r, &a) == 0);
        }
    }
    kb_cleaner_free(c);
    return 0;
}
