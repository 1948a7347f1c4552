/*
 * tokenize.c — the analyzer's tokenizer: borrowed text in, token boundaries and kinds out.
 *
 * One forward pass over the bytes; no allocation. Every token is a byte range [start, end) of the
 * original text, so highlights and snippets are cut from the text as stored. Kinds:
 *   - Arabic words: Arabic letters, with harakat, tatweel and invisible controls (ZWNJ, ZWJ,
 *     LRM/RLM/ALM, bidi isolates, soft hyphen) inside them never splitting the word;
 *   - Latin (and other-script) words: letters and digits (G20, mp3), same rule for marks;
 *   - numbers: digits of any script with inner separators followed by a digit (3.5, ٣٫٥, 1,000,
 *     10:30);
 *     a number directly followed by Latin letters is one word (4G), by Arabic letters two (2017م);
 *   - URLs (http://, https://, www.), emails, #hashtags (#عاصي_الحلاني), @mentions.
 * Everything else — punctuation (، ؛ ؟ « » included), symbols, spaces — separates.
 *
 * Sentences end at . ! ? ؟ ؛ … ۔ and line breaks. A period right after a one-letter token
 * (initials: "د.", "J.") or a known abbreviation ("Dr.", "Mr.") does not end one; a period
 * inside a number or URL is part of the token.
 */
#include "khabar_int.h"

#include <ctype.h>

void kb__tok_init(kb__tokenizer *t, const char *s, size_t n)
{
    kb__chars_init();
    memset(t, 0, sizeof *t);
    t->s = (const unsigned char *)s;
    t->n = s ? n : 0;
}

/* Decodes the code point at i: the one- and two-byte cases inline, the rest via utf8.c. */
static inline size_t cp_at(const kb__tokenizer *t, size_t i, int32_t *cp, int *bad)
{
    const unsigned char *s = t->s;
    unsigned c = s[i];
    *bad = 0;
    if (c < 0x80) {
        *cp = (int32_t)c;
        return 1;
    }
    if (c >= 0xC2 && c < 0xE0 && i + 1 < t->n && (s[i + 1] & 0xC0) == 0x80) {
        *cp = (int32_t)(((c & 0x1F) << 6) | (s[i + 1] & 0x3F));
        return 2;
    }
    return kb__utf8_decode(s + i, t->n - i, cp, bad);
}

static inline int cls_of(int32_t cp)
{
    return cp < KB_CTAB_SIZE ? kb__ctab[cp].cls : kb__char_class(cp);
}

#define BIT(c) (1u << (c))
/* What continues a word of each kind, and what counts as its content (trailing invisible
 * controls are passed over but left outside the token). */
#define CONT_AR (BIT(KB_C_AR) | BIT(KB_C_MARK) | BIT(KB_C_INVIS) | BIT(KB_C_REPL))
#define CONT_LAT                                                                                   \
    (BIT(KB_C_LET) | BIT(KB_C_DIGIT) | BIT(KB_C_MARK) | BIT(KB_C_INVIS) | BIT(KB_C_REPL))
#define CONT_TAG (CONT_AR | CONT_LAT)
#define NOT_CONTENT BIT(KB_C_INVIS)

typedef struct scan {
    size_t end;       /* end of the content */
    size_t next;      /* where scanning stopped (after trailing invisibles) */
    size_t n_letters; /* letters met */
    uint32_t flags;
    int norm_done; /* scan_arabic: t->out holds the normalized word */
    size_t norm_len;
    uint32_t hamza_mask;
} scan;

/*
 * Scans a word from i while classes in cont continue it, up to cap bytes from start. The
 * two-byte case (all of Arabic) is decoded inline.
 */
static void scan_word(kb__tokenizer *t, size_t start, size_t i, uint32_t cont, size_t cap,
                      int underscore, scan *sc)
{
    const unsigned char *s = t->s;
    size_t n = t->n, end = i;
    while (i < n) {
        int32_t cp;
        int bad = 0;
        size_t len;
        unsigned c = s[i];
        if (c >= 0xC2 && c < 0xE0 && i + 1 < n && (s[i + 1] & 0xC0) == 0x80) {
            cp = (int32_t)(((c & 0x1F) << 6) | (s[i + 1] & 0x3F));
            len = 2;
        } else if (c < 0x80) {
            cp = (int32_t)c;
            len = 1;
        } else {
            len = kb__utf8_decode(s + i, n - i, &cp, &bad);
        }
        int cls = cls_of(cp);
        if (!(cont & BIT(cls)) && !(underscore && cp == '_')) break;
        if (i + len - start > cap) break;
        if (bad) {
            t->invalid++;
            sc->flags |= KB_TOK_REPAIRED;
        }
        i += len;
        if (!(NOT_CONTENT & BIT(cls)) && cp != 0x0640)
            end = i; /* a trailing tatweel is a dash (كذلكـ), not part of the word */
        if (cls == KB_C_AR) {
            sc->flags |= KB_TOK_ARABIC;
            sc->n_letters++;
        } else if (cls == KB_C_LET) {
            sc->flags |= KB_TOK_LATIN;
            sc->n_letters++;
        }
    }
    sc->end = end;
    sc->next = i;
}

static int is_ascii_alnum(unsigned c)
{
    return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z');
}

static int prefix_ci(const unsigned char *s, size_t n, size_t i, const char *p)
{
    size_t k = strlen(p);
    if (n - i < k) return 0;
    for (size_t j = 0; j < k; j++)
        if (tolower(s[i + j]) != p[j]) return 0;
    return 1;
}

/* Length of a URL starting at i, or 0. */
static size_t url_len(kb__tokenizer *t, size_t i)
{
    const unsigned char *s = t->s;
    size_t n = t->n, p;
    if (prefix_ci(s, n, i, "https://"))
        p = i + 8;
    else if (prefix_ci(s, n, i, "http://"))
        p = i + 7;
    else if (prefix_ci(s, n, i, "www.") && i + 4 < n && is_ascii_alnum(s[i + 4]))
        p = i + 4;
    else
        return 0;
    size_t body = p;
    int paren = 0;
    while (p < n && p - i < KB_URL_MAX_BYTES) {
        unsigned c = s[p];
        if (c < 0x80) {
            if (c <= 0x20 || strchr("\"<>`{}|\\^", (int)c)) break;
            if (c == '(') paren = 1;
            p++;
            continue;
        }
        int32_t cp;
        int bad;
        size_t len = cp_at(t, p, &cp, &bad);
        int cls = cls_of(cp);
        if (bad || cls == KB_C_SPACE || cls == KB_C_NEWLINE || cls == KB_C_INVIS || cp == 0x00AB ||
            cp == 0x00BB || cp == 0x060C || cp == 0x061B || cp == 0x061F ||
            (cp >= 0x2018 && cp <= 0x201F))
            break;
        if (p + len - i > KB_URL_MAX_BYTES) break;
        p += len;
    }
    while (p > body && strchr(".,;:!?'\")]", (int)s[p - 1]) && s[p - 1] != 0) {
        if (s[p - 1] == ')' && paren) break;
        p--;
    }
    return p > body ? p - i : 0;
}

/* Length of an email address starting at i, or 0. The look-ahead is bounded by the longest
 * address (254 bytes, RFC 5321), so a long run of dotted words stays linear. */
#define KB_EMAIL_MAX 254
static size_t email_len(const kb__tokenizer *t, size_t i)
{
    const unsigned char *s = t->s;
    size_t n = t->n, p = i;
    while (p < n && p - i < 64 && (is_ascii_alnum(s[p]) || (s[p] && strchr("._%+-", s[p]))))
        p++;
    if (p == i || p >= n || s[p] != '@' || s[p - 1] == '.') return 0;
    size_t q = p + 1, dom = q;
    while (q < n && q - i < KB_EMAIL_MAX && (is_ascii_alnum(s[q]) || s[q] == '-' || s[q] == '.'))
        q++;
    while (q > dom && (s[q - 1] == '.' || s[q - 1] == '-'))
        q--;
    size_t dot = 0;
    for (size_t k = dom; k < q; k++)
        if (s[k] == '.') dot = k;
    if (!dot || dot == dom || q - dot < 3) return 0;
    for (size_t k = dot + 1; k < q; k++)
        if (!isalpha(s[k])) return 0;
    return q - i;
}

/* Abbreviations after which a period does not end a sentence (lower case, ASCII). */
static const char *const abbreviations[] = {
    "mr",  "mrs",  "ms",  "dr",  "prof", "st",  "jr",  "sr",  "inc", "ltd",
    "co",  "corp", "vs",  "etc", "no",   "gen", "col", "lt",  "sgt", "capt",
    "gov", "sen",  "rep", "jan", "feb",  "mar", "apr", "jun", "jul", "aug",
    "sep", "sept", "oct", "nov", "dec",  "fig", "vol", "p",   "pp",  "mt",
};

static int is_abbreviation(const unsigned char *s, size_t a, size_t b)
{
    if (b - a > 4) return 0;
    for (size_t k = 0; k < KB_ARRAY_LEN(abbreviations); k++) {
        const char *w = abbreviations[k];
        size_t len = strlen(w);
        if (len != b - a) continue;
        size_t j = 0;
        while (j < len && tolower(s[a + j]) == w[j])
            j++;
        if (j == len) return 1;
    }
    return 0;
}

/* The two bytes of a letter as one number (memory order). */
static inline uint16_t letter16(const char *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

/*
 * Arabic words, the hot path: scans a word and, when t->out is set, normalizes it in the same
 * pass with the table of normalize.c (same rules as kb__normalize_token's fast path). A code
 * point the table cannot handle (presentation forms, U+FFFD, invalid bytes) leaves the word to
 * kb__normalize_token (sc->norm_done = 0).
 */
static inline __attribute__((always_inline)) void scan_arabic(kb__tokenizer *t, size_t i, scan *sc)
{
    const unsigned char *s = t->s;
    size_t n = t->n, start = i, end = i;
    size_t limit = n - start > KB_TOKEN_MAX_BYTES ? start + KB_TOKEN_MAX_BYTES : n;
    char *o = t->out;
    uint32_t mask = 0;
    size_t n_letters = 0, n_ar = 0;
    int slow = o == NULL;
    for (;;) {
        /* The fast loop: the letters and harakat of U+0600..U+06FF, one table load each. All
         * it consumes is content (so the word's end follows it), and every letter it writes is
         * two bytes (so its letter count is the bytes written / 2). */
        if (!slow) {
            const unsigned char *p = s + i, *p0 = p, *stop = s + limit;
            char *o0 = o;
            while (p + 2 <= stop && (unsigned)(p[0] - 0xD8) < 4) {
                const kb__arcode *e = &kb__artab[(p[0] - 0xD8) * 256 + p[1]];
                if (KB_UNLIKELY(e->kind != KB_AR_LETTER)) {
                    if (e->kind == KB_AR_HAMZA) {
                        size_t k = n_letters + (size_t)(o - o0) / 2;
                        if (k < 32) mask |= 1u << k;
                    } else if (e->kind == KB_AR_MARK) {
                        p += 2;
                        continue;
                    } else {
                        break;
                    }
                }
                memcpy(o, e->out, 2);
                o += 2;
                p += 2;
            }
            n_letters += (size_t)(o - o0) / 2;
            n_ar += (size_t)(o - o0) / 2;
            i = (size_t)(p - s);
            if (p != p0) end = i;
            if (p < stop && *p < 0x80) break; /* ASCII never continues an Arabic word */
            if (p + 2 <= stop && (unsigned)(p[0] - 0xD8) < 4 &&
                kb__artab[(p[0] - 0xD8) * 256 + p[1]].kind == KB_AR_STOP)
                break;
        }
        /* The generic path, one code point. */
        if (i >= limit) break;
        unsigned c = s[i];
        int32_t cp;
        size_t len;
        int bad = 0;
        if (c >= 0xC2 && c < 0xE0 && i + 1 < n && (s[i + 1] & 0xC0) == 0x80) {
            cp = (int32_t)(((c & 0x1F) << 6) | (s[i + 1] & 0x3F));
            len = 2;
        } else if (c < 0x80) {
            break; /* ASCII never continues an Arabic word */
        } else {
            len = kb__utf8_decode(s + i, n - i, &cp, &bad);
        }
        if (i + len > limit) break;
        int cls = cls_of(cp);
        if (!(CONT_AR & BIT(cls))) break;
        if (bad) {
            t->invalid++;
            sc->flags |= KB_TOK_REPAIRED;
        }
        i += len;
        if (cls != KB_C_INVIS && cp != 0x0640) end = i;
        if (cls == KB_C_AR) n_ar++;
        if (slow || cls == KB_C_INVIS) continue;
        if (cp >= KB_CTAB_SIZE || bad) {
            slow = 1;
            continue;
        }
        const kb__cinfo *ci = &kb__ctab[cp];
        uint32_t m = ci->map;
        if (m == KB_MAP_SLOW) {
            slow = 1;
            continue;
        }
        if (cp == 0x0654 || cp == 0x0655) {
            /* the previous output letter (two bytes), if any */
            uint32_t prev =
                o - t->out >= 2 && ((unsigned char)o[-2] & 0xE0) == 0xC0
                    ? (uint32_t)(((unsigned char)o[-2] & 0x1F) << 6 | ((unsigned char)o[-1] & 0x3F))
                    : 0;
            if (prev == 0x0648 || prev == 0x064A) {
                o[-2] = (char)0xD8; /* a combining hamza on waw/yeh: the carrier → ء */
                o[-1] = (char)0xA1;
            }
            continue;
        }
        if (m == 0) continue;
        if (ci->hamza && n_letters < 32) mask |= 1u << n_letters;
        n_letters++;
        if (m < 0x80) {
            *o++ = (char)m;
        } else {
            o[0] = (char)(0xC0 | (m >> 6));
            o[1] = (char)(0x80 | (m & 0x3F));
            o += 2;
        }
    }
    sc->n_letters = n_ar;
    sc->flags |= KB_TOK_ARABIC;
    sc->end = end;
    sc->next = i;
    sc->norm_done = !slow;
    if (!slow) {
        /* The final-hamza rule of kb__normalize_final_hamza. The letters were stored two bytes
         * at a time just now: each is read back the same way (a wider load over several
         * pending stores would wait for them to retire), the last one first: it is rarely ء. */
        size_t len = (size_t)(o - t->out);
        if (len >= 6 && letter16(t->out + len - 2) == letter16("\xD8\xA1") &&
            letter16(t->out + len - 4) == letter16("\xD9\x8A")) {
            t->out[len - 4] = (char)0xD8; /* يء → ء */
            t->out[len - 3] = (char)0xA1;
            len -= 2;
        }
        sc->norm_len = len;
        t->out[sc->norm_len] = 0;
        sc->hamza_mask = mask;
    }
}

static int emit(kb__tokenizer *t, kb__rawtok *tok, size_t start, size_t end, size_t next,
                uint32_t flags, int is_short)
{
    tok->norm_done = 0;
    if (!t->started || t->pending_break) flags |= KB_TOK_SENTENCE;
    t->started = 1;
    t->pending_break = 0;
    t->prev_end = end;
    t->prev_short = (uint8_t)is_short;
    t->pos = next;
    tok->start = start;
    tok->end = end;
    tok->flags = flags;
    return 1;
}

/* An Arabic word at i (its first code point is an Arabic letter). */
static inline __attribute__((always_inline)) int arabic_token(kb__tokenizer *t, kb__rawtok *tok,
                                                              size_t i)
{
    scan sc = {0, 0, 0, 0, 0, 0, 0};
    scan_arabic(t, i, &sc);
    emit(t, tok, i, sc.end, sc.next, sc.flags, sc.n_letters == 1);
    tok->norm_done = sc.norm_done;
    tok->norm_len = sc.norm_len;
    tok->hamza_mask = sc.hamza_mask;
    return 1;
}

/* A number at i: digits, inner separators followed by a digit. */
static size_t scan_number(kb__tokenizer *t, size_t i)
{
    size_t n = t->n, start = i;
    for (;;) {
        int32_t cp;
        int bad;
        size_t len = 0;
        while (i < n) {
            len = cp_at(t, i, &cp, &bad);
            if (cls_of(cp) != KB_C_DIGIT || i + len - start > KB_TOKEN_MAX_BYTES) break;
            i += len;
        }
        if (i >= n) break;
        len = cp_at(t, i, &cp, &bad);
        if (cp != '.' && cp != ',' && cp != ':' && cp != 0x066B && cp != 0x066C)
            break; /* 3.5, 1,000, ٣٫٥ and times (10:30) */
        size_t j = i + len;
        if (j >= n) break;
        int32_t cp2;
        size_t len2 = cp_at(t, j, &cp2, &bad);
        if (cls_of(cp2) != KB_C_DIGIT || j + len2 - start > KB_TOKEN_MAX_BYTES) break;
        i = j;
    }
    return i;
}

int kb__tok_next(kb__tokenizer *t, kb__rawtok *tok)
{
    const unsigned char *s = t->s;
    size_t n = t->n;
    while (t->pos < n) {
        size_t i = t->pos;
        /* The common cases first: a space, an Arabic letter of U+0600..U+06FF. */
        if (s[i] == ' ') {
            t->pos++;
            continue;
        }
        int32_t cp = 0;
        int bad = 0, cls = KB_C_AR;
        size_t len = 0;
        if (!((unsigned)(s[i] - 0xD8) < 4 && i + 1 < n &&
              kb__artab[(s[i] - 0xD8) * 256 + s[i + 1]].kind <= KB_AR_HAMZA)) {
            len = cp_at(t, i, &cp, &bad);
            cls = cls_of(cp);
        }
        if (cls == KB_C_AR) return arabic_token(t, tok, i);
        scan sc = {0, 0, 0, 0, 0, 0, 0};
        switch (cls) {
        case KB_C_SPACE:
            t->pos += len;
            continue;
        case KB_C_NEWLINE:
            t->pos += len;
            t->pending_break = 1;
            continue;
        case KB_C_TERM:
            /* "د." and "Dr." are not sentence ends: the period touches a short token. */
            if (!(cp == '.' && t->started && t->prev_end == i && t->prev_short))
                t->pending_break = 1;
            t->pos += len;
            continue;
        case KB_C_LET:
        case KB_C_DIGIT: {
            if (cp < 0x80) {
                size_t k = (cp == 'h' || cp == 'H' || cp == 'w' || cp == 'W') ? url_len(t, i) : 0;
                if (k) return emit(t, tok, i, i + k, i + k, KB_TOK_URL, 0);
                k = email_len(t, i);
                if (k) return emit(t, tok, i, i + k, i + k, KB_TOK_EMAIL, 0);
            }
            size_t j = i;
            if (cls == KB_C_DIGIT) {
                j = scan_number(t, i);
                int32_t c2 = 0;
                int bad2;
                if (j < n) cp_at(t, j, &c2, &bad2);
                if (j >= n || cls_of(c2) != KB_C_LET)
                    return emit(t, tok, i, j, j, KB_TOK_NUMBER, 0);
            }
            scan_word(t, i, j, CONT_LAT, KB_TOKEN_MAX_BYTES, 0, &sc);
            int is_short = sc.n_letters == 1 || is_abbreviation(s, i, sc.end);
            return emit(t, tok, i, sc.end, sc.next, sc.flags | KB_TOK_LATIN, is_short);
        }
        default:
            break;
        }
        if ((cp == '#' || cp == '@') && i + 1 < n) {
            int32_t c2;
            int bad2;
            cp_at(t, i + 1, &c2, &bad2);
            int cls2 = cls_of(c2);
            if (cp == '#' &&
                (cls2 == KB_C_AR || cls2 == KB_C_LET || cls2 == KB_C_DIGIT || c2 == '_')) {
                scan_word(t, i, i + 1, CONT_TAG, KB_TOKEN_MAX_BYTES, 1, &sc);
                return emit(t, tok, i, sc.end, sc.next, sc.flags | KB_TOK_HASHTAG, 0);
            }
            if (cp == '@' && c2 < 0x80 && (is_ascii_alnum((unsigned)c2) || c2 == '_')) {
                size_t j = i + 1;
                while (j < n && j - i < KB_TOKEN_MAX_BYTES && (is_ascii_alnum(s[j]) || s[j] == '_'))
                    j++;
                return emit(t, tok, i, j, j, KB_TOK_MENTION, 0);
            }
        }
        /* punctuation, symbols, stray marks and controls: separators */
        t->invalid += (size_t)bad;
        t->pos += len;
    }
    return 0;
}
