/*
 * stopwords.c — khabar's Arabic stop list, and the small hash sets the analyzer's word lists use.
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

/* ---- word sets: open addressing over a static slot array ----------------------------------- */

static uint32_t fnv1a(const char *w, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)w[i]) * 16777619u;
    return h;
}

void kb__wordset_build(kb__wordset *ws, const char *const *words, size_t n, size_t stride,
                       uint32_t *slots, size_t n_slots)
{
    ws->words = words;
    ws->stride = stride;
    ws->slots = slots;
    ws->mask = (uint32_t)(n_slots - 1);
    memset(slots, 0, n_slots * sizeof *slots);
    for (size_t i = 0; i < n; i++) {
        const char *w = words[i * stride];
        size_t len = strlen(w);
        if (kb__wordset_find(ws, w, len) >= 0) continue; /* first entry wins */
        uint32_t h = fnv1a(w, len) & ws->mask;
        while (slots[h])
            h = (h + 1) & ws->mask;
        slots[h] = (uint32_t)i + 1;
    }
}

long kb__wordset_find(const kb__wordset *ws, const char *w, size_t n)
{
    uint32_t h = fnv1a(w, n) & ws->mask;
    for (;;) {
        uint32_t v = ws->slots[h];
        if (!v) return -1;
        const char *e = ws->words[(v - 1) * ws->stride];
        if (strncmp(e, w, n) == 0 && e[n] == 0) return (long)(v - 1);
        h = (h + 1) & ws->mask;
    }
}

/* Room for the stop list at a load factor below 1/2. */
#define STOP_SLOTS 1024
static uint32_t stop_slots[STOP_SLOTS];
static kb__wordset stop_set;
static pthread_once_t stop_once = PTHREAD_ONCE_INIT;

static void stop_init(void)
{
    kb__wordset_build(&stop_set, kb__stopwords, kb__n_stopwords, 1, stop_slots, STOP_SLOTS);
}

int kb__stopword(const char *w, size_t n)
{
    pthread_once(&stop_once, stop_init);
    return kb__wordset_find(&stop_set, w, n) >= 0;
}
