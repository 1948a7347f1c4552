/*
 * normalize.c — character classes and normalization for matching (analyzer module).
 *
 * The analyzer's hot loop looks every code point below U+0800 up in one table, kb__ctab: its
 * class (letter, digit, mark, invisible control, space, punctuation) and the one code point it
 * normalizes to, or 0 when it is dropped. That covers ASCII, Latin-1, Greek, Cyrillic and the
 * Arabic blocks U+0600–06FF and U+0750–077F, i.e. nearly all bytes of Arabic news. The Arabic
 * rules are written out below; the rest of the table is computed once from utf8proc (NFKC +
 * case folding of single code points). Everything else (presentation forms U+FB50–FEFC, other
 * scripts, letters whose folding is more than one code point) takes the slow path: utf8proc
 * NFKC + case folding of the whole token, then the same table.
 *
 * Normalization is for matching, never for display: it happens on a copy, offsets point into
 * the original. The rules (docs/analyzer.md has them with reasons):
 *   - harakat U+064B–065F, dagger alef U+0670, Quranic marks, tatweel, invisible controls: dropped
 *   - أ إ آ ٱ ٲ ٳ ٵ → ا;  ى ی ې ے → ي;  ة ۃ ە ۀ ہ ھ → ه;  ک گ ڭ → ك;  پ→ب چ→ج ژ→ز ڤ→ف ڨ→ق …
 *   - hamza carriers: ؤ → ء and ئ → ء (so مسؤول/مسئول, شؤون/شئون meet); a word-final يء → ء
 *     (شيء/شئ/شىء meet); a combining hamza above/below is folded the same way
 *   - digits of every script → ASCII; Latin and other scripts: NFKC + case folding
 */
#include "khabar_int.h"

#include <pthread.h>
#include <utf8proc.h>

kb__cinfo kb__ctab[KB_CTAB_SIZE];
kb__arcode kb__artab[4 * 256];

/* Arabic letters U+0621..U+064A and the Persian/Urdu/Maghrebi additions, with their targets. */
static const struct {
    uint16_t from, to;
} arabic_map[] = {
    {0x0620, 0x064A},                                     /* kashmiri yeh */
    {0x0622, 0x0627}, {0x0623, 0x0627}, {0x0625, 0x0627}, /* alef with madda/hamza → alef */
    {0x0624, 0x0621}, {0x0626, 0x0621},                   /* hamza on waw / on yeh → hamza */
    {0x0629, 0x0647},                                     /* teh marbuta → heh */
    {0x063B, 0x0643}, {0x063C, 0x0643},                   /* keheh variants → kaf */
    {0x063D, 0x064A}, {0x063E, 0x064A}, {0x063F, 0x064A}, /* yeh variants → yeh */
    {0x0649, 0x064A},                                     /* alef maksura → yeh */
    {0x066E, 0x0628}, {0x066F, 0x0642},                   /* dotless beh, dotless qaf */
    {0x0671, 0x0627}, {0x0672, 0x0627}, {0x0673, 0x0627}, {0x0675, 0x0627}, /* alef wasla … */
    {0x0676, 0x0621}, {0x0677, 0x0621}, {0x0678, 0x0621},                   /* high hamza waw/yeh */
    {0x0679, 0x062A}, {0x067A, 0x062A}, {0x067B, 0x0628}, {0x067C, 0x062A}, {0x067D, 0x062A},
    {0x067E, 0x0628}, {0x067F, 0x062A}, {0x0680, 0x0628}, /* peh → beh, tteh → teh */
    {0x0681, 0x062D}, {0x0682, 0x062D}, {0x0683, 0x062C}, {0x0684, 0x062C}, {0x0685, 0x062D},
    {0x0686, 0x062C}, {0x0687, 0x062C}, /* tcheh → jeem */
    {0x0688, 0x062F}, {0x0689, 0x062F}, {0x068A, 0x062F}, {0x068B, 0x062F}, {0x068C, 0x062F},
    {0x068D, 0x062F}, {0x068E, 0x0630}, {0x068F, 0x062F}, {0x0690, 0x062F}, {0x0691, 0x0631},
    {0x0692, 0x0631}, {0x0693, 0x0631}, {0x0694, 0x0631}, {0x0695, 0x0631}, {0x0696, 0x0631},
    {0x0697, 0x0632}, {0x0698, 0x0632}, {0x0699, 0x0631}, /* jeh → zain */
    {0x069A, 0x0633}, {0x069B, 0x0633}, {0x069C, 0x0634}, {0x069D, 0x0635}, {0x069E, 0x0635},
    {0x069F, 0x0637}, {0x06A0, 0x063A}, {0x06A1, 0x0641}, {0x06A2, 0x0641}, {0x06A3, 0x0641},
    {0x06A4, 0x0641}, {0x06A5, 0x0641}, {0x06A6, 0x0641}, /* veh → feh */
    {0x06A7, 0x0642}, {0x06A8, 0x0642},                   /* Maghrebi qaf, gaf → qaf */
    {0x06A9, 0x0643}, {0x06AA, 0x0643}, {0x06AB, 0x0643}, {0x06AC, 0x0643}, {0x06AD, 0x0643},
    {0x06AE, 0x0643}, {0x06AF, 0x0643}, {0x06B0, 0x0643}, {0x06B1, 0x0643}, {0x06B2, 0x0643},
    {0x06B3, 0x0643}, {0x06B4, 0x0643}, /* keheh, gaf, ng → kaf */
    {0x06B5, 0x0644}, {0x06B6, 0x0644}, {0x06B7, 0x0644}, {0x06B8, 0x0644}, {0x06B9, 0x0646},
    {0x06BA, 0x0646}, {0x06BB, 0x0646}, {0x06BC, 0x0646}, {0x06BD, 0x0646}, {0x06BE, 0x0647},
    {0x06BF, 0x062C}, {0x06C0, 0x0647}, {0x06C1, 0x0647}, {0x06C2, 0x0647}, {0x06C3, 0x0647},
    {0x06C4, 0x0648}, {0x06C5, 0x0648}, {0x06C6, 0x0648}, {0x06C7, 0x0648}, {0x06C8, 0x0648},
    {0x06C9, 0x0648}, {0x06CA, 0x0648}, {0x06CB, 0x0648}, {0x06CC, 0x064A}, {0x06CD, 0x064A},
    {0x06CE, 0x064A}, {0x06CF, 0x0648}, {0x06D0, 0x064A}, {0x06D1, 0x064A}, {0x06D2, 0x064A},
    {0x06D3, 0x0621}, {0x06D5, 0x0647}, {0x06EE, 0x062F}, {0x06EF, 0x0631}, {0x06FA, 0x0634},
    {0x06FB, 0x0636}, {0x06FC, 0x063A}, {0x06FF, 0x0647},
};

static void set(int32_t cp, int cls, int32_t map)
{
    kb__ctab[cp].cls = (uint8_t)cls;
    kb__ctab[cp].map = (uint16_t)map;
}

/* Classes of code points at or above U+0800 that are not left to utf8proc's categories. */
static int class_high(int32_t cp)
{
    switch (cp) {
    case 0x200B:
    case 0x200C:
    case 0x200D:
    case 0x200E:
    case 0x200F: /* ZWSP ZWNJ ZWJ LRM RLM */
    case 0x202A:
    case 0x202B:
    case 0x202C:
    case 0x202D:
    case 0x202E: /* LRE RLE PDF LRO RLO */
    case 0x2060:
    case 0x2061:
    case 0x2062:
    case 0x2063:
    case 0x2064: /* word joiner, invisibles */
    case 0x2066:
    case 0x2067:
    case 0x2068:
    case 0x2069: /* LRI RLI FSI PDI */
    case 0xFEFF: /* BOM / ZWNBSP */
        return KB_C_INVIS;
    case 0x2028:
    case 0x2029:
        return KB_C_NEWLINE;
    case 0x2026:
    case 0x203C:
    case 0x2047:
    case 0x2048:
    case 0x2049:
    case 0xFE52:
    case 0xFE56:
    case 0xFE57:
    case 0xFF01:
    case 0xFF0E:
    case 0xFF1F:
    case 0x3002:
        return KB_C_TERM;
    case 0xFFFD:
        return KB_C_REPL;
    case 0xFDFA:
    case 0xFDFB:
    case 0xFDFD: /* phrase ligatures (ﷺ ﷻ ﷽): symbols, not words */
        return KB_C_OTHER;
    default:
        break;
    }
    if (cp >= 0x08CA && cp <= 0x08FF && cp != 0x08E2)
        return KB_C_MARK; /* Arabic Extended-A Quranic marks */
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
        if ((cp >= 0x08A0 && cp <= 0x08C9) || (cp >= 0xFB50 && cp <= 0xFDFF) ||
            (cp >= 0xFE70 && cp <= 0xFEFC))
            return KB_C_AR;
        return KB_C_LET;
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
        return KB_C_MARK;
    case UTF8PROC_CATEGORY_ND:
        return KB_C_DIGIT;
    case UTF8PROC_CATEGORY_ZS:
        return KB_C_SPACE;
    case UTF8PROC_CATEGORY_CF:
        return KB_C_INVIS;
    default:
        return KB_C_OTHER;
    }
}

int kb__char_class(int32_t cp)
{
    if (cp >= 0 && cp < KB_CTAB_SIZE) return kb__ctab[cp].cls;
    return class_high(cp);
}

/* The generic part of the table: utf8proc's category, and NFKC + case folding when that maps
 * one code point to one code point (else the slow path). */
static void init_generic(int32_t cp)
{
    int cls = class_high(cp);
    if (cp < 0x20 || cp == 0x7F) {
        cls = (cp == '\n' || cp == '\v' || cp == '\f' || cp == '\r') ? KB_C_NEWLINE
              : cp == '\t'                                           ? KB_C_SPACE
                                                                     : KB_C_OTHER;
    }
    if (cp == 0x85) cls = KB_C_NEWLINE;
    if (cp == 0xAD) cls = KB_C_INVIS; /* soft hyphen */
    if (cp == 0xA0) cls = KB_C_SPACE;
    int32_t map = cp;
    if (cls == KB_C_LET || cls == KB_C_DIGIT || cls == KB_C_MARK) {
        utf8proc_int32_t out[8];
        int last = 0;
        utf8proc_ssize_t k = utf8proc_decompose_char(
            cp, out, 8, UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD, &last);
        if (k == 1 && cls != KB_C_MARK)
            map = out[0];
        else
            map = KB_MAP_SLOW; /* combining marks: composed with their letter (é) */
    }
    if (cls == KB_C_INVIS) map = 0;
    set(cp, cls, map);
}

static int32_t digit_value_high(int32_t cp);

static void init_tables(void)
{
    for (int32_t cp = 0; cp < KB_CTAB_SIZE; cp++)
        init_generic(cp);
    /* ASCII: fast and explicit. */
    for (int c = 'A'; c <= 'Z'; c++)
        set(c, KB_C_LET, c + 32);
    for (int c = 'a'; c <= 'z'; c++)
        set(c, KB_C_LET, c);
    for (int c = '0'; c <= '9'; c++)
        set(c, KB_C_DIGIT, c);
    set('.', KB_C_TERM, '.');
    set('!', KB_C_TERM, '!');
    set('?', KB_C_TERM, '?');
    /* The Arabic block, U+0600..U+06FF. */
    for (int32_t cp = 0x0600; cp <= 0x06FF; cp++)
        set(cp, KB_C_OTHER, cp);
    for (int32_t cp = 0x0600; cp <= 0x0605; cp++)
        set(cp, KB_C_INVIS, 0);     /* number signs (format characters) */
    set(0x061C, KB_C_INVIS, 0);     /* ARABIC LETTER MARK */
    set(0x061B, KB_C_TERM, 0x061B); /* ؛ */
    set(0x061F, KB_C_TERM, 0x061F); /* ؟ */
    set(0x061D, KB_C_TERM, 0x061D);
    set(0x06D4, KB_C_TERM, 0x06D4); /* Urdu full stop */
    for (int32_t cp = 0x0621; cp <= 0x063F; cp++)
        set(cp, KB_C_AR, cp);
    for (int32_t cp = 0x0641; cp <= 0x064A; cp++)
        set(cp, KB_C_AR, cp);
    for (int32_t cp = 0x066E; cp <= 0x06D3; cp++)
        if (cp != 0x06D4) set(cp, KB_C_AR, cp);
    set(0x06D5, KB_C_AR, 0x06D5);
    set(0x06EE, KB_C_AR, 0x06EE);
    set(0x06EF, KB_C_AR, 0x06EF);
    for (int32_t cp = 0x06FA; cp <= 0x06FC; cp++)
        set(cp, KB_C_AR, cp);
    set(0x06FF, KB_C_AR, 0x06FF);
    for (size_t i = 0; i < KB_ARRAY_LEN(arabic_map); i++)
        set(arabic_map[i].from, KB_C_AR, arabic_map[i].to);
    /* Marks last: some lie inside the letter ranges above (U+0670). */
    for (int32_t cp = 0x0610; cp <= 0x061A; cp++)
        set(cp, KB_C_MARK, 0); /* honorifics and Quranic signs above letters */
    for (int32_t cp = 0x064B; cp <= 0x065F; cp++)
        set(cp, KB_C_MARK, 0); /* harakat, tanween, shadda, sukun, hamza above/below, … */
    set(0x0640, KB_C_MARK, 0); /* tatweel */
    set(0x0670, KB_C_MARK, 0); /* dagger alef */
    for (int32_t cp = 0x06D6; cp <= 0x06ED; cp++)
        if (cp != 0x06DD && cp != 0x06DE && cp != 0x06E9)
            set(cp, KB_C_MARK, 0); /* Quranic annotation marks, small waw/yeh */
    kb__ctab[0x0622].hamza = kb__ctab[0x0623].hamza = kb__ctab[0x0625].hamza = 1;
    for (int d = 0; d < 10; d++) {
        set(0x0660 + d, KB_C_DIGIT, '0' + d); /* Arabic-Indic */
        set(0x06F0 + d, KB_C_DIGIT, '0' + d); /* Eastern Arabic-Indic (Persian, Urdu) */
    }
    /* Arabic Supplement letters stay as they are (rare; no agreed Arabic equivalent). */
    for (int32_t cp = 0x0750; cp <= 0x077F; cp++)
        set(cp, KB_C_AR, cp);
    /* Other scripts' decimal digits within the table: their value in ASCII. */
    for (int32_t cp = 0x80; cp < KB_CTAB_SIZE; cp++) {
        if (kb__ctab[cp].cls != KB_C_DIGIT || (cp >= 0x0660 && cp <= 0x06F9)) continue;
        kb__ctab[cp].map = (uint16_t)digit_value_high(cp);
    }
}

/* kb__artab from kb__ctab: what the generic path would do with each code point U+0600..U+06FF,
 * as one action of the scanner's fast loop. Whatever the fast loop does not do exactly as the
 * generic path does is left to it (KB_AR_GENERAL). */
static void init_arabic_table(void)
{
    for (size_t i = 0; i < KB_ARRAY_LEN(kb__artab); i++)
        kb__artab[i].kind = KB_AR_GENERAL; /* second bytes that are no continuation bytes */
    for (int32_t cp = 0x0600; cp <= 0x06FF; cp++) {
        const kb__cinfo *ci = &kb__ctab[cp];
        kb__arcode *e = &kb__artab[((cp >> 6) - 0x18) * 256 + (0x80 | (cp & 0x3F))];
        int kind = KB_AR_GENERAL;
        if (ci->cls != KB_C_AR && ci->cls != KB_C_MARK && ci->cls != KB_C_INVIS)
            kind = KB_AR_STOP;
        else if (ci->cls == KB_C_INVIS)
            kind = KB_AR_INVIS;
        else if (cp == 0x0640)
            kind = KB_AR_TATWEEL;
        else if (cp == 0x0654 || cp == 0x0655)
            kind = KB_AR_CHAMZA;
        else if (ci->cls == KB_C_MARK && ci->map == 0)
            kind = KB_AR_MARK;
        else if (ci->cls == KB_C_AR && ci->map >= 0x80 && ci->map < 0x800)
            kind = ci->hamza ? KB_AR_HAMZA : KB_AR_LETTER;
        e->kind = (uint8_t)kind;
        e->out[0] = (uint8_t)(0xC0 | (ci->map >> 6));
        e->out[1] = (uint8_t)(0x80 | (ci->map & 0x3F));
    }
}

static void init_all_tables(void)
{
    init_tables();
    init_arabic_table();
}

static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

void kb__chars_init(void)
{
    pthread_once(&tables_once, init_all_tables);
}

/* Appends code point cp (already normalized) as UTF-8; the caller reserved room. */
static inline size_t put_cp(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    return kb__utf8_encode((int32_t)cp, o);
}

/* Digits of other scripts (outside the table): their decimal value via utf8proc's NFKC is not
 * defined, so Nd code points are mapped by offset from the zero of their block. */
static int32_t digit_value_high(int32_t cp)
{
    /* Nd digits come in contiguous runs of ten starting at a code point ending in 0 or 6. */
    for (int v = 0; v < 10; v++)
        if (utf8proc_category(cp - v) == UTF8PROC_CATEGORY_ND &&
            (v == 9 || utf8proc_category(cp - v - 1) != UTF8PROC_CATEGORY_ND))
            return '0' + v;
    return '0';
}

/* Maps one code point of the slow path's composed sequence and appends it. Returns the updated
 * length. prev is the previous output code point (for combining hamza folding). */
static void slow_emit(kb_buf *out, int32_t cp, int number, uint32_t *mask, size_t *n_letters,
                      int32_t *prev)
{
    int cls;
    int32_t m;
    int hz = 0;
    if (cp < KB_CTAB_SIZE) {
        cls = kb__ctab[cp].cls;
        m = kb__ctab[cp].map;
        hz = kb__ctab[cp].hamza;
        if (m == KB_MAP_SLOW) m = cls == KB_C_DIGIT ? digit_value_high(cp) : cp;
    } else {
        cls = class_high(cp);
        m = cls == KB_C_INVIS ? 0 : cls == KB_C_DIGIT ? digit_value_high(cp) : cp;
    }
    if (cp == 0x0654 || cp == 0x0655) {
        /* Combining hamza: on waw or yeh it makes the carrier a hamza, like ؤ and ئ. */
        if ((*prev == 0x0648 || *prev == 0x064A) && out->n >= 2) {
            out->p[out->n - 2] = (char)0xD8;
            out->p[out->n - 1] = (char)0xA1;
            *prev = 0x0621;
        }
        return;
    }
    if (number && (cp == 0x066B || cp == '.'))
        m = '.';
    else if (number && (cp == 0x066C || cp == ','))
        return;
    if (m == 0) return;
    char tmp[4];
    size_t k = put_cp(tmp, (uint32_t)m);
    kb__buf_append(out, tmp, k);
    if (hz && mask && *n_letters < 32) *mask |= 1u << *n_letters;
    (*n_letters)++;
    *prev = m;
}

/* The slow path: valid UTF-8 of the token, utf8proc NFKC + case fold, then the table. */
static int normalize_slow(const char *s, size_t n, int number, kb_buf *out, uint32_t *mask)
{
    /* Room for the decomposition: NFKC expands a code point to at most 18 (U+FDFA). */
    enum { EXPANSION = 18 };
    utf8proc_int32_t stackbuf[KB_TOKEN_MAX_BYTES * 2];
    utf8proc_int32_t *buf = stackbuf;
    size_t cap = KB_ARRAY_LEN(stackbuf), len = 0;
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    int rc = 0;
    while (i < n) {
        int32_t cp;
        int bad;
        i += kb__utf8_decode(u + i, n - i, &cp, &bad);
        if (len + EXPANSION > cap) {
            size_t ncap = cap * 2;
            utf8proc_int32_t *nb = kb__malloc(ncap * sizeof *nb);
            if (!nb) {
                rc = KB_ENOMEM;
                goto done;
            }
            memcpy(nb, buf, len * sizeof *nb);
            if (buf != stackbuf) kb__free(buf);
            buf = nb;
            cap = ncap;
        }
        if (cp < KB_CTAB_SIZE && kb__ctab[cp].map != KB_MAP_SLOW) {
            /* What the table handles is mapped as on the fast path (the hamza-carrying alefs
             * and dropped marks stay themselves: slow_emit needs them), so both paths agree. */
            int32_t m = kb__ctab[cp].map;
            buf[len++] = (m == 0 || kb__ctab[cp].hamza) ? cp : m;
            continue;
        }
        int last = 0;
        utf8proc_ssize_t k = utf8proc_decompose_char(
            cp, buf + len, (utf8proc_ssize_t)(cap - len),
            UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD, &last);
        if (k < 0 || (size_t)k > cap - len) {
            buf[len] = cp;
            k = 1;
        }
        len += (size_t)k;
    }
    /* Canonical ordering and composition. utf8proc_normalize_utf32 wants the boundclass-ordered
     * input that utf8proc_decompose gives; per-character decomposition is ordered per character,
     * and marks across characters are rare enough in one token to compose as they come. */
    utf8proc_ssize_t m =
        utf8proc_normalize_utf32(buf, (utf8proc_ssize_t)len, UTF8PROC_COMPOSE | UTF8PROC_STABLE);
    if (m < 0) m = (utf8proc_ssize_t)len;
    size_t n_letters = 0;
    int32_t prev = 0;
    size_t before = out->n;
    for (utf8proc_ssize_t j = 0; j < m; j++)
        slow_emit(out, buf[j], number, mask, &n_letters, &prev);
    if (!out->rc) {
        out->n = before + kb__normalize_final_hamza(out->p + before, out->n - before);
        out->p[out->n] = 0;
    }
    rc = out->rc;
done:
    if (buf != stackbuf) kb__free(buf);
    return rc;
}

/*
 * The fast path: every code point below U+0800 with a one-code-point mapping. Returns 1 when it
 * met something that needs the slow path (the output is then rolled back by the caller).
 */
int kb__normalize_token(const char *s, size_t n, int number, kb_buf *out, uint32_t *hamza_mask)
{
    kb__chars_init();
    if (hamza_mask) *hamza_mask = 0;
    /* Fast-path output is never longer than its input. */
    if (kb__buf_reserve(out, n + 1)) return out->rc;
    const unsigned char *u = (const unsigned char *)s;
    char *o = out->p + out->n;
    size_t i = 0, n_letters = 0;
    uint32_t mask = 0;
    uint32_t prev = 0;
    while (i < n) {
        unsigned c = u[i];
        uint32_t cp;
        if (c < 0x80) {
            cp = c;
            i++;
        } else if (c >= 0xC2 && c < 0xE0 && i + 1 < n && (u[i + 1] & 0xC0) == 0x80) {
            cp = ((c & 0x1F) << 6) | (u[i + 1] & 0x3F);
            i += 2;
        } else {
            goto slow;
        }
        const kb__cinfo *ci = &kb__ctab[cp];
        uint32_t m = ci->map;
        if (m == KB_MAP_SLOW) goto slow;
        if (cp == 0x0654 || cp == 0x0655) {
            if (prev == 0x0648 || prev == 0x064A) {
                o[-2] = (char)0xD8;
                o[-1] = (char)0xA1;
                prev = 0x0621;
            }
            continue;
        }
        if (number) {
            if (cp == 0x066B || cp == '.')
                m = '.';
            else if (cp == 0x066C || cp == ',')
                continue;
        }
        if (m == 0) continue;
        if (ci->hamza && n_letters < 32) mask |= 1u << n_letters;
        n_letters++;
        o += put_cp(o, m);
        prev = m;
    }
    {
        size_t k = (size_t)(o - (out->p + out->n));
        k = kb__normalize_final_hamza(out->p + out->n, k);
        out->n += k;
        out->p[out->n] = 0;
    }
    if (hamza_mask) *hamza_mask = mask;
    return 0;
slow:
    out->p[out->n] = 0;
    return normalize_slow(s, n, number, out, hamza_mask);
}

int kb__normalize_word(const char *s, size_t n, kb_buf *out)
{
    kb__tokenizer t;
    kb__rawtok r;
    kb__tok_init(&t, s, n);
    if (!kb__tok_next(&t, &r)) return 0;
    return kb__normalize_token(s + r.start, r.end - r.start, (r.flags & KB_TOK_NUMBER) != 0, out,
                               NULL);
}

int kb__normalize_text(const char *s, size_t n, kb_buf *out)
{
    kb__tokenizer t;
    kb__rawtok r;
    kb__tok_init(&t, s, n);
    int first = 1;
    while (kb__tok_next(&t, &r)) {
        if (!first) kb__buf_putc(out, ' ');
        first = 0;
        int rc = kb__normalize_token(s + r.start, r.end - r.start, (r.flags & KB_TOK_NUMBER) != 0,
                                     out, NULL);
        if (rc) return rc;
    }
    return out->rc;
}
