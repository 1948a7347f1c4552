/*
 * clean.c — from a record to a structured article (the "structure" stage of the data path).
 *
 * A record's body (plain text, or the lines the HTML extractor chose) is split into lines; each
 * line is repaired for display and its whitespace tidied. Then, in order:
 *
 *   1. line-level boilerplate, wherever it is: lines with no letters or digits ("empty"),
 *      copyright, share/follow/read-more, agency tags, and — with statistics — lines that recur
 *      in many documents of the same source ("repeated-in-source");
 *   2. the head (the lines before the first paragraph-like line): short dateline lines give the
 *      date; when the record has no title, the headline is the longest head line that is not
 *      repeated, not a site name and not a cut piece of a sentence; repeated or short lines
 *      before it (and before any kept text) are the masthead, short lines after it are image
 *      captions, any repeat in the head is a duplicate;
 *   3. the body: a repeated paragraph of 20+ words is a duplicate, short unpunctuated lines
 *      followed by a paragraph are headings, lines that are one quotation are quotes, the rest
 *      paragraphs.
 *
 * Every dropped line is kept in the article's dropped[] list with its reason. The rules look at
 * the shape of lines (length, punctuation, repetition, position) and at small lists of
 * boilerplate phrases, never at one site's strings.
 */
#include "khabar_int.h"

#include <stdio.h>
#include <utf8proc.h>

/* A headline has at least this many words: one- and two-word lines at the top of a page are a
 * site name, a section, an editor's name. */
#define TITLE_MIN_WORDS 3
/* A paragraph-like line ends the head: at least this many words... */
#define BODY_MIN_WORDS 25
/* ...or at least this many words and a final full stop (headlines rarely end with one). */
#define BODY_MIN_WORDS_DOT 6
/* A masthead line (site name, editor, section) is this short unless it repeats. */
#define MASTHEAD_MAX_WORDS 4
/* Captions and headings are short: longer lines are prose. */
#define CAPTION_MAX_WORDS 12
#define HEADING_MAX_WORDS 12
/* Share/follow and agency-tag lines are short; a long line that mentions them is prose. */
#define SHARE_MAX_WORDS 12
#define AGENCY_MAX_WORDS 6
#define COPYRIGHT_MAX_WORDS 12
/* A site name glued to a paragraph is split off when the rest is at least this long (bytes): a
 * short rest is a byline, dropped with the site name. */
#define SITE_SPLIT_MIN_BYTES 200
/* An end marker glued to a paragraph ("… // انتهى //") is split off when the text before it is at
 * least this long (bytes), so the paragraph keeps its words and the marker is dropped. */
#define END_SPLIT_MIN_BYTES 40
/* A Latin site-name line at the top (e.g. "EXAMPLE.INFO - staff") is short. */
#define SITENAME_MAX_WORDS 8
/* In the body, a repeated line is dropped as a duplicate only when it is this long: a whole
 * paragraph printed twice is a scraping accident, while shorter repeats are content more often
 * than not (a refrain in a poem, "خادم الحرمين الشريفين ،" opening each part of a speech, the
 * same clause closing each item of a list, identical specifications of two phones). In the head,
 * every repeat is dropped (a caption shown twice). */
#define DUP_MIN_WORDS 20
/* The title repeated as a body line is dropped only among the first lines; further down it is a
 * refrain (a poem's first verse is often its title). */
#define TITLE_REPEAT_MAX_LINE 3
/* A dateline ("القاهرة في 12 يناير 2021 -") is short. */
#define DATELINE_MAX_WORDS 8
/* Datelines are looked for in the first lines only. */
#define DATELINE_MAX_LINES 6
/* A line longer than this is cut into pieces for classification only: no sane paragraph is
 * 1 MiB, and the dedup hash table stays cheap. The text itself is kept whole. */
#define FOLD_MAX 512

/* One tidied line and what the rules decided about it. */
typedef struct line {
    size_t off, len;    /* in c->tidy */
    uint32_t words;     /* space-separated tokens with a letter or digit */
    uint32_t alnum;     /* letters and digits */
    uint32_t letters;   /* letters, of which */
    uint32_t arabic;    /* Arabic letters */
    uint32_t first;     /* index of the first identical line (itself when unique) */
    uint32_t occ;       /* occurrences of this text in the document */
    uint64_t hash;      /* kb__line_hash() of the tidied text */
    uint8_t end_dot;    /* ends with a full stop (., …) */
    uint8_t end_punct;  /* ends with any sentence or clause punctuation */
    uint8_t quoted;     /* the whole line is one quotation */
    uint8_t latin_site; /* starts with a Latin site-name-like word */
    uint8_t dateline;   /* a short head line holding a date */
    int hint;           /* KB__HINT_* from HTML */
    int kind;           /* K_* below */
    const char *reason; /* when kind == K_DROP */
    const char *phrase; /* phrase_reason()'s verdict, or NULL */
} line;

enum { K_NONE, K_TITLE, K_CAPTION, K_PARA, K_HEADING, K_QUOTE, K_DROP };

struct kb_cleaner {
    kb_cleaner_options opts;
    kb__linestats *ls;
    kb__html_doc html;
    kb_buf tidy; /* tidied lines, back to back */
    kb_buf fold; /* scratch: folded form of one line for phrase matching */
    kb_buf out;  /* the article text: blocks joined by "\n\n" */
    kb_buf strs; /* id, title, date, captions, dropped texts */
    line *lines;
    size_t n_lines, cap_lines;
    uint32_t *slots; /* open-addressing table for duplicate lines */
    size_t cap_slots;
    /* the article under construction; slices hold offsets until finish() */
    kb_slice *captions;
    size_t n_captions, cap_captions;
    kb_block *blocks;
    size_t n_blocks, cap_blocks;
    kb_dropped *dropped;
    size_t n_dropped, cap_dropped;
    size_t n_repaired;
    char errmsg[160];
};

/* ---- small helpers ----------------------------------------------------------------------------
 */

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 0;
    size_t n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    void *q = kb__realloc(*p, n * elem);
    if (!q) return KB_ENOMEM;
    *p = q;
    *cap = n;
    return 0;
}

static int is_space_cp(int32_t cp)
{
    return cp == ' ' || cp == '\t' || cp == '\r' || cp == '\f' || cp == '\v' || cp == 0xA0 ||
           cp == 0x85 || cp == 0x2028 || cp == 0x2029 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200A) || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

static int is_arabic_letter(int32_t cp)
{
    return (cp >= 0x0621 && cp <= 0x064A) || (cp >= 0x066E && cp <= 0x06D3) || cp == 0x06D5 ||
           (cp >= 0x06FA && cp <= 0x06FC) || cp == 0x06FF || (cp >= 0x0750 && cp <= 0x077F) ||
           (cp >= 0x08A0 && cp <= 0x08C9) || (cp >= 0xFB50 && cp <= 0xFDFB) ||
           (cp >= 0xFE70 && cp <= 0xFEFC);
}

static int is_letter(int32_t cp)
{
    if (cp < 0x80) return (cp | 32) >= 'a' && (cp | 32) <= 'z';
    if (is_arabic_letter(cp)) return 1;
    utf8proc_category_t k = utf8proc_category(cp);
    return k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_LO;
}

static int is_digit_cp(int32_t cp)
{
    return (cp >= '0' && cp <= '9') || (cp >= 0x0660 && cp <= 0x0669) ||
           (cp >= 0x06F0 && cp <= 0x06F9);
}

/* Decodes one code point: ASCII and two-byte sequences (all of Arabic) inline, the rest through
 * kb__utf8_decode. Returns the bytes consumed. */
static inline size_t dec(const unsigned char *u, size_t n, int32_t *cp)
{
    if (u[0] < 0x80) {
        *cp = u[0];
        return 1;
    }
    if (u[0] >= 0xC2 && u[0] <= 0xDF && n > 1 && (u[1] & 0xC0) == 0x80) {
        *cp = ((int32_t)(u[0] & 0x1F) << 6) | (u[1] & 0x3F);
        return 2;
    }
    int bad;
    return kb__utf8_decode(u, n, cp, &bad);
}

int32_t kb__clean_fold_cp(int32_t cp)
{
    if (cp == 0x0640 || (cp >= 0x064B && cp <= 0x065F) || cp == 0x0670) return -1;
    if (cp == 0x0622 || cp == 0x0623 || cp == 0x0625 || cp == 0x0671) return 0x0627;
    if (cp == 0x0649) return 0x064A;
    if (cp == 0x0629) return 0x0647;
    if (cp >= 'A' && cp <= 'Z') return cp + 32;
    return cp;
}

/* The folded form used to match boilerplate phrases: lower-case ASCII, alef forms → ا, ى → ي,
 * ة → ه, harakat and tatweel removed, every run of non-alphanumerics → one space. */
static void fold_line(kb_buf *out, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    kb__buf_reset(out);
    kb__buf_putc(out, ' ');
    for (size_t i = 0; i < n;) {
        int32_t cp;
        i += dec(u + i, n - i, &cp);
        if ((cp = kb__clean_fold_cp(cp)) < 0) continue;
        if (out->rc) return;
        if (is_letter(cp) || is_digit_cp(cp) || cp == 0xA9 /* © */) {
            char e[4];
            kb__buf_append(out, e, kb__utf8_encode(cp, e));
        } else if (out->n && out->p[out->n - 1] != ' ') {
            kb__buf_putc(out, ' ');
        }
        if (out->n > FOLD_MAX) break;
    }
    if (!out->rc && out->p[out->n - 1] != ' ') kb__buf_putc(out, ' ');
}

/* True when the folded line f (" w1 w2 … ") starts with the folded phrase p (" p1 p2 "). */
static int starts_with(const char *f, const char *p)
{
    /* every phrase starts with a space and a letter: compare those first */
    return f[1] == p[1] && strncmp(f, p, strlen(p)) == 0;
}

/* ---- boilerplate phrase lists (folded forms, each between spaces) -------------------------- */

/* Lines that start with these are share/follow/read-more/navigation furniture. */
static const char *const share_prefixes[] = {
    " شارك ",          " شاركها ",         " شاركوا ",     " مشاركه ",        " تابعونا ",
    " تابعنا ",        " تابعوا ",         " اقرا ايضا ",  " اقرا المزيد ",   " المزيد ",
    " للمزيد ",        " اقرا المزيد ",    " اضغط هنا ",   " انقر هنا ",      " اشترك ",
    " اشتركوا ",       " حمل تطبيق ",      " طباعه ",      " ارسل لصديق ",    " مواضيع ذات صله ",
    " اخبار ذات صله ", " مقالات ذات صله ", " ذات صله ",    " اقرا ايضا ",     " share ",
    " tweet ",         " follow us ",      " read more ",  " next previous ", " related ",
    " print ",         " subscribe ",      " click here ", " advertisement ", " اعلان ",
    " شاهد ايضا ",     " شاهد بالفيديو ",  " طالع ايضا ",  " انظر ايضا ",
};

/* A line made only of these words is a row of share buttons. */
static const char *const social_words[] = {
    "facebook", "twitter",   "whatsapp", "telegram", "instagram", "youtube", "linkedin",
    "google",   "pinterest", "email",    "print",    "share",     "tweet",   "فيسبوك",
    "فيس",      "بوك",       "تويتر",    "واتساب",   "واتس",      "اب",      "تيليجرام",
    "تلغرام",   "انستغرام",  "انستجرام", "يوتيوب",   "لينكدان",   "طباعه",   "مشاركه",
    "شارك",     "next",      "previous", "السابق",   "التالي",
};

/* Lines containing these are copyright notices. */
static const char *const copyright_phrases[] = {
    " جميع الحقوق محفوظه ",
    " كل الحقوق محفوظه ",
    " حقوق النشر ",
    " حقوق الطبع ",
    " all rights reserved ",
    " copyright ",
    "©",
};

/* News-agency tags and end-of-dispatch markers, as whole lines. */
static const char *const agency_tags[] = {
    " و م ع ", " وم ع ",   " ومع ",      " واس ",      " ا ف ب ",   " اف ب ",  " رويترز ",
    " وات ",   " قنا ",    " وام ",      " بنا ",      " كونا ",    " سانا ",  " ا ش ا ",
    " اش ا ",  " د ب ا ",  " يو بي اي ", " الاناضول ", " وكالات ",  " انتهي ", " يتبع ",
    " خاص ",   " متابعه ", " متابعات ",  " afp ",      " reuters ", " ap ",    " map ",
    " wam ",   " spa ",    " qna ",      " kuna ",     " mena ",
};

/* True when the folded line f consists only of agency tags (one or more). */
static int only_agency(const char *f)
{
    const char *p = f;
    int matched = 0;
    while (p[0] == ' ' && p[1]) {
        size_t best = 0;
        for (size_t i = 0; i < KB_ARRAY_LEN(agency_tags); i++) {
            size_t k = strlen(agency_tags[i]);
            if (k > best && strncmp(p, agency_tags[i], k) == 0) best = k;
        }
        if (!best) return 0;
        p += best - 1; /* keep the trailing space as the next word's leading space */
        matched = 1;
    }
    return matched;
}

static int only_social(const char *f)
{
    const char *p = f;
    int n = 0;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p) break;
        const char *e = strchr(p, ' ');
        size_t k = e ? (size_t)(e - p) : strlen(p);
        int hit = 0;
        for (size_t i = 0; i < KB_ARRAY_LEN(social_words) && !hit; i++)
            hit = strlen(social_words[i]) == k && strncmp(p, social_words[i], k) == 0;
        if (!hit) return 0;
        n++;
        p += k;
    }
    return n > 0;
}

/* The reason a line is boilerplate by its own content, or NULL. */
static const char *phrase_reason(kb_cleaner *c, const line *l)
{
    const char *s = c->tidy.p + l->off;
    if (l->alnum == 0) return KB_DROP_EMPTY;
    if (l->words > COPYRIGHT_MAX_WORDS) return NULL;
    fold_line(&c->fold, s, l->len);
    if (c->fold.rc) return NULL;
    const char *f = c->fold.p;
    for (size_t i = 0; i < KB_ARRAY_LEN(copyright_phrases); i++)
        if (strstr(f, copyright_phrases[i])) return KB_DROP_COPYRIGHT;
    if (l->words <= AGENCY_MAX_WORDS && only_agency(f)) return KB_DROP_AGENCY;
    /* "CITY - AGENCY" (الرياض - واس): a place, a dash, then only agency tags. */
    if (l->words <= AGENCY_MAX_WORDS && memchr(s, '-', l->len)) {
        const char *second = strchr(f + 1, ' ');
        if (second && second[1] && only_agency(second)) return KB_DROP_AGENCY;
    }
    if (l->words <= SHARE_MAX_WORDS) {
        for (size_t i = 0; i < KB_ARRAY_LEN(share_prefixes); i++)
            if (starts_with(f, share_prefixes[i])) return KB_DROP_SHARE;
        if (only_social(f)) return KB_DROP_SHARE;
    }
    return NULL;
}

/* ---- measuring lines ------------------------------------------------------------------------- */

static int is_open_quote(int32_t cp)
{
    return cp == '"' || cp == 0xAB || cp == 0x201C || cp == 0x201E;
}
static int is_close_quote(int32_t cp)
{
    return cp == '"' || cp == 0xBB || cp == 0x201D;
}

/* Line measures are taken while the line is tidied (one pass): a small state per line. */
typedef struct mstate {
    uint32_t words, alnum, letters, arabic;
    int in_word, word_has_alnum, n_cp, n_quotes;
    int32_t first_cp, last_cp, before_last;
} mstate;

static inline void ms_space(mstate *m)
{
    if (m->in_word && m->word_has_alnum) m->words++;
    m->in_word = m->word_has_alnum = 0;
}

static inline void ms_char(mstate *m, int32_t cp)
{
    m->in_word = 1;
    if (cp >= 0x0621 && cp <= 0x064A) {
        m->arabic++, m->letters++, m->alnum++;
        m->word_has_alnum = 1;
    } else if (is_arabic_letter(cp)) {
        m->arabic++, m->letters++, m->alnum++;
        m->word_has_alnum = 1;
    } else if (is_letter(cp)) {
        m->letters++, m->alnum++;
        m->word_has_alnum = 1;
    } else if (is_digit_cp(cp)) {
        m->alnum++;
        m->word_has_alnum = 1;
    } else if (is_open_quote(cp) || is_close_quote(cp)) {
        m->n_quotes++;
    }
    if (!m->n_cp) m->first_cp = cp;
    m->before_last = m->last_cp;
    m->last_cp = cp;
    m->n_cp++;
}

/* Sets l's counts and flags from the state m of its text s[0..l->len). */
static void ms_finish(mstate *m, const char *s, line *l)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = l->len;
    ms_space(m);
    uint32_t words = m->words;
    int32_t first_cp = m->first_cp, last_cp = m->last_cp, before_last = m->before_last;
    int n_quotes = m->n_quotes;
    l->words = words;
    l->alnum = m->alnum;
    l->letters = m->letters;
    l->arabic = m->arabic;
    l->end_dot = last_cp == '.' || last_cp == 0x2026 || last_cp == 0x06D4;
    l->end_punct = l->end_dot || last_cp == '!' || last_cp == '?' || last_cp == 0x061F ||
                   last_cp == ':' || last_cp == 0x060C || last_cp == ',' || last_cp == ';' ||
                   last_cp == 0x061B;
    /* «…» or "…" or «…». spanning the line, with no quotation closed and reopened inside */
    int32_t closing = last_cp == '.' ? before_last : last_cp;
    l->quoted = is_open_quote(first_cp) && is_close_quote(closing) && n_quotes == 2 && words >= 4;
    l->latin_site = 0;
    if (n && u[0] < 0x80 && ((u[0] | 32) >= 'a' && (u[0] | 32) <= 'z')) {
        /* the first word: all upper case (3+ letters), or a domain (letters.letters) */
        size_t e = 0, upper = 0, lower = 0, dots = 0, url = 0;
        while (e < n && u[e] != ' ' && u[e] != '-' && u[e] < 0x80) {
            if (u[e] == '/' || u[e] == ':' || u[e] == '@')
                url++; /* a URL or an address is content, not a site name */
            else if (u[e] >= 'A' && u[e] <= 'Z')
                upper++;
            else if (u[e] >= 'a' && u[e] <= 'z')
                lower++;
            else if (u[e] == '.' && e + 1 < n && ((u[e + 1] | 32) >= 'a' && (u[e + 1] | 32) <= 'z'))
                dots++;
            e++;
        }
        l->latin_site = !url && words <= SITENAME_MAX_WORDS && ((upper >= 3 && !lower) || dots > 0);
    }
}

/* Measures the tidied text s[0..l->len) of a line (for lines not measured while tidied). */
static void measure(const char *s, line *l)
{
    const unsigned char *u = (const unsigned char *)s;
    mstate m = {0};
    for (size_t i = 0; i < l->len;) {
        int32_t cp;
        i += dec(u + i, l->len - i, &cp);
        if (cp == ' ')
            ms_space(&m);
        else
            ms_char(&m, cp);
    }
    ms_finish(&m, s, l);
}

/* One code point of a line into the tidied text at *o (room checked by the caller): spaces
 * become one pending space, ASCII controls are dropped and counted as repaired. */
static inline void tidy_cp(kb_cleaner *c, int32_t cp, char **o, const char *o0, int *pending_space,
                           mstate *m)
{
    if (cp == ' ' || cp == '\t' || cp == '\r' || cp == '\f' || cp == '\v' ||
        (cp >= 0x80 && is_space_cp(cp))) {
        *pending_space = 1;
        if (m) ms_space(m);
    } else if (cp < 0x20 || cp == 0x7F) {
        c->n_repaired++;
    } else {
        if (*pending_space && *o > o0) *(*o)++ = ' ';
        *pending_space = 0;
        *o += kb__utf8_encode(cp, *o);
        if (m) ms_char(m, cp);
    }
}

/* Whether the 8 bytes of x (in memory order) are 4 Arabic letters of the run tidy_append copies
 * at once, U+0621..U+064A but tatweel: D8 A1..D8 BF or D9 81..D9 8A. Per 16-bit lane, lead in
 * the low byte, with no borrow between lanes. */
static inline int word_arabic_letters(uint64_t x)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t low = 0x00FF00FF00FF00FFULL, one = 0x0001000100010001ULL,
                   bit8 = 0x0100010001000100ULL;
    uint64_t l = (x & low) ^ 0x00D800D800D800D8ULL; /* 0 for D8, 1 for D9 */
    if (l & ~one) return 0;
    uint64_t cont = (x >> 8) & low;
    uint64_t lo = 0x00A100A100A100A1ULL - l * 0x20; /* A1, or 81 after D9 */
    uint64_t hi = 0x00BF00BF00BF00BFULL - l * 0x35; /* BF, or 8A after D9 */
    uint64_t ge = (cont | bit8) - lo, le = (hi | bit8) - cont;
    return (ge & le & bit8) == bit8;
#else
    (void)x;
    return 0;
#endif
}

/* Appends s[0..n) to c->tidy repaired for display (kb__repair_cp: presentation forms, format
 * controls, tatweel, invalid bytes) and with its whitespace tidied: every run of spaces (NBSP
 * and the Unicode spaces included) becomes one ASCII space, and the ends are trimmed. Control
 * characters are dropped and counted as repaired. One pass: the result is what kb__repair()
 * followed by tidying gives (it was two passes, 0.4 of the 0.75 CPU-s of cleaning the corpus);
 * ASCII and the two-byte letters that need no repair stay on the inline paths. */
static void tidy_append(kb_cleaner *c, const char *s0, size_t n, mstate *m)
{
    const unsigned char *u = (const unsigned char *)(s0 ? s0 : "");
    /* 3 output bytes per input byte at most (U+FFFD for an invalid byte), except a presentation
     * form's decomposition (up to KB_REPAIR_MAX_CPS code points for 3 bytes): room is made for
     * those where they are met. */
    if (kb__buf_reserve(&c->tidy, n * 3)) return;
    char *o0 = c->tidy.p + c->tidy.n, *o = o0;
    int pending_space = 0;
    for (size_t i = 0; i < n;) {
        unsigned char b = u[i];
        if (b < 0x80) {
            if (b == ' ' || b == '\t' || b == '\r' || b == '\f' || b == '\v') {
                pending_space = 1;
                if (m) ms_space(m);
            } else if (b < 0x20 || b == 0x7F) {
                c->n_repaired++;
            } else {
                if (pending_space && o > o0) *o++ = ' ';
                pending_space = 0;
                *o++ = (char)b;
                if (m) ms_char(m, b);
            }
            i++;
            continue;
        }
        if (b == 0xD8 || b == 0xD9) {
            /* a run of Arabic letters (U+0621..U+064A but tatweel): copied and measured at once,
             * as ms_char() would one by one */
            size_t j = i;
            int32_t cp = 0, prev = 0;
            while (j + 8 <= n) { /* 4 letters at a time */
                uint64_t x;
                memcpy(&x, u + j, 8);
                if (!word_arabic_letters(x)) break;
                j += 8;
            }
            if (j > i) { /* the last two letters, as the loop below would have left them */
                prev = ((int32_t)(u[j - 4] & 0x1F) << 6) | (u[j - 3] & 0x3F);
                cp = ((int32_t)(u[j - 2] & 0x1F) << 6) | (u[j - 1] & 0x3F);
            }
            while (j + 1 < n && (u[j] == 0xD8 || u[j] == 0xD9) && (u[j + 1] & 0xC0) == 0x80) {
                int32_t x = ((int32_t)(u[j] & 0x1F) << 6) | (u[j + 1] & 0x3F);
                if (x < 0x0621 || x > 0x064A || x == 0x0640) break;
                prev = cp;
                cp = x;
                j += 2;
            }
            if (j > i) {
                if (pending_space && o > o0) *o++ = ' ';
                pending_space = 0;
                memcpy(o, u + i, j - i);
                o += j - i;
                if (m) {
                    uint32_t r = (uint32_t)(j - i) / 2;
                    m->in_word = m->word_has_alnum = 1;
                    m->arabic += r, m->letters += r, m->alnum += r;
                    if (!m->n_cp) m->first_cp = (((int32_t)(u[i] & 0x1F) << 6) | (u[i + 1] & 0x3F));
                    m->before_last = r >= 2 ? prev : m->last_cp;
                    m->last_cp = cp;
                    m->n_cp += (int)r;
                }
                i = j;
                continue;
            }
        }
        if (b >= 0xC3 && b <= 0xDF && i + 1 < n && (u[i + 1] & 0xC0) == 0x80 &&
            !(b == 0xD9 && u[i + 1] == 0x80) && !(b == 0xD8 && u[i + 1] == 0x9C)) {
            /* two-byte letters (Arabic among them) other than tatweel and ALM (dropped by the
             * repair): never a space, never repaired */
            if (pending_space && o > o0) *o++ = ' ';
            pending_space = 0;
            o[0] = (char)b, o[1] = (char)u[i + 1];
            o += 2;
            if (m) ms_char(m, ((int32_t)(b & 0x1F) << 6) | (u[i + 1] & 0x3F));
            i += 2;
            continue;
        }
        int32_t cp, rep[KB_REPAIR_MAX_CPS];
        int bad;
        i += kb__utf8_decode(u + i, n - i, &cp, &bad);
        int k = kb__repair_cp(cp, bad, rep);
        if (k < 0) {
            tidy_cp(c, cp, &o, o0, &pending_space, m);
            continue;
        }
        c->n_repaired++;
        if (k > 1) {
            size_t used = (size_t)(o - o0);
            if (kb__buf_reserve(&c->tidy, used + (size_t)k * 4 + (n - i) * 3)) return;
            o0 = c->tidy.p + c->tidy.n;
            o = o0 + used;
        }
        for (int j = 0; j < k; j++)
            tidy_cp(c, rep[j], &o, o0, &pending_space, m);
    }
    c->tidy.n = (size_t)(o - c->tidy.p);
    c->tidy.p[c->tidy.n] = 0;
}

/* Words a headline does not end with: a line ending with one is a piece of a sentence that a
 * scraper cut (at a link, say), not a headline. Folded forms. */
static const char *const continuation_words[] = {
    " و ",   " في ",   " من ",  " الي ", " علي ", " عن ",  " ان ",  " التي ", " الذي ", " الذين ",
    " منذ ", " ومنذ ", " مع ",  " ثم ",  " او ",  " بين ", " حول ", " ضد ",   " لدي ",  " عند ",
    " حتي ", " بعد ",  " قبل ", " وفي ", " ومن ", " بان ", " لان ", " كما ",  " ما ",   " لا ",
};

/* True when the line looks like a cut piece of a sentence: it starts with punctuation, or it
 * ends with a word that needs a continuation. */
static int fragment(kb_cleaner *c, const line *l)
{
    const unsigned char *s = (const unsigned char *)c->tidy.p + l->off;
    if (s[0] == ',' || s[0] == '.' || s[0] == '-' || (s[0] == 0xD8 && s[1] == 0x8C)) return 1;
    fold_line(&c->fold, (const char *)s, l->len);
    if (c->fold.rc || c->fold.n < 2) return 0;
    /* the last folded word, with its surrounding spaces */
    const char *f = c->fold.p;
    size_t e = c->fold.n - 1, b = e;
    while (b > 0 && f[b - 1] != ' ')
        b--;
    if (b == 0) return 0;
    b--;
    for (size_t i = 0; i < KB_ARRAY_LEN(continuation_words); i++)
        if (strlen(continuation_words[i]) == e - b + 1 &&
            !memcmp(f + b, continuation_words[i], e - b + 1))
            return 1;
    return 0;
}

static int paragraph_like(const line *l)
{
    return l->words >= BODY_MIN_WORDS || (l->end_dot && l->words >= BODY_MIN_WORDS_DOT);
}

/* ---- splitting and duplicate detection --------------------------------------------------------
 */

/* Adds the tidied text [off, off + len) as a line; m: its measures taken while tidying, or NULL
 * to measure it now. */
static int push_line(kb_cleaner *c, size_t off, size_t len, int hint, mstate *m)
{
    if (grow((void **)&c->lines, &c->cap_lines, c->n_lines + 1, sizeof(line))) return KB_ENOMEM;
    line *l = &c->lines[c->n_lines++];
    memset(l, 0, sizeof *l);
    l->off = off;
    l->len = len;
    l->hint = hint;
    if (m)
        ms_finish(m, c->tidy.p + off, l);
    else
        measure(c->tidy.p + off, l);
    l->hash = kb__line_hash(c->tidy.p + off, len);
    return 0;
}

/* "EXAMPLE.INFO - الرباط … " glued to a paragraph: the length of the site-name prefix with its
 * dash (and the space after it), or 0. The site name is a Latin word in capitals or a domain. */
static size_t site_prefix(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, upper = 0, lower = 0, dots = 0;
    while (i < n && u[i] < 0x80 && (((u[i] | 32) >= 'a' && (u[i] | 32) <= 'z') || u[i] == '.')) {
        upper += u[i] >= 'A' && u[i] <= 'Z';
        lower += u[i] >= 'a' && u[i] <= 'z';
        dots += u[i] == '.';
        i++;
    }
    if (!((upper >= 3 && !lower) || (dots && upper + lower >= 4))) return 0;
    while (i < n && u[i] == ' ')
        i++;
    if (i < n && u[i] == '-')
        i++;
    else if (i + 2 < n && u[i] == 0xE2 && u[i + 1] == 0x80 &&
             (u[i + 2] == 0x93 || u[i + 2] == 0x94))
        i += 3;
    else
        return 0;
    while (i < n && u[i] == ' ')
        i++;
    return i;
}

/* Bytes of a marker delimiter ending at s[n) ("/", "(", ")", "-", "[", "]", "*", en/em dash),
 * or 0. */
static size_t delim_before(const unsigned char *u, size_t n)
{
    if (n && u[n - 1] && strchr("/()-[]*", u[n - 1])) return 1;
    if (n >= 3 && u[n - 3] == 0xE2 && u[n - 2] == 0x80 && (u[n - 1] == 0x93 || u[n - 1] == 0x94))
        return 3;
    return 0;
}

/* "… نص الخبر. // انتهى //" or "(انتهى)" glued to a paragraph's end: the offset where the marker
 * (with its opening delimiter) starts, or n when there is none. The end word must follow an
 * opening delimiter, so a sentence that merely ends with the verb ("… الذي انتهى.") is left
 * alone. */
static size_t end_marker_at(const char *s, size_t n)
{
    static const char *const words[] = {"انتهى", "انتهي", "يتبع"};
    const unsigned char *u = (const unsigned char *)s;
    size_t e = n, k = 0;
    while (e && (u[e - 1] == ' ' || u[e - 1] == '.' || (k = delim_before(u, e)) != 0))
        e -= u[e - 1] == ' ' || u[e - 1] == '.' ? 1 : k;
    size_t w = 0;
    for (size_t i = 0; i < KB_ARRAY_LEN(words) && !w; i++) {
        size_t m = strlen(words[i]);
        if (e >= m && memcmp(s + e - m, words[i], m) == 0) w = m;
    }
    if (!w) return n;
    size_t b = e - w;
    while (b && u[b - 1] == ' ')
        b--;
    size_t opened = 0;
    while (b && (k = delim_before(u, b)) != 0) {
        b -= k;
        opened += k;
    }
    return opened ? b : n;
}

static int add_line(kb_cleaner *c, const char *s, size_t n, int hint)
{
    size_t off = c->tidy.n;
    mstate m = {0};
    tidy_append(c, s, n, &m);
    if (c->tidy.rc) return c->tidy.rc;
    size_t len = c->tidy.n - off;
    if (!len) return 0; /* blank lines only separate */
    /* a site name glued to a paragraph becomes a line of its own (dropped as masthead) */
    size_t k = site_prefix(c->tidy.p + off, len);
    if (k && len - k >= SITE_SPLIT_MIN_BYTES) {
        size_t kk = k;
        while (kk > 0 && c->tidy.p[off + kk - 1] == ' ')
            kk--;
        int rc = push_line(c, off, kk, hint, NULL);
        if (rc) return rc;
        return push_line(c, off + k, len - k, hint, NULL);
    }
    /* so is an end marker glued to its end (dropped as an agency tag) */
    k = end_marker_at(c->tidy.p + off, len);
    if (k < len && k >= END_SPLIT_MIN_BYTES) {
        size_t kk = k;
        while (kk > 0 && c->tidy.p[off + kk - 1] == ' ')
            kk--;
        while (k < len && c->tidy.p[off + k] == ' ')
            k++;
        int rc = push_line(c, off, kk, hint, NULL);
        if (rc) return rc;
        return push_line(c, off + k, len - k, hint, NULL);
    }
    return push_line(c, off, len, hint, &m);
}

/* Splits body[0..n) on line ends into c->lines. */
static int split_text(kb_cleaner *c, const char *body, size_t n)
{
    size_t i = 0;
    while (i < n) {
        const char *nl = memchr(body + i, '\n', n - i);
        size_t e = nl ? (size_t)(nl - body) : n;
        int rc = add_line(c, body + i, e - i, KB__HINT_NONE);
        if (rc) return rc;
        i = e + 1;
    }
    return 0;
}

/* Sets first/occ of every line: identical tidied texts share their first index. */
static int find_duplicates(kb_cleaner *c)
{
    size_t need = 16;
    while (need < c->n_lines * 2)
        need *= 2;
    if (need > c->cap_slots) {
        uint32_t *s = kb__realloc(c->slots, need * sizeof *s);
        if (!s) return KB_ENOMEM;
        c->slots = s;
        c->cap_slots = need;
    }
    memset(c->slots, 0xFF, need * sizeof *c->slots);
    for (size_t i = 0; i < c->n_lines; i++) {
        line *l = &c->lines[i];
        size_t h = (size_t)(l->hash & (need - 1));
        l->first = (uint32_t)i;
        l->occ = 1;
        while (c->slots[h] != UINT32_MAX) {
            line *o = &c->lines[c->slots[h]];
            if (o->hash == l->hash && o->len == l->len &&
                memcmp(c->tidy.p + o->off, c->tidy.p + l->off, l->len) == 0) {
                l->first = (uint32_t)c->slots[h];
                o->occ++;
                break;
            }
            h = (h + 1) & (need - 1);
        }
        if (l->first == i) c->slots[h] = (uint32_t)i;
    }
    for (size_t i = 0; i < c->n_lines; i++)
        c->lines[i].occ = c->lines[c->lines[i].first].occ;
    return 0;
}

/* ---- the rules ------------------------------------------------------------------------------- */

static int same_text(const kb_cleaner *c, const line *l, const char *s, size_t n)
{
    return l->len == n && memcmp(c->tidy.p + l->off, s, n) == 0;
}

static void drop(line *l, const char *reason)
{
    l->kind = K_DROP;
    l->reason = reason;
}

/* The source a record's lines are counted under: its source field, else its file's directory. */
static const char *source_of(const kb_record *rec, size_t *n)
{
    if (rec->source.n) {
        *n = rec->source.n;
        return rec->source.p;
    }
    /* no source field: the directory of the file stands for the site */
    const char *f = rec->file ? rec->file : "";
    const char *slash = strrchr(f, '/');
    *n = slash ? (size_t)(slash - f) : 0;
    return f;
}

/* Decides the kind of every line. title/n_title: the record's own title (tidied), if any. */
static void classify(kb_cleaner *c, const kb_record *rec, const char *title, size_t n_title)
{
    size_t n = c->n_lines;
    line *L = c->lines;
    if (c->opts.keep_boilerplate) {
        for (size_t i = 0; i < n; i++)
            L[i].kind = L[i].hint == KB__HINT_HEADING ? K_HEADING
                        : L[i].hint == KB__HINT_QUOTE ? K_QUOTE
                                                      : K_PARA;
        return;
    }
    /* 1. line-level boilerplate */
    size_t n_src;
    const char *src = source_of(rec, &n_src);
    uint32_t min_docs = c->opts.source_min_docs ? c->opts.source_min_docs : 5;
    double min_share = c->opts.source_min_share > 0 ? c->opts.source_min_share : 0.002;
    for (size_t i = 0; i < n; i++) {
        line *l = &L[i];
        if (l->hint == KB__HINT_NAV) {
            drop(l, KB_DROP_NAVIGATION);
            continue;
        }
        /* a repeated line has its first copy's verdict (a page of 10^6 equal lines stays linear
         * and cheap) */
        const char *r = l->phrase = l->first != i ? L[l->first].phrase : phrase_reason(c, l);
        if (r) {
            drop(l, r);
            continue;
        }
        if (c->ls) {
            uint32_t docs = 0;
            uint32_t k = kb__linestats_count(c->ls, src, n_src, l->hash, &docs);
            if (k >= min_docs && (double)k >= min_share * docs) drop(l, KB_DROP_REPEATED);
        }
    }
    /* 2. the head: lines before the first paragraph-like line */
    size_t head_end = 0;
    while (head_end < n && (L[head_end].kind == K_DROP || !paragraph_like(&L[head_end])) &&
           L[head_end].hint != KB__HINT_HEADING)
        head_end++;
    if (head_end == n)
        head_end = n > 0 && n_title ? 0 : head_end; /* no prose at all: keep lines as they are */
    /* a short head line that holds a date is a dateline: the date goes to the article's date */
    for (size_t i = 0; i < head_end; i++) {
        char iso[64];
        L[i].dateline = L[i].kind != K_DROP && L[i].words <= DATELINE_MAX_WORDS &&
                        kb_date_parse(c->tidy.p + L[i].off, L[i].len, iso, sizeof iso) > 0;
    }
    /* the headline: the longest head line that is not repeated, not a dateline, not a site
     * name; the first of equals */
    size_t title_at = SIZE_MAX;
    if (!n_title) {
        uint32_t best = 0;
        for (size_t i = 0; i < head_end; i++) {
            line *l = &L[i];
            if (l->kind == K_DROP || l->occ > 1 || l->latin_site || l->dateline ||
                l->words < TITLE_MIN_WORDS || l->hint == KB__HINT_CAPTION || l->words <= best ||
                fragment(c, l))
                continue;
            title_at = i;
            best = l->words;
        }
        if (title_at == SIZE_MAX && head_end == n) /* only short lines: take the first */
            for (size_t i = 0; i < n && title_at == SIZE_MAX; i++)
                if (L[i].kind != K_DROP && L[i].occ == 1 && !L[i].dateline && !L[i].latin_site)
                    title_at = i;
    }
    int kept_before = 0;
    for (size_t i = 0; i < head_end; i++) {
        line *l = &L[i];
        if (l->kind == K_DROP) continue;
        if (i == title_at) {
            l->kind = K_TITLE;
        } else if (n_title && same_text(c, l, title, n_title)) {
            drop(l, KB_DROP_TITLE);
        } else if (l->dateline) {
            drop(l, KB_DROP_DATELINE);
        } else if (title_at != SIZE_MAX && i < title_at &&
                   (l->occ > 1 || (l->words <= MASTHEAD_MAX_WORDS && !kept_before))) {
            drop(l, KB_DROP_MASTHEAD);
        } else if (l->latin_site || (title_at == SIZE_MAX && l->occ > 1 && l->first == i &&
                                     l->words < TITLE_MIN_WORDS && !n_title)) {
            drop(l, KB_DROP_MASTHEAD);
        } else if (l->first != i) {
            drop(l, L[l->first].kind == K_DROP && !strcmp(L[l->first].reason, KB_DROP_MASTHEAD)
                        ? KB_DROP_MASTHEAD
                        : KB_DROP_DUPLICATE);
        } else if ((title_at != SIZE_MAX && i > title_at && l->words <= CAPTION_MAX_WORDS) ||
                   l->hint == KB__HINT_CAPTION) {
            l->kind = K_CAPTION;
        } else {
            l->kind = K_NONE; /* decided with the body */
            kept_before = 1;  /* the masthead is over: short lines after this are text */
        }
    }
    /* 3. the body */
    const char *t = title_at != SIZE_MAX ? c->tidy.p + L[title_at].off : title;
    size_t nt = title_at != SIZE_MAX ? L[title_at].len : n_title;
    for (size_t i = 0; i < n; i++) {
        line *l = &L[i];
        if (l->kind != K_NONE) continue;
        if (l->first != i && l->words >= DUP_MIN_WORDS) {
            drop(l, KB_DROP_DUPLICATE);
            continue;
        }
        if (nt && i < TITLE_REPEAT_MAX_LINE && same_text(c, l, t, nt)) {
            drop(l, KB_DROP_TITLE);
            continue;
        }
        if (l->hint == KB__HINT_HEADING) {
            l->kind = K_HEADING;
            continue;
        }
        if (l->hint == KB__HINT_QUOTE || l->quoted) {
            l->kind = K_QUOTE;
            continue;
        }
        if (l->hint == KB__HINT_CAPTION) {
            l->kind = K_CAPTION;
            continue;
        }
        l->kind = K_PARA;
        if (l->words >= 2 && l->words <= HEADING_MAX_WORDS && !l->end_punct && i > 0) {
            size_t j = i + 1;
            while (j < n && L[j].kind == K_DROP)
                j++;
            if (j < n && paragraph_like(&L[j]) && L[j].hint != KB__HINT_HEADING)
                l->kind = K_HEADING;
        }
    }
}

/* ---- building the article ---------------------------------------------------------------------
 */

/* Slices are built as offsets (p = NULL + off) and fixed once the buffers stop moving. */
static kb_slice put_str(kb_cleaner *c, const char *s, size_t n)
{
    kb_slice r = {(const char *)(uintptr_t)c->strs.n, n};
    kb__buf_append(&c->strs, s, n);
    kb__buf_putc(&c->strs, 0);
    return r;
}

static kb_slice put_tidy(kb_cleaner *c, const char *s, size_t n)
{
    size_t off = c->tidy.n;
    tidy_append(c, s, n, NULL);
    size_t len = c->tidy.n - off;
    kb_slice r = put_str(c, c->tidy.p + off, len);
    c->tidy.n = off;
    return r;
}

static void fix(kb_slice *s, const char *base)
{
    s->p = base + (uintptr_t)s->p;
}

static int emit(kb_cleaner *c, kb_article *a, const kb_record *rec, kb_slice title_s)
{
    int rc = 0;
    int first_block = 1;
    for (size_t i = 0; i < c->n_lines && !rc; i++) {
        line *l = &c->lines[i];
        const char *s = c->tidy.p + l->off;
        switch (l->kind) {
        case K_TITLE:
            title_s = put_str(c, s, l->len);
            break;
        case K_CAPTION:
            if ((rc = grow((void **)&c->captions, &c->cap_captions, c->n_captions + 1,
                           sizeof(kb_slice))))
                break;
            c->captions[c->n_captions++] = put_str(c, s, l->len);
            break;
        case K_DROP:
            if ((rc = grow((void **)&c->dropped, &c->cap_dropped, c->n_dropped + 1,
                           sizeof(kb_dropped))))
                break;
            c->dropped[c->n_dropped].text = put_str(c, s, l->len);
            c->dropped[c->n_dropped++].reason = l->reason;
            break;
        default: {
            if ((rc = grow((void **)&c->blocks, &c->cap_blocks, c->n_blocks + 1, sizeof(kb_block))))
                break;
            if (!first_block) kb__buf_append(&c->out, "\n\n", 2);
            first_block = 0;
            kb_block *b = &c->blocks[c->n_blocks++];
            b->type = l->kind == K_HEADING ? KB_BLOCK_HEADING
                      : l->kind == K_QUOTE ? KB_BLOCK_QUOTE
                                           : KB_BLOCK_PARAGRAPH;
            b->text.p = (const char *)(uintptr_t)c->out.n;
            b->text.n = l->len;
            kb__buf_append(&c->out, s, l->len);
        }
        }
    }
    if (rc) return rc;
    if (c->strs.rc || c->out.rc) return c->strs.rc ? c->strs.rc : c->out.rc;
    /* letters for the quality signal, counted by measure() */
    size_t arabic = 0, letters = 0;
    for (size_t i = 0; i < c->n_lines; i++) {
        const line *l = &c->lines[i];
        if (l->kind == K_PARA || l->kind == K_HEADING || l->kind == K_QUOTE || l->kind == K_NONE) {
            arabic += l->arabic;
            letters += l->letters;
        }
    }
    const char *sb = c->strs.p ? c->strs.p : "";
    const char *ob = c->out.p ? c->out.p : "";
    memset(a, 0, sizeof *a);
    a->title = title_s;
    fix(&a->title, sb);
    for (size_t i = 0; i < c->n_captions; i++)
        fix(&c->captions[i], sb);
    for (size_t i = 0; i < c->n_dropped; i++)
        fix(&c->dropped[i].text, sb);
    for (size_t i = 0; i < c->n_blocks; i++)
        fix(&c->blocks[i].text, ob);
    a->captions = c->captions;
    a->n_captions = c->n_captions;
    a->blocks = c->blocks;
    a->n_blocks = c->n_blocks;
    a->dropped = c->dropped;
    a->n_dropped = c->n_dropped;
    a->text.p = ob;
    a->text.n = c->out.n;
    a->arabic_share = letters ? (double)arabic / (double)letters : 0.0;
    a->n_repaired = c->n_repaired + rec->n_repaired;
    a->format = rec->format;
    return 0;
}

/* ---- public API ------------------------------------------------------------------------------ */

kb_cleaner *kb_cleaner_new(const kb_cleaner_options *opts)
{
    kb_cleaner *c = kb__calloc(1, sizeof *c);
    if (!c) return NULL;
    if (opts) c->opts = *opts;
    kb__buf_init(&c->tidy, 0);
    kb__buf_init(&c->fold, 0);
    kb__buf_init(&c->out, 0);
    kb__buf_init(&c->strs, 0);
    kb__html_doc_init(&c->html);
    return c;
}

void kb_cleaner_free(kb_cleaner *c)
{
    if (!c) return;
    kb__linestats_free(c->ls);
    kb__html_doc_free(&c->html);
    kb__buf_free(&c->tidy);
    kb__buf_free(&c->fold);
    kb__buf_free(&c->out);
    kb__buf_free(&c->strs);
    kb__free(c->lines);
    kb__free(c->slots);
    kb__free(c->captions);
    kb__free(c->blocks);
    kb__free(c->dropped);
    kb__free(c);
}

const char *kb_cleaner_errmsg(const kb_cleaner *c)
{
    return c ? c->errmsg : "";
}

const char *kb_block_type_name(kb_block_type t)
{
    switch (t) {
    case KB_BLOCK_PARAGRAPH:
        return "paragraph";
    case KB_BLOCK_HEADING:
        return "heading";
    case KB_BLOCK_QUOTE:
        return "quote";
    }
    return "unknown";
}

static void reset(kb_cleaner *c)
{
    kb__buf_reset(&c->tidy);
    kb__buf_reset(&c->out);
    kb__buf_reset(&c->strs);
    c->n_lines = c->n_captions = c->n_blocks = c->n_dropped = 0;
    c->n_repaired = 0;
    c->errmsg[0] = 0;
}

/* Turns the record's body into c->lines (and HTML metadata into c->html). */
static int prepare(kb_cleaner *c, const kb_record *rec, int *is_html)
{
    reset(c);
    *is_html = rec->format == KB_FORMAT_HTML;
    if (!*is_html) return split_text(c, rec->body.p ? rec->body.p : "", rec->body.n);
    int rc = kb__html_extract(&c->html, rec->body.p ? rec->body.p : "", rec->body.n);
    if (rc == KB_EPARSE) return split_text(c, rec->body.p ? rec->body.p : "", rec->body.n);
    if (rc) return rc;
    for (size_t i = 0; i < c->html.n_lines && !rc; i++)
        rc = add_line(c, c->html.text.p + c->html.lines[i].off, c->html.lines[i].len,
                      c->html.lines[i].hint);
    return rc;
}

int kb_cleaner_learn(kb_cleaner *c, const kb_record *rec)
{
    int is_html;
    if (!c->ls && !(c->ls = kb__linestats_new())) return KB_ENOMEM;
    int rc = prepare(c, rec, &is_html);
    if (rc) return rc;
    /* the duplicate-detection slots double as the array of line hashes */
    size_t need = c->n_lines * 2 + 2;
    if (need > c->cap_slots) {
        uint32_t *s = kb__realloc(c->slots, need * sizeof *s);
        if (!s) return KB_ENOMEM;
        c->slots = s;
        c->cap_slots = need;
    }
    uint64_t *h = (uint64_t *)c->slots;
    for (size_t i = 0; i < c->n_lines; i++)
        h[i] = c->lines[i].hash;
    size_t n_src;
    const char *src = source_of(rec, &n_src);
    return kb__linestats_add(c->ls, src, n_src, h, c->n_lines);
}

int kb_cleaner_model_save(const kb_cleaner *c, const char *path)
{
    if (!c->ls) {
        kb__linestats *empty = kb__linestats_new();
        if (!empty) return KB_ENOMEM;
        int rc = kb__linestats_save(empty, path);
        kb__linestats_free(empty);
        return rc;
    }
    return kb__linestats_save(c->ls, path);
}

int kb_cleaner_model_load(kb_cleaner *c, const char *path)
{
    if (!c->ls && !(c->ls = kb__linestats_new())) return KB_ENOMEM;
    int rc = kb__linestats_load(c->ls, path);
    if (rc) snprintf(c->errmsg, sizeof c->errmsg, "%s: %s", path, kb_strerror(rc));
    return rc;
}

int kb_cleaner_clean(kb_cleaner *c, const kb_record *rec, kb_article *out)
{
    int is_html;
    memset(out, 0, sizeof *out);
    int rc = prepare(c, rec, &is_html);
    if (!rc) rc = find_duplicates(c);
    if (rc) {
        snprintf(c->errmsg, sizeof c->errmsg, "%s:%llu: %s", rec->file ? rec->file : "-",
                 (unsigned long long)rec->line, kb_strerror(rc));
        return rc;
    }
    /* the record's title, or the page's */
    kb_slice title = {0};
    if (rec->title.n)
        title = put_tidy(c, rec->title.p, rec->title.n);
    else if (is_html && c->html.title.n)
        title = put_tidy(c, c->html.title.p, c->html.title.n);
    kb_slice id = put_str(c, rec->id.p ? rec->id.p : "", rec->id.n);
    kb_slice url = rec->url.n
                       ? put_str(c, rec->url.p, rec->url.n)
                       : put_str(c, is_html ? c->html.url.p : "", is_html ? c->html.url.n : 0);
    kb_slice source = put_str(c, rec->source.p ? rec->source.p : "", rec->source.n);
    if (c->strs.rc) return c->strs.rc;
    /* the date: metadata first, then a dateline among the first lines */
    char iso[64];
    int k = 0;
    if (rec->date.n) k = kb_date_parse(rec->date.p, rec->date.n, iso, sizeof iso);
    if (!k && is_html && c->html.date.n)
        k = kb_date_parse(c->html.date.p, c->html.date.n, iso, sizeof iso);
    for (size_t i = 0; !k && i < c->n_lines && i < DATELINE_MAX_LINES; i++)
        k = kb_date_parse(c->tidy.p + c->lines[i].off, KB_MIN(c->lines[i].len, 200), iso,
                          sizeof iso);
    kb_slice date = put_str(c, iso, k > 0 ? (size_t)k : 0);
    classify(c, rec, title.n ? c->strs.p + (uintptr_t)title.p : NULL, title.n);
    rc = emit(c, out, rec, title);
    if (rc) {
        snprintf(c->errmsg, sizeof c->errmsg, "%s:%llu: %s", rec->file ? rec->file : "-",
                 (unsigned long long)rec->line, kb_strerror(rc));
        memset(out, 0, sizeof *out);
        return rc;
    }
    const char *sb = c->strs.p;
    out->id = id, out->url = url, out->source = source, out->date = date;
    fix(&out->id, sb), fix(&out->url, sb), fix(&out->source, sb), fix(&out->date, sb);
    return 0;
}

/* ---- JSON ------------------------------------------------------------------------------------ */

static void json_field(kb_buf *b, const char *name, kb_slice s)
{
    kb__buf_printf(b, "\"%s\":\"", name);
    kb__buf_json_str(b, s.p ? s.p : "", s.n);
    kb__buf_putc(b, '"');
}

int kb_article_to_json(const kb_article *a, unsigned flags, char **json, size_t *len)
{
    kb_buf b;
    kb__buf_init(&b, 0);
    kb__buf_putc(&b, '{');
    json_field(&b, "id", a->id);
    kb__buf_putc(&b, ',');
    json_field(&b, "source", a->source);
    kb__buf_putc(&b, ',');
    json_field(&b, "url", a->url);
    kb__buf_putc(&b, ',');
    json_field(&b, "date", a->date);
    kb__buf_putc(&b, ',');
    json_field(&b, "title", a->title);
    kb__buf_puts(&b, ",\"captions\":[");
    for (size_t i = 0; i < a->n_captions; i++) {
        kb__buf_puts(&b, i ? ",\"" : "\"");
        kb__buf_json_str(&b, a->captions[i].p, a->captions[i].n);
        kb__buf_putc(&b, '"');
    }
    kb__buf_puts(&b, "],\"blocks\":[");
    for (size_t i = 0; i < a->n_blocks; i++) {
        kb__buf_printf(&b, "%s{\"type\":\"%s\",\"text\":\"", i ? "," : "",
                       kb_block_type_name(a->blocks[i].type));
        kb__buf_json_str(&b, a->blocks[i].text.p, a->blocks[i].text.n);
        kb__buf_puts(&b, "\"}");
    }
    kb__buf_putc(&b, ']');
    if (!(flags & KB_JSON_NO_DROPPED)) {
        kb__buf_puts(&b, ",\"dropped\":[");
        for (size_t i = 0; i < a->n_dropped; i++) {
            kb__buf_puts(&b, i ? ",{\"text\":\"" : "{\"text\":\"");
            kb__buf_json_str(&b, a->dropped[i].text.p, a->dropped[i].text.n);
            kb__buf_printf(&b, "\",\"reason\":\"%s\"}", a->dropped[i].reason);
        }
        kb__buf_putc(&b, ']');
    }
    if (!(flags & KB_JSON_NO_QUALITY))
        kb__buf_printf(&b, ",\"arabic_share\":%.3f,\"repaired\":%zu", a->arabic_share,
                       a->n_repaired);
    kb__buf_putc(&b, '}');
    if (b.rc) {
        int rc = b.rc;
        kb__buf_free(&b);
        *json = NULL;
        return rc;
    }
    *json = b.p;
    if (len) *len = b.n;
    return 0;
}

void kb_json_free(char *json)
{
    kb__free(json);
}
