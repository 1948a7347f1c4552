/*
 * fuzz_analyze.c — libFuzzer harness for the analyzer: UTF-8 decoding, tokenization,
 * normalization, stemming (all three modes), stopwords, display repair and the normalized-text
 * helper, over arbitrary bytes. Besides memory errors (ASan/UBSan) it checks the analyzer's
 * promises and aborts when one breaks: tokens are in order, inside the text, non-empty, at most
 * KB_TOKEN_MAX_BYTES (KB_URL_MAX_BYTES for URLs) long, their strings NUL-terminated; light stems
 * stay within KB_STEM_SLACK of the normalized form; repair reports at most one fix per byte.
 * The normalized form the tokenizer builds while scanning must equal kb__normalize_token's.
 * Built as fuzz_analyze with -Dfuzzing=true (clang), and as replay_analyze for CI.
 */
#include "khabar.h"
#include "khabar_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_at(int ok, int line)
{
    if (!ok) {
        fprintf(stderr, "fuzz_analyze.c:%d: invariant broken\n", line);
        abort();
    }
}
#define check(ok) check_at((ok), __LINE__)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static kb_analyzer *an[3];
    if (!an[0]) {
        for (int m = 0; m < 3; m++) {
            kb_analyzer_options o = {(kb_stemmer_mode)m};
            an[m] = kb_analyzer_new(&o);
            check(an[m] != NULL);
        }
    }
    /* The first byte picks the stemmer mode; all bytes are the text. */
    kb_analyzer *a = an[size ? data[0] % 3 : 0];
    const char *text = (const char *)data;
    kb_token t;
    size_t last_end = 0;
    uint32_t last_pos = 0;
    int rc, first = 1;
    static kb_buf nb;
    if (!nb.max) kb__buf_init(&nb, 0);
    kb_analyzer_reset(a, text, size);
    while ((rc = kb_analyzer_next(a, &t)) > 0) {
        size_t max = (t.flags & KB_TOK_URL) ? KB_URL_MAX_BYTES : KB_TOKEN_MAX_BYTES;
        check(t.start >= last_end && t.start < t.end && t.end <= size);
        check(t.end - t.start <= max);
        check(t.norm && t.norm[t.norm_len] == 0 && t.norm_len > 0);
        check(t.stem && t.stem[t.stem_len] == 0);
        check(first || t.position == last_pos + 1);
        if (a == an[0]) check(t.stem_len < t.norm_len + KB_STEM_SLACK);
        /* Differential: the tokenizer's fused normalization equals kb__normalize_token's. */
        if (!(t.flags & (KB_TOK_URL | KB_TOK_EMAIL | KB_TOK_MENTION))) {
            kb__buf_reset(&nb);
            check(kb__normalize_token(text + t.start, t.end - t.start,
                                      (t.flags & KB_TOK_NUMBER) != 0, &nb, NULL) == 0);
            check(nb.n == t.norm_len && memcmp(nb.p, t.norm, nb.n) == 0);
        }
        last_end = t.end;
        last_pos = t.position;
        first = 0;
    }
    check(rc == 0);
    check(kb_analyzer_invalid_count(a) <= size);

    /* One word, into a small buffer: truncated on a character boundary. */
    char out[7];
    int n = kb_analyzer_stem_word(a, text, size, out, sizeof out);
    check(n >= 0 && n < (int)sizeof out && out[n] == 0);

    kb_buf b;
    kb__buf_init(&b, 0);
    size_t repaired = 0;
    check(kb__repair(text, size, &b, &repaired) == 0);
    check(repaired <= size);
    kb__buf_reset(&b);
    check(kb__normalize_text(text, size, &b) == 0);
    kb__buf_free(&b);
    return 0;
}
