/*
 * dates.c — dates from metadata and datelines, written as ISO 8601.
 *
 * News dates come as ISO timestamps in metadata (2017-02-25T13:41:00+01:00), as day-first numeric
 * dates (26/05/2014), or in words in the text's dateline. Arabic has three families of Gregorian
 * month names — Egyptian/Gulf (يناير فبراير …), Levantine/Iraqi (كانون الثاني شباط آذار …) and
 * Maghrebi (جانفي فيفري … in Tunisia and Algeria, يناير … يوليوز غشت شتنبر … in Morocco) — and
 * Hijri dates (26 شوال 1436 هـ), converted by the Umm al-Qura calendar that Saudi sources follow
 * (a table for 1300-1600 AH; the tabular Islamic calendar outside it; when the text gives the
 * Gregorian date too, that one is used).
 *
 * The text is first folded (Arabic-Indic digits → ASCII, alef forms → ا, ى → ي, ة → ه, diacritics
 * and tatweel removed) into a short buffer, then scanned as a list of words and numbers.
 */
#include "khabar_int.h"

#include <stdio.h>

/* A dateline is near the start of a line; metadata is short. Looking at more text only finds
 * dates that are not the article's. */
#define DATE_SCAN_MAX 400
/* Words and numbers scanned in that text. */
#define DATE_TOKENS_MAX 96

typedef struct tok {
    const char *p;
    size_t n;
    int num; /* a run of digits */
    long val;
} tok;

typedef struct month_name {
    const char *w1, *w2; /* folded words; w2 for two-word names, else NULL */
    int month;
} month_name;

/* Gregorian month names, folded. */
static const month_name greg[] = {
    /* Egyptian / Gulf */
    {"يناير", NULL, 1},
    {"فبراير", NULL, 2},
    {"مارس", NULL, 3},
    {"ابريل", NULL, 4},
    {"مايو", NULL, 5},
    {"يونيو", NULL, 6},
    {"يونيه", NULL, 6},
    {"يوليو", NULL, 7},
    {"يوليه", NULL, 7},
    {"اغسطس", NULL, 8},
    {"سبتمبر", NULL, 9},
    {"اكتوبر", NULL, 10},
    {"نوفمبر", NULL, 11},
    {"ديسمبر", NULL, 12},
    /* Levantine / Iraqi (two-word names first: longest match wins) */
    {"كانون", "الثاني", 1},
    {"كانون", "الاول", 12},
    {"تشرين", "الاول", 10},
    {"تشرين", "الثاني", 11},
    {"شباط", NULL, 2},
    {"اذار", NULL, 3},
    {"نيسان", NULL, 4},
    {"ايار", NULL, 5},
    {"حزيران", NULL, 6},
    {"تموز", NULL, 7},
    {"اب", NULL, 8},
    {"ايلول", NULL, 9},
    /* Tunisian / Algerian */
    {"جانفي", NULL, 1},
    {"فيفري", NULL, 2},
    {"افريل", NULL, 4},
    {"ماي", NULL, 5},
    {"جوان", NULL, 6},
    {"جويليه", NULL, 7},
    {"اوت", NULL, 8},
    /* Moroccan */
    {"يوليوز", NULL, 7},
    {"غشت", NULL, 8},
    {"شتنبر", NULL, 9},
    {"نونبر", NULL, 11},
    {"دجنبر", NULL, 12},
    /* English */
    {"january", NULL, 1},
    {"february", NULL, 2},
    {"march", NULL, 3},
    {"april", NULL, 4},
    {"may", NULL, 5},
    {"june", NULL, 6},
    {"july", NULL, 7},
    {"august", NULL, 8},
    {"september", NULL, 9},
    {"october", NULL, 10},
    {"november", NULL, 11},
    {"december", NULL, 12},
    {"jan", NULL, 1},
    {"feb", NULL, 2},
    {"mar", NULL, 3},
    {"apr", NULL, 4},
    {"jun", NULL, 6},
    {"jul", NULL, 7},
    {"aug", NULL, 8},
    {"sep", NULL, 9},
    {"sept", NULL, 9},
    {"oct", NULL, 10},
    {"nov", NULL, 11},
    {"dec", NULL, 12},
};

/* Hijri month names, folded. */
static const month_name hijri[] = {
    {"محرم", NULL, 1},       {"صفر", NULL, 2},       {"ربيع", "الاول", 3},  {"ربيع", "الثاني", 4},
    {"ربيع", "الاخر", 4},    {"جمادي", "الاولي", 5}, {"جمادي", "الاول", 5}, {"جمادي", "الاخره", 6},
    {"جمادي", "الثانيه", 6}, {"جمادي", "الثاني", 6}, {"جمادي", "الاخر", 6}, {"رجب", NULL, 7},
    {"شعبان", NULL, 8},      {"رمضان", NULL, 9},     {"شوال", NULL, 10},    {"ذو", "القعده", 11},
    {"ذي", "القعده", 11},    {"ذو", "الحجه", 12},    {"ذي", "الحجه", 12},
};

static int word_is(const tok *t, const char *w)
{
    /* most words are not month names: two bytes decide before any length is taken (tokens live
     * in a NUL-terminated buffer, so reading one byte past a short token is safe) */
    if (t->num) return 0;
    if (t->p[0] == w[0] && t->p[1] == w[1]) {
        size_t n = strlen(w);
        return t->n == n && memcmp(t->p, w, n) == 0;
    }
    /* a month name after the proclitic ب or ل ("بشوال", "لشهر" is not one) */
    if (t->n > 2 && t->p[2] == w[0] && t->p[3] == w[1] &&
        (memcmp(t->p, "\xD8\xA8", 2) == 0 || memcmp(t->p, "\xD9\x84", 2) == 0)) {
        size_t n = strlen(w);
        return t->n == n + 2 && memcmp(t->p + 2, w, n) == 0;
    }
    return 0;
}

/* Matches a month name at toks[i]; returns the number of words used (0: none). */
static int match_month(const month_name *tab, size_t n_tab, const tok *toks, size_t i, size_t n,
                       int *month)
{
    for (size_t k = 0; k < n_tab; k++) {
        if (!word_is(&toks[i], tab[k].w1)) continue;
        if (tab[k].w2) {
            if (i + 1 < n && word_is(&toks[i + 1], tab[k].w2)) {
                *month = tab[k].month;
                return 2;
            }
            continue;
        }
        *month = tab[k].month;
        return 1;
    }
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return d[m - 1];
}

static int valid_greg(long y, long m, long d)
{
    return y >= 1800 && y <= 2200 && m >= 1 && m <= 12 && d >= 1 &&
           d <= days_in_month((int)y, (int)m);
}

/* Hijri → Julian day number → Gregorian: the Umm al-Qura calendar where its table reaches, the
 * tabular Islamic calendar elsewhere. */
static void hijri_to_greg(long hy, long hm, long hd, long *y, long *m, long *d)
{
    long jd;
    if (hy >= kb__umm_alqura_first && hy <= kb__umm_alqura_last) {
        const kb__hijri_year *h = &kb__umm_alqura[hy - kb__umm_alqura_first];
        jd = h->muharram_jd + hd - 1;
        for (long i = 0; i < hm - 1; i++)
            jd += 29 + ((h->long_months >> i) & 1);
    } else {
        jd = hd + (long)((295 * (hm - 1) + 9) / 10) + (hy - 1) * 354 + (3 + 11 * hy) / 30 +
             1948440 - 1;
    }
    /* Julian day number to Gregorian (Fliegel & Van Flandern) */
    long l = jd + 68569;
    long n = 4 * l / 146097;
    l = l - (146097 * n + 3) / 4;
    long i = 4000 * (l + 1) / 1461001;
    l = l - 1461 * i / 4 + 31;
    long j = 80 * l / 2447;
    *d = l - 2447 * j / 80;
    l = j / 11;
    *m = j + 2 - 12 * l;
    *y = 100 * (n - 49) + i + l;
}

/* Folds text into out (ASCII digits, folded letters, other characters as they are). */
static size_t fold_date_text(const char *text, size_t len, char *out, size_t cap)
{
    const unsigned char *u = (const unsigned char *)text;
    size_t o = 0;
    for (size_t i = 0; i < len && o + 4 < cap;) {
        int32_t cp;
        int bad;
        size_t k = kb__utf8_decode(u + i, len - i, &cp, &bad);
        i += k;
        if (cp >= 0x0660 && cp <= 0x0669)
            cp = '0' + (cp - 0x0660);
        else if (cp >= 0x06F0 && cp <= 0x06F9)
            cp = '0' + (cp - 0x06F0);
        else if ((cp = kb__clean_fold_cp(cp)) < 0)
            continue;
        o += kb__utf8_encode(cp, out + o);
    }
    out[o] = 0;
    return o;
}

static int is_word_byte(unsigned char b)
{
    return b >= 0x80 || ((b | 32) >= 'a' && (b | 32) <= 'z');
}

static int digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

static long num_at(const char *s, size_t n, size_t *used)
{
    long v = 0;
    size_t i = 0;
    while (i < n && digit(s[i]) && i < 9)
        v = v * 10 + (s[i++] - '0');
    *used = i;
    return v;
}

/* ISO (YYYY-MM-DD[Thh:mm[:ss][Z|±hh:mm]]) or day-first numeric (DD/MM/YYYY) dates. */
static int numeric_date(const char *s, size_t n, char *out, size_t out_size)
{
    for (size_t i = 0; i < n; i++) {
        if (!digit(s[i]) || (i && digit(s[i - 1]))) continue;
        size_t k1, k2, k3;
        long a = num_at(s + i, n - i, &k1);
        size_t j = i + k1;
        if (j + 1 >= n || (s[j] != '-' && s[j] != '/' && s[j] != '.')) continue;
        char sep = s[j];
        long b = num_at(s + j + 1, n - j - 1, &k2);
        size_t j2 = j + 1 + k2;
        if (!k2 || j2 + 1 >= n || s[j2] != sep) continue;
        long c = num_at(s + j2 + 1, n - j2 - 1, &k3);
        size_t end = j2 + 1 + k3;
        if (!k3 || (end < n && digit(s[end]))) continue;
        long y, m, d;
        if (k1 == 4)
            y = a, m = b, d = c;
        else if (k3 == 4)
            y = c, m = b, d = a;
        else
            continue;
        if (!valid_greg(y, m, d)) continue;
        int w = snprintf(out, out_size, "%04ld-%02ld-%02ld", y, m, d);
        /* a time after an ISO date */
        size_t t = end;
        if (k1 == 4 && t + 5 < n && (s[t] == 'T' || s[t] == 't' || s[t] == ' ') &&
            digit(s[t + 1]) && digit(s[t + 2]) && s[t + 3] == ':' && digit(s[t + 4]) &&
            digit(s[t + 5])) {
            int hh = (s[t + 1] - '0') * 10 + (s[t + 2] - '0');
            int mm = (s[t + 4] - '0') * 10 + (s[t + 5] - '0');
            int ss = 0;
            size_t e = t + 6;
            if (e + 2 < n && s[e] == ':' && digit(s[e + 1]) && digit(s[e + 2])) {
                ss = (s[e + 1] - '0') * 10 + (s[e + 2] - '0');
                e += 3;
            }
            if (hh < 24 && mm < 60 && ss < 61) {
                w += snprintf(out + w, out_size - (size_t)w, "T%02d:%02d:%02d", hh, mm, ss);
                if (e < n && (s[e] == 'Z' || s[e] == 'z')) {
                    w += snprintf(out + w, out_size - (size_t)w, "Z");
                } else if (e + 2 < n && (s[e] == '+' || s[e] == '-') && digit(s[e + 1]) &&
                           digit(s[e + 2])) {
                    size_t z = e + 3;
                    if (z < n && s[z] == ':') z++;
                    if (z + 1 < n && digit(s[z]) && digit(s[z + 1]))
                        w += snprintf(out + w, out_size - (size_t)w, "%c%c%c:%c%c", s[e], s[e + 1],
                                      s[e + 2], s[z], s[z + 1]);
                }
            }
        }
        return w;
    }
    return 0;
}

int kb_date_parse(const char *text, size_t len, char *out, size_t out_size)
{
    if (!text || !out || out_size < 32) return 0;
    /* every date has a digit (ASCII, Arabic-Indic ٠-٩ = D9 A0..A9, Persian ۰-۹ = DB B0..B9) */
    size_t scan = KB_MIN(len, DATE_SCAN_MAX);
    int has_digit = 0;
    for (size_t i = 0; i < scan && !has_digit; i++) {
        unsigned char b = (unsigned char)text[i];
        has_digit = (b >= '0' && b <= '9') ||
                    (i + 1 < scan && (b == 0xD9 || b == 0xDB) &&
                     (((unsigned char)text[i + 1] & 0xF0) == (b == 0xD9 ? 0xA0 : 0xB0)));
    }
    if (!has_digit) return 0;
    char buf[DATE_SCAN_MAX * 2 + 8];
    size_t n = fold_date_text(text, KB_MIN(len, DATE_SCAN_MAX), buf, sizeof buf);
    /* words and numbers */
    tok toks[DATE_TOKENS_MAX];
    size_t nt = 0;
    for (size_t i = 0; i < n && nt < DATE_TOKENS_MAX;) {
        unsigned char b = (unsigned char)buf[i];
        if (digit(buf[i])) {
            size_t k;
            long v = num_at(buf + i, n - i, &k);
            while (i + k < n && digit(buf[i + k]))
                k++;
            toks[nt++] = (tok){buf + i, k, 1, v};
            i += k;
        } else if (is_word_byte(b)) {
            size_t k = 0;
            while (i + k < n && is_word_byte((unsigned char)buf[i + k]) &&
                   !(buf[i + k] == (char)0xD8 && i + k + 1 < n &&
                     (unsigned char)buf[i + k + 1] >= 0x8C &&
                     (unsigned char)buf[i + k + 1] <= 0x8F))
                k++; /* Arabic comma and other U+060x punctuation end a word */
            if (!k) k = 2;
            toks[nt++] = (tok){buf + i, k, 0, 0};
            i += k;
        } else {
            i++;
        }
    }
    /* 1. Gregorian in words: D Month Y, or Month D, Y */
    for (size_t i = 0; i < nt; i++) {
        /* a month name is next to a number (two words on for "كانون الثاني 2021") */
        if (toks[i].num || !((i > 0 && toks[i - 1].num) || (i + 1 < nt && toks[i + 1].num) ||
                             (i + 2 < nt && toks[i + 2].num)))
            continue;
        int m, w = match_month(greg, KB_ARRAY_LEN(greg), toks, i, nt, &m);
        if (!w) continue;
        /* the short names that are also words (ماي, اب, may, mar…) only between numbers */
        if (i > 0 && toks[i - 1].num && i + w < nt && toks[i + w].num && toks[i + w].n == 4) {
            long d = toks[i - 1].val, y = toks[i + w].val;
            if (valid_greg(y, m, d)) return snprintf(out, out_size, "%04ld-%02d-%02ld", y, m, d);
        }
        if (i + w + 1 < nt && toks[i + w].num && toks[i + w + 1].num && toks[i + w + 1].n == 4) {
            long d = toks[i + w].val, y = toks[i + w + 1].val;
            if (valid_greg(y, m, d)) return snprintf(out, out_size, "%04ld-%02d-%02ld", y, m, d);
        }
    }
    /* 2. numeric dates */
    int k = numeric_date(buf, n, out, out_size);
    if (k) return k;
    /* 3. Hijri: D Month Y */
    for (size_t i = 1; i < nt; i++) {
        if (!toks[i - 1].num) continue;
        int m, w = match_month(hijri, KB_ARRAY_LEN(hijri), toks, i, nt, &m);
        if (!w || !toks[i - 1].num || i + w >= nt || !toks[i + w].num) continue;
        long d = toks[i - 1].val, hy = toks[i + w].val;
        if (d < 1 || d > 30 || hy < 1300 || hy > 1600) continue;
        long y, mo, dd;
        hijri_to_greg(hy, m, d, &y, &mo, &dd);
        if (valid_greg(y, mo, dd)) return snprintf(out, out_size, "%04ld-%02ld-%02ld", y, mo, dd);
    }
    return 0;
}
