/*
 * decode.c — from the bytes of a file to UTF-8 text with LF line ends.
 *
 * The first stage of the data path. A decoder reads a file descriptor or a memory buffer in
 * bounded chunks and runs three layers over it, all streaming:
 *
 *   raw bytes → decompression (gzip via zlib, zstd via libzstd; chosen by the magic bytes, never
 *   by the file name) → character set (UTF-8 ± BOM as is; UTF-16 LE/BE, Windows-1256,
 *   ISO-8859-6 and anything iconv knows through iconv) → UTF-8 validation (each invalid byte
 *   becomes U+FFFD and is counted) with CR LF and lone CR turned into LF.
 *
 * The encoding is decided once per file from a sample of the first decompressed bytes: a BOM
 * wins; then the caller's override; then "is it valid UTF-8"; then an HTML <meta charset>;
 * then single-byte Arabic (Windows-1256 or ISO-8859-6, told apart by where their letters lie);
 * then uchardet (any encoding iconv knows); then Windows-1256, the legacy Arabic encoding most
 * often met. The same sample decides whether the file is binary (NUL bytes, many control bytes),
 * which is an error, not a stream of U+FFFD.
 *
 * The decoder remembers where in the decoded stream it put each U+FFFD, so the reader can say
 * how many repairs fall inside each record (kb_record.n_repaired).
 */
#include "khabar_int.h"

#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <string.h>
#include <uchardet.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

/* Raw and decompressed bytes are handled 256 KiB at a time: large enough that read() and the
 * decompressors run at full speed, small enough that a decoder costs well under a megabyte. */
#define KB_DECODE_CHUNK ((size_t)256 << 10)

/* The encoding and binary-ness are decided on the first 64 KiB: uchardet is confident long
 * before that on Arabic text, and a file's head is representative of it for news data. */
#define KB_DECODE_SAMPLE ((size_t)64 << 10)

/* A sample whose bytes are more than 1/20 C0 control characters (other than tab, LF, CR, FF,
 * VT, ESC) is binary: text in any of the encodings we read has almost none. */
#define KB_DECODE_BINARY_CTRL_DIV 20

/* Positions of U+FFFD repairs kept for per-record counting. 1M entries (8 MiB) bounds memory for
 * a file made of garbage; past it, repairs are still counted in total, only not per record. */
#define KB_DECODE_MAX_PENDING_REPAIRS ((size_t)1 << 20)

/* zstd frames may ask for a window up to 2^27 bytes (128 MiB, zstd's own default limit for
 * streaming); larger windows are refused instead of allocated. */
#define KB_DECODE_ZSTD_WINDOW_LOG_MAX 27

typedef enum { COMP_NONE, COMP_GZIP, COMP_ZSTD } comp_kind;
typedef enum { CS_UTF8, CS_ICONV } cs_kind;

/* A byte window: data lives in p[start..end). */
typedef struct win {
    unsigned char *p;
    size_t cap, start, end;
} win;

struct kb_decoder {
    /* source */
    int fd; /* -1 for memory */
    const unsigned char *mem;
    size_t mem_len, mem_pos;
    int raw_eof;
    /* decompression */
    comp_kind comp;
    int comp_known;
    z_stream z;
    int z_init, z_member_done;
    ZSTD_DStream *zs;
    size_t zs_last; /* last ZSTD_decompressStream result: 0 when a frame just ended */
    win raw;        /* compressed input */
    win dec;        /* decompressed bytes, not yet converted */
    int dec_eof;    /* no more decompressed bytes will come */
    /* character set */
    char *override; /* caller's encoding, or NULL */
    int cs_known;
    cs_kind cs;
    const char *cs_name; /* static, the override, or cs_buf */
    char cs_buf[32];     /* an encoding name uchardet gave */
    iconv_t ic;
    int ic_unit;      /* bytes to skip on an invalid sequence (1, or 2 for UTF-16) */
    win utf;          /* iconv output, not yet validated */
    int at_start;     /* nothing emitted yet: a leading U+FEFF is a BOM and is dropped */
    uint64_t emitted; /* decoded bytes emitted so far */
    /* repairs */
    uint64_t *rep;
    size_t n_rep, rep_head, rep_cap;
    uint64_t rep_total, rep_lost;
    /* errors */
    int rc;
    char msg[256];
};

static int win_reserve(win *w, size_t extra)
{
    if (w->start > 0 && w->start == w->end) w->start = w->end = 0;
    if (w->cap - w->end >= extra) return 0;
    if (w->start > 0) { /* compact first */
        memmove(w->p, w->p + w->start, w->end - w->start);
        w->end -= w->start;
        w->start = 0;
        if (w->cap - w->end >= extra) return 0;
    }
    size_t cap = w->cap ? w->cap : 4096;
    while (cap - w->end < extra)
        cap *= 2;
    unsigned char *p = kb__realloc(w->p, cap);
    if (!p) return KB_ENOMEM;
    w->p = p;
    w->cap = cap;
    return 0;
}

static size_t win_len(const win *w)
{
    return w->end - w->start;
}

static int fail(kb_decoder *d, int rc, const char *fmt, const char *arg)
{
    if (!d->rc) {
        d->rc = rc;
        snprintf(d->msg, sizeof d->msg, fmt, arg ? arg : "");
    }
    return rc;
}

kb_decoder *kb__decoder_new(const char *encoding)
{
    kb_decoder *d = kb__calloc(1, sizeof *d);
    if (!d) return NULL;
    d->fd = -1;
    d->ic = (iconv_t)-1;
    if (encoding && *encoding) {
        d->override = kb__strndup(encoding, strlen(encoding));
        if (!d->override) {
            kb__free(d);
            return NULL;
        }
    }
    return d;
}

static void decoder_end(kb_decoder *d)
{
    if (d->z_init) inflateEnd(&d->z);
    d->z_init = 0;
    if (d->zs) ZSTD_freeDStream(d->zs);
    d->zs = NULL;
    if (d->ic != (iconv_t)-1) iconv_close(d->ic);
    d->ic = (iconv_t)-1;
}

void kb__decoder_free(kb_decoder *d)
{
    if (!d) return;
    decoder_end(d);
    kb__free(d->raw.p);
    kb__free(d->dec.p);
    kb__free(d->utf.p);
    kb__free(d->rep);
    kb__free(d->override);
    kb__free(d);
}

/* Forgets the previous input, keeping the buffers. */
static void decoder_reset(kb_decoder *d)
{
    decoder_end(d);
    d->fd = -1;
    d->mem = NULL;
    d->mem_len = d->mem_pos = 0;
    d->raw_eof = 0;
    d->comp = COMP_NONE;
    d->comp_known = 0;
    memset(&d->z, 0, sizeof d->z);
    d->z_member_done = 0;
    d->zs_last = 0;
    d->raw.start = d->raw.end = 0;
    d->dec.start = d->dec.end = 0;
    d->dec_eof = 0;
    d->cs_known = 0;
    d->cs = CS_UTF8;
    d->cs_name = "UTF-8";
    d->ic_unit = 1;
    d->utf.start = d->utf.end = 0;
    d->at_start = 1;
    d->emitted = 0;
    d->n_rep = d->rep_head = 0;
    d->rep_total = d->rep_lost = 0;
    d->rc = 0;
    d->msg[0] = 0;
}

void kb__decoder_start_fd(kb_decoder *d, int fd)
{
    decoder_reset(d);
    d->fd = fd;
}

void kb__decoder_start_mem(kb_decoder *d, const void *p, size_t n)
{
    decoder_reset(d);
    d->mem = p;
    d->mem_len = n;
}

/* ---- raw bytes and decompression ------------------------------------------------------------ */

/* Reads up to one chunk of the input into w. */
static int read_into(kb_decoder *d, win *w)
{
    if (d->raw_eof) return 0;
    /* a small input in memory gets a small buffer */
    size_t want = d->fd < 0 ? KB_MIN(KB_DECODE_CHUNK, d->mem_len - d->mem_pos) : KB_DECODE_CHUNK;
    int rc = win_reserve(w, want ? want : 1);
    if (rc) return fail(d, rc, "out of memory%s", NULL);
    size_t got;
    if (d->fd < 0) {
        got = want;
        if (got) memcpy(w->p + w->end, d->mem + d->mem_pos, got);
        d->mem_pos += got;
    } else {
        ssize_t k;
        do
            k = read(d->fd, w->p + w->end, KB_DECODE_CHUNK);
        while (k < 0 && errno == EINTR);
        if (k < 0) return fail(d, KB_EIO, "read error: %s", strerror(errno));
        got = (size_t)k;
    }
    if (!got) d->raw_eof = 1;
    w->end += got;
    return 0;
}

static void detect_compression(kb_decoder *d)
{
    const unsigned char *p = d->raw.p + d->raw.start;
    size_t n = win_len(&d->raw);
    d->comp_known = 1;
    if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
        d->comp = COMP_GZIP;
    else if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd)
        d->comp = COMP_ZSTD;
    else if (n >= 6 && !memcmp(p,
                               "\xfd"
                               "7zXZ\0",
                               6))
        fail(d, KB_EUNSUPPORTED, "xz-compressed data is not supported (decompress it first)%s",
             NULL);
    else if (n >= 3 && !memcmp(p, "BZh", 3) && n >= 4 && p[3] >= '1' && p[3] <= '9')
        fail(d, KB_EUNSUPPORTED, "bzip2-compressed data is not supported (decompress it first)%s",
             NULL);
    else if (n >= 4 && !memcmp(p, "PK\3\4", 4))
        fail(d, KB_EUNSUPPORTED, "zip archives are not supported (extract them first)%s", NULL);
    else
        d->comp = COMP_NONE;
}

static int inflate_some(kb_decoder *d)
{
    if (!d->z_init) {
        if (inflateInit2(&d->z, 15 + 32) != Z_OK) /* 15 + 32: gzip or zlib header, auto */
            return fail(d, KB_ENOMEM, "cannot start gzip decompression%s", NULL);
        d->z_init = 1;
    }
    if (!win_len(&d->raw) && !d->raw_eof) return 0; /* the caller reads more */
    if (!win_len(&d->raw) && d->z_member_done) {
        d->dec_eof = 1;
        return 0;
    }
    if (d->z_member_done) { /* another gzip member follows (concatenated .gz files) */
        inflateReset(&d->z);
        d->z_member_done = 0;
    }
    int rc = win_reserve(&d->dec, KB_DECODE_CHUNK);
    if (rc) return fail(d, rc, "out of memory%s", NULL);
    d->z.next_in = d->raw.p + d->raw.start;
    d->z.avail_in = (uInt)KB_MIN(win_len(&d->raw), (size_t)UINT32_MAX);
    d->z.next_out = d->dec.p + d->dec.end;
    d->z.avail_out = (uInt)KB_DECODE_CHUNK;
    int zr = inflate(&d->z, Z_NO_FLUSH);
    size_t used = (size_t)(d->z.next_in - (d->raw.p + d->raw.start));
    size_t made = (size_t)(d->z.next_out - (d->dec.p + d->dec.end));
    d->raw.start += used;
    d->dec.end += made;
    if (zr == Z_STREAM_END) {
        d->z_member_done = 1;
    } else if (zr == Z_DATA_ERROR || zr == Z_NEED_DICT) {
        return fail(d, KB_ECORRUPT, "corrupt gzip data: %s", d->z.msg ? d->z.msg : "bad data");
    } else if (zr == Z_MEM_ERROR) {
        return fail(d, KB_ENOMEM, "out of memory in gzip decompression%s", NULL);
    } else if (d->raw_eof && !win_len(&d->raw) && !made) {
        return fail(d, KB_ECORRUPT, "truncated gzip data: the stream ends before its end marker%s",
                    NULL);
    }
    return 0;
}

static int unzstd_some(kb_decoder *d)
{
    if (!d->zs) {
        d->zs = ZSTD_createDStream();
        if (!d->zs) return fail(d, KB_ENOMEM, "cannot start zstd decompression%s", NULL);
        ZSTD_DCtx_setParameter(d->zs, ZSTD_d_windowLogMax, KB_DECODE_ZSTD_WINDOW_LOG_MAX);
    }
    if (!win_len(&d->raw) && !d->raw_eof) return 0; /* the caller reads more */
    if (!win_len(&d->raw) && d->zs_last == 0) {
        d->dec_eof = 1;
        return 0;
    }
    int rc = win_reserve(&d->dec, KB_DECODE_CHUNK);
    if (rc) return fail(d, rc, "out of memory%s", NULL);
    ZSTD_inBuffer in = {d->raw.p + d->raw.start, win_len(&d->raw), 0};
    ZSTD_outBuffer out = {d->dec.p + d->dec.end, KB_DECODE_CHUNK, 0};
    size_t zr = ZSTD_decompressStream(d->zs, &out, &in);
    if (ZSTD_isError(zr))
        return fail(d, KB_ECORRUPT, "corrupt zstd data: %s", ZSTD_getErrorName(zr));
    d->zs_last = zr;
    d->raw.start += in.pos;
    d->dec.end += out.pos;
    if (d->raw_eof && !win_len(&d->raw) && !out.pos && zr != 0)
        return fail(d, KB_ECORRUPT, "truncated zstd data: the last frame is incomplete%s", NULL);
    return 0;
}

/* Adds decompressed bytes to d->dec (or sets d->dec_eof). Returns 0 or an error. */
static int fill_dec(kb_decoder *d)
{
    if (d->rc) return d->rc;
    if (d->dec_eof) return 0;
    if (!d->comp_known || (d->comp != COMP_NONE && win_len(&d->raw) < KB_DECODE_CHUNK / 2)) {
        if (read_into(d, &d->raw)) return d->rc;
    }
    if (!d->comp_known) {
        while (win_len(&d->raw) < 6 && !d->raw_eof)
            if (read_into(d, &d->raw)) return d->rc;
        detect_compression(d);
        if (d->rc) return d->rc;
    }
    switch (d->comp) {
    case COMP_NONE: {
        size_t n = win_len(&d->raw);
        if (!n) { /* uncompressed input is read straight into the decoded window */
            if (read_into(d, &d->dec)) return d->rc;
            if (d->raw_eof) d->dec_eof = 1;
            return 0;
        }
        int rc = win_reserve(&d->dec, n);
        if (rc) return fail(d, rc, "out of memory%s", NULL);
        memcpy(d->dec.p + d->dec.end, d->raw.p + d->raw.start, n);
        d->dec.end += n;
        d->raw.start += n;
        return 0;
    }
    case COMP_GZIP:
        return inflate_some(d);
    case COMP_ZSTD:
        return unzstd_some(d);
    }
    return 0;
}

/* ---- encoding detection -----------------------------------------------------------------------
 */

/* Counts valid multi-byte sequences and invalid bytes in p[0..n). A sequence cut by the end of
 * the sample is not counted as invalid unless final. */
static void utf8_census(const unsigned char *p, size_t n, int final, size_t *valid_mb,
                        size_t *invalid)
{
    size_t i = 0;
    *valid_mb = *invalid = 0;
    while (i < n) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        int32_t cp;
        int bad;
        size_t k = kb__utf8_decode(p + i, n - i, &cp, &bad);
        if (bad) {
            if (!final && n - i < 4) break;
            (*invalid)++;
        } else {
            (*valid_mb)++;
        }
        i += k;
    }
}

/* Finds charset=NAME in an HTML head; copies NAME into out. */
static int html_meta_charset(const unsigned char *p, size_t n, char *out, size_t out_size)
{
    static const char key[] = "charset=";
    size_t kl = sizeof key - 1;
    for (size_t i = 0; i + kl < n; i++) {
        if ((p[i] | 0x20) != 'c' || strncasecmp((const char *)p + i, key, kl) != 0) continue;
        size_t j = i + kl;
        while (j < n && (p[j] == '"' || p[j] == '\'' || p[j] == ' '))
            j++;
        size_t k = 0;
        while (j < n && k + 1 < out_size &&
               ((p[j] >= 'a' && p[j] <= 'z') || (p[j] >= 'A' && p[j] <= 'Z') ||
                (p[j] >= '0' && p[j] <= '9') || p[j] == '-' || p[j] == '_' || p[j] == ':'))
            out[k++] = (char)p[j++];
        out[k] = 0;
        return k > 0;
    }
    return 0;
}

/* BOM-less UTF-16: in Arabic or Latin text every other byte is 0x00 or 0x06 (the high byte of
 * ASCII and of the Arabic block). Returns "UTF-16LE", "UTF-16BE" or NULL. */
static const char *guess_utf16(const unsigned char *p, size_t n)
{
    size_t pairs = n / 2, hi_le = 0, hi_be = 0;
    if (pairs < 8) return NULL;
    for (size_t i = 0; i + 1 < n; i += 2) {
        hi_le += p[i + 1] == 0 || p[i + 1] == 6;
        hi_be += p[i] == 0 || p[i] == 6;
    }
    if (hi_le * 10 >= pairs * 9 && hi_be * 10 < pairs * 5) return "UTF-16LE";
    if (hi_be * 10 >= pairs * 9 && hi_le * 10 < pairs * 5) return "UTF-16BE";
    return NULL;
}

static int is_utf8_name(const char *s)
{
    return !strcasecmp(s, "UTF-8") || !strcasecmp(s, "UTF8");
}

static int open_iconv(kb_decoder *d, const char *name, const char *static_name)
{
    d->ic = iconv_open("UTF-8", name);
    if (d->ic == (iconv_t)-1) return fail(d, KB_EENCODING, "unknown character encoding '%s'", name);
    d->cs = CS_ICONV;
    d->cs_name = static_name ? static_name : name;
    d->ic_unit = (!strncasecmp(name, "UTF-16", 6) || !strncasecmp(name, "UCS-2", 5)) ? 2 : 1;
    if (!strncasecmp(name, "UTF-32", 6) || !strncasecmp(name, "UCS-4", 5)) d->ic_unit = 4;
    return 0;
}

/* Maps a detected charset name to a static string we report. */
static const char *static_cs_name(const char *s)
{
    static const char *const known[] = {"WINDOWS-1256", "ISO-8859-6", "UTF-16LE",   "UTF-16BE",
                                        "WINDOWS-1252", "ISO-8859-1", "MAC-ARABIC", "IBM864"};
    for (size_t i = 0; i < KB_ARRAY_LEN(known); i++)
        if (!strcasecmp(s, known[i])) return known[i];
    if (!strcasecmp(s, "CP1256")) return "WINDOWS-1256";
    return NULL;
}

/* Single-byte Arabic: at least this share of the bytes >= 0x80 are Arabic letters (or Arabic
 * punctuation) under Windows-1256 or under ISO-8859-6. Latin text in Windows-1252 or ISO-8859-1
 * fails it: both Arabic encodings keep the French accented letters at their Latin-1 places or
 * leave them unassigned. */
#define KB_DECODE_ARABIC_SHARE_PCT 70
/* ... and at least this share are in 0xC1-0xDA, where both encodings put the most frequent half
 * of the alphabet (ا ب ت … ع): French in ISO-8859-1 (é è à ç = ISO-8859-6 ى و ـ ه) has almost
 * none there. */
#define KB_DECODE_ARABIC_CORE_PCT 30

static int arabic_1256(unsigned c)
{
    return (c >= 0xC1 && c <= 0xDF && c != 0xD7) || c == 0xE1 || (c >= 0xE3 && c <= 0xE6) ||
           c == 0xEC || c == 0xED || (c >= 0xF0 && c <= 0xF3) || c == 0xF5 || c == 0xF6 ||
           c == 0xF8 || c == 0xFA || c == 0xA1 || c == 0xBA || c == 0xBF || c == 0x81 ||
           c == 0x8D || c == 0x8E || c == 0x90 || c == 0x98;
}

static int arabic_8859_6(unsigned c)
{
    return (c >= 0xC1 && c <= 0xDA) || (c >= 0xE0 && c <= 0xF2) || c == 0xAC || c == 0xBB ||
           c == 0xBF;
}

/*
 * Returns "WINDOWS-1256" or "ISO-8859-6" when the sample reads as single-byte Arabic, else NULL.
 * The two place the same letters differently (ISO-8859-6 has ه و ى ي at 0xE7-0xEA, where
 * Windows-1256 has ç è é ê; Windows-1256 has غ ف ق ك at 0xDB-0xDF, unassigned in ISO-8859-6), so
 * the one under which more bytes are Arabic letters is the one. uchardet alone confuses them
 * on some articles.
 */
static const char *single_byte_arabic(const unsigned char *p, size_t n)
{
    size_t high = 0, w = 0, iso = 0, core = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned c = p[i];
        if (c < 0x80) continue;
        high++;
        w += (size_t)arabic_1256(c);
        iso += (size_t)arabic_8859_6(c);
        core += c >= 0xC1 && c <= 0xDA;
    }
    if (!high || KB_MAX(w, iso) * 100 < high * KB_DECODE_ARABIC_SHARE_PCT ||
        core * 100 < high * KB_DECODE_ARABIC_CORE_PCT)
        return NULL;
    return iso > w ? "ISO-8859-6" : "WINDOWS-1256";
}

/* Decides the character set from the sample at the head of d->dec. */
static int detect_charset(kb_decoder *d)
{
    const unsigned char *p = d->dec.p + d->dec.start;
    size_t n = KB_MIN(win_len(&d->dec), KB_DECODE_SAMPLE);
    int final = d->dec_eof && n == win_len(&d->dec);
    d->cs_known = 1;

    /* 1. The caller's word (a BOM in that encoding is dropped after conversion). */
    if (d->override) {
        if (is_utf8_name(d->override)) {
            d->cs = CS_UTF8;
            d->cs_name = "UTF-8";
            return 0;
        }
        return open_iconv(d, d->override, NULL);
    }
    /* 2. A byte order mark. */
    if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) {
        d->dec.start += 3;
        d->cs = CS_UTF8;
        d->cs_name = "UTF-8";
        return 0;
    }
    if (n >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF))) {
        int le = p[0] == 0xFF;
        d->dec.start += 2;
        return open_iconv(d, le ? "UTF-16LE" : "UTF-16BE", le ? "UTF-16LE" : "UTF-16BE");
    }
    /* 3. Binary data is an error, not text full of U+FFFD. */
    size_t ctrl = 0, nul_at = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        unsigned c = p[i];
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' &&
            c != 0x1B) {
            ctrl++;
            if (!c && nul_at == SIZE_MAX) nul_at = i;
        }
    }
    if (nul_at != SIZE_MAX) {
        const char *u16 = guess_utf16(p, n & ~(size_t)1);
        if (u16) return open_iconv(d, u16, u16);
        char where[64];
        snprintf(where, sizeof where, "%zu", nul_at);
        return fail(d, KB_EENCODING,
                    "binary data (a NUL byte at offset %s), not text; for UTF-16 without a "
                    "byte order mark, give the encoding",
                    where);
    }
    if (ctrl * KB_DECODE_BINARY_CTRL_DIV > n)
        return fail(d, KB_EENCODING, "binary data (control bytes), not text%s", NULL);
    /* 4. Valid UTF-8, or nearly: broken bytes among at least twice as many good multi-byte
     * sequences. Single-byte Arabic text almost never forms valid UTF-8 by chance (its letters,
     * 0xC1-0xFE, are rarely followed by a continuation byte), so this does not mistake it. */
    size_t valid_mb, invalid;
    utf8_census(p, n, final, &valid_mb, &invalid);
    if (invalid == 0 || valid_mb >= 2 * invalid) {
        d->cs = CS_UTF8;
        d->cs_name = "UTF-8";
        return 0;
    }
    /* 5. What an HTML page says about itself. */
    char meta[40];
    if (html_meta_charset(p, KB_MIN(n, (size_t)4096), meta, sizeof meta) && !is_utf8_name(meta)) {
        const char *sn = static_cs_name(meta);
        iconv_t t = iconv_open("UTF-8", meta);
        if (t != (iconv_t)-1) {
            iconv_close(t);
            if (sn) return open_iconv(d, meta, sn);
        }
    }
    /* 6. Single-byte Arabic, Windows-1256 or ISO-8859-6 by our letter count (uchardet confuses
     * the two on some articles and reads short or repetitive Arabic as Greek); 7. else uchardet;
     * 8. else Windows-1256. */
    const char *guess = single_byte_arabic(p, n);
    uchardet_t u = guess ? NULL : uchardet_new();
    if (u) {
        if (uchardet_handle_data(u, (const char *)p, n) == 0) {
            uchardet_data_end(u);
            const char *g = uchardet_get_charset(u);
            if (g && *g && !is_utf8_name(g) && strcasecmp(g, "ASCII") != 0) {
                guess = static_cs_name(g);
                if (!guess && strlen(g) < sizeof d->cs_buf) { /* another encoding iconv knows */
                    iconv_t t = iconv_open("UTF-8", g);
                    if (t != (iconv_t)-1) {
                        iconv_close(t);
                        memcpy(d->cs_buf, g, strlen(g) + 1);
                        guess = d->cs_buf;
                    }
                }
            }
        }
        uchardet_delete(u);
    }
    if (!guess) guess = "WINDOWS-1256";
    return open_iconv(d, guess, guess);
}

/* ---- UTF-8 validation, repair and line ends ------------------------------------------------- */

static void note_repair(kb_decoder *d, uint64_t at)
{
    d->rep_total++;
    if (d->n_rep >= KB_DECODE_MAX_PENDING_REPAIRS) {
        d->rep_lost++;
        return;
    }
    if (d->rep_head + d->n_rep == d->rep_cap) {
        if (d->rep_head > 0) { /* slide the live entries down before growing */
            memmove(d->rep, d->rep + d->rep_head, d->n_rep * sizeof *d->rep);
            d->rep_head = 0;
        } else {
            size_t cap = d->rep_cap ? d->rep_cap * 2 : 1024;
            uint64_t *r = kb__realloc(d->rep, cap * sizeof *r);
            if (!r) {
                d->rep_lost++;
                return;
            }
            d->rep = r;
            d->rep_cap = cap;
        }
    }
    d->rep[d->rep_head + d->n_rep++] = at;
}

/* Has a byte equal to 0x0D, or any byte >= 0x80, in the 8 bytes of x. */
static inline int word_needs_care(uint64_t x)
{
    uint64_t cr = x ^ 0x0D0D0D0D0D0D0D0DULL;
    uint64_t zero = (cr - 0x0101010101010101ULL) & ~cr & 0x8080808080808080ULL;
    return ((x & 0x8080808080808080ULL) | zero) != 0;
}

/* How many of the 8 bytes of x (in memory order) can be copied as they are: 8 when they are
 * ASCII other than CR and whole two-byte sequences (leads C2..DF: Arabic), 7 when the same holds
 * for the first 7 and the last is a lead (its sequence continues in the next word), else 0
 * (the byte-wise loop decides). Words of Arabic text (letters and spaces) take this path, so
 * validation costs a few operations per 8 bytes instead of a branch per letter. */
static inline size_t word_plain(uint64_t x)
{
    if (!word_needs_care(x)) return 8;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t hi = 0x8080808080808080ULL;
    uint64_t cont = x & ~(x << 1) & hi;            /* 10xxxxxx */
    uint64_t lead = x & (x << 1) & ~(x << 2) & hi; /* 110xxxxx */
    uint64_t ascii = ~x & hi;
    uint64_t cr = x ^ 0x0D0D0D0D0D0D0D0DULL;
    uint64_t is_cr = (cr - 0x0101010101010101ULL) & ~cr & hi;
    /* a lead must not be C0 or C1 (overlong): one of its bits 1..4 set */
    uint64_t big = ((x & 0x1E1E1E1E1E1E1E1EULL) + 0x7E7E7E7E7E7E7E7EULL) & hi;
    if ((cont | lead | ascii) != hi || is_cr || (lead & ~big)) return 0;
    /* every continuation right after a lead, every lead (but the last byte) before one */
    uint64_t lead7 = lead & 0x0080808080808080ULL;
    if ((lead7 << 8) != cont) return 0;
    return lead & 0x8000000000000000ULL ? 7 : 8;
#else
    return 0;
#endif
}

/*
 * Copies valid UTF-8 from in[0..n) to out, replacing each invalid byte with U+FFFD and CR LF or
 * a lone CR with LF. Returns the bytes consumed: when not final, an incomplete sequence or a CR
 * at the very end is left for the next call (it may complete across the chunk boundary).
 */
static size_t validate(kb_decoder *d, const unsigned char *in, size_t n, int final, kb_buf *out)
{
    if (kb__buf_reserve(out, n * 3 + 8)) return 0;
    unsigned char *o = (unsigned char *)out->p + out->n, *o0 = o;
    size_t i = 0;
    if (d->at_start && n >= 3 && in[0] == 0xEF && in[1] == 0xBB && in[2] == 0xBF)
        i = 3; /* U+FEFF at the head of the decoded text is a BOM (e.g. after iconv) */
    else if (d->at_start && n < 3 && !final)
        return 0;
    d->at_start = 0;
    while (i < n) {
        while (i + 8 <= n) {
            uint64_t x;
            memcpy(&x, in + i, 8);
            size_t k = word_plain(x);
            if (!k) break;
            memcpy(o, &x, 8);
            o += k;
            i += k;
        }
        if (i >= n) break;
        unsigned c = in[i];
        if (c < 0x80) {
            if (c == '\r') {
                if (i + 1 >= n && !final) break;
                *o++ = '\n';
                i += (i + 1 < n && in[i + 1] == '\n') ? 2 : 1;
            } else {
                *o++ = (unsigned char)c;
                i++;
            }
            continue;
        }
        /* Two-byte sequences (all of Arabic) inline; the rest through the shared decoder. */
        if (c >= 0xC2 && c <= 0xDF && i + 1 < n && (in[i + 1] & 0xC0) == 0x80) {
            o[0] = (unsigned char)c;
            o[1] = in[i + 1];
            o += 2;
            i += 2;
            continue;
        }
        int32_t cp;
        int bad;
        size_t k = kb__utf8_decode(in + i, n - i, &cp, &bad);
        if (bad) {
            if (!final && n - i < 4) {
                /* maybe a sequence cut by the chunk end: decide when more bytes come */
                size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
                if (need > 1 && n - i < need) {
                    int ok = 1;
                    for (size_t j = i + 1; j < n; j++)
                        ok &= (in[j] & 0xC0) == 0x80;
                    if (ok) break;
                }
            }
            note_repair(d, d->emitted + (uint64_t)(o - o0));
            o[0] = 0xEF, o[1] = 0xBF, o[2] = 0xBD;
            o += 3;
            i += 1;
            continue;
        }
        memcpy(o, in + i, k);
        o += k;
        i += k;
    }
    size_t produced = (size_t)(o - o0);
    out->n += produced;
    out->p[out->n] = 0;
    d->emitted += produced;
    return i;
}

/* iconv from d->dec into d->utf; invalid input becomes U+FFFD (as UTF-8, validated later). */
static int convert_iconv(kb_decoder *d, int final)
{
    size_t n = win_len(&d->dec);
    if (!n) return 0;
    int rc = win_reserve(&d->utf, n * 4 + 16);
    if (rc) return fail(d, rc, "out of memory%s", NULL);
    char *in = (char *)d->dec.p + d->dec.start;
    size_t in_left = n;
    char *o = (char *)d->utf.p + d->utf.end;
    size_t o_left = d->utf.cap - d->utf.end;
    while (in_left) {
        size_t r = iconv(d->ic, &in, &in_left, &o, &o_left);
        if (r != (size_t)-1) break;
        if (errno == EINVAL && !final)
            break; /* incomplete multibyte sequence at the end: wait for more */
        if (errno == E2BIG) break;
        /* EILSEQ (or EINVAL at the end): one unit is invalid. The U+FFFD is emitted here as
         * UTF-8 and counted when it is validated: mark it with an invalid byte (0xFF) that the
         * validator turns into exactly one U+FFFD and one counted repair. */
        size_t skip = KB_MIN((size_t)d->ic_unit, in_left);
        in += skip;
        in_left -= skip;
        if (o_left < 1) break;
        *o++ = (char)0xFF;
        o_left--;
    }
    d->dec.start = (size_t)((unsigned char *)in - d->dec.p);
    d->utf.end = (size_t)((unsigned char *)o - d->utf.p);
    return 0;
}

/*
 * Appends the next piece of decoded text to out. Returns the number of bytes appended (> 0),
 * 0 at the end of the input, or a negative KB_E* code (kb__decoder_errmsg() says why). Text that
 * was decoded before an error is returned first; the error comes on the call after it.
 */
int kb__decoder_read(kb_decoder *d, kb_buf *out)
{
    for (;;) {
        if (out->rc) return out->rc;
        if (!d->cs_known) {
            while (!d->rc && !d->dec_eof && win_len(&d->dec) < KB_DECODE_SAMPLE)
                fill_dec(d);
            if (d->rc && !win_len(&d->dec)) return d->rc;
            if (detect_charset(d)) {
                d->dec.start = d->dec.end; /* nothing of an undecodable file is emitted */
                d->dec_eof = 1;
                return d->rc;
            }
        }
        int final = d->dec_eof || d->rc; /* after an error no more bytes will come */
        size_t before = out->n;
        if (d->cs == CS_UTF8) {
            size_t k = validate(d, d->dec.p + d->dec.start, win_len(&d->dec), final, out);
            d->dec.start += k;
        } else {
            if (convert_iconv(d, final)) return d->rc;
            size_t k = validate(d, d->utf.p + d->utf.start, win_len(&d->utf), final, out);
            d->utf.start += k;
        }
        if (out->rc) return out->rc;
        if (out->n > before) return (int)KB_MIN(out->n - before, (size_t)INT32_MAX);
        if (final) {
            if (d->rc) return d->rc;
            return 0;
        }
        fill_dec(d);
    }
}

const char *kb__decoder_errmsg(const kb_decoder *d)
{
    return d->msg;
}

const char *kb__decoder_encoding(const kb_decoder *d)
{
    return d->cs_name;
}

const char *kb__decoder_compression(const kb_decoder *d)
{
    return d->comp == COMP_GZIP ? "gzip" : d->comp == COMP_ZSTD ? "zstd" : "none";
}

uint64_t kb__decoder_emitted(const kb_decoder *d)
{
    return d->emitted;
}

uint64_t kb__decoder_repaired_total(const kb_decoder *d)
{
    return d->rep_total;
}

/* Counts and forgets the repairs at decoded offsets below upto. */
size_t kb__decoder_take_repairs(kb_decoder *d, uint64_t upto)
{
    size_t k = 0;
    while (k < d->n_rep && d->rep[d->rep_head + k] < upto)
        k++;
    d->rep_head += k;
    d->n_rep -= k;
    size_t lost = (size_t)d->rep_lost;
    d->rep_lost = 0;
    return k + lost;
}
