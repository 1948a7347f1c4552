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
/* A search's own memo: slots (a power of two) and bytes of forms and stems; when either is three
 * quarters full it starts over. 4,096 distinct words cover the ten hits of a page. (An index
 * handle lends its own, larger one: KB_STEM_MEMO_SLOTS in index.c.) */
#define SNIP_MEMO_SLOTS 4096
#define SNIP_MEMO_BYTES (SNIP_MEMO_SLOTS * 16)
/* Terms a window counts (a query has at most KB_QUERY_MAX_TERMS words). */
#define SNIP_MAX_TERMS 64

typedef struct stok {
    uint32_t start, end;
    int16_t term; /* index of the matched term, or -1 */
} stok;

/* One remembered normalized form and its stem: both at off in the memo's arena. */
typedef struct memo_slot {
    uint32_t hash, off;
    uint16_t len, stem_len;
    uint16_t key; /* hamza mask (low 12 bits) and kind flags folded: see memo_key() */
    uint16_t used;
} memo_slot;

/* The stems of normalized forms met so far (query-independent): a search's own, or one an index
 * handle keeps for every search it runs. */
struct kb__stem_memo {
    memo_slot *slots;
    uint32_t cap, n_used; /* cap: slots, a power of two */
    size_t max_bytes;
    kb_buf words;
};

struct kb__snipper {
    kb_analyzer *an;
    const kb__snip_term *terms;
    size_t n_terms;
    size_t reachable; /* terms a token can match (see count_reachable) */
    kb__stem_memo *memo, *own; /* the memo used; own: the snipper's, used when none is lent */
    /* the text being scanned */
    stok *toks;
    size_t n_toks, cap_toks;
    int done; /* the analyzer reached the end of the text (or SNIP_MAX_TOKENS) */
    int rc;
};

kb__stem_memo *kb__stem_memo_new(uint32_t slots, size_t max_bytes)
{
    kb__stem_memo *m = kb__calloc(1, sizeof *m);
    if (!m) return NULL;
    m->cap = 1024;
    while (m->cap < slots && m->cap < (1u << 24))
        m->cap <<= 1;
    m->slots = kb__calloc(m->cap, sizeof *m->slots);
    if (!m->slots) {
        kb__free(m);
        return NULL;
    }
    m->max_bytes = max_bytes;
    kb__buf_init(&m->words, max_bytes);
    return m;
}

void kb__stem_memo_free(kb__stem_memo *m)
{
    if (!m) return;
    kb__free(m->slots);
    kb__buf_free(&m->words);
    kb__free(m);
}

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
    *out = s;
    return 0;
}

void kb__snipper_lend_memo(kb__snipper *s, kb__stem_memo *m)
{
    if (m) s->memo = m;
}

void kb__snipper_free(kb__snipper *s)
{
    if (!s) return;
    kb__stem_memo_free(s->own);
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

/* The term a token matches, given its hamza mask: its stem from the memo, or from the stemmer
 * (then remembered). A mask that does not fit the key (past 12 bits) is never remembered. */
static int token_term_as(kb__snipper *s, kb_token *t, uint32_t mask)
{
    if (!s->memo) s->memo = s->own = kb__stem_memo_new(SNIP_MEMO_SLOTS, SNIP_MEMO_BYTES);
    kb__stem_memo *m = s->memo;
    int memo = m && t->norm_len <= SNIP_MEMO_WORD_MAX && mask <= 0xfffu;
    uint32_t h = 0, i = 0;
    uint16_t key = 0;
    if (memo) {
        key = memo_key(t, mask);
        h = hash_word(t->norm, t->norm_len);
        for (i = h & (m->cap - 1); m->slots[i].used; i = (i + 1) & (m->cap - 1)) {
            const memo_slot *e = &m->slots[i];
            if (e->hash == h && e->len == t->norm_len && e->key == key &&
                !memcmp(m->words.p + e->off, t->norm, t->norm_len)) {
                t->stem = m->words.p + e->off + e->len;
                t->stem_len = e->stem_len;
                return match_term(t, s->terms, s->n_terms);
            }
        }
    }
    int rc = kb__analyzer_stem_as(s->an, t, mask);
    if (rc) return rc < 0 ? INT16_MIN : -1;
    int term = match_term(t, s->terms, s->n_terms);
    if (memo && t->stem_len <= 0xffff) {
        if (m->n_used >= m->cap / 4 * 3 ||
            m->words.n + t->norm_len + t->stem_len > m->max_bytes / 4 * 3) {
            /* full: start over (the next lookups refill it with the words that recur) */
            memset(m->slots, 0, m->cap * sizeof *m->slots);
            m->n_used = 0;
            kb__buf_reset(&m->words);
            for (i = h & (m->cap - 1); m->slots[i].used; i = (i + 1) & (m->cap - 1))
                ;
        }
        size_t off = m->words.n;
        kb__buf_append(&m->words, t->norm, t->norm_len);
        kb__buf_append(&m->words, t->stem, t->stem_len);
        if (!m->words.rc) {
            m->slots[i] = (memo_slot){h, (uint32_t)off, (uint16_t)t->norm_len,
                                      (uint16_t)t->stem_len, key, 1};
            m->n_used++;
        } else {
            m->words.rc = 0; /* out of memory for the memo only: go on without remembering */
            m->words.n = off;
        }
    }
    return term;
}

/* The term the token kb__analyzer_next_norm() just gave matches. */
static int token_term(kb__snipper *s, kb_token *t)
{
    return token_term_as(s, t, kb__analyzer_hamza_mask(s->an));
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

/* The window over sn's tokens of text[0..n): analyzed as needed (have), or all there already. */
static int pick(kb__snipper *sn, const char *text, size_t n, size_t target, size_t *start,
                size_t *end, kb_highlight **hl, size_t *n_hl, size_t *cap_hl)
{
    *n_hl = 0;
    *start = *end = 0;
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

int kb__snipper_best(kb__snipper *sn, const char *text, size_t n, size_t target, size_t *start,
                     size_t *end, kb_highlight **hl, size_t *n_hl, size_t *cap_hl)
{
    text_begin(sn, text, n);
    return pick(sn, text, n, target, start, end, hl, n_hl, cap_hl);
}

/* ---- an article's analysis, kept with it in the article cache ------------------------------
 *
 * What a snippet needs of a text, independent of the query: every token's place and which
 * distinct word it is; per distinct word its normalized form, kind flags and hamza mask (what
 * its stem depends on). With it, a search's snippet looks each distinct word up in the memo
 * (stemming the ones it has not met) and never runs the tokenizer. Layout, native byte order
 * (it lives in memory only): a_head, n_toks a_tok, n_words a_word, the forms' bytes.
 */
typedef struct a_head {
    uint32_t n_toks, n_words, form_bytes;
} a_head;
typedef struct a_tok {
    uint32_t start, len; /* bytes in the text */
    uint32_t word;
} a_tok;
typedef struct a_word {
    uint32_t off, len; /* the normalized form, in the forms' bytes */
    uint32_t flags, mask;
} a_word;

/* Analyzes text[0..n) whole into out (reset first). Returns 0 or KB_ENOMEM. */
static int analyze_text(kb__snipper *sn, const char *text, size_t n, kb_buf *out)
{
    kb_buf toks, words, forms;
    kb__buf_init(&toks, 0);
    kb__buf_init(&words, 0);
    kb__buf_init(&forms, 0);
    /* distinct words: open addressing on the form's hash, slots hold word index + 1 */
    uint32_t cap = 1024, n_words = 0, n_toks = 0, *slot = kb__calloc(cap, sizeof *slot);
    int rc = slot ? 0 : KB_ENOMEM;
    kb_analyzer_reset(sn->an, text, n);
    kb_token t;
    int r = 0;
    while (!rc && n_toks < SNIP_MAX_TOKENS && (r = kb__analyzer_next_norm(sn->an, &t)) > 0) {
        uint32_t mask = kb__analyzer_hamza_mask(sn->an);
        uint32_t kind = t.flags & (KB_TOK_ARABIC | KB_TOK_LATIN | KB_TOK_HASHTAG | KB_TOK_URL |
                                   KB_TOK_EMAIL | KB_TOK_MENTION | KB_TOK_NUMBER);
        uint32_t h = hash_word(t.norm, t.norm_len) ^ mask * 0x9e3779b1u ^ kind;
        uint32_t i = h & (cap - 1), w = UINT32_MAX;
        for (; slot[i]; i = (i + 1) & (cap - 1)) {
            const a_word *x = (const a_word *)words.p + (slot[i] - 1);
            if (x->len == t.norm_len && x->mask == mask && x->flags == kind &&
                !memcmp(forms.p + x->off, t.norm, t.norm_len)) {
                w = slot[i] - 1;
                break;
            }
        }
        if (w == UINT32_MAX) {
            w = n_words++;
            a_word x = {(uint32_t)forms.n, (uint32_t)t.norm_len, kind, mask};
            kb__buf_append(&forms, t.norm, t.norm_len);
            kb__buf_append(&words, &x, sizeof x);
            slot[i] = w + 1;
            if (n_words * 2 > cap) { /* grow: rehash every word */
                uint32_t nc = cap * 2, *ns = kb__calloc(nc, sizeof *ns);
                if (!ns) {
                    rc = KB_ENOMEM;
                    break;
                }
                for (uint32_t k = 0; k < n_words; k++) {
                    const a_word *y = (const a_word *)words.p + k;
                    uint32_t hy = hash_word(forms.p + y->off, y->len) ^ y->mask * 0x9e3779b1u ^
                                  y->flags;
                    uint32_t j = hy & (nc - 1);
                    while (ns[j])
                        j = (j + 1) & (nc - 1);
                    ns[j] = k + 1;
                }
                kb__free(slot);
                slot = ns;
                cap = nc;
            }
        }
        a_tok at = {(uint32_t)t.start, (uint32_t)(t.end - t.start), w};
        kb__buf_append(&toks, &at, sizeof at);
        n_toks++;
        if (toks.rc || words.rc || forms.rc) rc = KB_ENOMEM;
    }
    if (!rc && r < 0 && n_toks < SNIP_MAX_TOKENS) rc = r;
    if (!rc) {
        a_head hd = {n_toks, n_words, (uint32_t)forms.n};
        kb__buf_reset(out);
        kb__buf_append(out, &hd, sizeof hd);
        kb__buf_append(out, toks.p, toks.n);
        kb__buf_append(out, words.p, words.n);
        kb__buf_append(out, forms.p, forms.n);
        rc = out->rc;
    }
    kb__free(slot);
    kb__buf_free(&toks);
    kb__buf_free(&words);
    kb__buf_free(&forms);
    return rc;
}

/* Fills sn's tokens from an analysis of text[0..n): each distinct word's term through the memo.
 * Returns 0, KB_ECORRUPT (an analysis that does not fit the text) or KB_ENOMEM. */
static int load_analysis(kb__snipper *sn, const char *ana, size_t ana_n, size_t text_n)
{
    a_head hd;
    if (ana_n < sizeof hd) return KB_ECORRUPT;
    memcpy(&hd, ana, sizeof hd);
    size_t need = sizeof hd + (size_t)hd.n_toks * sizeof(a_tok) +
                  (size_t)hd.n_words * sizeof(a_word) + hd.form_bytes;
    if (need != ana_n || hd.n_toks > SNIP_MAX_TOKENS) return KB_ECORRUPT;
    const char *tp = ana + sizeof hd;
    const char *wp = tp + (size_t)hd.n_toks * sizeof(a_tok);
    const char *fp = wp + (size_t)hd.n_words * sizeof(a_word);
    int16_t *term = kb__malloc((hd.n_words ? hd.n_words : 1) * sizeof *term);
    if (!term) return KB_ENOMEM;
    int rc = 0;
    for (uint32_t i = 0; i < hd.n_words && !rc; i++) {
        a_word w;
        memcpy(&w, wp + (size_t)i * sizeof w, sizeof w);
        if ((size_t)w.off + w.len > hd.form_bytes) {
            rc = KB_ECORRUPT;
            break;
        }
        kb_token t;
        memset(&t, 0, sizeof t);
        t.norm = fp + w.off;
        t.norm_len = w.len;
        t.flags = w.flags;
        int k = token_term_as(sn, &t, w.mask);
        if (k == INT16_MIN) rc = KB_ENOMEM;
        term[i] = (int16_t)k;
    }
    if (!rc && hd.n_toks > sn->cap_toks) {
        stok *nt = kb__realloc(sn->toks, hd.n_toks * sizeof *nt);
        if (!nt)
            rc = KB_ENOMEM;
        else
            sn->toks = nt, sn->cap_toks = hd.n_toks;
    }
    for (uint32_t i = 0; i < hd.n_toks && !rc; i++) {
        a_tok t;
        memcpy(&t, tp + (size_t)i * sizeof t, sizeof t);
        if (t.word >= hd.n_words || (size_t)t.start + t.len > text_n) {
            rc = KB_ECORRUPT;
            break;
        }
        sn->toks[i] = (stok){t.start, t.start + t.len, term[t.word]};
    }
    kb__free(term);
    sn->n_toks = rc ? 0 : hd.n_toks;
    sn->done = 1;
    sn->rc = 0;
    return rc;
}

int kb__snipper_best_doc(kb__snipper *sn, kb_index *ix, kb__doc *d, size_t target, size_t *start,
                         size_t *end, kb_highlight **hl, size_t *n_hl, size_t *cap_hl)
{
    kb__snipper_lend_memo(sn, kb__index_stem_memo(ix));
    const char *text = d->body.p;
    size_t n = d->body.n;
    if (!d->ana.n && d->cached) {
        /* the first time a search shows this cached article: analyze it whole, keep it */
        if (analyze_text(sn, text, n, &d->ana) == 0)
            kb__index_doc_keep(ix, d);
        else
            kb__buf_reset(&d->ana); /* out of memory: the ordinary way below */
    }
    if (d->ana.n && load_analysis(sn, d->ana.p, d->ana.n, n) == 0)
        return pick(sn, text, n, target, start, end, hl, n_hl, cap_hl);
    return kb__snipper_best(sn, text, n, target, start, end, hl, n_hl, cap_hl);
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
