/*
 * rerank.c — the second stage of the any-word ranking (questions): the top candidates of BM25F
 * (search.c) are read again from the store, analyzed, and scored on three signals the postings
 * cannot give, each added to the first-stage score:
 *
 *   root     a question word the article does not have, but a word of the same rough root
 *            (kb__rerank_key(): a nisba or plural suffix, an imperfect-verb or derived-noun prefix
 *            and the long vowels dropped) — "يحدها" for "الحدود", "ليبيا" for "الليبية",
 *            "يتزوج" for "تزوج", which the light stemmer keeps apart. Adds the word's idf.
 *   window   the largest share of the question's idf (its distinct content stems) found
 *            within RERANK_WINDOW consecutive words: the words of the question close together.
 *   answer   a question opening with متى (when) or كم (how many) wants a year or a number: the
 *            number of years (متى) or numbers (كم) in the article, up to 2, halved.
 *   lead     how early the question's words come in the body: each distinct content stem adds
 *            its idf times RERANK_LEAD / (RERANK_LEAD + p), p its first word position in the
 *            body (0 for the first word), over the question's total idf. An article (or
 *            paragraph) that opens with the question's subject is about it: "من هو جمال
 *            خاشقجي" and the paragraph "جمال أحمد حمزة خاشقجي (13 أكتوبر 1958…)".
 *
 * All four are >= 0, so the re-scored candidates stay above the ones not re-read (ranks past
 * KB__RERANK_K keep their order and their scores), and pages stay consistent. Only the any-word
 * ranking uses this; the every-word ranking is plain BM25F. Weights: rank_params in search.c,
 * tuned and checked held-out on ARCD (docs/search.md, "Retrieval quality on ARCD").
 */
#include "khabar_int.h"

#include <math.h>

/* Words of a window: about a sentence of news prose. On ARCD 16 did better than 8 or 32. */
#define RERANK_WINDOW 16
/* Word position in the body at which a question word's lead weight is halved. On ARCD 2 to 8
 * all help; 4 did best on either half of the questions. */
#define RERANK_LEAD 4.0
/* Words read per article (title and body together), as for snippets (SNIP_MAX_TOKENS): it
 * bounds the work per candidate on giant documents; a news article is far shorter. */
#define RERANK_MAX_TOKENS 20000

typedef struct rr_term {
    const char *stem;
    size_t stem_len;
    int32_t key[KB__RERANK_KEY_MAX];
    uint32_t key_len;     /* 0: no key */
    uint64_t key_letters; /* letters(key): what a word's stem must hold to have this key */
    double idf;
    int indexed; /* the stem is in the index: it counts for the window */
    int in_doc, key_in_doc;
    int64_t first; /* word position of its first occurrence in the body, -1: none */
    uint64_t last; /* 1 + word index of its last occurrence in the article, 0: none yet */
} rr_term;

static int ends_with(const int32_t *k, uint32_t n, const int32_t *s, uint32_t m)
{
    return n >= m && !memcmp(k + n - m, s, m * sizeof *s);
}

/* The rough root of a stem, as code points: one suffix (nisba, plural, feminine) and one prefix
 * (imperfect verb, derived noun, istaf'ala) off while two letters remain, then, past three
 * letters, the long vowels after the first letter, then a doubled letter once. Crude on
 * purpose: it only groups words for a low-weighted, second-chance match. Returns the length,
 * 0 when the stem is longer than KB__RERANK_KEY_MAX or empty. */
uint32_t kb__rerank_key(const char *s, size_t n, int32_t *k)
{
    enum {
        ALEF = 0x627,
        TEH = 0x62A,
        SEEN = 0x633,
        MEEM = 0x645,
        NOON = 0x646,
        HEH = 0x647,
        WAW = 0x648,
        YEH = 0x64A,
        TEH_M = 0x629
    };
    static const int32_t suf[][4] = {{3, YEH, ALEF, TEH},
                                     {3, YEH, WAW, NOON},
                                     {3, YEH, YEH, NOON},
                                     {2, ALEF, TEH},
                                     {2, WAW, NOON},
                                     {2, YEH, NOON},
                                     {2, ALEF, NOON},
                                     {2, YEH, HEH},
                                     {2, YEH, ALEF},
                                     {1, HEH},
                                     {1, YEH},
                                     {1, TEH_M},
                                     {1, ALEF}};
    static const int32_t pre[][4] = {{3, ALEF, SEEN, TEH},
                                     {3, MEEM, SEEN, TEH},
                                     {1, TEH},
                                     {1, YEH},
                                     {1, NOON},
                                     {1, MEEM},
                                     {1, ALEF}};
    uint32_t m = 0;
    for (size_t i = 0; i < n;) {
        if (m == KB__RERANK_KEY_MAX) return 0;
        int bad;
        i += kb__utf8_decode((const unsigned char *)s + i, n - i, &k[m++], &bad);
    }
    for (size_t j = 0; j < KB_ARRAY_LEN(suf); j++) {
        uint32_t l = (uint32_t)suf[j][0];
        if (m >= l + 2 && ends_with(k, m, suf[j] + 1, l)) {
            m -= l;
            break;
        }
    }
    for (size_t j = 0; j < KB_ARRAY_LEN(pre); j++) {
        uint32_t l = (uint32_t)pre[j][0];
        if (m >= l + 2 && !memcmp(k, pre[j] + 1, l * sizeof *k)) {
            memmove(k, k + l, (m - l) * sizeof *k);
            m -= l;
            break;
        }
    }
    if (m > 3) {
        uint32_t v = 1;
        for (uint32_t i = 1; i < m; i++)
            if (k[i] != ALEF && k[i] != WAW && k[i] != YEH) v++;
        if (v >= 2) {
            uint32_t o = 1;
            for (uint32_t i = 1; i < m; i++)
                if (k[i] != ALEF && k[i] != WAW && k[i] != YEH) k[o++] = k[i];
            m = o;
        }
    }
    uint32_t o = 0;
    for (uint32_t i = 0; i < m; i++) {
        k[o++] = k[i];
        if (i + 1 < m && k[i + 1] == k[i]) i++;
    }
    return o;
}

/* The set of letters in a UTF-8 stem: a bit per Arabic letter (U+0621–U+064A), bit 63 for
 * anything else. A key is what is left of a stem after letters are taken out, so a stem that
 * lacks one of the key's letters cannot have that key: most words of an article are ruled out
 * by one AND, without computing their key. */
static uint64_t letters(const char *s, size_t n)
{
    uint64_t m = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c == 0xD8 || c == 0xD9) && i + 1 < n) {
            uint32_t cp = ((c & 0x1Fu) << 6) | ((unsigned char)s[i + 1] & 0x3Fu);
            if (cp >= 0x621 && cp <= 0x64A) {
                m |= 1ull << (cp - 0x620);
                i++;
                continue;
            }
        }
        if ((c & 0xC0) != 0x80) m |= 1ull << 63;
    }
    return m;
}

static uint64_t key_letters(const int32_t *k, uint32_t n)
{
    uint64_t m = 0;
    for (uint32_t i = 0; i < n; i++)
        m |= k[i] >= 0x621 && k[i] <= 0x64A ? 1ull << (k[i] - 0x620) : 1ull << 63;
    return m;
}

/* A question's interrogative, from its first words: what the answer signal looks for. */
enum { WANT_NONE, WANT_YEAR, WANT_NUMBER };

static int wanted(const kb__query *q)
{
    int seen = 0;
    for (uint32_t i = 0; i < q->n_nodes && seen < 3; i++) {
        const kb__qnode *nd = &q->nodes[i];
        if (nd->type != KB_QN_TERM || nd->bonus) continue;
        seen++;
        const char *s = kb__query_str(q, nd->norm);
        if (nd->norm_len == 6 && !memcmp(s, "\xd9\x85\xd8\xaa\xd9\x8a", 6))
            return WANT_YEAR;                                                 /* متي */
        if ((nd->norm_len == 4 && !memcmp(s, "\xd9\x83\xd9\x85", 4)) ||       /* كم */
            (nd->norm_len == 6 && !memcmp(s, "\xd8\xa8\xd9\x83\xd9\x85", 6))) /* بكم */
            return WANT_NUMBER;
    }
    return WANT_NONE;
}

static int is_year(const kb_token *t)
{
    const char *s = t->norm;
    if (t->norm_len != 4) return 0;
    for (int i = 0; i < 4; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return s[0] == '1' || (s[0] == '2' && s[1] == '0');
}

/* The question's distinct content stems (positive, not stopwords, not exact forms). */
static uint32_t collect(const kb__query *q, uint32_t id, int neg, rr_term *t, uint32_t n)
{
    if (id == KB_QN_NONE || n >= KB_QUERY_MAX_TERMS) return n;
    const kb__qnode *nd = &q->nodes[id];
    if (nd->bonus) return n;
    if (nd->type == KB_QN_TERM) {
        if (neg || nd->stop || nd->exact || !nd->stem_len) return n;
        const char *s = kb__query_str(q, nd->stem);
        for (uint32_t i = 0; i < n; i++)
            if (t[i].stem_len == nd->stem_len && !memcmp(t[i].stem, s, nd->stem_len)) return n;
        memset(&t[n], 0, sizeof t[n]);
        t[n].stem = s;
        t[n].stem_len = nd->stem_len;
        return n + 1;
    }
    for (uint32_t k = nd->child; k != KB_QN_NONE; k = q->nodes[k].next)
        n = collect(q, k, neg || nd->type == KB_QN_NOT, t, n);
    return n;
}

/* Analyzes text (the body when body is set, else the title) and updates the terms' flags and
 * first body positions, the window coverage and the number count; *w counts words over the
 * title and the body together. */
static void scan(kb_analyzer *an, const char *text, size_t len, int body, rr_term *t, uint32_t n,
                 uint64_t *w, double *best, uint32_t *numbers, int want)
{
    kb_token tok;
    kb_analyzer_reset(an, text, len);
    while (*w < RERANK_MAX_TOKENS && kb_analyzer_next(an, &tok) > 0) {
        uint64_t at = ++*w;
        if (want == WANT_YEAR ? is_year(&tok) : (want && (tok.flags & KB_TOK_NUMBER))) (*numbers)++;
        if (!tok.stem_len) continue;
        int32_t key[KB__RERANK_KEY_MAX];
        uint32_t key_len = 0, keyed = 0, hit = 0;
        uint64_t has = letters(tok.stem, tok.stem_len);
        for (uint32_t i = 0; i < n; i++) {
            if (t[i].stem_len == tok.stem_len && !memcmp(t[i].stem, tok.stem, tok.stem_len)) {
                t[i].in_doc = 1;
                if (body && t[i].first < 0) t[i].first = tok.position;
                if (t[i].indexed) {
                    t[i].last = at;
                    hit = 1;
                }
                continue;
            }
            if (t[i].key_in_doc || !t[i].key_len || (t[i].key_letters & ~has)) continue;
            if (!keyed) {
                key_len = kb__rerank_key(tok.stem, tok.stem_len, key);
                keyed = 1;
            }
            if (key_len == t[i].key_len && !memcmp(key, t[i].key, key_len * sizeof *key))
                t[i].key_in_doc = 1;
        }
        if (!hit) continue;
        double cov = 0;
        for (uint32_t i = 0; i < n; i++)
            if (t[i].last && t[i].last + RERANK_WINDOW > at) cov += t[i].idf;
        if (cov > *best) *best = cov;
    }
}

int kb__rerank(kb_index *ix, const kb__query *q, const kb__rerank_weights *wt, uint32_t n_docs,
               const uint32_t *docs, double *add, kb__budget *budget, kb__doc *keep)
{
    for (uint32_t d = 0; d < n_docs; d++) {
        add[d] = 0;
        if (keep) keep[d].docid = UINT32_MAX;
    }
    if (!(wt->root > 0 || wt->window > 0 || wt->answer > 0 || wt->lead > 0) || !n_docs ||
        q->root == KB_QN_NONE)
        return 0;
    rr_term t[KB_QUERY_MAX_TERMS];
    uint32_t n = collect(q, q->root, 0, t, 0);
    int want = wt->answer > 0 ? wanted(q) : WANT_NONE;
    if (!n && !want) return 0;
    kb__collection coll;
    kb__index_collection(ix, &coll);
    double N = coll.docs ? coll.docs : 1, total = 0;
    for (uint32_t i = 0; i < n; i++) {
        kb__term_row row;
        int rc = kb__index_term_lookup(ix, KB_TERM_STEM, t[i].stem, t[i].stem_len, &row);
        if (rc && rc != KB_ENOTFOUND) return rc;
        double df = rc ? 0 : KB_MIN((double)row.df, N);
        t[i].idf = log(1.0 + (N - df + 0.5) / (df + 0.5));
        t[i].indexed = !rc && row.df > 0;
        if (t[i].indexed) total += t[i].idf;
        if (wt->root > 0) t[i].key_len = kb__rerank_key(t[i].stem, t[i].stem_len, t[i].key);
        t[i].key_letters = key_letters(t[i].key, t[i].key_len);
    }
    kb_analyzer *an = kb__index_analyzer(ix);
    kb__doc own;
    kb__doc_init(&own);
    int rc = 0;
    for (uint32_t d = 0; d < n_docs && !rc; d++) {
        if (kb__budget_over(budget)) break; /* out of time: the rest gain 0 (add[] zeroed) */
        kb__doc *doc = keep ? &keep[d] : &own;
        rc = kb__index_doc_get(ix, docs[d], doc);
        /* deleted since, or its stored copy damaged (the postings that found it are sound, and
         * an ids-only search needs nothing else): it keeps its first-stage score */
        if (rc == KB_ENOTFOUND || rc == KB_ECORRUPT) {
            rc = 0;
            continue;
        }
        if (rc) break;
        if (keep) doc->docid = docs[d];
        for (uint32_t i = 0; i < n; i++)
            t[i].in_doc = t[i].key_in_doc = 0, t[i].last = 0, t[i].first = -1;
        uint64_t w = 0;
        double best = 0;
        uint32_t numbers = 0;
        scan(an, doc->title.p, doc->title.n, 0, t, n, &w, &best, &numbers, want);
        scan(an, doc->body.p, doc->body.n, 1, t, n, &w, &best, &numbers, want);
        double root = 0, lead = 0;
        for (uint32_t i = 0; i < n; i++) {
            if (!t[i].in_doc && t[i].key_in_doc) root += t[i].idf;
            if (t[i].indexed && t[i].first >= 0)
                lead += t[i].idf * RERANK_LEAD / (RERANK_LEAD + (double)t[i].first);
        }
        add[d] = wt->root * root + (total > 0 ? (wt->window * best + wt->lead * lead) / total : 0) +
                 wt->answer * KB_MIN(numbers, 2u) / 2.0;
    }
    kb__doc_free(&own);
    return rc;
}
