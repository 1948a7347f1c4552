/*
 * snippet.c — the best window of an article's original text, with the matched words marked.
 *
 * The article is analyzed again (the same analyzer as the index, so a token matches a query term
 * exactly when the index would have matched it), each token is tested against the query terms
 * by stem and by normalized form, and a sliding window over the tokens picks the span of about
 * `target` bytes that holds the most distinct query terms, then the most matches. The window is
 * cut at token boundaries of the ORIGINAL text, so a word is never split (that would break Arabic
 * letter joining) and diacritics stay as the user stored them; highlights are whole tokens, so
 * والعراق is marked whole when العراق was asked for.
 */
#include "khabar_int.h"

/* The snippet leaves this many bytes of context before its first match when it can, so the
 * reader sees what the matched word is about (about three Arabic words). */
#define SNIP_LEAD_BYTES 40
/* A trailing punctuation run shorter than this is kept with the last word (".", "،", "»."). */
#define SNIP_PUNCT_BYTES 8
/* Articles are analyzed up to this many tokens for a snippet; a window past them is rarely
 * better than one before, and it bounds the work per hit on giant documents. */
#define SNIP_MAX_TOKENS 20000

typedef struct stok {
    uint32_t start, end;
    int16_t term; /* index of the matched term, or -1 */
} stok;

static int match_term(const kb_token *t, const kb__snip_term *terms, size_t n_terms)
{
    for (size_t k = 0; k < n_terms; k++) {
        const kb__snip_term *q = &terms[k];
        if (q->stem_len && q->stem_len == t->stem_len && !memcmp(q->stem, t->stem, t->stem_len))
            return (int)k;
        if (q->norm_len && q->norm_len == t->norm_len && !memcmp(q->norm, t->norm, t->norm_len))
            return (int)k;
    }
    return -1;
}

/* Analyzes text into toks (grown as needed); returns the count or a negative error. */
static long tokenize(kb_analyzer *a, const char *text, size_t n, const kb__snip_term *terms,
                     size_t n_terms, stok **toks, size_t *cap)
{
    kb_token t;
    size_t cnt = 0;
    int r;
    kb_analyzer_reset(a, text, n);
    while (cnt < SNIP_MAX_TOKENS && (r = kb_analyzer_next(a, &t)) > 0) {
        if (cnt == *cap) {
            size_t nc = *cap ? *cap * 2 : 256;
            stok *nt = kb__realloc(*toks, nc * sizeof *nt);
            if (!nt) return KB_ENOMEM;
            *toks = nt;
            *cap = nc;
        }
        (*toks)[cnt].start = (uint32_t)t.start;
        (*toks)[cnt].end = (uint32_t)t.end;
        (*toks)[cnt].term = (int16_t)match_term(&t, terms, n_terms);
        cnt++;
    }
    if (cnt < SNIP_MAX_TOKENS && r < 0) return r;
    return (long)cnt;
}

static int push_hl(kb_highlight **hl, size_t *n_hl, size_t *cap_hl, size_t s, size_t e)
{
    if (*n_hl == *cap_hl) {
        size_t nc = *cap_hl ? *cap_hl * 2 : 16;
        kb_highlight *nh = kb__realloc(*hl, nc * sizeof *nh);
        if (!nh) return KB_ENOMEM;
        *hl = nh;
        *cap_hl = nc;
    }
    (*hl)[*n_hl].start = (uint32_t)s;
    (*hl)[*n_hl].end = (uint32_t)e;
    (*n_hl)++;
    return 0;
}

static int is_space_byte(unsigned char c)
{
    return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

int kb__snippet_best(kb_analyzer *a, const char *text, size_t n, const kb__snip_term *terms,
                     size_t n_terms, size_t target, size_t *start, size_t *end, kb_highlight **hl,
                     size_t *n_hl, size_t *cap_hl)
{
    stok *toks = NULL;
    size_t cap = 0;
    *n_hl = 0;
    *start = *end = 0;
    if (n_terms > 64) n_terms = 64;
    long nt = tokenize(a, text, n, terms, n_terms, &toks, &cap);
    if (nt < 0) return (int)nt;
    if (nt == 0) {
        *end = KB_MIN(n, target); /* no words at all: cut on a character boundary */
        while (*end<n && * end> 0 && ((unsigned char)text[*end] & 0xC0) == 0x80)
            (*end)--;
        kb__free(toks);
        return 0;
    }
    /* Sliding window [i, j): j grows while the span fits, i follows. */
    uint32_t cnt[64] = {0};
    int distinct = 0, matches = 0;
    long best_i = 0, best_j = 0;
    int best_score = -1;
    long j = 0;
    for (long i = 0; i < nt; i++) {
        if (j < i) j = i;
        while (j < nt && (j == i || toks[j].end - toks[i].start <= target)) {
            if (toks[j].term >= 0) {
                if (cnt[toks[j].term]++ == 0) distinct++;
                matches++;
            }
            j++;
        }
        /* only windows that start on a match are candidates (or the first window) */
        if (toks[i].term >= 0 || i == 0) {
            int score = distinct * 1000 + matches;
            if (score > best_score) {
                best_score = score;
                best_i = i;
                best_j = j;
            }
        }
        if (toks[i].term >= 0) {
            if (--cnt[toks[i].term] == 0) distinct--;
            matches--;
        }
    }
    /* Give the window some lead: move its start back over earlier tokens while the budget
     * allows, at most SNIP_LEAD_BYTES (the start of the text when it is that close). */
    size_t ws = toks[best_i].start, we = toks[best_j - 1].end;
    long i0 = best_i;
    while (i0 > 0 && ws - toks[i0 - 1].start <= SNIP_LEAD_BYTES &&
           we - toks[i0 - 1].start <= target) {
        i0--;
        ws = toks[i0].start;
    }
    if (i0 > 0 && toks[i0].start <= SNIP_LEAD_BYTES)
        ws = 0, i0 = 0;
    else if (i0 == 0)
        ws = toks[0].start <= SNIP_LEAD_BYTES ? 0 : toks[0].start;
    /* Fill the rest of the budget after the window. */
    long j1 = best_j;
    while (j1 < nt && toks[j1].end - ws <= target)
        j1++;
    we = toks[j1 - 1].end;
    /* keep a short punctuation run glued to the last word (".", "،", "»") */
    size_t p = we;
    while (p < n && p - we < SNIP_PUNCT_BYTES && !is_space_byte((unsigned char)text[p]) &&
           (j1 >= nt || p < toks[j1].start))
        p++;
    if (p == n || is_space_byte((unsigned char)text[p])) we = p;
    if (j1 >= nt && we < n) { /* the text ends in punctuation or spaces: take it to the end */
        size_t q = we;
        while (q < n && q - we < SNIP_PUNCT_BYTES && !is_space_byte((unsigned char)text[q]))
            q++;
        if (q == n) we = q;
    }
    int rc = 0;
    for (long k = i0; k < j1 && !rc; k++)
        if (toks[k].term >= 0) rc = push_hl(hl, n_hl, cap_hl, toks[k].start - ws, toks[k].end - ws);
    *start = ws;
    *end = we;
    kb__free(toks);
    return rc;
}

int kb__snippet_mark_all(kb_analyzer *a, const char *text, size_t n, const kb__snip_term *terms,
                         size_t n_terms, kb_highlight **hl, size_t *n_hl, size_t *cap_hl)
{
    stok *toks = NULL;
    size_t cap = 0;
    *n_hl = 0;
    if (n_terms > 64) n_terms = 64;
    long nt = tokenize(a, text, n, terms, n_terms, &toks, &cap);
    int rc = nt < 0 ? (int)nt : 0;
    for (long k = 0; k < nt && !rc; k++)
        if (toks[k].term >= 0) rc = push_hl(hl, n_hl, cap_hl, toks[k].start, toks[k].end);
    kb__free(toks);
    return rc;
}
