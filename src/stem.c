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
 *      ب/ك/ل or the future prefix س before an imperfect verb (ي ت ن; not ا: سابق, سامي, سابك).
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

/* Proclitic stripping must not start at a core on this list (the first letter is the root's).
 * Cores, i.e. after suffix stripping: "وزير" covers وزيرة, وزيرها, الوزيرة is stripped of
 * its article first. Hand-written from news vocabulary; kb__gen_protect adds the words found
 * by scripts/gen_stem_lists.py in the news corpora. */
// clang-format off
const char *const kb__stem_protect[] = {
    "وزير", "وزار", "وطن", "وطني", "وقت", "وقف", "وضع", "وصل", "وصول", "وجود", "وجه", "ولاي",
    "وكال", "واحد", "واضح", "واقع", "وثيق", "وفد", "وفا", "وفق", "ورق", "وسط", "وسيل", "وساءل", "وال",
    "وعد", "ولد", "والد", "وحد", "وحيد", "وارد", "وافق", "وظيف", "وظاءف", "وقود", "وقاي", "وباء",
    "فيلم", "فيروس", "فريق", "فرص", "فرنس", "فرنسا", "فلسطين", "فكر", "فكره", "فترت", "فتر", "فصل",
    "فوز", "فاءز", "فعل", "فعال", "فقر", "فقير", "فندق", "فنان", "فيديو", "فيسبوك", "فيصل", "فهد",
    "فرع", "فروع", "فضاء", "فاطم", "فجر", "فرح", "فشل", "فوضي", "فاتور", "بنك", "بنوك", "بطاق",
    "بيان", "بيت", "بلد", "بلاد", "بحث", "بحر", "برنامج", "برامج", "بريطاني", "بريطانيا", "بغداد",
    "بيروت", "باريس", "برلين", "بكين", "بلجيكا", "بولندا", "بطول", "بطل", "بداي", "بدء", "بديل",
    "بيءه", "بناء", "بنا", "بنيه", "برلمان", "براءه", "بطاقات", "بورص", "باكستان", "بريد", "بيع",
    "بحري", "بري", "بشر", "بشير", "بشار", "بكر", "كلام", "كتاب", "كتب", "كبير", "كبار", "كرسي",
    "كرم", "كريم", "كلي", "كليه", "كمي", "كندا", "كوريا", "كويت", "كهرباء", "كاس", "كره", "كرات",
    "كامل", "كاتب", "كشف", "كفاء", "لبنان", "لندن", "ليبيا", "لجن", "لجان", "لقاء", "لاعب", "لعب",
    "لغ", "لغه", "لحظ", "لون", "لقب", "ليل", "ليله", "لواء", "لاجء", "لحم", "لاهاي", "لوحه",
    "سيار", "سياس", "سياسي", "سيطر", "سيد", "سيدات", "سنوات", "سيول", "سيناء", "ساع", "سين", "سيف", "سابق", "سنوي", "سيتي", "سياق", "سنت", "كان", "كلم", "كله", "كير", "كوفيد", "بعد",
    "بعيد", "باراك", "واد", "وصف", "فيهم", "لماذ", "سنو", "بقاء", "سيطرت", "بحاح", "برقي", "باب", "كلف",
    "بوست", "كمال", "فداء", "كمين", "فسيح", "فتحت", "لادن", "سيلف", "كلن",
    "ستار", "سنغافور", "سنه", "ستين", "سبعين", "سبت", "سينما",
    /* ال that is not the article: hamzated alef written bare (ألمانيا → المانيا) */
    "المان", "الغاء", "الكترون", "الاف", "الزام", "القاء", "الحاق", "الهام", "التزام", "التقاء",
    "التحاق", "التماس", "التفاف", "التهاب", "الماس", "الوان", "العاب", "الغام", "القاب", "الفاظ",
    "الي", "الات", "البان", "اليه", "الياف", "الوي", "الوف", "الم", "الام", "الله",
};
// clang-format on

/* Endings that belong to the stem: stripping stops when the remainder is exactly one of these. */
// clang-format off
const char *const kb__stem_keep[] = {
    "لبنان", "ايران", "يابان", "سودان", "عمان", "باكستان", "افغانستان", "برلمان", "انسان", "مكان",
    "زمان", "امان", "ضمان", "بيان", "سلطان", "ميدان", "طيران", "عنوان", "رمضان", "شعبان", "سلمان",
    "عثمان", "سليمان", "عدنان", "مروان", "نيسان", "حزيران", "عدوان", "ديوان", "حيوان", "ميزان",
    "اذان", "لسان", "كيان", "بركان", "قران", "فنان", "احسان", "ايمان", "سكان", "اسكان", "امكان",
    "بستان", "دخان", "يونان", "عمران", "حسان", "طهران", "اردن", "شيخان", "فلسطين", "بحرين", "حسين",
    "ياسين", "تشرين", "نسرين", "قانون", "مليون", "زيتون", "صالون", "كانون", "تلفزيون", "كورونا",
    "مساهم", "دراهم", "محاكم", "تراكم", "ملهم", "ابراهيم", "مفاهيم", "تعليم", "مراسم", "مواسم",
    "عالم", "ساهم", "ملحم", "ماليزيا", "ولايات", "مباراه", "سعودي", "يمني", "ليبي", "دولي", "ماضي",
    "قاضي", "نادي", "كرسي", "راي", "سوري", "عربه", "عربات", "قوات", "عبدالله", "اعلان",
    /* a cart is not the Arabs (عرب) */
};
// clang-format on

/* Whole words with a fixed stem, {form, stem}. */
// clang-format off
const char *const kb__stem_except[] = {
    "الله", "الله", "اللهم", "الله", "لله", "الله", "والله", "الله", "بالله", "الله", "عشرون",
    "عشرين", "ثلاثون", "ثلاثين", "اربعون", "اربعين", "خمسون", "خمسين", "ستون", "ستين", "سبعون",
    "سبعين", "ثمانون", "ثمانين", "تسعون", "تسعين", "عشرين", "عشرين", "ثلاثين", "ثلاثين", "اربعين",
    "اربعين", "خمسين", "خمسين", "ستين", "ستين", "سبعين", "سبعين", "ثمانين", "ثمانين", "تسعين",
    "تسعين", "الان", "الان", "الي", "الي", "الا", "الا",
};
// clang-format on

const size_t kb__stem_n_protect = KB_ARRAY_LEN(kb__stem_protect);
const size_t kb__stem_n_keep = KB_ARRAY_LEN(kb__stem_keep);
const size_t kb__stem_n_except = KB_ARRAY_LEN(kb__stem_except) / 2;

static int keep_ending(const char *w, size_t n)
{
    return (kb__lex_lookup_padded(w, n, NULL) & KB_LEX_KEEP) != 0;
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

/* A letter of a normalized word as one number: its two UTF-8 bytes, lead byte high. The letters
 * the rules below test: */
enum {
    ALEF = 0xD8A7,
    BEH = 0xD8A8,
    TEH = 0xD8AA,
    SEEN = 0xD8B3,
    FEH = 0xD981,
    KAF = 0xD983,
    LAM = 0xD984,
    MEEM = 0xD985,
    NOON = 0xD986,
    HEH = 0xD987,
    WAW = 0xD988,
    YEH = 0xD98A
};

static inline unsigned letter_at(const char *p)
{
    return (unsigned)(unsigned char)p[0] << 8 | (unsigned char)p[1];
}

/* 1 when the last letter of w can start an ending (ه ا ي ن ت م): the cheap test before the
 * keep list is looked up. One bit test: U+0600..U+067F as 7 bits (lead D8/D9 → bit 6). */
static inline int may_end(const char *w, size_t n)
{
    static const uint64_t end_bits[2] = {
        1ull << (ALEF & 0x3F) | 1ull << (TEH & 0x3F),
        1ull << (MEEM & 0x3F) | 1ull << (NOON & 0x3F) | 1ull << (HEH & 0x3F) | 1ull << (YEH & 0x3F),
    };
    unsigned c = letter_at(w + n - 2);
    return (c >> 9) == 0x6C && (end_bits[(c >> 8) & 1] >> (c & 0x3F) & 1);
}

/* 1 when the first letter of w can be (or begin) a proclitic: ا (the article) و ف ب ك ل س. */
static inline int may_begin(const char *w)
{
    static const uint64_t begin_bits[2] = {
        1ull << (ALEF & 0x3F) | 1ull << (BEH & 0x3F) | 1ull << (SEEN & 0x3F),
        1ull << (FEH & 0x3F) | 1ull << (KAF & 0x3F) | 1ull << (LAM & 0x3F) | 1ull << (WAW & 0x3F),
    };
    unsigned c = letter_at(w);
    return (c >> 9) == 0x6C && (begin_bits[(c >> 8) & 1] >> (c & 0x3F) & 1);
}

/* Strips endings from w[0..n) and returns the new length (bytes). keep is 1 or 0 when the
 * caller knows whether w is on the keep list, -1 when it does not. */
static inline __attribute__((always_inline)) size_t strip_suffixes(const char *w, size_t n,
                                                                   int keep)
{
    size_t m = n;
    int pron = 0;
    if (n < 8 || !may_end(w, n))
        return m; /* every rule leaves 3 letters, and needs an ending letter */
    if (keep < 0 ? keep_ending(w, m) : keep) return m;
    /* Pronouns, longest first (هما هم هن ها نا ه), each leaving 3 letters. */
    unsigned last = letter_at(w + m - 2), prev = letter_at(w + m - 4);
    switch (last) {
    case ALEF:
        if (prev == MEEM && m >= 12 && letter_at(w + m - 6) == HEH)
            m -= 6, pron = 1; /* هما */
        else if ((prev == HEH || prev == NOON) && m >= 10)
            m -= 4, pron = 1; /* ها نا */
        break;
    case MEEM:
    case NOON:
        if (prev == HEH && m >= 10) m -= 4, pron = 1; /* هم هن */
        break;
    case HEH:
        m -= 2, pron = 1; /* ه (n >= 8: 3 letters stay) */
        break;
    default:
        break;
    }
    if (!pron) {
        if (last == ALEF && prev == WAW && L(m) >= 5)
            m -= 4; /* the verb plural وا */
        else if (last == ALEF && L(m) >= 4)
            m -= 2; /* the accusative alef */
    }
    if (m != n && m >= 8 && may_end(w, m) && keep_ending(w, m)) return m;
    size_t before = m;
    last = letter_at(w + m - 2);
    prev = letter_at(w + m - 4);
    if (last == TEH && prev == ALEF) {
        if (L(m) >= 5)
            m -= 4;
        else if (pron && L(m) >= 4)
            m -= 2; /* حياتها → حيا, as حياة → حيا */
    } else if (last == NOON && (prev == WAW || prev == YEH || prev == ALEF) && L(m) >= 5) {
        m -= 4;
        if (letter_at(w + m - 2) == TEH && letter_at(w + m - 4) != ALEF && L(m) >= 4)
            m -= 2; /* the feminine dual: مدينتين → مدين */
    } else if (pron && last == TEH && L(m) >= 4) {
        m -= 2; /* ة before a pronoun: حكومتها → حكوم */
    }
    int yeh = letter_at(w + m - 2) == YEH;
    if (m != before && yeh && keep_ending(w, m)) return m;
    if (yeh && L(m) >= 4) m -= 2;
    return m;
}

/* Length in bytes of an article form at the start of w (ال بال كال لل), or 0. bit is the hamza
 * mask aligned with w: an alef that carried a hamza is a root letter, not the article's. */
static inline size_t article(const char *w, size_t n, uint32_t mask)
{
    if (n < 4) return 0;
    unsigned c0 = letter_at(w), c1 = letter_at(w + 2);
    if (c0 == ALEF) return c1 == LAM && !(mask & 1) ? 4 : 0;
    if (c0 == LAM) return c1 == LAM ? 4 : 0;
    if ((c0 == BEH || c0 == KAF) && n >= 6 && c1 == ALEF && letter_at(w + 4) == LAM && !(mask & 2))
        return 6;
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
 * than min letters, or the word's core is protected. lex is w's lexicon flags when w is the
 * whole word (else -1). */
static inline int may_strip(const char *w, size_t n, size_t strip, size_t min, int lex)
{
    if (L(n - strip) < min) return 0;
    size_t core = strip_suffixes(w, n, lex < 0 ? -1 : (lex & KB_LEX_KEEP) != 0);
    /* A word kept whole at its end (keep list) is a known word: its first letter is its own. */
    unsigned f = (core == n && lex >= 0) ? (unsigned)lex : kb__lex_lookup_padded(w, core, NULL);
    return !(f & (KB_LEX_PROTECT | KB_LEX_KEEP));
}

/* The stemmer's rules on a padded word (kb__stem_light_cut's conditions): the stem is
 * w[*start .. *start + returned length). */
static inline size_t stem_span(const char *w, size_t n, uint32_t mask, unsigned lex, size_t *start)
{
    const char *p = w;
    size_t m = n;
    int wl = (int)lex; /* flags of the whole word, for may_strip */
    /* 1. proclitics: only after one test of the first letter, as most words have none */
    if (may_begin(w)) {
        size_t conj = (STARTS(p, m, "و") || STARTS(p, m, "ف")) ? 2 : 0;
        size_t art = 0;
        if (conj && (art = article(p + 2, m - 2, mask >> 1)) != 0 && L(m - 2 - art) >= 2 &&
            may_strip(p, m, 2 + art, 2, wl)) {
            p += 2 + art, m -= 2 + art;
        } else if ((art = article(p, m, mask)) != 0 && L(m - art) >= 2 &&
                   may_strip(p, m, art, 2, wl)) {
            p += art, m -= art;
        } else {
            if (conj && may_strip(p, m, 2, 3, wl)) {
                p += 2, m -= 2;
                wl = -1;
            }
            if ((STARTS(p, m, "ب") || STARTS(p, m, "ك") || STARTS(p, m, "ل")) &&
                may_strip(p, m, 2, 3, wl)) {
                p += 2, m -= 2;
            } else if (STARTS(p, m, "س") && m >= 4 &&
                       (STARTS(p + 2, m - 2, "ي") || STARTS(p + 2, m - 2, "ت") ||
                        STARTS(p + 2, m - 2, "ن")) &&
                       !ENDS(p, m, "ه") && !ENDS(p, m, "ات") && may_strip(p, m, 2, 3, wl)) {
                p += 2, m -= 2; /* future سـ: سيتم → يتم */
            }
        }
    }
    /* 2. endings */
    m = strip_suffixes(p, m, p == w ? (int)((lex & KB_LEX_KEEP) != 0) : -1);
    *start = (size_t)(p - w);
    return m;
}

size_t kb__stem_light(const char *w, size_t n, uint32_t mask, char *out)
{
    const char *exc = NULL;
    unsigned lex = n >= 6 ? kb__lex_lookup(w, n, &exc) : 0;
    return kb__stem_light_lex(w, n, mask, lex, exc, out);
}

size_t kb__stem_light_lex(const char *w, size_t n, uint32_t mask, unsigned lex, const char *exc,
                          char *out)
{
    if (n < 6 || !pure_arabic(w, n)) {
        memcpy(out, w, n);
        out[n] = 0;
        return n;
    }
    if ((lex & KB_LEX_EXCEPT) && exc) {
        size_t k = KB_MIN(strlen(exc), n + KB_STEM_SLACK - 1);
        memcpy(out, exc, k);
        out[k] = 0;
        return k;
    }
    kb__lex_init();
    /* out (room for n + KB_STEM_SLACK bytes) is the padded copy the span wants. */
    memcpy(out, w, n);
    size_t start, m = stem_span(out, n, mask, lex, &start);
    memmove(out, out + start, m);
    out[m] = 0;
    return m;
}

const char *kb__stem_light_cut(const char *w, size_t n, uint32_t mask, unsigned lex, char *out,
                               size_t *len)
{
    size_t start, m = stem_span(w, n, mask, lex, &start);
    *len = m;
    if (start + m == n) return w + start;
    if (m <= 16)
        memcpy(out, w + start, 16); /* one fixed copy: w + start + 16 <= w + n + KB_LEX_PAD */
    else
        memcpy(out, w + start, m);
    out[m] = 0;
    return out;
}
