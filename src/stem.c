/*
 * stem.c — khabar's light stemmer for Arabic (the default stemmer mode, "light").
 *
 * Input is a normalized word (normalize.c): Arabic letters only, two UTF-8 bytes each, no
 * harakat, ا for أ إ آ, ي for ى, ه for ة, ء for ؤ ئ. The stemmer strips what is glued to a word
 * and leaves its pattern alone (no roots): a light stemmer keeps وزير and وزارة apart, which a
 * root stemmer would merge.
 *
 *   1. Proclitics, one layer: the article and its compounds ال بال كال لل, optionally after the
 *      conjunction و/ف (وال فال وبال ولل …); else the conjunction و/ف, then the preposition
 *      ب/ك/ل or the future prefix س before an imperfect verb (ي ت ن ا).
 *   2. Enclitics and endings, each once and in this order: a pronoun (هما هم هن ها نا ه); when
 *      there is none, the accusative alef (تنوين: هاتفيًا) or the verb plural وا; the plural or
 *      dual (ات ون ين ان), or a ت left by ة before a pronoun (حكومتها → حكوم); the nisba ي.
 *
 * Minimum-stem rules: the article leaves at least 2 letters (الدم → دم), any other strip at least
 * 3 (وطن, بنك, فهم keep their first letter; بيته keeps its ت). Against the wrong merges the rules
 * alone would make there are three lists (docs/analyzer.md explains them):
 *   - protected stems: a word whose core (the word with its endings stripped) is on this list
 *     keeps its first letter: وزيرة is not و+زيرة, فيلم not ف+يلم, بطاقة not ب+طاقة;
 *   - protected endings: words whose ون ين ان نا هم ي … is part of the stem (لبنان, قانون,
 *     فلسطين, البحرين, كورونا, مساهم): stripping stops at them;
 *   - exceptions: whole words with a fixed stem (الله; عشرون/عشرين).
 * A word whose first alef carried a hamza (أ إ آ before normalization) never loses it as the
 * article: إلغاء and الإلغاء meet at الغاء, ألمانيا is not ال+مانيا.
 */
#include "khabar_int.h"

#include <pthread.h>

#include "gen/stem_lists.h"

/* Proclitic stripping must not start at a core on this list (the first letter is the root's).
 * Cores, i.e. after suffix stripping: "وزير" covers وزيرة, وزيرها, الوزيرة is stripped of
 * its article first. Hand-written from news vocabulary; kb__gen_protect adds the words found
 * by scripts/gen_stem_lists.py in the news corpora. */
static const char *const protect_manual[] = {
    "وزير",
    "وزار",
    "وطن",
    "وطني",
    "وقت",
    "وقف",
    "وضع",
    "وصل",
    "وصول",
    "وجود",
    "وجه",
    "ولاي",
    "وكال",
    "واحد",
    "واضح",
    "واقع",
    "وثيق",
    "وفد",
    "وفا",
    "وفق",
    "ورق",
    "وسط",
    "وسيل",
    "وسائل",
    "وعد",
    "ولد",
    "والد",
    "وحد",
    "وحيد",
    "وارد",
    "وافق",
    "وظيف",
    "وظاءف",
    "وقود",
    "وقاي",
    "وباء",
    "فيلم",
    "فيروس",
    "فريق",
    "فرص",
    "فرنس",
    "فرنسا",
    "فلسطين",
    "فكر",
    "فكره",
    "فترت",
    "فتر",
    "فصل",
    "فوز",
    "فاءز",
    "فعل",
    "فعال",
    "فقر",
    "فقير",
    "فندق",
    "فنان",
    "فيديو",
    "فيسبوك",
    "فيصل",
    "فهد",
    "فرع",
    "فروع",
    "فضاء",
    "فاطم",
    "فجر",
    "فرح",
    "فشل",
    "فوضي",
    "فاتور",
    "بنك",
    "بنوك",
    "بطاق",
    "بيان",
    "بيت",
    "بلد",
    "بلاد",
    "بحث",
    "بحر",
    "برنامج",
    "برامج",
    "بريطاني",
    "بريطانيا",
    "بغداد",
    "بيروت",
    "باريس",
    "برلين",
    "بكين",
    "بلجيكا",
    "بولندا",
    "بطول",
    "بطل",
    "بداي",
    "بدء",
    "بديل",
    "بيءه",
    "بناء",
    "بنا",
    "بنيه",
    "برلمان",
    "براءه",
    "بطاقات",
    "بورص",
    "باكستان",
    "بريد",
    "بيع",
    "بحري",
    "بري",
    "بشر",
    "بشير",
    "بشار",
    "بكر",
    "كلام",
    "كتاب",
    "كتب",
    "كبير",
    "كبار",
    "كرسي",
    "كرم",
    "كريم",
    "كلي",
    "كليه",
    "كمي",
    "كندا",
    "كوريا",
    "كويت",
    "كهرباء",
    "كاس",
    "كره",
    "كرات",
    "كامل",
    "كاتب",
    "كشف",
    "كفاء",
    "لبنان",
    "لندن",
    "ليبيا",
    "لجن",
    "لجان",
    "لقاء",
    "لاعب",
    "لعب",
    "لغ",
    "لغه",
    "لحظ",
    "لون",
    "لقب",
    "ليل",
    "ليله",
    "لواء",
    "لاجء",
    "لحم",
    "لاهاي",
    "لوحه",
    "سيار",
    "سياس",
    "سياسي",
    "سيطر",
    "سيد",
    "سيدات",
    "سنوات",
    "سيول",
    "سيناء",
    "ساع",
    "سين",
    "سيف",
    "ستار",
    "سنغافور",
    "سنه",
    "ستين",
    "سبعين",
    "سبت",
    "سينما",
    /* ال that is not the article: hamzated alef written bare (ألمانيا → المانيا) */
    "المان",
    "الغاء",
    "الكترون",
    "الاف",
    "الزام",
    "القاء",
    "الحاق",
    "الهام",
    "التزام",
    "التقاء",
    "التحاق",
    "التماس",
    "التفاف",
    "التهاب",
    "الماس",
    "الوان",
    "العاب",
    "الغام",
    "القاب",
    "الفاظ",
    "الي",
    "الات",
    "البان",
    "الية",
    "الياف",
    "الوي",
    "الوف",
    "الم",
    "الام",
    "الله",
};

/* Endings that belong to the stem: stripping stops when the remainder is exactly one of these. */
static const char *const keep_manual[] = {
    "لبنان", "ايران", "يابان", "سودان", "عمان",    "باكستان", "افغانستان", "برلمان",  "انسان",
    "مكان",  "زمان",  "امان",  "ضمان",  "بيان",    "سلطان",   "ميدان",     "طيران",   "عنوان",
    "رمضان", "شعبان", "سلمان", "عثمان", "سليمان",  "عدنان",   "مروان",     "نيسان",   "حزيران",
    "عدوان", "ديوان", "حيوان", "ميزان", "اذان",    "لسان",    "كيان",      "بركان",   "قران",
    "فنان",  "احسان", "ايمان", "سكان",  "اسكان",   "امكان",   "بستان",     "دخان",    "يونان",
    "عمران", "حسان",  "طهران", "اردن",  "شيخان",   "فلسطين",  "بحرين",     "حسين",    "ياسين",
    "تشرين", "نسرين", "قانون", "مليون", "زيتون",   "صالون",   "كانون",     "تلفزيون", "كورونا",
    "مساهم", "دراهم", "محاكم", "تراكم", "ملهم",    "ابراهيم", "مفاهيم",    "تعليم",   "مراسم",
    "مواسم", "عالم",  "ساهم",  "ملحم",  "ماليزيا", "ولايات",  "مباراه",    "سعودي",   "يمني",
    "ليبي",  "دولي",  "ماضي",  "قاضي",  "نادي",    "كرسي",    "راي",       "سوري",    "عربه",
    "عربات", /* a cart is not the Arabs (عرب) */
};

/* Whole words with a fixed stem, {form, stem}. */
static const char *const except_manual[] = {
    "الله",  "الله",  "اللهم", "الله",  "لله",    "الله",   "والله",  "الله",
    "بالله", "الله",  "عشرون", "عشرين", "ثلاثون", "ثلاثين", "اربعون", "اربعين",
    "خمسون", "خمسين", "ستون",  "ستين",  "سبعون",  "سبعين",  "ثمانون", "ثمانين",
    "تسعون", "تسعين", "عشرين", "عشرين", "ثلاثين", "ثلاثين", "اربعين", "اربعين",
    "خمسين", "خمسين", "ستين",  "ستين",  "سبعين",  "سبعين",  "ثمانين", "ثمانين",
    "تسعين", "تسعين", "الان",  "الان",  "الي",    "الي",    "الا",    "الا",
};

/* Slot counts: powers of two at least twice the list lengths (generated lists included). */
#define PROTECT_SLOTS 16384
#define KEEP_SLOTS 8192
#define EXCEPT_SLOTS 1024
static uint32_t protect_slots[PROTECT_SLOTS], protect_gen_slots[PROTECT_SLOTS];
static uint32_t keep_slots[KEEP_SLOTS], keep_gen_slots[KEEP_SLOTS];
static uint32_t except_slots[EXCEPT_SLOTS];
static kb__wordset protect_set, protect_gen_set, keep_set, keep_gen_set, except_set;
static pthread_once_t lists_once = PTHREAD_ONCE_INIT;

static void lists_init(void)
{
    kb__wordset_build(&protect_set, protect_manual, KB_ARRAY_LEN(protect_manual), 1, protect_slots,
                      PROTECT_SLOTS);
    kb__wordset_build(&protect_gen_set, kb__gen_protect, kb__gen_n_protect, 1, protect_gen_slots,
                      PROTECT_SLOTS);
    kb__wordset_build(&keep_set, keep_manual, KB_ARRAY_LEN(keep_manual), 1, keep_slots, KEEP_SLOTS);
    kb__wordset_build(&keep_gen_set, kb__gen_keep, kb__gen_n_keep, 1, keep_gen_slots, KEEP_SLOTS);
    kb__wordset_build(&except_set, except_manual, KB_ARRAY_LEN(except_manual) / 2, 2, except_slots,
                      EXCEPT_SLOTS);
}

static int protected_core(const char *w, size_t n)
{
    return kb__wordset_find(&protect_set, w, n) >= 0 ||
           kb__wordset_find(&protect_gen_set, w, n) >= 0;
}

static int keep_ending(const char *w, size_t n)
{
    return kb__wordset_find(&keep_set, w, n) >= 0 || kb__wordset_find(&keep_gen_set, w, n) >= 0;
}

/* Letters are two bytes: lengths below are in letters, L(bytes). */
#define L(n) ((n) / 2)

static inline int ends(const char *w, size_t n, const char *s, size_t k)
{
    return n >= k && memcmp(w + n - k, s, k) == 0;
}
static inline int starts(const char *w, size_t n, const char *s, size_t k)
{
    return n >= k && memcmp(w, s, k) == 0;
}
#define ENDS(w, n, lit) ends(w, n, lit, sizeof(lit) - 1)
#define STARTS(w, n, lit) starts(w, n, lit, sizeof(lit) - 1)

/* Pronoun enclitics, longest first. كم كن كما (second person) are left out: rare in news and
 * too often the end of a stem (محاكم, تراكم). */
static const char *const pronouns[] = {"هما", "هم", "هن", "ها", "نا", "ه"};

/* Strips endings from w[0..n) and returns the new length (bytes). */
static size_t strip_suffixes(const char *w, size_t n)
{
    size_t m = n;
    int pron = 0;
    if (keep_ending(w, m)) return m;
    for (size_t i = 0; i < KB_ARRAY_LEN(pronouns); i++) {
        size_t k = strlen(pronouns[i]);
        if (ends(w, m, pronouns[i], k) && L(m - k) >= 3) {
            m -= k;
            pron = 1;
            break;
        }
    }
    if (!pron) {
        if (ENDS(w, m, "وا") && L(m) >= 5)
            m -= 4;
        else if (ENDS(w, m, "ا") && L(m) >= 4)
            m -= 2;
    }
    if (m != n && keep_ending(w, m)) return m;
    size_t before = m;
    if (ENDS(w, m, "ات")) {
        if (L(m) >= 5)
            m -= 4;
        else if (pron && L(m) >= 4)
            m -= 2; /* حياتها → حيا, as حياة → حيا */
    } else if ((ENDS(w, m, "ون") || ENDS(w, m, "ين") || ENDS(w, m, "ان")) && L(m) >= 5) {
        m -= 4;
        if (ENDS(w, m, "ت") && !ENDS(w, m, "ات") && L(m) >= 4)
            m -= 2; /* the feminine dual: مدينتين → مدين */
    } else if (pron && ENDS(w, m, "ت") && L(m) >= 4) {
        m -= 2; /* ة before a pronoun: حكومتها → حكوم */
    }
    if (m != before && keep_ending(w, m)) return m;
    if (ENDS(w, m, "ي") && L(m) >= 4) m -= 2;
    return m;
}

/* Length in bytes of an article form at the start of w (ال بال كال لل), or 0. bit is the hamza
 * mask aligned with w: an alef that carried a hamza is a root letter, not the article's. */
static size_t article(const char *w, size_t n, uint32_t mask)
{
    if (STARTS(w, n, "ال")) return (mask & 1) ? 0 : 4;
    if (STARTS(w, n, "لل")) return 4;
    if ((STARTS(w, n, "بال") || STARTS(w, n, "كال")) && !(mask & 2)) return 6;
    return 0;
}

/* True when every character of w is a two-byte Arabic-block letter (U+0600–07BF). */
static int pure_arabic(const char *w, size_t n)
{
    if (n & 1) return 0;
    for (size_t i = 0; i < n; i += 2) {
        unsigned a = (unsigned char)w[i], b = (unsigned char)w[i + 1];
        if (a < 0xD8 || a > 0xDE || (b & 0xC0) != 0x80) return 0;
    }
    return 1;
}

/* May the first letter of w be stripped as a proclitic? Not when what is left would be shorter
 * than min letters, or the word's core is protected. */
static int may_strip(const char *w, size_t n, size_t strip, size_t min)
{
    if (L(n - strip) < min) return 0;
    size_t core = strip_suffixes(w, n);
    return !protected_core(w, core);
}

size_t kb__stem_light(const char *w, size_t n, uint32_t mask, char *out)
{
    pthread_once(&lists_once, lists_init);
    if (n < 6 || !pure_arabic(w, n)) {
        memcpy(out, w, n);
        out[n] = 0;
        return n;
    }
    long e = kb__wordset_find(&except_set, w, n);
    if (e >= 0) {
        const char *s = except_manual[e * 2 + 1];
        size_t k = KB_MIN(strlen(s), n + KB_STEM_SLACK - 1);
        memcpy(out, s, k);
        out[k] = 0;
        return k;
    }
    const char *p = w;
    size_t m = n;
    /* 1. proclitics */
    size_t conj = (STARTS(p, m, "و") || STARTS(p, m, "ف")) ? 2 : 0;
    size_t art = 0;
    if (conj && (art = article(p + 2, m - 2, mask >> 1)) != 0 && L(m - 2 - art) >= 2 &&
        may_strip(p, m, 2 + art, 2)) {
        p += 2 + art, m -= 2 + art;
    } else if ((art = article(p, m, mask)) != 0 && L(m - art) >= 2 && may_strip(p, m, art, 2)) {
        p += art, m -= art;
    } else {
        if (conj && may_strip(p, m, 2, 3)) p += 2, m -= 2;
        if ((STARTS(p, m, "ب") || STARTS(p, m, "ك") || STARTS(p, m, "ل")) &&
            may_strip(p, m, 2, 3)) {
            p += 2, m -= 2;
        } else if (STARTS(p, m, "س") && m >= 4 &&
                   (STARTS(p + 2, m - 2, "ي") || STARTS(p + 2, m - 2, "ت") ||
                    STARTS(p + 2, m - 2, "ن") || STARTS(p + 2, m - 2, "ا")) &&
                   !ENDS(p, m, "ه") && !ENDS(p, m, "ات") && may_strip(p, m, 2, 3)) {
            p += 2, m -= 2; /* future سـ: سيتم → يتم */
        }
    }
    /* 2. endings */
    m = strip_suffixes(p, m);
    memcpy(out, p, m);
    out[m] = 0;
    return m;
}
