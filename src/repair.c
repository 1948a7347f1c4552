/*
 * repair.c — display repair of Arabic text (used by the cleaner, never for matching).
 *
 * Scraped Arabic carries characters that display the same but break search, copy and joining:
 * presentation forms (ﻣﺼﻄﻔﻰ from old PDF and Windows-era pages), a BOM in the middle of a text,
 * bidi controls and zero-width joiners pasted from editors, tatweel stretching words
 * (الــعراق), soft hyphens. kb__repair rewrites those and nothing else: harakat stay (they are
 * the author's), whitespace stays (the cleaner tidies it), U+FFFD stays (it marks a repair made
 * earlier). Invalid UTF-8 becomes U+FFFD. Presentation forms get NFKC — only they — so ligatures
 * such as ﻻ become two letters and ﷲ the four letters of the word.
 */
#include "khabar_int.h"

#include <utf8proc.h>

/* The code points dropped by display repair. */
static int dropped(int32_t cp)
{
    switch (cp) {
    case 0x00AD: /* soft hyphen */
    case 0x0640: /* tatweel */
    case 0x061C: /* ARABIC LETTER MARK */
    case 0x200B:
    case 0x200C:
    case 0x200D:
    case 0x200E:
    case 0x200F:
    case 0x202A:
    case 0x202B:
    case 0x202C:
    case 0x202D:
    case 0x202E:
    case 0x2060:
    case 0x2066:
    case 0x2067:
    case 0x2068:
    case 0x2069:
    case 0xFEFF:
        return 1;
    default:
        return 0;
    }
}

static int presentation_form(int32_t cp)
{
    return (cp >= 0xFB50 && cp <= 0xFDFF) || (cp >= 0xFE70 && cp <= 0xFEFC);
}

int kb__repair_cp(int32_t cp, int invalid, int32_t out[KB_REPAIR_MAX_CPS])
{
    if (invalid) {
        out[0] = 0xFFFD;
        return 1;
    }
    if (dropped(cp)) return 0;
    if (!presentation_form(cp)) return -1;
    /* NFKC of one presentation form: compatibility decomposition, then composition (ﺁ → آ,
     * not ا + madda). 18 is the longest decomposition (U+FDFA). */
    utf8proc_int32_t d[KB_REPAIR_MAX_CPS];
    int last = 0;
    utf8proc_ssize_t k = utf8proc_decompose_char(cp, d, KB_REPAIR_MAX_CPS,
                                                 UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT, &last);
    if (k > 0 && k <= KB_REPAIR_MAX_CPS)
        k = utf8proc_normalize_utf32(d, k, UTF8PROC_COMPOSE | UTF8PROC_STABLE);
    if (k <= 0 || k > KB_REPAIR_MAX_CPS) {
        out[0] = cp; /* counted as repaired, kept as it was */
        return 1;
    }
    for (utf8proc_ssize_t j = 0; j < k; j++)
        out[j] = d[j];
    return (int)k;
}

int kb__repair(const char *s, size_t n, kb_buf *out, size_t *n_repaired)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, run = 0, repaired = 0;
    if (kb__buf_reserve(out, n)) return out->rc;
    while (i < n) {
        /* Copy runs of ASCII and untouched characters in one append. */
        unsigned c = u[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        int32_t cp, d[KB_REPAIR_MAX_CPS];
        int bad;
        size_t len = kb__utf8_decode(u + i, n - i, &cp, &bad);
        int k = kb__repair_cp(cp, bad, d);
        if (k < 0) {
            i += len;
            continue;
        }
        kb__buf_append(out, s + run, i - run);
        repaired++;
        for (int j = 0; j < k; j++) {
            char tmp[4];
            kb__buf_append(out, tmp, kb__utf8_encode(d[j], tmp));
        }
        i += len;
        run = i;
    }
    kb__buf_append(out, s + run, i - run);
    if (n_repaired) *n_repaired = repaired;
    return out->rc;
}
