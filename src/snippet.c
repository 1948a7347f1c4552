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
 *
 * Two things keep this cheap on the hot path of a search (it was half of a full answer's work):
 *   - the text is analyzed lazily, token by token as the window moves, and the scan stops at the
 *     first window that holds every query term: no later window can hold more distinct terms,
 *     and the earliest such window is the lead of a news article, which is what a reader wants
 *     to see. Only when no window holds them all is the whole text scanned (up to
 *     SNIP_MAX_TOKENS) for the one with the most distinct terms, then the most matches;
 *   - a kb__snipper remembers, per normalized form, which term it matched (or none), so the
 *     stemmer runs once per distinct word of the query's hits instead of once per token. The
 *     stem depends on the normalized form, the token's kind and its hamza mask: all three are
 *     the memo's key.
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
/* Normalized forms longer than this are not remembered (they are rare: URLs, long numbers). */
#define SNIP_MEMO_WORD_MAX 64
/* The memo's slots (a power of two) and the bytes of words it keeps; when either is three
 * quarters full it starts over. 4,096 distinct words cover the ten hits of a page. */
#define SNIP_MEMO_SLOTS 4096
#define SNIP_MEMO_BYTES (SNIP_MEMO_SLOTS * 16)
/* Terms a window counts (a query has at most KB_QUERY_MAX_TERMS words). */
#define SNIP_MAX_TERMS 64

typedef struct stok {
    uint32_t start, end;
    int16_t term; /* index of the matched term, or -1 */
} stok;

/* One remembered normalized form: its bytes at off in the memo's arena. */
typedef struct memo_slot {
    uint32_t hash, off;
    uint16_t len;
    uint16_t key; /* hamza mask (low 12 bits) and kind flags folded: see memo_key() */
    int16_t term;
    uint8_t used;
} memo_slot;

struct kb__snipper {
    kb_analyzer *an;
    const kb__snip_term *terms;
    size_t n_terms;
    size_t reachable; /* terms a token can match (see count_reachable) */
    memo_slot *slots;
    uint32_t n_used;
    kb_buf words;
    /* the text being scanned */
    stok *toks;
    size_t n_toks, cap_toks;
    int done; /* the analyzer reached the end of the text (or SNIP_MAX_TOKENS) */
    int rc;
};

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

/* A term is matched first by any earlier term with the same stem or form, so it can never be
 * counted: the early stop waits only for the terms a token can reach. */
static size_t count_reachable(const kb__snip_term *t, size_t n)
{
    size_t r = 0;
    for (size_t k = 0; k < n; k++) {
        int shadowed = 0;
        for (size_t j = 0; j < k && !shadowed; j++)
            shadowed = (t[k].stem_len && t[j].stem_len == t[k].stem_len &&
                        !memcmp(t[j].stem, t[k].stem, t[k].stem_len)) ||
                       (t[k].norm_len && t[j].norm_len == t[k].norm_len &&
                        !memcmp(t[j].norm, t[k].norm, t[k].norm_len));
        r += !shadowed;
    }
    return r;
}

int kb__snipper_new(kb_analyzer *an, const kb__snip_term *terms, size_t n_terms,
                    kb__snipper **out)
{
    *out = NULL;
    kb__snipper *s = kb__calloc(1, sizeof *s);
    if (!s) return KB_ENOMEM;
    s->an = an;
    s->terms = terms;
    s->n_terms = KB_MIN(n_terms, SNIP_MAX_TERMS);
    s->reachable = count_reachable(terms, s->n_terms);
    kb__buf_init(&s->words, SNIP_MEMO_BYTES);
    *out = s;
    return 0;
}

void kb__snipper_free(kb__snipper *s)
{
    if (!s) return;
    kb__free(s->slots);
    kb__buf_free(&s->words);
    kb__free(s->toks);
    kb__free(s);
}

static uint16_t memo_key(const kb_token *t, uint32_t mask)
{
    uint32_t kind = t->flags & (KB_TOK_ARABIC | KB_TOK_LATIN | KB_TOK_HASHTAG);
    return (uint16_t)((mask & 0xfffu) | (kind ? 0x1000u : 0) |
                      (kind & KB_TOK_LATIN ? 0x2000u : 0) | (kind & KB_TOK_HASHTAG ? 0x4000u : 0));
}

/* FNV-1a: words are a dozen bytes, where a simple hash is as fast as any. */
static uint32_t hash_word(const char *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h;
}

/* The term the current token matches: from the memo, or by stemming it (then remembered).
 * A mask that does not fit the key (past 12 bits) is never remembered. */
static int token_term(kb__snipper *s, kb_token *t)
{
    uint32_t mask = kb__analyzer_hamza_mask(s->an);
    int memo = t->norm_len <= SNIP_MEMO_WORD_MAX && mask <= 0xfffu;
    uint32_t h = 0, i = 0;
    uint16_t key = 0;
    if (memo) {
        if (!s->slots) {
            s->slots = kb__calloc(SNIP_MEMO_SLOTS, sizeof *s->slots);
            if (!s->slots) memo = 0;
        }
        key = memo_key(t, mask);
        h = hash_word(t->norm, t->norm_len);
        for (i = h & (SNIP_MEMO_SLOTS - 1); memo && s->slots[i].used;
             i = (i + 1) & (SNIP_MEMO_SLOTS - 1)) {
            const memo_slot *m = &s->slots[i];
            if (m->hash == h && m->len == t->norm_len && m->key == key &&
                !memcmp(s->words.p + m->off, t->norm, t->norm_len))
                return m->term;
        }
    }
    int rc = kb__analyzer_stem(s->an, t);
    if (rc) return rc < 0 ? INT16_MIN : -1;
    int term = match_term(t, s->terms, s->n_terms);
    if (memo) {
        if (s->n_used >= SNIP_MEMO_SLOTS / 4 * 3 ||
            s->words.n + t->norm_len > SNIP_MEMO_BYTES / 4 * 3) {
            /* full: start over (the next lookups refill it with the words that recur) */
            memset(s->slots, 0, SNIP_MEMO_SLOTS * sizeof *s->slots);
            s->n_used = 0;
            kb__buf_reset(&s->words);
            for (i = h & (SNIP_MEMO_SLOTS - 1); s->slots[i].used; i = (i + 1) & (SNIP_MEMO_SLOTS - 1))
                ;
        }
        size_t off = s->words.n;
        kb__buf_append(&s->words, t->norm, t->norm_len);
        if (!s->words.rc) {
            s->slots[i] = (memo_slot){h, (uint32_t)off, (uint16_t)t->norm_len, key,
                                      (int16_t)term, 1};
            s->n_used++;
        } else {
            s->words.rc = 0; /* out of memory for the memo only: go on without remembering */
            kb__buf_reset(&s->words);
        }
    }
    return term;
}

/* Starts a new text. */
static void text_begin(kb__snipper *s, const char *text, size_t n)
{
    kb_analyzer_reset(s->an, text, n);
    s->n_toks = 0;
    s->done = 0;
    s->rc = 0;
}

/* Makes sure toks[k] exists when the text has a token k; returns 1 when it does. Analysis errors
 * end the text and are kept in s->rc. */
static int have(kb__snipper *s, size_t k)
{
    while (s->n_toks <= k && !s->done) {
        kb_token t;
        int r = s->n_toks < SNIP_MAX_TOKENS ? kb__analyzer_next_norm(s->an, &t) : 0;
        if (r <= 0) {
            s->done = 1;
            if (r < 0) s->rc = r;
            break;
        }
        int term = token_term(s, &t);
        if (term == INT16_MIN) {
            s->done = 1;
            s->rc = KB_ENOMEM;
            break;
        }
        if (s->n_toks == s->cap_toks) {
            size_t nc = s->cap_toks ? s->cap_toks * 2 : 256;
            stok *nt = kb__realloc(s->toks, nc * sizeof *nt);
            if (!nt) {
                s->done = 1;
                s->rc = KB_ENOMEM;
                break;
            }
            s->toks = nt;
            s->cap_toks = nc;
        }
        s->toks[s->n_toks++] = (stok){(uint32_t)t.start, (uint32_t)t.end, (int16_t)term};
    }
    return k < s->n_toks;
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

int kb__snipper_best(kb__snipper *sn, const char *text, size_t n, size_t target, size_t *start,
                     size_t *end, kb_highlight **hl, size_t *n_hl, size_t *cap_hl)
{
    *n_hl = 0;
    *start = *end = 0;
    text_begin(sn, text, n);
    if (!have(sn, 0)) {
        if (sn->rc) return sn->rc;
        *end = KB_MIN(n, target); /* no words at all: cut on a character boundary */
        while (*end<n && * end> 0 && ((unsigned char)text[*end] & 0xC0) == 0x80)
            (*end)--;
        return 0;
    }
    /* Sliding window [i, j): j grows while the span fits, i follows. Tokens are analyzed as j
     * reaches them; the scan stops at the first window that holds every reachable term. */
    const stok *toks;
    uint32_t cnt[SNIP_MAX_TERMS] = {0};
    int distinct = 0, matches = 0;
    size_t best_i = 0, best_j = 0, j = 0;
    int best_score = -1;
    for (size_t i = 0; have(sn, i); i++) {
        if (j < i) j = i;
        while (have(sn, j) && (j == i || sn->toks[j].end - sn->toks[i].start <= target)) {
            if (sn->toks[j].term >= 0) {
                if (cnt[sn->toks[j].term]++ == 0) distinct++;
                matches++;
            }
            j++;
        }
        toks = sn->toks;
        /* only windows that start on a match are candidates (or the first window) */
        if (toks[i].term >= 0 || i == 0) {
            int score = distinct * 1000 + matches;
            if (score > best_score) {
                best_score = score;
                best_i = i;
                best_j = j;
            }
            if ((toks[i].term >= 0 || !sn->reachable) && (size_t)distinct >= sn->reachable) break;
        }
        if (toks[i].term >= 0) {
            if (--cnt[toks[i].term] == 0) distinct--;
            matches--;
        }
    }
    if (sn->rc) return sn->rc;
    toks = sn->toks;
    /* Give the window some lead: move its start back over earlier tokens while the budget
     * allows, at most SNIP_LEAD_BYTES (the start of the text when it is that close). */
    size_t ws = toks[best_i].start, we = toks[best_j - 1].end;
    size_t i0 = best_i;
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
    size_t j1 = best_j;
    while (have(sn, j1) && sn->toks[j1].end - ws <= target)
        j1++;
    int more = have(sn, j1); /* a token follows the snippet */
    if (sn->rc) return sn->rc;
    toks = sn->toks;
    we = toks[j1 - 1].end;
    /* keep a short punctuation run glued to the last word (".", "،", "»") */
    size_t p = we;
    while (p < n && p - we < SNIP_PUNCT_BYTES && !is_space_byte((unsigned char)text[p]) &&
           (!more || p < toks[j1].start))
        p++;
    if (p == n || is_space_byte((unsigned char)text[p])) we = p;
    if (!more && we < n) { /* the text ends in punctuation or spaces: take it to the end */
        size_t q = we;
        while (q < n && q - we < SNIP_PUNCT_BYTES && !is_space_byte((unsigned char)text[q]))
            q++;
        if (q == n) we = q;
    }
    int rc = 0;
    for (size_t k = i0; k < j1 && !rc; k++)
        if (toks[k].term >= 0) rc = push_hl(hl, n_hl, cap_hl, toks[k].start - ws, toks[k].end - ws);
    *start = ws;
    *end = we;
    return rc;
}

int kb__snipper_mark_all(kb__snipper *sn, const char *text, size_t n, kb_highlight **hl,
                         size_t *n_hl, size_t *cap_hl)
{
    *n_hl = 0;
    text_begin(sn, text, n);
    int rc = 0;
    for (size_t k = 0; !rc && have(sn, k); k++)
        if (sn->toks[k].term >= 0)
            rc = push_hl(hl, n_hl, cap_hl, sn->toks[k].start, sn->toks[k].end);
    return rc ? rc : sn->rc;
}

int kb__snippet_best(kb_analyzer *a, const char *text, size_t n, const kb__snip_term *terms,
                     size_t n_terms, size_t target, size_t *start, size_t *end, kb_highlight **hl,
                     size_t *n_hl, size_t *cap_hl)
{
    kb__snipper *sn;
    *n_hl = 0;
    *start = *end = 0;
    int rc = kb__snipper_new(a, terms, n_terms, &sn);
    if (!rc) rc = kb__snipper_best(sn, text, n, target, start, end, hl, n_hl, cap_hl);
    kb__snipper_free(sn);
    return rc;
}

int kb__snippet_mark_all(kb_analyzer *a, const char *text, size_t n, const kb__snip_term *terms,
                         size_t n_terms, kb_highlight **hl, size_t *n_hl, size_t *cap_hl)
{
    kb__snipper *sn;
    *n_hl = 0;
    int rc = kb__snipper_new(a, terms, n_terms, &sn);
    if (!rc) rc = kb__snipper_mark_all(sn, text, n, hl, n_hl, cap_hl);
    kb__snipper_free(sn);
    return rc;
}
