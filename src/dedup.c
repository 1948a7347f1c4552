/*
 * dedup.c — exact and near-duplicate stories.
 *
 * Where it sits on the data path: after cleaning (an article's title and blocks) and beside the
 * index. Every document gets a small signature:
 *
 *   fold      the text is folded to a matching key: presentation forms decomposed (NFKD), harakat,
 *             Quranic marks, tatweel and format controls (ZWJ, RLM, BOM, …) dropped, alef forms,
 *             ى/ی → ي, ة/ە/ۀ → ه, ؤ → و, ئ → ي, ک → ك, Arabic-Indic digits → ASCII, ASCII
 * lower-cased. Anything that is not a letter or digit separates words. So Unicode debris,
 *             diacritics and whitespace cannot hide a copy. (scripts/dedup_truth.py mirrors this
 *             fold exactly; keep the two in step.)
 *   exact     XXH3-64 of the sequence of folded words' hashes: equal for exact copies.
 *   shingles  every run of KB_DEDUP_SHINGLE consecutive folded words, hashed (XXH3 of the words'
 *             hashes). A text shorter than a shingle is one shingle.
 *   MinHash   KB_DEDUP_HASHES minimums of multiply-add-shift hashes of the shingle hashes: the
 *             share of equal minimums estimates the Jaccard similarity of two shingle sets.
 *   LSH       the MinHash is cut into bands of rows; documents with an equal band are candidates.
 *             The exact hash is one more band, so exact copies always meet.
 *
 * A candidate is verified before it counts: exact Jaccard of the shingle sets when both sets are
 * at hand (the in-memory deduplicator keeps them within a memory budget), else the MinHash
 * estimate; a short text whose shingles lie almost all inside a longer one (containment) counts
 * too. Verified pairs are edges; clusters are their connected components (union-find), each with
 * a representative: the earliest dated, then the longest, then the smallest id.
 *
 * Two homes for the same logic: kb_dedup (this file; public, in memory, for streams and tools)
 * and the index's tables (dedup_store.c), which reuse the signature and verification below.
 */
#include "khabar_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <utf8proc.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

/* ---- folding ------------------------------------------------------------------------------- */

/* Fold results for one code point: a code point (>0), FOLD_DROP (ignorable: joins the letters
 * around it), FOLD_SEP (separates words) or FOLD_DECOMPOSE (presentation form: decompose). */
#define FOLD_DROP 0
#define FOLD_SEP (-1)
#define FOLD_DECOMPOSE (-2)

/* The table covers U+0000..U+06FF (Latin-1, Arabic); past it, the Unicode category decides. */
#define FOLD_TABLE_SIZE 0x700
static int32_t fold_table[FOLD_TABLE_SIZE];
static pthread_once_t fold_once = PTHREAD_ONCE_INIT;

static int32_t fold_by_category(int32_t cp)
{
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
        return cp;
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_CF:
        return FOLD_DROP;
    default:
        return FOLD_SEP;
    }
}

/* The Arabic spelling variants and digits that must not hide a copy. */
static int32_t fold_special(int32_t cp)
{
    switch (cp) {
    case 0x0622: /* آ */
    case 0x0623: /* أ */
    case 0x0625: /* إ */
    case 0x0671: /* ٱ */
        return 0x0627;
    case 0x0649: /* ى */
    case 0x06CC: /* ی */
    case 0x0626: /* ئ */
        return 0x064A;
    case 0x0629: /* ة */
    case 0x06D5: /* ە */
    case 0x06C0: /* ۀ */
        return 0x0647;
    case 0x0624: /* ؤ */
        return 0x0648;
    case 0x06A9: /* ک */
        return 0x0643;
    case 0x0640: /* tatweel */
        return FOLD_DROP;
    default:
        break;
    }
    if (cp >= 0x0660 && cp <= 0x0669) return '0' + (cp - 0x0660);
    if (cp >= 0x06F0 && cp <= 0x06F9) return '0' + (cp - 0x06F0);
    if (cp >= 'A' && cp <= 'Z') return cp + ('a' - 'A');
    return fold_by_category(cp);
}

/* Every code point below U+0800 (the one- and two-byte sequences: ASCII, Latin-1, Arabic) as
 * what fold_words() does with it, packed: the low byte is the number of bytes it appends to the
 * word (0: dropped, F2_SEP: ends the word), the next two those bytes (the folded code point's
 * UTF-8, which is never longer than 2 bytes: every fold of such a code point is below U+0800). */
#define F2_SEP 3
static uint32_t fold2[0x800];

static void fold_fill(void)
{
    for (int32_t cp = 0; cp < FOLD_TABLE_SIZE; cp++)
        fold_table[cp] = fold_special(cp);
    for (int32_t cp = 0; cp < 0x800; cp++) {
        int32_t f = cp < FOLD_TABLE_SIZE ? fold_table[cp] : fold_by_category(cp);
        if (f == FOLD_SEP)
            fold2[cp] = F2_SEP;
        else if (f <= 0)
            fold2[cp] = 0;
        else if (f < 0x80)
            fold2[cp] = 1 | (uint32_t)f << 8;
        else
            fold2[cp] = 2 | (uint32_t)(0xC0 | (f >> 6)) << 8 | (uint32_t)(0x80 | (f & 0x3F)) << 16;
    }
}

/* Once per process: two analysis threads signing their first articles at the same time must not
 * both write the table while one already reads it (ThreadSanitizer reported that race). */
static void fold_init(void)
{
    pthread_once(&fold_once, fold_fill);
}

static inline int is_presentation_form(int32_t cp)
{
    return (cp >= 0xFB50 && cp <= 0xFDFF) || (cp >= 0xFE70 && cp <= 0xFEFC);
}

static inline int32_t fold_cp(int32_t cp)
{
    if (cp < FOLD_TABLE_SIZE) return fold_table[cp];
    if (is_presentation_form(cp)) return FOLD_DECOMPOSE;
    return fold_by_category(cp);
}

/* ---- words and shingles --------------------------------------------------------------------- */

/* A folded word longer than this is cut: no real word is near it, and the cut keeps the word
 * buffer on the stack. Longer runs (base64 blobs, URLs) still hash consistently. */
#define KB_DEDUP_MAX_WORD 256

/* Documents longer than this many words are cut: two stories that agree on their first 200,000
 * words are the same story, and the cut bounds the work per document. */
#define KB_DEDUP_MAX_WORDS 200000

/* Seeds: fixed forever, since stored signatures depend on them (format version in the tables). */
#define SEED_WORD 0x6b686162u /* "khab" */
#define SEED_SHINGLE 0x617221u
#define SEED_EXACT 0x65786163u
#define SEED_BAND 0x62616e64u

/* XXH3_64bits_withSeed(p, n, seed), the same value, with the short inputs' paths inlined: the
 * library's entry (length dispatch, long-input path) was not inlined into the word and shingle
 * loops and its call cost as much as the hash of a ~10-byte word or a 40-byte shingle. */
static inline __attribute__((always_inline)) uint64_t hash_short(const void *p, size_t n,
                                                                 uint64_t seed)
{
    if (n <= 16) return XXH3_len_0to16_64b((const xxh_u8 *)p, n, XXH3_kSecret, seed);
    if (n <= 128)
        return XXH3_len_17to128_64b((const xxh_u8 *)p, n, XXH3_kSecret, sizeof XXH3_kSecret,
                                    seed);
    return XXH3_64bits_withSeed(p, n, seed);
}

/* A shingle's 32-bit hash: the high half of its words' hashes hashed together. */
static inline __attribute__((always_inline)) uint32_t shingle_hash(const uint64_t *words,
                                                                   size_t len)
{
    return (uint32_t)(hash_short(words, len, SEED_SHINGLE) >> 32);
}

static int words_push(kb__dedup_work *w, uint64_t h)
{
    if (w->n_words == w->cap_words) {
        size_t cap = w->cap_words ? w->cap_words * 2 : 1024;
        uint64_t *p = kb__realloc(w->words, cap * sizeof *p);
        if (!p) return KB_ENOMEM;
        w->words = p;
        w->cap_words = cap;
    }
    w->words[w->n_words++] = h;
    return 0;
}

/* Appends the folded UTF-8 of cp to the word buffer (cut at KB_DEDUP_MAX_WORD). */
static inline void word_put(char *word, size_t *n, int32_t cp)
{
    if (cp < 0x80) {
        if (*n < KB_DEDUP_MAX_WORD) word[(*n)++] = (char)cp;
    } else if (cp < 0x800) { /* Arabic: the common case, inline */
        if (*n + 2 <= KB_DEDUP_MAX_WORD) {
            word[(*n)++] = (char)(0xC0 | (cp >> 6));
            word[(*n)++] = (char)(0x80 | (cp & 0x3F));
        }
    } else if (*n + 4 <= KB_DEDUP_MAX_WORD) {
        *n += kb__utf8_encode(cp, word + *n);
    }
}

/* Ends the current word (if any): its hash goes to w->words. 1 when the document's word limit
 * is reached (the rest is ignored), KB_ENOMEM, or 0. */
static inline int word_end(kb__dedup_work *w, const char *word, size_t *n)
{
    if (!*n) return 0;
    if (w->n_words >= KB_DEDUP_MAX_WORDS) return 1;
    if (words_push(w, hash_short(word, *n, SEED_WORD))) return KB_ENOMEM;
    *n = 0;
    return 0;
}

/*
 * Splits text into folded words, appending each word's hash to w->words. A word ends at a
 * separator; ignorable code points vanish without ending it. One- and two-byte characters (all
 * of Arabic) take one look-up in fold2[] and one 2-byte store; the rest are decoded and folded
 * one by one.
 */
static int fold_words(kb__dedup_work *w, const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    char word[KB_DEDUP_MAX_WORD + 4];
    size_t n = 0, i = 0;
    int rc;
    while (i < len) {
        uint32_t e;
        unsigned c = s[i];
        if (c < 0x80) {
            e = fold2[c];
            i++;
        } else if (c >= 0xC2 && c < 0xE0 && i + 1 < len && (s[i + 1] & 0xC0) == 0x80) {
            e = fold2[((c & 0x1F) << 6) | (s[i + 1] & 0x3F)];
            i += 2;
        } else {
            int32_t cp;
            int invalid;
            i += kb__utf8_decode(s + i, len - i, &cp, &invalid);
            int32_t f = fold_cp(cp);
            if (f == FOLD_DECOMPOSE) {
                utf8proc_int32_t dec[8];
                int last = 0;
                utf8proc_ssize_t k = utf8proc_decompose_char(
                    cp, dec, 8, UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT, &last);
                for (utf8proc_ssize_t j = 0; j < k && j < 8; j++) {
                    int32_t g = fold_cp(dec[j]);
                    if (g > 0)
                        word_put(word, &n, g);
                    else if (g == FOLD_SEP && (rc = word_end(w, word, &n)) != 0)
                        return rc < 0 ? rc : 0;
                }
            } else if (f > 0) {
                word_put(word, &n, f);
            } else if (f == FOLD_SEP && (rc = word_end(w, word, &n)) != 0) {
                return rc < 0 ? rc : 0;
            }
            continue;
        }
        unsigned k = e & 0xff;
        if (k == F2_SEP) {
            if ((rc = word_end(w, word, &n)) != 0) return rc < 0 ? rc : 0;
        } else if (n + k <= KB_DEDUP_MAX_WORD) {
            /* both bytes stored whatever k (word has room past the cut): no branch on k */
            word[n] = (char)(e >> 8);
            word[n + 1] = (char)(e >> 16);
            n += k;
        }
    }
    rc = word_end(w, word, &n);
    return rc < 0 ? rc : 0;
}

/*
 * The MinHash family: KB_DEDUP_HASHES permutations of the 32-bit shingle hash x, each
 * h_j(x) = xorshift(m_j * xorshift((x * C) ^ s_j)): xor, multiplication by an odd number and
 * xorshift are bijections on 32 bits, so each h_j is a permutation (no ties), and s_j, m_j are
 * drawn independently per j. Everything is 32-bit lanes so the loop vectorizes (AVX-512 or AVX2
 * when the CPU has it, chosen at load time; SSE2 otherwise). The same integer arithmetic in
 * every variant: signatures do not depend on the CPU.
 */
static uint32_t mh_s[KB_DEDUP_HASHES], mh_m[KB_DEDUP_HASHES];
static int mh_ready;

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void mh_init(void)
{
    if (__atomic_load_n(&mh_ready, __ATOMIC_ACQUIRE)) return;
    uint64_t s = 0x4b48414241520001ull; /* fixed: signatures are stored */
    for (int j = 0; j < KB_DEDUP_HASHES; j++) {
        uint64_t r = splitmix64(&s);
        mh_s[j] = (uint32_t)r;
        mh_m[j] = (uint32_t)(r >> 32) | 1;
    }
    __atomic_store_n(&mh_ready, 1, __ATOMIC_RELEASE);
}

/* Folds the shingle hashes x[0..n) into the running minimums mh[]. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) &&                             \
    !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
static void
minhash_update(uint32_t *restrict mh, const uint32_t *restrict x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t a = x[i] * 0x9e3779b1u;
        for (int j = 0; j < KB_DEDUP_HASHES; j++) {
            uint32_t v = a ^ mh_s[j];
            v ^= v >> 16;
            v *= mh_m[j];
            v ^= v >> 13;
            mh[j] = v < mh[j] ? v : mh[j];
        }
    }
}

/* Sorts and de-duplicates v[0..n) (LSD radix on 32-bit keys, 4 passes of 8 bits); tmp has n
 * slots. Returns the number of distinct values. */
static size_t sort_unique_u32(uint32_t *v, uint32_t *tmp, size_t n)
{
    if (n < 48) {
        for (size_t i = 1; i < n; i++) {
            uint32_t x = v[i];
            size_t j = i;
            while (j && v[j - 1] > x) {
                v[j] = v[j - 1];
                j--;
            }
            v[j] = x;
        }
    } else {
        /* the four histograms in one pass (a pass only moves values, so each byte's counts are
         * the same before every pass) */
        uint32_t count[4][256];
        memset(count, 0, sizeof count);
        for (size_t i = 0; i < n; i++) {
            uint32_t x = v[i];
            count[0][x & 0xff]++;
            count[1][(x >> 8) & 0xff]++;
            count[2][(x >> 16) & 0xff]++;
            count[3][x >> 24]++;
        }
        for (int pass = 0; pass < 4; pass++) {
            int shift = pass * 8;
            uint32_t *from = pass % 2 ? tmp : v, *to = pass % 2 ? v : tmp, *c = count[pass];
            uint32_t sum = 0;
            for (size_t k = 0; k < 256; k++) {
                uint32_t t = c[k];
                c[k] = sum;
                sum += t;
            }
            for (size_t i = 0; i < n; i++)
                to[c[(from[i] >> shift) & 0xff]++] = from[i];
        }
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!m || v[m - 1] != v[i]) v[m++] = v[i];
    return m;
}

void kb__dedup_work_init(kb__dedup_work *w)
{
    memset(w, 0, sizeof *w);
    fold_init();
    mh_init();
}

void kb__dedup_work_free(kb__dedup_work *w)
{
    if (!w) return;
    kb__free(w->words);
    kb__free(w->shingles);
    kb__free(w->tmp);
    memset(w, 0, sizeof *w);
}

void kb__dedup_work_reset(kb__dedup_work *w)
{
    w->n_words = 0;
    w->n_shingles = 0;
}

int kb__dedup_feed(kb__dedup_work *w, const char *text, size_t len)
{
    /* A block boundary separates words (the caller may pass blocks one by one). */
    return fold_words(w, text, len);
}

/*
 * Finishes a signature from the words fed since the last reset: the exact hash, the MinHash and,
 * in w->shingles[0..w->n_shingles), the sorted distinct 32-bit shingle hashes (for exact Jaccard).
 */
int kb__dedup_finish(kb__dedup_work *w, int shingle_words, kb__dedup_sig *sig)
{
    memset(sig, 0, sizeof *sig);
    sig->n_words = (uint32_t)w->n_words;
    if (w->n_words == 0) {
        w->n_shingles = 0;
        return 0; /* an empty text has no signature and duplicates nothing */
    }
    /* The sequence of word hashes stands for the folded text: equal for exact copies. */
    sig->exact = XXH3_64bits_withSeed(w->words, w->n_words * sizeof(uint64_t), SEED_EXACT);
    if (shingle_words < 1) shingle_words = KB_DEDUP_SHINGLE;
    size_t k = (size_t)shingle_words;
    if (k > w->n_words) k = w->n_words;
    size_t n = w->n_words - k + 1;
    if (n > w->cap_shingles) {
        uint32_t *a = kb__realloc(w->shingles, n * sizeof *a);
        if (!a) return KB_ENOMEM;
        w->shingles = a;
        uint32_t *t = kb__realloc(w->tmp, n * sizeof *t);
        if (!t) return KB_ENOMEM;
        w->tmp = t;
        w->cap_shingles = n;
    }
    uint32_t mh[KB_DEDUP_HASHES];
    for (int j = 0; j < KB_DEDUP_HASHES; j++)
        mh[j] = UINT32_MAX;
    if (k == KB_DEDUP_SHINGLE) /* the usual width: the hash's length is a constant */
        for (size_t i = 0; i < n; i++)
            w->shingles[i] = shingle_hash(w->words + i, KB_DEDUP_SHINGLE * sizeof(uint64_t));
    else
        for (size_t i = 0; i < n; i++)
            w->shingles[i] = shingle_hash(w->words + i, k * sizeof(uint64_t));
    minhash_update(mh, w->shingles, n);
    memcpy(sig->mh, mh, sizeof mh);
    w->n_shingles = sort_unique_u32(w->shingles, w->tmp, n);
    sig->n_shingles = (uint32_t)w->n_shingles;
    return 0;
}

uint64_t kb__dedup_band_key(const kb__dedup_sig *sig, int band, int rows)
{
    return XXH3_64bits_withSeed(sig->mh + (size_t)band * (size_t)rows,
                                (size_t)rows * sizeof(uint32_t), SEED_BAND + (uint64_t)band);
}

uint64_t kb__dedup_exact_key(const kb__dedup_sig *sig)
{
    /* Distinct from every band key's seed space: the exact hash mixed once more. */
    return XXH3_64bits_withSeed(&sig->exact, sizeof sig->exact, SEED_BAND - 1);
}

double kb__dedup_estimate(const kb__dedup_sig *a, const kb__dedup_sig *b)
{
    int eq = 0;
    for (int j = 0; j < KB_DEDUP_HASHES; j++)
        eq += a->mh[j] == b->mh[j];
    return (double)eq / KB_DEDUP_HASHES;
}

double kb__dedup_jaccard_exact(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
    if (!na && !nb) return 0.0;
    size_t i = 0, j = 0, inter = 0;
    while (i < na && j < nb) {
        if (a[i] < b[j])
            i++;
        else if (a[i] > b[j])
            j++;
        else {
            inter++;
            i++;
            j++;
        }
    }
    return (double)inter / (double)(na + nb - inter);
}

/*
 * The verification rule, shared by the in-memory deduplicator and the index. Exact copies are
 * similar 1.0. Otherwise Jaccard j (exact when both shingle sets are given, else estimated);
 * containment of the smaller in the larger follows from j and the sizes:
 * |A∩B| = j(|A|+|B|)/(1+j). Returns 1 when the pair is a duplicate by Jaccard (or an exact
 * copy), 2 when by containment, 0 when not; *sim is the Jaccard either way.
 */
int kb__dedup_verify(const kb__dedup_params *p, const kb__dedup_sig *a, const uint32_t *sa,
                     const kb__dedup_sig *b, const uint32_t *sb, double *sim)
{
    *sim = 0;
    if (!a->n_words || !b->n_words) return 0;
    if (a->exact == b->exact && a->n_words == b->n_words) {
        *sim = 1.0;
        return 1;
    }
    double j = sa && sb ? kb__dedup_jaccard_exact(sa, a->n_shingles, sb, b->n_shingles)
                        : kb__dedup_estimate(a, b);
    *sim = j;
    if (j >= p->threshold) return 1;
    uint32_t small = KB_MIN(a->n_shingles, b->n_shingles);
    uint32_t large = KB_MAX(a->n_shingles, b->n_shingles);
    /* Containment is for a short text inside a longer one: between texts of about the same
     * length it would only lower the Jaccard threshold. */
    if (p->containment > 0 && small >= KB_DEDUP_MIN_CONTAINED &&
        small <= KB_DEDUP_CONTAIN_RATIO * large && j > 0) {
        double inter = j * (double)(a->n_shingles + b->n_shingles) / (1.0 + j);
        if (inter / (double)small >= p->containment) return 2;
    }
    return 0;
}

void kb__dedup_params_default(kb__dedup_params *p)
{
    p->threshold = KB_DEDUP_THRESHOLD;
    p->containment = KB_DEDUP_CONTAINMENT;
    p->shingle = KB_DEDUP_SHINGLE;
    p->bands = KB_DEDUP_BANDS;
    p->rows = KB_DEDUP_ROWS;
}

/* ---- kb_dedup: the in-memory deduplicator ---------------------------------------------------- */

/* Default memory for the shingle sets kept for exact Jaccard: 256 MiB holds ~60,000 news
 * articles of 1,000 words. Past the budget, documents are verified by their MinHash estimate. */
#define KB_DEDUP_EXACT_BUDGET ((size_t)256 << 20)

/* Handles are 32-bit; this leaves room for the KB_DEDUP_NONE sentinel. */
#define KB_DEDUP_MAX_DOCS (UINT32_MAX - 1)

#define NIL UINT32_MAX

/*
 * Containment candidates. LSH finds pairs of high Jaccard; a short copy inside a long article has
 * a low Jaccard, so it is found another way: every document indexes its sampled shingles (those
 * whose hash is 0 modulo KB_DEDUP_SAMPLE). Sampling by hash value is consistent, so when A lies
 * inside B, A's samples are among B's; a pair sharing at least half of the smaller one's samples
 * is verified. Samples shared by more than KB_DEDUP_SAMPLE_MAX_DF documents are boilerplate (an
 * SMS footer, a byline) and are not followed.
 */
#define KB_DEDUP_SAMPLE 16
#define KB_DEDUP_SAMPLE_MAX_DF 256
#define SEED_SAMPLE 0x73616d70u

typedef struct ddoc {
    kb__dedup_sig sig;
    uint32_t *set; /* sorted distinct shingle hashes, or NULL (over budget / estimate only) */
    uint32_t id_off, id_len, src_off, src_len, date_off, date_len;
    uint32_t parent, rep, size; /* union-find; rep and size are valid at a root */
    uint32_t edge_head;         /* first edge touching this document */
    uint32_t stamp;             /* last query that met this document as a candidate */
    uint32_t hit_stamp, hits;   /* shared samples with the current query */
    uint32_t n_samples;         /* sampled shingles indexed for containment */
    uint8_t live;
} ddoc;

typedef struct dedge {
    uint32_t a, b;
    uint32_t next_a, next_b; /* next edge of a, of b */
    float sim;
    uint8_t live, by_containment;
} dedge;

typedef struct bslot {
    uint64_t key; /* 0: empty */
    uint32_t head;
    uint32_t count; /* postings in the list */
} bslot;

typedef struct bpost {
    uint32_t doc, next;
} bpost;

struct kb_dedup {
    kb__dedup_params p;
    size_t exact_budget, exact_used;
    kb__dedup_work work;
    kb__dedup_sig sig; /* the document being added */
    ddoc *docs;
    uint32_t n_docs, cap_docs;
    dedge *edges;
    uint32_t n_edges, cap_edges;
    bslot *table;
    size_t table_cap, table_used; /* power of two; load kept under 1/2 */
    bpost *posts;
    uint32_t n_posts, cap_posts;
    uint32_t stamp, hit_stamp;
    uint64_t *keys; /* the current document's band keys, exact key, then sample keys */
    uint32_t n_keys, cap_keys, n_band_keys;
    kb_buf strings;  /* id, source and date of every document */
    uint32_t *stack; /* scratch for re-clustering after a removal */
    uint32_t n_stack, cap_stack;
};

static int grow(void **p, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap) return 0;
    uint32_t c = *cap ? *cap : 64;
    while (c < need)
        c = c > UINT32_MAX / 2 ? need : c * 2;
    void *q = kb__realloc(*p, (size_t)c * elem);
    if (!q) return KB_ENOMEM;
    *p = q;
    *cap = c;
    return 0;
}

KB_API kb_dedup *kb_dedup_new(const kb_dedup_options *opts)
{
    kb_dedup *d = kb__calloc(1, sizeof *d);
    if (!d) return NULL;
    kb__dedup_params_default(&d->p);
    d->exact_budget = KB_DEDUP_EXACT_BUDGET;
    if (opts) {
        if (opts->threshold > 0) d->p.threshold = opts->threshold;
        if (opts->containment > 0)
            d->p.containment = opts->containment;
        else if (opts->containment < 0)
            d->p.containment = 0;
        if (opts->shingle > 0) d->p.shingle = opts->shingle;
        if (opts->bands > 0 && opts->rows > 0 && opts->bands * opts->rows <= KB_DEDUP_HASHES) {
            d->p.bands = opts->bands;
            d->p.rows = opts->rows;
        }
        if (opts->exact_budget) d->exact_budget = opts->exact_budget;
        if (opts->estimate_only) d->exact_budget = 0;
    }
    kb__dedup_work_init(&d->work);
    kb__buf_init(&d->strings, UINT32_MAX);
    return d;
}

KB_API void kb_dedup_free(kb_dedup *d)
{
    if (!d) return;
    for (uint32_t i = 0; i < d->n_docs; i++)
        kb__free(d->docs[i].set);
    kb__free(d->docs);
    kb__free(d->edges);
    kb__free(d->table);
    kb__free(d->posts);
    kb__free(d->stack);
    kb__free(d->keys);
    kb__buf_free(&d->strings);
    kb__dedup_work_free(&d->work);
    kb__free(d);
}

static int table_grow(kb_dedup *d)
{
    size_t cap = d->table_cap ? d->table_cap * 2 : 1024;
    bslot *t = kb__calloc(cap, sizeof *t);
    if (!t) return KB_ENOMEM;
    for (size_t i = 0; i < d->table_cap; i++) {
        if (!d->table[i].key) continue;
        size_t h = (size_t)d->table[i].key & (cap - 1);
        while (t[h].key)
            h = (h + 1) & (cap - 1);
        t[h] = d->table[i];
    }
    kb__free(d->table);
    d->table = t;
    d->table_cap = cap;
    return 0;
}

/* The slot for key: its own, or the empty one where it would go. */
static bslot *table_slot(kb_dedup *d, uint64_t key)
{
    key = key ? key : 1;
    size_t h = (size_t)key & (d->table_cap - 1);
    while (d->table[h].key && d->table[h].key != key)
        h = (h + 1) & (d->table_cap - 1);
    return &d->table[h];
}

static int table_add(kb_dedup *d, uint64_t key, uint32_t doc)
{
    if ((d->table_used + 1) * 2 > d->table_cap && table_grow(d)) return KB_ENOMEM;
    if (grow((void **)&d->posts, &d->cap_posts, d->n_posts + 1, sizeof *d->posts)) return KB_ENOMEM;
    bslot *s = table_slot(d, key);
    if (!s->key) {
        s->key = key ? key : 1;
        s->head = NIL;
        s->count = 0;
        d->table_used++;
    }
    s->count++;
    d->posts[d->n_posts] = (bpost){doc, s->head};
    s->head = d->n_posts++;
    return 0;
}

static uint32_t uf_find(kb_dedup *d, uint32_t x)
{
    while (d->docs[x].parent != x) {
        d->docs[x].parent = d->docs[d->docs[x].parent].parent; /* path halving */
        x = d->docs[x].parent;
    }
    return x;
}

static kb_slice doc_str(const kb_dedup *d, uint32_t off, uint32_t len)
{
    return (kb_slice){len ? d->strings.p + off : "", len};
}

static int slice_cmp(kb_slice a, kb_slice b)
{
    int c = memcmp(a.p, b.p, KB_MIN(a.n, b.n));
    return c ? c : (a.n > b.n) - (a.n < b.n);
}

/* Is x a better representative than y? Earliest date (undated last), then the longest, then the
 * smallest id, then the first added: an order that does not depend on the order of adding. */
static int better_rep(const kb_dedup *d, uint32_t x, uint32_t y)
{
    const ddoc *a = &d->docs[x], *b = &d->docs[y];
    if (a->date_len && !b->date_len) return 1;
    if (!a->date_len && b->date_len) return 0;
    int c = slice_cmp(doc_str(d, a->date_off, a->date_len), doc_str(d, b->date_off, b->date_len));
    if (c) return c < 0;
    if (a->sig.n_words != b->sig.n_words) return a->sig.n_words > b->sig.n_words;
    c = slice_cmp(doc_str(d, a->id_off, a->id_len), doc_str(d, b->id_off, b->id_len));
    if (c) return c < 0;
    return x < y;
}

static void uf_union(kb_dedup *d, uint32_t x, uint32_t y)
{
    x = uf_find(d, x);
    y = uf_find(d, y);
    if (x == y) return;
    if (d->docs[x].size < d->docs[y].size) {
        uint32_t t = x;
        x = y;
        y = t;
    }
    d->docs[y].parent = x;
    d->docs[x].size += d->docs[y].size;
    if (better_rep(d, d->docs[y].rep, d->docs[x].rep)) d->docs[x].rep = d->docs[y].rep;
}

static int edge_add(kb_dedup *d, uint32_t a, uint32_t b, double sim, int kind)
{
    if (grow((void **)&d->edges, &d->cap_edges, d->n_edges + 1, sizeof *d->edges)) return KB_ENOMEM;
    d->edges[d->n_edges] =
        (dedge){a, b, d->docs[a].edge_head, d->docs[b].edge_head, (float)sim, 1, kind == 2};
    d->docs[a].edge_head = d->docs[b].edge_head = d->n_edges++;
    return 0;
}

static int compute_keys(kb_dedup *d);

static int sig_of(kb_dedup *d, const kb_dedup_doc *doc)
{
    kb__dedup_work_reset(&d->work);
    int rc = 0;
    if (doc->title.n) rc = kb__dedup_feed(&d->work, doc->title.p, doc->title.n);
    if (!rc && doc->text.n) rc = kb__dedup_feed(&d->work, doc->text.p, doc->text.n);
    if (!rc) rc = kb__dedup_finish(&d->work, d->p.shingle, &d->sig);
    if (!rc) rc = compute_keys(d);
    return rc;
}

/* Starts a new walk: documents met are marked with the new stamp. */
static void next_stamp(kb_dedup *d)
{
    if (++d->stamp == 0) { /* wrapped: forget every stamp */
        for (uint32_t i = 0; i < d->n_docs; i++)
            d->docs[i].stamp = 0;
        d->stamp = 1;
    }
}

/* Calls fn on every live document that shares a band (or the exact hash) with d->sig, once each.
 * Stops early when fn returns non-zero and returns that value. */
static int candidates(kb_dedup *d, int (*fn)(kb_dedup *, uint32_t, void *), void *ctx)
{
    if (!d->table_cap || !d->sig.n_words) return 0;
    next_stamp(d);
    /* The table is large and probed at random: start every load before the first is needed. */
    for (uint32_t k = 0; k < d->n_keys; k++)
        __builtin_prefetch(&d->table[(size_t)(d->keys[k] ? d->keys[k] : 1) & (d->table_cap - 1)]);
    for (uint32_t k = 0; k < d->n_band_keys; k++) {
        bslot *s = table_slot(d, d->keys[k]);
        if (!s->key) continue;
        for (uint32_t p = s->head; p != NIL; p = d->posts[p].next) {
            ddoc *c = &d->docs[d->posts[p].doc];
            if (!c->live || c->stamp == d->stamp) continue;
            c->stamp = d->stamp;
            int rc = fn(d, d->posts[p].doc, ctx);
            if (rc) return rc;
        }
    }
    uint32_t n_samples = d->n_keys - d->n_band_keys;
    if (!n_samples) return 0;
    if (++d->hit_stamp == 0) {
        for (uint32_t i = 0; i < d->n_docs; i++)
            d->docs[i].hit_stamp = 0;
        d->hit_stamp = 1;
    }
    for (uint32_t k = d->n_band_keys; k < d->n_keys; k++) {
        bslot *s = table_slot(d, d->keys[k]);
        if (!s->key || s->count > KB_DEDUP_SAMPLE_MAX_DF) continue;
        for (uint32_t p = s->head; p != NIL; p = d->posts[p].next) {
            ddoc *c = &d->docs[d->posts[p].doc];
            if (!c->live || c->stamp == d->stamp) continue;
            if (c->hit_stamp != d->hit_stamp) {
                c->hit_stamp = d->hit_stamp;
                c->hits = 0;
            }
            uint32_t small = KB_MIN(n_samples, c->n_samples);
            uint32_t need = KB_MAX(2, (small + 1) / 2);
            if (++c->hits < need) continue;
            c->stamp = d->stamp;
            int rc = fn(d, d->posts[p].doc, ctx);
            if (rc) return rc;
        }
    }
    return 0;
}

/* Computes the current document's table keys (d->sig, d->work) into d->keys. */
static int compute_keys(kb_dedup *d)
{
    d->n_keys = d->n_band_keys = 0;
    if (!d->sig.n_words) return 0;
    uint32_t most = (uint32_t)d->p.bands + 1;
    int sampled = d->p.containment > 0 && d->work.n_shingles >= KB_DEDUP_MIN_CONTAINED;
    if (sampled) most += (uint32_t)d->work.n_shingles;
    if (grow((void **)&d->keys, &d->cap_keys, most, sizeof *d->keys)) return KB_ENOMEM;
    for (int band = 0; band < d->p.bands; band++)
        d->keys[d->n_keys++] = kb__dedup_band_key(&d->sig, band, d->p.rows);
    d->keys[d->n_keys++] = kb__dedup_exact_key(&d->sig);
    d->n_band_keys = d->n_keys;
    for (size_t i = 0; sampled && i < d->work.n_shingles; i++) {
        uint32_t x = d->work.shingles[i];
        if (x % KB_DEDUP_SAMPLE == 0)
            d->keys[d->n_keys++] = XXH3_64bits_withSeed(&x, sizeof x, SEED_SAMPLE);
    }
    return 0;
}

struct match_ctx {
    uint32_t self; /* the new document when adding, NIL when only matching */
    uint32_t best; /* smallest matching handle */
    double best_sim;
    int stop_first; /* matching only: any match will do */
};

static int on_candidate(kb_dedup *d, uint32_t c, void *vctx)
{
    struct match_ctx *m = vctx;
    if (c == m->self) return 0;
    const uint32_t *self_set =
        m->self != NIL ? d->docs[m->self].set : (d->exact_budget ? d->work.shingles : NULL);
    double sim;
    int kind = kb__dedup_verify(&d->p, &d->sig, self_set, &d->docs[c].sig, d->docs[c].set, &sim);
    if (!kind) return 0;
    if (m->best == NIL || c < m->best) {
        m->best = c;
        m->best_sim = sim;
    }
    if (m->self != NIL) {
        int rc = edge_add(d, m->self, c, sim, kind);
        if (rc) return rc;
        uf_union(d, m->self, c);
    }
    return 0;
}

static int put_str(kb_dedup *d, kb_slice s, uint32_t *off, uint32_t *len)
{
    *off = (uint32_t)d->strings.n;
    *len = (uint32_t)s.n;
    kb__buf_append(&d->strings, s.p, s.n);
    return d->strings.rc;
}

static int add_doc(kb_dedup *d, const kb_dedup_doc *doc, uint32_t *handle)
{
    if (d->n_docs >= KB_DEDUP_MAX_DOCS) return KB_ETOOBIG;
    if (grow((void **)&d->docs, &d->cap_docs, d->n_docs + 1, sizeof *d->docs)) return KB_ENOMEM;
    uint32_t h = d->n_docs;
    ddoc *x = &d->docs[h];
    memset(x, 0, sizeof *x);
    x->sig = d->sig;
    x->parent = x->rep = h;
    x->size = 1;
    x->edge_head = NIL;
    int rc = put_str(d, doc->id, &x->id_off, &x->id_len);
    if (!rc) rc = put_str(d, doc->source, &x->src_off, &x->src_len);
    if (!rc) rc = put_str(d, doc->date, &x->date_off, &x->date_len);
    if (rc) return rc;
    size_t bytes = d->work.n_shingles * sizeof(uint32_t);
    if (bytes && d->exact_used + bytes <= d->exact_budget) {
        x->set = kb__malloc(bytes);
        if (!x->set) return KB_ENOMEM;
        memcpy(x->set, d->work.shingles, bytes);
        d->exact_used += bytes;
    }
    x->live = 1;
    d->n_docs++;
    *handle = h;
    return 0;
}

/* Indexes document h under the keys in d->keys. */
static int index_doc(kb_dedup *d, uint32_t h)
{
    for (uint32_t k = 0; k < d->n_keys; k++)
        if (table_add(d, d->keys[k], h)) return KB_ENOMEM;
    d->docs[h].n_samples = d->n_keys - d->n_band_keys;
    return 0;
}

/* Adds doc, whose signature is in d->sig and d->work, and links it to its duplicates. */
static int add_signed(kb_dedup *d, const kb_dedup_doc *doc, uint32_t *handle, uint32_t *dup_of)
{
    uint32_t h = NIL;
    int rc = add_doc(d, doc, &h);
    if (rc) return rc;
    struct match_ctx m = {h, NIL, 0, 0};
    rc = candidates(d, on_candidate, &m);
    if (!rc) rc = index_doc(d, h);
    if (handle) *handle = h;
    if (dup_of) *dup_of = m.best;
    return rc;
}

KB_API int kb_dedup_add(kb_dedup *d, const kb_dedup_doc *doc, uint32_t *handle, uint32_t *dup_of)
{
    if (!d || !doc) return KB_EINVAL;
    int rc = sig_of(d, doc);
    return rc ? rc : add_signed(d, doc, handle, dup_of);
}

/* The filter for doc, whose signature is in d->sig and d->work. */
static int filter_signed(kb_dedup *d, const kb_dedup_doc *doc, uint32_t *dup_of, double *sim)
{
    struct match_ctx m = {NIL, NIL, 0, 0};
    int rc = candidates(d, on_candidate, &m);
    if (rc) return rc;
    if (m.best != NIL) {
        if (dup_of) *dup_of = m.best;
        if (sim) *sim = m.best_sim;
        return 1;
    }
    uint32_t h;
    rc = add_doc(d, doc, &h);
    if (!rc) rc = index_doc(d, h);
    if (dup_of) *dup_of = KB_DEDUP_NONE;
    if (sim) *sim = 0;
    return rc;
}

KB_API int kb_dedup_filter(kb_dedup *d, const kb_dedup_doc *doc, uint32_t *dup_of, double *sim)
{
    if (!d || !doc) return KB_EINVAL;
    int rc = sig_of(d, doc);
    return rc ? rc : filter_signed(d, doc, dup_of, sim);
}

static int sig_of_article(kb_dedup *d, const kb_article *a)
{
    kb__dedup_work_reset(&d->work);
    int rc = kb__dedup_feed_article(&d->work, a);
    if (!rc) rc = kb__dedup_finish(&d->work, d->p.shingle, &d->sig);
    if (!rc) rc = compute_keys(d);
    return rc;
}

KB_API int kb_dedup_filter_article(kb_dedup *d, const kb_article *a, uint32_t *dup_of, double *sim)
{
    if (!d || !a) return KB_EINVAL;
    kb_dedup_doc doc = {a->id, a->source, a->date, {NULL, 0}, {NULL, 0}};
    int rc = sig_of_article(d, a);
    return rc ? rc : filter_signed(d, &doc, dup_of, sim);
}

KB_API int kb_dedup_add_article(kb_dedup *d, const kb_article *a, uint32_t *handle,
                                uint32_t *dup_of)
{
    if (!d || !a) return KB_EINVAL;
    kb_dedup_doc doc = {a->id, a->source, a->date, {NULL, 0}, {NULL, 0}};
    int rc = sig_of_article(d, a);
    return rc ? rc : add_signed(d, &doc, handle, dup_of);
}

int kb__dedup_feed_article(kb__dedup_work *w, const kb_article *a)
{
    int rc = 0;
    if (a->title.n) rc = kb__dedup_feed(w, a->title.p, a->title.n);
    for (size_t i = 0; !rc && i < a->n_blocks; i++)
        rc = kb__dedup_feed(w, a->blocks[i].text.p, a->blocks[i].text.n);
    return rc;
}

/*
 * Removing a document splits its cluster only along the edges that remain, so the cluster is
 * rebuilt: its members are found by walking edges from the removed document, their union-find
 * state reset, and every remaining edge among them unioned again. The cost is the cluster's size,
 * not the collection's.
 */
KB_API int kb_dedup_remove(kb_dedup *d, uint32_t h)
{
    if (!d || h >= d->n_docs || !d->docs[h].live) return KB_ENOTFOUND;
    d->n_stack = 0;
    /* Collect the cluster: everything reachable over live edges from h. */
    next_stamp(d);
    if (grow((void **)&d->stack, &d->cap_stack, 1, sizeof *d->stack)) return KB_ENOMEM;
    d->stack[d->n_stack++] = h;
    d->docs[h].stamp = d->stamp;
    for (uint32_t i = 0; i < d->n_stack; i++) {
        uint32_t x = d->stack[i];
        for (uint32_t e = d->docs[x].edge_head; e != NIL;) {
            dedge *E = &d->edges[e];
            uint32_t y = E->a == x ? E->b : E->a;
            uint32_t next = E->a == x ? E->next_a : E->next_b;
            if (E->live && d->docs[y].stamp != d->stamp) {
                if (grow((void **)&d->stack, &d->cap_stack, d->n_stack + 1, sizeof *d->stack))
                    return KB_ENOMEM;
                d->docs[y].stamp = d->stamp;
                d->stack[d->n_stack++] = y;
            }
            e = next;
        }
    }
    /* Drop h and its edges, then rebuild the rest of the cluster. */
    for (uint32_t e = d->docs[h].edge_head; e != NIL;) {
        dedge *E = &d->edges[e];
        E->live = 0;
        e = E->a == h ? E->next_a : E->next_b;
    }
    d->docs[h].live = 0;
    kb__free(d->docs[h].set);
    d->exact_used -= d->docs[h].set ? d->docs[h].sig.n_shingles * sizeof(uint32_t) : 0;
    d->docs[h].set = NULL;
    for (uint32_t i = 0; i < d->n_stack; i++) {
        ddoc *x = &d->docs[d->stack[i]];
        x->parent = x->rep = d->stack[i];
        x->size = 1;
    }
    for (uint32_t i = 1; i < d->n_stack; i++) {
        uint32_t x = d->stack[i];
        for (uint32_t e = d->docs[x].edge_head; e != NIL;) {
            dedge *E = &d->edges[e];
            if (E->live) uf_union(d, E->a, E->b);
            e = E->a == x ? E->next_a : E->next_b;
        }
    }
    return 0;
}

KB_API uint32_t kb_dedup_count(const kb_dedup *d)
{
    return d ? d->n_docs : 0;
}

KB_API uint32_t kb_dedup_cluster_of(kb_dedup *d, uint32_t h)
{
    if (!d || h >= d->n_docs || !d->docs[h].live) return KB_DEDUP_NONE;
    return d->docs[uf_find(d, h)].rep;
}

KB_API int kb_dedup_info_get(kb_dedup *d, uint32_t h, kb_dedup_info *out)
{
    if (!d || h >= d->n_docs || !out) return KB_ENOTFOUND;
    const ddoc *x = &d->docs[h];
    out->id = doc_str(d, x->id_off, x->id_len);
    out->source = doc_str(d, x->src_off, x->src_len);
    out->date = doc_str(d, x->date_off, x->date_len);
    out->n_words = x->sig.n_words;
    out->n_shingles = x->sig.n_shingles;
    out->live = x->live;
    if (x->live) {
        uint32_t r = uf_find(d, h);
        out->rep = d->docs[r].rep;
        out->cluster_size = d->docs[r].size;
    } else {
        out->rep = KB_DEDUP_NONE;
        out->cluster_size = 0;
    }
    return 0;
}

KB_API double kb_dedup_similarity(const kb_dedup *d, uint32_t a, uint32_t b)
{
    if (!d || a >= d->n_docs || b >= d->n_docs) return 0.0;
    const ddoc *x = &d->docs[a], *y = &d->docs[b];
    if (!x->sig.n_words || !y->sig.n_words) return 0.0;
    if (x->sig.exact == y->sig.exact && x->sig.n_words == y->sig.n_words) return 1.0;
    if (x->set && y->set)
        return kb__dedup_jaccard_exact(x->set, x->sig.n_shingles, y->set, y->sig.n_shingles);
    return kb__dedup_estimate(&x->sig, &y->sig);
}

KB_API size_t kb_dedup_pair_count(const kb_dedup *d)
{
    return d ? d->n_edges : 0;
}

KB_API int kb_dedup_pair_get(const kb_dedup *d, size_t i, kb_dedup_pair *out)
{
    if (!d || i >= d->n_edges || !out) return KB_ENOTFOUND;
    const dedge *e = &d->edges[i];
    out->a = KB_MIN(e->a, e->b);
    out->b = KB_MAX(e->a, e->b);
    out->similarity = e->sim;
    out->by_containment = e->by_containment;
    out->live = e->live;
    return 0;
}
