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
#include <xxhash.h>

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

typedef struct lex_entry {
    const char *w;
    const char *stem; /* KB_LEX_EXCEPT */
    uint32_t len;
    uint32_t flags;
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
/* A one-hash Bloom filter in front of the table (8 KiB, stays in L1): most words are on no
 * list, and for them the lookup ends here; ~6% false positives with ~4,000 entries. */
#define LEX_BLOOM_BITS 65536
static uint64_t lex_bloom[LEX_BLOOM_BITS / 64];
#define BLOOM_BIT(h) ((uint32_t)((h) >> 20) & (LEX_BLOOM_BITS - 1))
static pthread_once_t lex_once = PTHREAD_ONCE_INIT;

static lex_entry *lex_find(const char *w, size_t n, uint64_t h)
{
    uint32_t i = (uint32_t)h & (LEX_SLOTS - 1), tag = (uint32_t)(h >> 48);
    for (;;) {
        uint32_t v = lex_slot[i];
        if (!v) return NULL;
        if ((v >> 16) == tag) {
            lex_entry *e = &lex[(v & 0xFFFF) - 1];
            if (e->len == n && memcmp(e->w, w, n) == 0) return e;
        }
        i = (i + 1) & (LEX_SLOTS - 1);
    }
}

static void lex_add(const char *w, unsigned flags, const char *stem)
{
    size_t n = strlen(w);
    uint64_t h = XXH3_64bits(w, n);
    lex_entry *e = lex_find(w, n, h);
    if (!e) {
        if (lex_n == LEX_MAX) return; /* cannot happen: LEX_MAX is twice the lists' length */
        uint32_t i = (uint32_t)h & (LEX_SLOTS - 1);
        while (lex_slot[i])
            i = (i + 1) & (LEX_SLOTS - 1);
        e = &lex[lex_n++];
        e->w = w;
        e->len = (uint32_t)n;
        lex_slot[i] = lex_n | (uint32_t)(h >> 48) << 16;
        lex_bloom[BLOOM_BIT(h) / 64] |= 1ull << (BLOOM_BIT(h) % 64);
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

unsigned kb__lex_lookup(const char *w, size_t n, const char **stem)
{
    pthread_once(&lex_once, lex_init);
    uint64_t h = XXH3_64bits(w, n);
    if (!(lex_bloom[BLOOM_BIT(h) / 64] >> (BLOOM_BIT(h) % 64) & 1)) return 0;
    lex_entry *e = lex_find(w, n, h);
    if (!e) return 0;
    if (stem && (e->flags & KB_LEX_EXCEPT)) *stem = e->stem;
    return e->flags;
}

int kb__stopword(const char *w, size_t n)
{
    return (kb__lex_lookup(w, n, NULL) & KB_LEX_STOP) != 0;
}
