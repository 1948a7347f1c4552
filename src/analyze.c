/*
 * analyze.c — the analyzer: text in, tokens out (the public kb_analyzer_* API).
 *
 * Ties the parts of the module together for one token at a time: the tokenizer (tokenize.c)
 * finds the token and its kind, normalize.c gives its normalized form, the stemmer of the chosen
 * mode gives its stem (stem.c for "light", libstemmer's Arabic algorithm for "snowball", the
 * normalized form itself for "none"), stopwords.c flags it. The analyzer owns two reusable
 * buffers (normalized form, stem) and never allocates per token once they have grown to the
 * longest token met. The index and the query side both call this, so they always agree.
 */
#include "khabar_int.h"

#include <libstemmer.h>

struct kb_analyzer {
    kb_stemmer_mode mode;
    struct sb_stemmer *sb;
    kb__tokenizer tok;
    const char *text;
    uint32_t position, sentence;
    uint32_t mask; /* hamza mask of the current token, between the two halves of _next */
    int norm_done; /* the current token was normalized by the scanner's table path */
    kb_buf norm, stem;
};

/* The normalized form and the stem of one token never exceed this: a token is at most
 * KB_URL_MAX_BYTES of input and NFKC grows a code point at most 18-fold (U+FDFA). */
#define NORM_MAX (KB_URL_MAX_BYTES * 18 + 64)

KB_API kb_analyzer *kb_analyzer_new(const kb_analyzer_options *opts)
{
    kb__chars_init();
    kb__lex_init();
    kb_analyzer *a = kb__calloc(1, sizeof *a);
    if (!a) return NULL;
    a->mode = opts ? opts->stemmer : KB_STEM_LIGHT;
    if ((unsigned)a->mode > KB_STEM_NONE) {
        kb__free(a);
        return NULL;
    }
    if (a->mode == KB_STEM_SNOWBALL) {
        a->sb = sb_stemmer_new("arabic", NULL);
        if (!a->sb) {
            kb__free(a);
            return NULL;
        }
    }
    kb__buf_init(&a->norm, NORM_MAX);
    kb__buf_init(&a->stem, NORM_MAX);
    /* The tokenizer writes Arabic words' normalized forms here directly: room for the longest. */
    if (kb__buf_reserve(&a->norm, KB_TOKEN_MAX_BYTES + 1 + KB_LEX_PAD) ||
        kb__buf_reserve(&a->stem, KB_TOKEN_MAX_BYTES + KB_STEM_SLACK)) {
        kb_analyzer_free(a);
        return NULL;
    }
    memset(a->norm.p, 0, a->norm.cap); /* the tokenizer reads a short word's padding */
    kb_analyzer_reset(a, "", 0);
    return a;
}

KB_API void kb_analyzer_free(kb_analyzer *a)
{
    if (!a) return;
    if (a->sb) sb_stemmer_delete(a->sb);
    kb__buf_free(&a->norm);
    kb__buf_free(&a->stem);
    kb__free(a);
}

KB_API void kb_analyzer_reset(kb_analyzer *a, const char *text, size_t len)
{
    a->text = text ? text : "";
    kb__tok_init(&a->tok, a->text, text ? len : 0);
    a->position = 0;
    a->sentence = 0;
    a->norm_done = 0;
}

/* URLs, emails and mentions: ASCII case folded, everything else kept byte for byte. */
static void fold_ascii(kb_buf *out, const char *s, size_t n)
{
    if (kb__buf_reserve(out, n)) return;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        out->p[out->n + i] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
    }
    out->n += n;
    out->p[out->n] = 0;
}

static int stem_token(kb_analyzer *a, kb_token *tok, uint32_t hamza_mask, unsigned lex,
                      const char *exc, int norm_done)
{
    int arabic = (tok->flags & (KB_TOK_ARABIC | KB_TOK_LATIN | KB_TOK_HASHTAG)) == KB_TOK_ARABIC;
    if (!arabic || a->mode == KB_STEM_NONE) {
        tok->stem = tok->norm;
        tok->stem_len = tok->norm_len;
        return 0;
    }
    if (a->mode == KB_STEM_LIGHT && norm_done && !((lex & KB_LEX_EXCEPT) && exc)) {
        /* The hot path: the scanner's words are what the stemmer wants (two bytes per letter,
         * padded buffer); the stem is a cut of the normalized form, often its own tail. Words
         * of up to 3 letters are their own stem: every rule leaves 2 letters after the article
         * and 3 after any other strip (checked for all 3-letter words and hamza masks). */
        if (tok->norm_len <= 6) {
            tok->stem = tok->norm;
            tok->stem_len = tok->norm_len;
        } else {
            tok->stem = kb__stem_light_cut(tok->norm, tok->norm_len, hamza_mask, lex, a->stem.p,
                                           &tok->stem_len);
        }
        return 0;
    }
    kb__buf_reset(&a->stem);
    if (a->mode == KB_STEM_SNOWBALL) {
        const sb_symbol *s =
            sb_stemmer_stem(a->sb, (const sb_symbol *)tok->norm, (int)tok->norm_len);
        if (!s) return KB_ENOMEM;
        kb__buf_append(&a->stem, s, (size_t)sb_stemmer_length(a->sb));
    } else {
        if (kb__buf_reserve(&a->stem, tok->norm_len + KB_STEM_SLACK)) return a->stem.rc;
        a->stem.n = kb__stem_light_lex(tok->norm, tok->norm_len, hamza_mask, lex, exc, a->stem.p);
    }
    if (a->stem.rc) return a->stem.rc;
    tok->stem = a->stem.p;
    tok->stem_len = a->stem.n;
    return 0;
}

/* The first half of kb_analyzer_next(): the next token with its normalized form; tok->stem is
 * not set yet. Returns 1, 0 at the end, or a negative KB_E* code. */
int kb__analyzer_next_norm(kb_analyzer *a, kb_token *tok)
{
    kb__rawtok r;
    for (;;) {
        a->tok.out = a->norm.p; /* Arabic words are normalized while scanned */
        if (!kb__tok_next(&a->tok, &r)) return 0;
        const char *s = a->text + r.start;
        size_t n = r.end - r.start;
        uint32_t mask = r.hamza_mask;
        if (r.norm_done) {
            a->norm.n = r.norm_len;
        } else {
            kb__buf_reset(&a->norm);
            if (r.flags & (KB_TOK_URL | KB_TOK_EMAIL | KB_TOK_MENTION))
                fold_ascii(&a->norm, s, n);
            else
                kb__normalize_token(s, n, (r.flags & KB_TOK_NUMBER) != 0, &a->norm, &mask);
        }
        if (a->norm.rc) return a->norm.rc;
        if (r.flags & KB_TOK_SENTENCE && a->position > 0) a->sentence++;
        if (a->norm.n == 0)
            continue; /* nothing left to match (a damaged or invisible-only token) */
        tok->start = r.start;
        tok->end = r.end;
        tok->norm = a->norm.p;
        tok->norm_len = a->norm.n;
        tok->stem = NULL;
        tok->stem_len = 0;
        tok->flags = r.flags;
        tok->position = a->position++;
        tok->sentence = a->sentence;
        a->mask = mask;
        a->norm_done = r.norm_done;
        return 1;
    }
}

uint32_t kb__analyzer_hamza_mask(const kb_analyzer *a)
{
    return a->mask;
}

/* The stem and stop flag of tok. fast: tok is the token kb__analyzer_next_norm() just gave, and
 * the scanner's table path normalized it into the norm buffer (padded: the lexicon and the
 * stemmer may read KB_LEX_PAD bytes past it, and its letters are two bytes each). */
static int stem_with(kb_analyzer *a, kb_token *tok, uint32_t mask, int fast)
{
    unsigned lex = 0;
    const char *exc = NULL;
    if ((tok->flags & (KB_TOK_ARABIC | KB_TOK_HASHTAG)) == KB_TOK_ARABIC) {
        lex = fast ? kb__lex_lookup_padded(tok->norm, tok->norm_len, &exc)
                   : kb__lex_lookup(tok->norm, tok->norm_len, &exc);
        if (lex & KB_LEX_STOP) tok->flags |= KB_TOK_STOP;
    }
    return stem_token(a, tok, mask, lex, exc, fast);
}

/* The second half: the stem of the token kb__analyzer_next_norm() just gave, and its stop flag. */
int kb__analyzer_stem(kb_analyzer *a, kb_token *tok)
{
    return kb__analyzer_stem_as(a, tok, a->mask);
}

/* The same for a token met earlier, given its normalized form, flags and hamza mask. */
int kb__analyzer_stem_as(kb_analyzer *a, kb_token *tok, uint32_t mask)
{
    return stem_with(a, tok, mask,
                     a->norm_done && tok->norm == a->norm.p && tok->norm_len == a->norm.n);
}

KB_API int kb_analyzer_next(kb_analyzer *a, kb_token *tok)
{
    int rc = kb__analyzer_next_norm(a, tok);
    if (rc <= 0) return rc;
    rc = kb__analyzer_stem(a, tok);
    return rc ? rc : 1;
}

KB_API size_t kb_analyzer_invalid_count(const kb_analyzer *a)
{
    return a ? a->tok.invalid : 0;
}

KB_API int kb_analyzer_stem_word(kb_analyzer *a, const char *text, size_t len, char *out,
                                 size_t out_size)
{
    if (!a || (!out && out_size)) return KB_EINVAL;
    kb_token t;
    kb_analyzer_reset(a, text, len);
    int rc = kb_analyzer_next(a, &t);
    if (out_size) out[0] = 0;
    if (rc <= 0 || out_size == 0) return rc < 0 ? rc : 0;
    size_t n = KB_MIN(t.stem_len, out_size - 1);
    while (n > 0 && n < t.stem_len && ((unsigned char)t.stem[n] & 0xC0) == 0x80)
        n--; /* cut on a character boundary */
    memcpy(out, t.stem, n);
    out[n] = 0;
    return (int)n;
}

KB_API const char *kb_stemmer_name(kb_stemmer_mode m)
{
    static const char *const names[] = {"light", "snowball", "none"};
    return (unsigned)m < KB_ARRAY_LEN(names) ? names[m] : NULL;
}

KB_API int kb_stemmer_parse(const char *name, kb_stemmer_mode *m)
{
    if (!name || !m) return KB_EINVAL;
    for (int i = 0; i < 3; i++)
        if (!strcmp(name, kb_stemmer_name((kb_stemmer_mode)i))) {
            *m = (kb_stemmer_mode)i;
            return 0;
        }
    return KB_EINVAL;
}
