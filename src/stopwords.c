/*
 * stopwords.c — khabar's Arabic stop list, and the lexicon: the analyzer's word lists (stop list,
 * the stemmer's protect, keep and exception lists) in one hash table, one lookup per word.
 *
 * Stopwords are flagged (KB_TOK_STOP), never dropped: phrase queries still match them, ranking
 * and snippets may skip them. The list holds normalized forms (the output of
 * kb__normalize_token: ا for أ إ آ, ي for ى, ه for ة, ء for ؤ ئ), so it is matched against the
 * normalized token in one lookup. It is khabar's own list of function words — prepositions,
 * conjunctions, pronouns, demonstratives, relatives, particles, auxiliaries — and their most
 * frequent forms with a glued و/ف/ب/ل; the selection drew on the ideas of the MIT-licensed
 * mohataher Arabic stopword list (see docs/analyzer.md) but leaves out its content words
 * (months, numbers, currencies), which users do search for.
 */
#include "khabar_int.h"

#include <pthread.h>
#include <stdatomic.h>

#include "gen/stem_lists.h"

const char *const kb__stopwords[] = {
    /* prepositions and their pronoun forms */
    "في",
    "فيه",
    "فيها",
    "فيهم",
    "فيهما",
    "من",
    "منه",
    "منها",
    "منهم",
    "منهما",
    "مما",
    "ممن",
    "الي",
    "اليه",
    "اليها",
    "اليهم",
    "علي",
    "عليه",
    "عليها",
    "عليهم",
    "عن",
    "عنه",
    "عنها",
    "عنهم",
    "مع",
    "معه",
    "معها",
    "معهم",
    "له",
    "لها",
    "لهم",
    "لهما",
    "لنا",
    "لي",
    "لك",
    "لكم",
    "به",
    "بها",
    "بهم",
    "بين",
    "بينما",
    "عند",
    "عندما",
    "عنده",
    "لدي",
    "لديه",
    "لديها",
    "لديهم",
    "حتي",
    "منذ",
    "مذ",
    "خلال",
    "حول",
    "دون",
    "نحو",
    "ضد",
    "عبر",
    "لدن",
    "سوي",
    "بعد",
    "قبل",
    "فوق",
    "تحت",
    "امام",
    "وراء",
    "بسبب",
    "ضمن",
    "لدي",
    "تجاه",
    "عدا",
    "خلا",
    /* conjunctions and particles */
    "و",
    "ف",
    "ثم",
    "او",
    "ام",
    "بل",
    "لكن",
    "لكنه",
    "لكنها",
    "ان",
    "انه",
    "انها",
    "انهم",
    "انما",
    "لان",
    "لانه",
    "لانها",
    "كي",
    "لكي",
    "لو",
    "لولا",
    "اذا",
    "اذ",
    "اذن",
    "اما",
    "الا",
    "لا",
    "لم",
    "لن",
    "لما",
    "ليس",
    "ليست",
    "قد",
    "لقد",
    "هل",
    "ما",
    "ماذا",
    "لماذا",
    "متي",
    "اين",
    "كيف",
    "كم",
    /* question words as often typed: glued to the pronoun (ما هو), with a preposition */
    "ماهو",
    "ماهي",
    "بماذا",
    "لمن",
    /* the article alone: a word cut after it ("ال قاهرة"), never content */
    "ال",
    "كما",
    "كذلك",
    "لذلك",
    "لذا",
    "ايضا",
    "فقط",
    "جدا",
    "حيث",
    "حين",
    "حينما",
    "كلما",
    "مثل",
    "غير",
    "سوف",
    "اي",
    "ايه",
    "يا",
    "نعم",
    "كلا",
    "ربما",
    "مهما",
    /* pronouns, demonstratives, relatives */
    "انا",
    "نحن",
    "انت",
    "انتم",
    "انتن",
    "انتما",
    "هو",
    "هي",
    "هم",
    "هن",
    "هما",
    "هذا",
    "هذه",
    "هذان",
    "هاتان",
    "هذين",
    "هاتين",
    "هءلاء",
    "ذلك",
    "تلك",
    "ذاك",
    "اولءك",
    "هنا",
    "هناك",
    "هنالك",
    "الذي",
    "التي",
    "الذين",
    "اللذين",
    "اللتين",
    "اللذان",
    "اللتان",
    "اللاتي",
    "اللواتي",
    "ذو",
    "ذي",
    "ذا",
    "ذات",
    "كل",
    "بعض",
    "جميع",
    "نفس",
    "نفسه",
    "نفسها",
    /* auxiliaries frequent in news */
    "كان",
    "كانت",
    "كانوا",
    "يكون",
    "تكون",
    "يكونون",
    "اصبح",
    "اصبحت",
    "صار",
    "ظل",
    "مازال",
    "لايزال",
    "تم",
    "يتم",
    "وتم",
    "ويتم",
    /* the commonest forms with a glued conjunction or preposition */
    "وفي",
    "ومن",
    "والي",
    "وعلي",
    "وعن",
    "ومع",
    "وهو",
    "وهي",
    "وهم",
    "وهذا",
    "وهذه",
    "وذلك",
    "وقد",
    "ولا",
    "ولم",
    "ولن",
    "وما",
    "وان",
    "وانه",
    "واذا",
    "وكان",
    "وكانت",
    "ولكن",
    "وليس",
    "وبين",
    "وبعد",
    "وقبل",
    "وكل",
    "وله",
    "ولها",
    "وهناك",
    "وحتي",
    "ومنذ",
    "والتي",
    "والذي",
    "والذين",
    "فان",
    "فانه",
    "فقد",
    "فهو",
    "فهي",
    "فما",
    "فلا",
    "فلم",
    "فكان",
    "فيما",
    "بان",
    "بانه",
    "بانها",
    "بذلك",
    "بهذا",
    "بهذه",
    "لهذا",
    "لهذه",
    "لذلك",
    "كذا",
    "هكذا",
};
const size_t kb__n_stopwords = KB_ARRAY_LEN(kb__stopwords);

/* ---- the lexicon: every list of the analyzer in one open-addressing table ------------------ */

/* A word's first 16 bytes, zero-padded: the key an entry is compared with (words are short: the
 * average looked-up word is ~10 bytes, 95% are at most 16), and what the hash is computed from.
 * Longer words compare their tail with memcmp. */
typedef kb__lex_key lex_key;

typedef struct lex_entry {
    lex_key k;
    uint32_t len;
    uint32_t flags;
    const char *w;
    const char *stem; /* KB_LEX_EXCEPT */
} lex_entry;

/* Room for every list (stop list, hand-written and generated stemmer lists: ~4,000 words) at a
 * load factor near 1/4, so that a miss — most words — usually ends at the first slot; a power of
 * two. A slot packs the entry index + 1 (low 16 bits, 0 for empty) and 16 more bits of the hash,
 * so that the table is 64 KiB and a miss never compares strings. */
#define LEX_SLOTS 16384
#define LEX_MAX (LEX_SLOTS / 2)
static lex_entry lex[LEX_MAX];
static uint32_t lex_n;
static uint32_t lex_slot[LEX_SLOTS];
/* A one-hash Bloom filter in front of the table (8 KiB, stays in L1; khabar_int.h looks it up
 * inline): most words are on no list, and for them the lookup ends here; ~3% false positives
 * with ~4,000 entries (2.6% measured on saudinewsnet's words). */
uint64_t kb__lex_bloom[KB_LEX_BLOOM_BITS / 64];
static pthread_once_t lex_once = PTHREAD_ONCE_INIT;

/* The key of w[0..n): overlapping loads, never outside w[0..n), the bytes past n shifted out
 * (little-endian; other machines copy). */
static inline lex_key lex_key_of(const char *w, size_t n)
{
    lex_key k = {0, 0};
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (n >= 16) {
        memcpy(&k.a, w, 8);
        memcpy(&k.b, w + 8, 8);
    } else if (n >= 8) {
        memcpy(&k.a, w, 8);
        memcpy(&k.b, w + n - 8, 8);
        k.b = n == 8 ? 0 : k.b >> (8 * (16 - n));
    } else if (n >= 4) {
        uint32_t x, y;
        memcpy(&x, w, 4);
        memcpy(&y, w + n - 4, 4);
        k.a = n == 4 ? x : x | (uint64_t)(y >> (8 * (8 - n))) << 32;
    } else if (n > 0) {
        const unsigned char *u = (const unsigned char *)w;
        k.a = (uint64_t)u[0] | (uint64_t)u[n / 2] << (8 * (n / 2)) |
              (uint64_t)u[n - 1] << (8 * (n - 1));
    }
#else
    memcpy(&k, w, n < 16 ? n : 16);
#endif
    return k;
}

static inline int lex_match(const lex_entry *e, const char *w, size_t n, lex_key k)
{
    return e->len == n && e->k.a == k.a && e->k.b == k.b &&
           (n <= 16 || memcmp(e->w + 16, w + 16, n - 16) == 0);
}

static lex_entry *lex_find(const char *w, size_t n, lex_key k, uint64_t h)
{
    uint32_t i = (uint32_t)(h >> 50) & (LEX_SLOTS - 1), tag = (uint32_t)(h >> 32) & 0xFFFF;
    for (;;) {
        uint32_t v = lex_slot[i];
        if (!v) return NULL;
        if ((v >> 16) == tag) {
            lex_entry *e = &lex[(v & 0xFFFF) - 1];
            if (lex_match(e, w, n, k)) return e;
        }
        i = (i + 1) & (LEX_SLOTS - 1);
    }
}

static void lex_add(const char *w, unsigned flags, const char *stem)
{
    size_t n = strlen(w);
    lex_key k = lex_key_of(w, n);
    uint64_t h = kb__lex_hash(k, n);
    lex_entry *e = lex_find(w, n, k, h);
    if (!e) {
        if (lex_n == LEX_MAX) return; /* cannot happen: LEX_MAX is twice the lists' length */
        uint32_t i = (uint32_t)(h >> 50) & (LEX_SLOTS - 1);
        while (lex_slot[i])
            i = (i + 1) & (LEX_SLOTS - 1);
        e = &lex[lex_n++];
        e->w = w;
        e->k = k;
        e->len = (uint32_t)n;
        lex_slot[i] = lex_n | ((uint32_t)(h >> 32) & 0xFFFF) << 16;
        kb__lex_bloom[KB_LEX_BLOOM_BIT(h) / 64] |= 1ull << (KB_LEX_BLOOM_BIT(h) % 64);
    }
    if (flags & KB_LEX_EXCEPT) {
        if (e->flags & KB_LEX_EXCEPT) return; /* first entry wins */
        e->stem = stem;
    }
    e->flags |= flags;
}

static void lex_init(void)
{
    for (size_t i = 0; i < kb__n_stopwords; i++)
        lex_add(kb__stopwords[i], KB_LEX_STOP, NULL);
    for (size_t i = 0; i < kb__stem_n_protect; i++)
        lex_add(kb__stem_protect[i], KB_LEX_PROTECT, NULL);
    for (size_t i = 0; i < kb__gen_n_protect; i++)
        lex_add(kb__gen_protect[i], KB_LEX_PROTECT, NULL);
    for (size_t i = 0; i < kb__stem_n_keep; i++)
        lex_add(kb__stem_keep[i], KB_LEX_KEEP, NULL);
    for (size_t i = 0; i < kb__gen_n_keep; i++)
        lex_add(kb__gen_keep[i], KB_LEX_KEEP, NULL);
    for (size_t i = 0; i < kb__stem_n_except; i++)
        lex_add(kb__stem_except[2 * i], KB_LEX_EXCEPT, kb__stem_except[2 * i + 1]);
}

static atomic_int lex_ready;

static void lex_init_once(void)
{
    lex_init();
    atomic_store_explicit(&lex_ready, 1, memory_order_release);
}

void kb__lex_init(void)
{
    if (!atomic_load_explicit(&lex_ready, memory_order_acquire))
        pthread_once(&lex_once, lex_init_once);
}

unsigned kb__lex_find(const char *w, size_t n, kb__lex_key k, uint64_t h, const char **stem)
{
    lex_entry *e = lex_find(w, n, k, h);
    if (!e) return 0;
    if (stem && (e->flags & KB_LEX_EXCEPT)) *stem = e->stem;
    return e->flags;
}

unsigned kb__lex_lookup(const char *w, size_t n, const char **stem)
{
    kb__lex_init();
    lex_key k = lex_key_of(w, n);
    uint64_t h = kb__lex_hash(k, n);
    if (!(kb__lex_bloom[KB_LEX_BLOOM_BIT(h) / 64] >> (KB_LEX_BLOOM_BIT(h) % 64) & 1)) return 0;
    return kb__lex_find(w, n, k, h, stem);
}

int kb__stopword(const char *w, size_t n)
{
    return (kb__lex_lookup(w, n, NULL) & KB_LEX_STOP) != 0;
}
