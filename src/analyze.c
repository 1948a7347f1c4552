/*
 * analyze.c — PLACEHOLDER analyzer (whitespace tokens, no normalization) so the tree builds.
 * The real analyzer replaces this file.
 */
#include "khabar_int.h"

struct kb_analyzer {
    kb_stemmer_mode mode;
    const char *text;
    size_t len, pos;
    uint32_t position;
    kb_buf norm;
};

KB_API kb_analyzer *kb_analyzer_new(const kb_analyzer_options *opts)
{
    kb_analyzer *a = kb__calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->mode = opts ? opts->stemmer : KB_STEM_LIGHT;
    kb__buf_init(&a->norm, 0);
    return a;
}

KB_API void kb_analyzer_free(kb_analyzer *a)
{
    if (!a)
        return;
    kb__buf_free(&a->norm);
    kb__free(a);
}

KB_API void kb_analyzer_reset(kb_analyzer *a, const char *text, size_t len)
{
    a->text = text;
    a->len = len;
    a->pos = 0;
    a->position = 0;
}

KB_API int kb_analyzer_next(kb_analyzer *a, kb_token *tok)
{
    while (a->pos < a->len && (unsigned char)a->text[a->pos] <= ' ')
        a->pos++;
    if (a->pos >= a->len)
        return 0;
    size_t s = a->pos;
    while (a->pos < a->len && (unsigned char)a->text[a->pos] > ' ')
        a->pos++;
    kb__buf_reset(&a->norm);
    kb__buf_append(&a->norm, a->text + s, a->pos - s);
    if (a->norm.rc)
        return a->norm.rc;
    *tok = (kb_token){s, a->pos, a->norm.p, a->norm.n, a->norm.p, a->norm.n, 0, a->position++, 0};
    return 1;
}

KB_API size_t kb_analyzer_invalid_count(const kb_analyzer *a)
{
    KB_UNUSED(a);
    return 0;
}

KB_API int kb_analyzer_stem_word(kb_analyzer *a, const char *text, size_t len, char *out,
                                 size_t out_size)
{
    kb_token t;
    kb_analyzer_reset(a, text, len);
    int rc = kb_analyzer_next(a, &t);
    if (rc <= 0 || out_size == 0)
        return rc < 0 ? rc : 0;
    size_t n = KB_MIN(t.stem_len, out_size - 1);
    memcpy(out, t.stem, n);
    out[n] = 0;
    return (int)n;
}

KB_API const char *kb_stemmer_name(kb_stemmer_mode m)
{
    static const char *names[] = {"light", "snowball", "none"};
    return (unsigned)m < 3 ? names[m] : NULL;
}

KB_API int kb_stemmer_parse(const char *name, kb_stemmer_mode *m)
{
    for (int i = 0; i < 3; i++)
        if (!strcmp(name, kb_stemmer_name((kb_stemmer_mode)i))) {
            *m = (kb_stemmer_mode)i;
            return 0;
        }
    return KB_EINVAL;
}
