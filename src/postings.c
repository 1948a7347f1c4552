/*
 * postings.c — khabar's postings blocks: the codec and the cursor search reads them with.
 *
 * A term's postings are cut into blocks of at most KB_BLOCK_MAX documents. A block is stored as
 * one SQLite BLOB (in the terms row when it is the term's only, small block; else as a row of
 * the blocks table keyed by term id and the block's last docid). docs/format.md describes the
 * layout field by field; in short:
 *
 *   u32 LE   checksum: the low 32 bits of XXH3-64 over everything after it
 *   varint   n << 2 | flags (bit 0: positions present; bit 1: small block, n < 16)
 *   varint   first docid, last - first
 *   varint   max tf per field (3), min field length per field (3)       — for dynamic pruning;
 *            absent in small blocks (max tf is then read off the tfs, min length is 0)
 *   bits     6-bit width w, then n-1 docid gaps minus one in w bits each  (delta + bit-packing)
 *            per field: 6-bit width, then n tfs in that width
 *            with positions: 5-bit Rice parameter k, then every position gap (the first of a
 *            document from 0, the others minus one) Rice-coded with an escape for long gaps
 *
 * Decoding reads from bounded buffers with KB_BLOCK_PAD zero bytes after the data; the bit
 * reader never reads past that padding and any inconsistency (checksum, an overrun, docids out
 * of order, counts past their limits) is KB_ECORRUPT, never a crash.
 */
#include "khabar_int.h"
#include "index_int.h"

#include <sqlite3.h>
#include <xxhash.h>

/* Rice codes: a quotient of this many one-bits means "escape: a raw 32-bit value follows", so a
 * pathological gap costs 56 bits instead of thousands of unary bits. */
#define RICE_ESCAPE 24
/* Blocks with fewer postings than this leave max tf and min length out of the header: most
 * terms have a posting or two, and 6 header bytes would be a third of their block. */
#define KB_SMALL_BLOCK 16
/* The first header varint is n << 2 | flags. */
#define FLAG_POS 1   /* positions present (FORM terms) */
#define FLAG_SMALL 2 /* header without max tf / min len */
/* Rows a cursor steps forward through before it seeks the wanted block from the root instead. */
#define SEQ_STEPS 4

/* ---- bit writer ------------------------------------------------------------------------------ */

/* Bits go into a 64-bit accumulator, least significant first; each put stores the accumulator's
 * 8 bytes at p (little-endian, unaligned) and moves p past the whole bytes, keeping fewer than
 * 8 bits pending: the same bytes as one at a time, without a call or a branch per byte. A
 * section first makes room for what it may write (bw_room); the puts then check nothing. */
typedef struct bitw {
    kb_buf *out;
    unsigned char *p, *end; /* the next byte to store; the end of the room made */
    uint64_t acc;
    unsigned nacc; /* bits pending in acc: < 8 between puts */
} bitw;

/* Bytes a put may store past the bits it adds. */
#define BW_SLACK 8

static inline void put64le(unsigned char *p, uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(p, &v, 8);
#else
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
#endif
}

/* Makes room for `bytes` more bytes at w->p (kb_buf's sticky rc on failure). */
static int bw_room(bitw *w, size_t bytes)
{
    if ((size_t)(w->end - w->p) >= bytes) return 0;
    kb_buf *b = w->out;
    b->n = (size_t)((char *)w->p - b->p);
    if (kb__buf_reserve(b, bytes)) return b->rc;
    w->p = (unsigned char *)b->p + b->n;
    w->end = (unsigned char *)b->p + b->cap - 1; /* the buffer keeps a byte for its NUL */
    return 0;
}

/* Starts writing at the end of w->out with room for `bytes`. */
static int bw_begin(bitw *w, size_t bytes)
{
    kb_buf *out = w->out;
    if (kb__buf_reserve(out, bytes)) return out->rc;
    w->p = (unsigned char *)out->p + out->n;
    w->end = (unsigned char *)out->p + out->cap - 1;
    w->acc = 0;
    w->nacc = 0;
    return 0;
}

/* Appends the low `bits` bits of v (bits <= 56; v < 2^bits): room must have been made. */
static inline void bw_put(bitw *w, uint64_t v, unsigned bits)
{
    w->acc |= v << w->nacc;
    w->nacc += bits; /* < 64 */
    put64le(w->p, w->acc);
    unsigned whole = w->nacc >> 3;
    w->p += whole;
    w->acc >>= whole * 8; /* <= 56 */
    w->nacc &= 7;
}

/* Appends n values of `bits` bits each (values < 2^bits), as many to a put as fit in 56 bits:
 * the same bits as a put each, with a fraction of the puts' shifts and stores. */
static void bw_run(bitw *w, const uint32_t *v, uint32_t n, unsigned bits)
{
    if (!bits) return;
    if (bits > 28) { /* one to a put */
        for (uint32_t i = 0; i < n; i++)
            bw_put(w, v[i], bits);
        return;
    }
    unsigned per = 56 / bits;
    uint32_t i = 0;
    for (; i + per <= n; i += per) {
        uint64_t x = 0;
        for (unsigned j = 0; j < per; j++)
            x |= (uint64_t)v[i + j] << (j * bits);
        bw_put(w, x, per * bits);
    }
    for (; i < n; i++)
        bw_put(w, v[i], bits);
}

/* Stores the last partial byte and ends the buffer there. */
static void bw_end(bitw *w)
{
    put64le(w->p, w->acc); /* the room has BW_SLACK bytes past the bits */
    w->p += (w->nacc + 7) / 8;
    w->out->n = (size_t)((char *)w->p - w->out->p);
    w->out->p[w->out->n] = 0;
    w->acc = 0;
    w->nacc = 0;
}

/* A Rice code: the quotient v >> k in unary (ones, then a zero), then the k low bits; a
 * quotient of RICE_ESCAPE or more is RICE_ESCAPE ones and v in 32 bits. At most 56 bits, one
 * put (two for the escape). */
static inline void bw_rice(bitw *w, uint32_t v, unsigned k)
{
    uint32_t q = v >> k;
    if (q >= RICE_ESCAPE) {
        bw_put(w, (1u << RICE_ESCAPE) - 1, RICE_ESCAPE);
        bw_put(w, v, 32);
        return;
    }
    uint64_t low = v & (uint32_t)((1ull << k) - 1), ones = (1u << q) - 1;
    bw_put(w, ones | low << (q + 1), q + 1 + k); /* q + 1 + k <= 23 + 1 + 31 */
}

/* Elias gamma of v >= 1 (v < 2^31): floor(log2 v) zero bits, a one, then the low bits of v.
 * At most 61 bits: one put up to 2 * 27 + 1, else two. */
static inline void bw_gamma(bitw *w, uint32_t v)
{
    unsigned l = 31u - (unsigned)__builtin_clz(v);
    uint64_t low = v ^ (1u << l);
    if (l <= 27) {
        bw_put(w, (uint64_t)1 << l | low << (l + 1), 2 * l + 1);
    } else {
        bw_put(w, (uint64_t)1 << l, l + 1);
        bw_put(w, low, l);
    }
}

/* ---- bit reader over a zero-padded buffer ------------------------------------------------------
 */

typedef struct bitr {
    const unsigned char *p;
    size_t nbits; /* bits of real data */
    size_t pos;   /* next bit */
} bitr;

static inline uint32_t br_get(bitr *r, unsigned bits)
{
    if (!bits) return 0;
    if (r->pos + bits > r->nbits) {
        r->pos = r->nbits + 1; /* overrun: sticky */
        return 0;
    }
    uint64_t w;
    memcpy(&w, r->p + (r->pos >> 3), 8); /* padding makes 8 bytes readable */
    w >>= (r->pos & 7);
    uint32_t v;
    if (bits <= 56 - 7) {
        v = (uint32_t)(w & ((bits == 32) ? 0xffffffffu : ((1ull << bits) - 1)));
    } else {
        v = (uint32_t)w; /* 32 bits can start at most 7 bits into w: fits 57 bits */
    }
    r->pos += bits;
    return v;
}

/* A Rice code off one 64-bit load: the unary quotient is the ones before the first zero bit,
 * and the k low bits follow within the same word (a quotient below RICE_ESCAPE, 1 stop bit and
 * k <= 31 bits make at most 55 of the 57 bits the load holds); past the data it overruns like
 * br_get. */
static inline uint32_t br_rice(bitr *r, unsigned k)
{
    if (r->pos >= r->nbits) {
        r->pos = r->nbits + 1;
        return 0;
    }
    uint64_t w;
    memcpy(&w, r->p + (r->pos >> 3), 8); /* padding makes 8 bytes readable */
    w >>= (r->pos & 7);                  /* 57 bits or more; RICE_ESCAPE + 1 fit */
    unsigned q = ~w ? (unsigned)__builtin_ctzll(~w) : 64u;
    if (q >= RICE_ESCAPE) {
        if (r->pos + RICE_ESCAPE > r->nbits) {
            r->pos = r->nbits + 1;
            return 0;
        }
        r->pos += RICE_ESCAPE;
        return br_get(r, 32);
    }
    size_t end = r->pos + q + 1 + k;
    if (end > r->nbits) {
        r->pos = r->nbits + 1;
        return 0;
    }
    r->pos = end;
    return (q << k) | (uint32_t)((w >> (q + 1)) & ((1ull << k) - 1));
}

/* n values of `bits` bits each (bits <= 32) into out; overruns like br_get when they do not all
 * fit, checked once for the run instead of once per value. */
static void br_unpack(bitr *r, unsigned bits, uint32_t n, uint32_t *out)
{
    if (r->pos + (uint64_t)bits * n > r->nbits) {
        r->pos = r->nbits + 1;
        memset(out, 0, n * sizeof *out);
        return;
    }
    if (!bits) {
        memset(out, 0, n * sizeof *out);
        return;
    }
    uint64_t mask = (1ull << bits) - 1;
    size_t pos = r->pos;
    for (uint32_t i = 0; i < n; i++, pos += bits) {
        uint64_t w;
        memcpy(&w, r->p + (pos >> 3), 8); /* padding makes 8 bytes readable */
        out[i] = (uint32_t)((w >> (pos & 7)) & mask);
    }
    r->pos = pos;
}

static inline uint32_t br_gamma(bitr *r)
{
    unsigned l = 0;
    while (l < 31 && !br_get(r, 1)) {
        if (r->pos > r->nbits) return 0;
        l++;
    }
    if (l == 31) r->pos = r->nbits + 1; /* no tf is that large: corrupt */
    return (1u << l) | br_get(r, l);
}

static inline int br_overrun(const bitr *r)
{
    return r->pos > r->nbits;
}

/* ---- varints -----------------------------------------------------------------------------------
 */

void kb__varint_put(kb_buf *b, uint64_t v)
{
    unsigned char t[10];
    size_t n = 0;
    while (v >= 0x80) {
        t[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    t[n++] = (unsigned char)v;
    kb__buf_append(b, t, n);
}

int kb__varint_get(const unsigned char *p, size_t n, size_t *i, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (*i >= n) return KB_ECORRUPT;
        unsigned char c = p[(*i)++];
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return KB_ECORRUPT;
}

int kb__grow(void **arr, uint32_t *cap, uint64_t need, size_t elem)
{
    if (need <= *cap) return 0;
    if (need > UINT32_MAX / 2) return KB_ETOOBIG;
    uint32_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    void *q = kb__realloc(*arr, (size_t)c * elem);
    if (!q) return KB_ENOMEM;
    *arr = q;
    *cap = c;
    return 0;
}

/* Reads a varint of at most 32 bits from p[*i..n); sets *bad on overrun or overflow. */
static uint32_t get_varint32(const unsigned char *p, size_t n, size_t *i, int *bad)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 35; shift += 7) {
        if (*i >= n) {
            *bad = 1;
            return 0;
        }
        unsigned char c = p[(*i)++];
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            if (v > UINT32_MAX) *bad = 1;
            return (uint32_t)v;
        }
    }
    *bad = 1;
    return 0;
}

static unsigned bits_for(uint32_t v)
{
    return v ? 32u - (unsigned)__builtin_clz(v) : 0u;
}

static uint32_t block_checksum(const unsigned char *p, size_t n)
{
    return (uint32_t)XXH3_64bits(p, n);
}

/* ---- encoder -----------------------------------------------------------------------------------
 */

void kb__block_encode(kb_buf *out, const kb__posting_in *in, uint32_t n, int with_pos,
                      const uint32_t min_len[KB_N_FIELDS])
{
    size_t start = out->n;
    int small = n < KB_SMALL_BLOCK;
    /* The docid gaps (minus one) and the tfs field by field, as they are written. */
    uint32_t max_tf[KB_N_FIELDS] = {0}, maxgap = 0;
    uint32_t gaps[KB_BLOCK_MAX], tfs[KB_N_FIELDS][KB_BLOCK_MAX];
    for (uint32_t i = 0; i < n; i++)
        for (int f = 0; f < KB_N_FIELDS; f++) {
            tfs[f][i] = in[i].tf[f];
            max_tf[f] = KB_MAX(max_tf[f], in[i].tf[f]);
        }
    for (uint32_t i = 1; i < n; i++) {
        gaps[i - 1] = in[i].doc - in[i - 1].doc - 1;
        maxgap = KB_MAX(maxgap, gaps[i - 1]);
    }

    /* Room for the header (the checksum and at most 9 varints of 5 bytes), the docid gaps (up
     * to 32 bits each) and the tfs (32 bits each, or three gamma codes of up to 61 bits): 28
     * bytes a posting at most, with the 6-bit widths and the Rice parameter in 64, and the
     * last store's slack. */
    bitw w = {out, NULL, NULL, 0, 0};
    if (bw_begin(&w, 64 + BW_SLACK + (size_t)n * 32)) return;
    char *h = (char *)w.p;
    memset(h, 0, 4); /* the checksum, once the rest is written */
    h += 4;
    h += kb__varint_at(h, n << 2 | (small ? FLAG_SMALL : 0) | (with_pos ? FLAG_POS : 0));
    h += kb__varint_at(h, in[0].doc);
    h += kb__varint_at(h, in[n - 1].doc - in[0].doc);
    if (!small) {
        for (int f = 0; f < KB_N_FIELDS; f++)
            h += kb__varint_at(h, max_tf[f]);
        for (int f = 0; f < KB_N_FIELDS; f++)
            h += kb__varint_at(h, min_len[f]);
    }
    w.p = (unsigned char *)h;

    unsigned wd = bits_for(maxgap);
    if (n > 1) bw_put(&w, wd, 6);
    bw_run(&w, gaps, n - 1, wd);
    if (small) {
        /* Few postings: tf + 1 in Elias gamma (1 bit for an absent field, 3 for tf 1) beats
         * three 6-bit widths. */
        for (uint32_t i = 0; i < n; i++)
            for (int f = 0; f < KB_N_FIELDS; f++)
                bw_gamma(&w, in[i].tf[f] + 1);
    } else {
        for (int f = 0; f < KB_N_FIELDS; f++) {
            unsigned wf = bits_for(max_tf[f]);
            bw_put(&w, wf, 6);
            bw_run(&w, tfs[f], n, wf);
        }
    }
    if (with_pos) {
        /* Rice parameter from the mean gap: k = floor(log2(mean)) is close to optimal for the
         * roughly geometric gaps between a word's occurrences. */
        uint64_t sum = 0, cnt = 0;
        for (uint32_t i = 0; i < n; i++) {
            /* a posting's gaps add up to its last position minus the others (they are
             * ascending: each gap is the step minus one) */
            uint32_t np = in[i].tf[0] + in[i].tf[1] + in[i].tf[2];
            if (np) sum += (uint64_t)in[i].pos[np - 1] - (np - 1);
            cnt += np;
        }
        uint64_t mean = cnt ? sum / cnt : 0;
        unsigned k = mean ? bits_for((uint32_t)KB_MIN(mean, UINT32_MAX)) - 1 : 0;
        if (k > 31) k = 31;
        bw_put(&w, k, 5);
        /* a code takes at most 56 bits: 7 bytes */
        if (bw_room(&w, cnt * 7 + 1 + BW_SLACK)) return;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t np = in[i].tf[0] + in[i].tf[1] + in[i].tf[2], prev = 0;
            for (uint32_t j = 0; j < np; j++) {
                bw_rice(&w, j ? in[i].pos[j] - prev - 1 : in[i].pos[j], k);
                prev = in[i].pos[j];
            }
        }
    }
    bw_end(&w);
    unsigned char *b = (unsigned char *)out->p + start;
    uint32_t c = block_checksum(b + 4, out->n - start - 4);
    b[0] = (unsigned char)c;
    b[1] = (unsigned char)(c >> 8);
    b[2] = (unsigned char)(c >> 16);
    b[3] = (unsigned char)(c >> 24);
}

/* ---- decoder -----------------------------------------------------------------------------------
 */

/* Sums n docid gaps of `bits` bits each, starting at bit pos of p, onto docid d (each gap is
 * the step minus one) and stores every docid in out; returns the last. The gaps are unpacked
 * and summed in one pass, eight at a time: eight gaps take exactly `bits` bytes, so each one
 * of a group is a load at a fixed offset from the group's first byte and a shift by a fixed
 * amount plus the run's bit offset. Instantiated with a constant width (sum_gaps), where the
 * compiler unrolls the group into straight loads and shifts: decoding a block's docids was a
 * quarter of a two-word AND whose stems are long (ليومي عملة: 266 blocks decoded for 373
 * candidates), as two passes with a moving bit position. The padding after the data makes 8
 * bytes readable at every gap, as for br_get. */
static inline __attribute__((always_inline)) uint64_t sum_gaps_w(const unsigned char *p,
                                                                 size_t pos, unsigned bits,
                                                                 uint32_t n, uint64_t d,
                                                                 uint32_t *out)
{
    const uint64_t mask = (1ull << bits) - 1;
    const unsigned char *q = p + (pos >> 3);
    const unsigned s = pos & 7; /* the same for every group: a group is whole bytes */
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8, q += bits) {
        for (unsigned j = 0; j < 8; j++) {
            uint64_t w; /* s + 7 + bits <= 46 bits of the load */
            memcpy(&w, q + ((j * bits) >> 3), 8);
            d += ((w >> (s + ((j * bits) & 7))) & mask) + 1;
            out[i + j] = (uint32_t)d;
        }
    }
    for (size_t b = (size_t)(q - p) * 8 + s; i < n; i++, b += bits) {
        uint64_t w;
        memcpy(&w, p + (b >> 3), 8);
        d += ((w >> (b & 7)) & mask) + 1;
        out[i] = (uint32_t)d;
    }
    return d;
}

#define SUM_GAPS_CASE(B)                                                                           \
    case B:                                                                                        \
        return sum_gaps_w(p, pos, B, n, d, out);
/* sum_gaps_w with the width as a constant: gaps of a full block take 1 to 24 bits (a term in
 * every document: 1; one in every millionth: 20); wider ones, and 0, take the general loop. */
static uint64_t sum_gaps(const unsigned char *p, size_t pos, unsigned bits, uint32_t n,
                         uint64_t d, uint32_t *out)
{
    switch (bits) {
        SUM_GAPS_CASE(1) SUM_GAPS_CASE(2) SUM_GAPS_CASE(3) SUM_GAPS_CASE(4) SUM_GAPS_CASE(5)
        SUM_GAPS_CASE(6) SUM_GAPS_CASE(7) SUM_GAPS_CASE(8) SUM_GAPS_CASE(9) SUM_GAPS_CASE(10)
        SUM_GAPS_CASE(11) SUM_GAPS_CASE(12) SUM_GAPS_CASE(13) SUM_GAPS_CASE(14)
        SUM_GAPS_CASE(15) SUM_GAPS_CASE(16) SUM_GAPS_CASE(17) SUM_GAPS_CASE(18)
        SUM_GAPS_CASE(19) SUM_GAPS_CASE(20) SUM_GAPS_CASE(21) SUM_GAPS_CASE(22)
        SUM_GAPS_CASE(23) SUM_GAPS_CASE(24)
    default:
        return sum_gaps_w(p, pos, bits, n, d, out);
    }
}
#undef SUM_GAPS_CASE

/* Reads the docid gaps of a block's bit stream (header already parsed), checking order and the
 * last docid. */
static int read_docs(bitr *r, const kb__block_head *h, uint32_t *docs)
{
    unsigned wd = h->n > 1 ? br_get(r, 6) : 0;
    if (wd > 32) return KB_ECORRUPT;
    uint32_t ng = h->n - 1;
    if (r->pos + (uint64_t)wd * ng > r->nbits) return KB_ECORRUPT;
    /* docids strictly increase (gap + 1 >= 1) and the sum runs in 64 bits, so ending exactly
     * on the header's last docid also keeps every one of them <= last */
    docs[0] = h->first;
    uint64_t d = sum_gaps(r->p, r->pos, wd, ng, h->first, docs + 1);
    r->pos += (size_t)wd * ng;
    if (d != h->last) return KB_ECORRUPT;
    return br_overrun(r) ? KB_ECORRUPT : 0;
}

/* Reads the tfs that follow the docid gaps (r stands at them); for blocks with header maxima,
 * checks the tf bounds. */
static int read_tfs(bitr *r, const kb__block_head *h, int small,
                    uint32_t tfs[KB_N_FIELDS][KB_BLOCK_MAX])
{
    if (small) {
        for (uint32_t i = 0; i < h->n; i++)
            for (int f = 0; f < KB_N_FIELDS; f++)
                tfs[f][i] = br_gamma(r) - 1;
    } else {
        for (int f = 0; f < KB_N_FIELDS; f++) {
            unsigned wf = br_get(r, 6);
            if (wf > 32) return KB_ECORRUPT;
            br_unpack(r, wf, h->n, tfs[f]);
            uint32_t mx = 0;
            for (uint32_t i = 0; i < h->n; i++)
                mx = KB_MAX(mx, tfs[f][i]);
            if (mx > h->max_tf[f]) return KB_ECORRUPT;
        }
    }
    uint32_t none = 0; /* a posting says the term is in the document: some tf is not 0 */
    for (uint32_t i = 0; i < h->n; i++)
        none |= (tfs[0][i] | tfs[1][i] | tfs[2][i]) == 0;
    if (none) return KB_ECORRUPT;
    return br_overrun(r) ? KB_ECORRUPT : 0;
}

/* Reads the docid gaps and tfs of a block's bit stream (header already parsed). */
static int read_docs_tfs(bitr *r, const kb__block_head *h, int small, uint32_t *docs,
                         uint32_t tfs[KB_N_FIELDS][KB_BLOCK_MAX])
{
    int rc = read_docs(r, h, docs);
    return rc ? rc : read_tfs(r, h, small, tfs);
}

/* Reads the header; *hdr_end gets the offset of the bit stream. Checksum verified here. */
static int read_head(const unsigned char *b, size_t n, kb__block_head *h, size_t *hdr_end)
{
    if (n < 4 + 3 || n > KB_BLOCK_MAX_BYTES) /* checksum, n|flags, first, span */
        return KB_ECORRUPT;
    uint32_t want =
        (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    if (block_checksum(b + 4, n - 4) != want) return KB_ECORRUPT;
    size_t i = 4;
    int bad = 0;
    uint32_t nf = get_varint32(b, n, &i, &bad);
    h->n = nf >> 2;
    int small = (nf & FLAG_SMALL) != 0;
    h->with_pos = (nf & FLAG_POS) != 0;
    h->first = get_varint32(b, n, &i, &bad);
    uint32_t span = get_varint32(b, n, &i, &bad);
    memset(h->max_tf, 0, sizeof h->max_tf);
    memset(h->min_len, 0, sizeof h->min_len);
    if (!small) {
        for (int f = 0; f < KB_N_FIELDS; f++)
            h->max_tf[f] = get_varint32(b, n, &i, &bad);
        for (int f = 0; f < KB_N_FIELDS; f++)
            h->min_len[f] = get_varint32(b, n, &i, &bad);
    }
    if (bad || h->n == 0 || h->n > KB_BLOCK_MAX || small != (h->n < KB_SMALL_BLOCK) ||
        h->first == 0 || span > KB_DOC_END - 1 - h->first || (h->n == 1 && span != 0) ||
        span < h->n - 1)
        return KB_ECORRUPT;
    h->last = h->first + span;
    *hdr_end = i;
    if (small) {
        /* A small block leaves its maxima out of the header: read them off its tfs (at most
         * KB_SMALL_BLOCK - 1 postings, cheap). min_len stays 0, a valid lower bound. */
        uint32_t d[KB_SMALL_BLOCK], t[KB_N_FIELDS][KB_BLOCK_MAX];
        bitr r = {b + i, (n - i) * 8, 0};
        int rc = read_docs_tfs(&r, h, 1, d, t);
        if (rc) return rc;
        for (int f = 0; f < KB_N_FIELDS; f++)
            for (uint32_t k = 0; k < h->n; k++)
                h->max_tf[f] = KB_MAX(h->max_tf[f], t[f][k]);
    }
    return 0;
}

int kb__block_read_head(const unsigned char *b, size_t n, kb__block_head *h)
{
    size_t e;
    return read_head(b, n, h, &e);
}

/* Readies positions decoding: r stands at the positions that follow the tfs; grows *pos (with
 * kb__realloc) to hold every position of the block and reads the Rice parameter into *k. */
static int positions_begin(bitr *r, uint32_t n, uint32_t tfs[KB_N_FIELDS][KB_BLOCK_MAX],
                           uint32_t **pos, uint32_t *cap_pos, unsigned *k)
{
    uint64_t total = 0;
    for (uint32_t i = 0; i < n; i++)
        total += (uint64_t)tfs[0][i] + tfs[1][i] + tfs[2][i];
    /* Every position costs at least one bit: a count past the bits left is corrupt, which also
     * bounds the allocation below by the block's size. */
    if (r->pos > r->nbits || total > r->nbits - r->pos) return KB_ECORRUPT;
    if (total + 1 > *cap_pos) {
        uint32_t *np = kb__realloc(*pos, (size_t)(total + 1) * sizeof **pos);
        if (!np) return KB_ENOMEM;
        *pos = np;
        *cap_pos = (uint32_t)(total + 1);
    }
    *k = br_get(r, 5);
    return br_overrun(r) ? KB_ECORRUPT : 0;
}

/* Decodes the positions of postings [from, to) into out[pos_start[from]...], setting
 * pos_start[from + 1 .. to] (pos_start[from] is set). */
static int positions_read(bitr *r, unsigned k, uint32_t from, uint32_t to,
                          uint32_t tfs[KB_N_FIELDS][KB_BLOCK_MAX], uint32_t *out,
                          uint32_t *pos_start)
{
    uint32_t at = pos_start[from];
    for (uint32_t i = from; i < to; i++) {
        uint32_t np = tfs[0][i] + tfs[1][i] + tfs[2][i];
        uint64_t prev = 0;
        for (uint32_t j = 0; j < np; j++) {
            uint64_t g = br_rice(r, k);
            uint64_t p = j ? prev + g + 1 : g;
            if (p > UINT32_MAX) return KB_ECORRUPT;
            out[at++] = (uint32_t)p;
            prev = p;
        }
        pos_start[i + 1] = at;
    }
    return br_overrun(r) ? KB_ECORRUPT : 0;
}

/* Reads the positions that follow the tfs (r stands at them) into *pos (grown with kb__realloc),
 * pos_start[i] = index of posting i's first position. */
static int read_positions(bitr *r, uint32_t n, uint32_t tfs[KB_N_FIELDS][KB_BLOCK_MAX],
                          uint32_t **pos, uint32_t *cap_pos, uint32_t *pos_start)
{
    unsigned k;
    int rc = positions_begin(r, n, tfs, pos, cap_pos, &k);
    if (rc) return rc;
    pos_start[0] = 0;
    return positions_read(r, k, 0, n, tfs, *pos, pos_start);
}

int kb__block_decode(const unsigned char *b, size_t n, kb__block_head *h, uint32_t *docs,
                     uint32_t tfs[KB_N_FIELDS][KB_BLOCK_MAX], uint32_t **pos, uint32_t *cap_pos,
                     uint32_t *pos_start)
{
    size_t hdr;
    int rc = read_head(b, n, h, &hdr);
    if (rc) return rc;
    bitr r = {b + hdr, (n - hdr) * 8, 0};
    rc = read_docs_tfs(&r, h, h->n < KB_SMALL_BLOCK, docs, tfs);
    if (rc) return rc;
    if (!pos || !h->with_pos) return 0;
    return read_positions(&r, h->n, tfs, pos, cap_pos, pos_start);
}

/* ---- the cursor --------------------------------------------------------------------------------
 */

enum { ST_EMPTY = 0, ST_INLINE = 1, ST_ROWS = 2 };

void kb__postings_init(kb__postings *p)
{
    memset(p, 0, sizeof *p);
    p->doc = KB_DOC_END;
    p->blk_last = KB_DOC_END;
    kb__buf_init(&p->blk, KB_BLOCK_MAX_BYTES + KB_BLOCK_PAD + 1);
    kb__buf_init(&p->next_blk, KB_BLOCK_MAX_BYTES + KB_BLOCK_PAD + 1);
}

void kb__postings_free(kb__postings *p)
{
    if (!p) return;
    if (p->stmt) kb__index_stmt_release(p->ix, p->stmt);
    p->stmt = NULL;
    kb__buf_free(&p->blk);
    kb__buf_free(&p->next_blk);
    kb__free(p->pos);
    p->pos = NULL;
    p->cap_pos = 0;
}

/* Copies a block into a cursor buffer with zero padding after it. */
static int load_raw(kb_buf *dst, const void *src, size_t n)
{
    kb__buf_reset(dst);
    if (n > KB_BLOCK_MAX_BYTES) return KB_ECORRUPT;
    kb__buf_append(dst, src, n);
    if (kb__buf_reserve(dst, KB_BLOCK_PAD)) return dst->rc;
    memset(dst->p + n, 0, KB_BLOCK_PAD);
    return 0;
}

/* Fetches into next_blk the first block of the term whose last docid >= target and reads its
 * header into the blk_* fields. Returns 1, 0 when there is none, or an error. */
static int fetch_block(kb__postings *p, uint32_t target)
{
    p->have_next = 0;
    if (p->state == ST_INLINE) {
        kb__block_head h;
        if (target > p->inl_last) return 0;
        int rc = read_head((const unsigned char *)p->next_blk.p, p->inl_n, &h, &p->next_hdr);
        if (rc) return rc;
        p->next_head = h;
        p->have_next = 1;
        return 1;
    }
    if (p->state != ST_ROWS) return 0;
    /* the list was found to end before a target at or below this one: asking SQLite again
     * (from the table's root, the statement having run out) would find nothing either; a
     * cursor past its list's end is probed for every candidate of the other words */
    if (p->none_from && target >= p->none_from) return 0;
    sqlite3_stmt *st = p->stmt;
    int s = SQLITE_DONE;
    uint32_t key_last = 0;
    int found = 0;
    /* The statement still stands on the row of the last fetched block, which ends before
     * target: the wanted block is usually one of the next rows, and stepping to a row costs
     * less than seeking it from the table's root. */
    if (p->row_live && p->row_last < target) {
        for (int k = 0; k < SEQ_STEPS && !found; k++) {
            s = sqlite3_step(st);
            if (s != SQLITE_ROW) break;
            key_last = (uint32_t)((uint64_t)sqlite3_column_int64(st, 0) & 0xffffffffu);
            p->row_last = key_last;
            found = key_last >= target;
        }
        if (s == SQLITE_DONE) { /* rows are in docid order: none ends at or after target */
            p->row_live = 0;
            p->none_from = target;
            return 0;
        }
        if (s != SQLITE_ROW) {
            p->row_live = 0;
            return kb__index_sqlerr(p->ix, s, "blocks");
        }
    }
    if (!found) {
        p->row_live = 0;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, (sqlite3_int64)((p->tid << 32) | target));
        sqlite3_bind_int64(st, 2, (sqlite3_int64)((p->tid << 32) | 0xffffffffu));
        s = sqlite3_step(st);
        if (s == SQLITE_DONE) {
            p->none_from = target;
            return 0;
        }
        if (s != SQLITE_ROW) return kb__index_sqlerr(p->ix, s, "blocks");
        key_last = (uint32_t)((uint64_t)sqlite3_column_int64(st, 0) & 0xffffffffu);
        p->row_live = 1;
        p->row_last = key_last;
    }
    const void *blob = sqlite3_column_blob(st, 1); /* before its size, as SQLite asks */
    size_t len = (size_t)sqlite3_column_bytes(st, 1);
    int rc = load_raw(&p->next_blk, blob, len);
    if (rc) return rc;
    rc = read_head((const unsigned char *)p->next_blk.p, len, &p->next_head, &p->next_hdr);
    if (rc) return rc;
    if (p->next_head.last != key_last || p->next_head.with_pos != (p->kind == KB_TERM_FORM))
        return KB_ECORRUPT;
    p->next_len = len;
    p->have_next = 1;
    return 1;
}

static void set_blk_fields(kb__postings *p, const kb__block_head *h)
{
    p->blk_last = h->last;
    for (int f = 0; f < KB_N_FIELDS; f++) {
        p->blk_max_tf[f] = h->max_tf[f];
        p->blk_min_len[f] = h->min_len[f];
    }
}

int kb__postings_open(kb_index *ix, kb__term_kind kind, const char *term, size_t n, kb__postings *p)
{
    if (p->stmt) kb__index_stmt_release(p->ix, p->stmt);
    p->stmt = NULL;
    p->ix = ix;
    p->all_live = ix->all_live;
    p->max_docid = ix->max_docid;
    p->kind = kind;
    p->doc = KB_DOC_END;
    p->df = 0;
    p->state = ST_EMPTY;
    p->n = p->i = 0;
    p->cur_valid = 0;
    p->have_next = 0;
    p->row_live = 0;
    p->none_from = 0;
    p->blk_last = KB_DOC_END;
    memset(p->max_tf, 0, sizeof p->max_tf);
    kb__term_row row;
    int rc = kb__index_term_lookup(ix, kind, term, n, &row);
    if (rc) return rc;
    p->df = row.df;
    memcpy(p->max_tf, row.max_tf, sizeof p->max_tf);
    if (row.inl) {
        rc = load_raw(&p->next_blk, row.inl, row.inl_n);
        if (rc) return rc;
        kb__block_head h;
        rc = kb__block_read_head((const unsigned char *)p->next_blk.p, row.inl_n, &h);
        if (rc) return rc;
        p->state = ST_INLINE;
        p->inl_n = row.inl_n;
        p->inl_last = h.last;
        memcpy(p->max_tf, h.max_tf, sizeof p->max_tf); /* the list is this one block */
        p->next_len = row.inl_n;
        return 0;
    }
    p->inl_n = 0;
    p->tid = row.tid;
    p->stmt = kb__index_stmt_blocks(ix);
    if (!p->stmt) return KB_ENOMEM;
    p->state = ST_ROWS;
    return 0;
}

/* Makes the fetched block current: decodes its docs and tfs. */
static int take_next(kb__postings *p)
{
    kb_buf t = p->blk;
    p->blk = p->next_blk;
    p->next_blk = t;
    p->have_next = 0;
    p->cur_len = p->next_len;
    /* fetch_block verified the checksum and read the header of these very bytes */
    kb__block_head h = p->next_head;
    size_t hdr = p->next_hdr;
    const unsigned char *b = (const unsigned char *)p->blk.p;
    bitr r = {b + hdr, (p->cur_len - hdr) * 8, 0};
    int small = h.n < KB_SMALL_BLOCK;
    int rc = small ? read_docs_tfs(&r, &h, 1, p->docs, p->tfs) : read_docs(&r, &h, p->docs);
    if (rc) return rc;
    p->tfs_ready = small;
    for (int j = 0; j < 8; j++)
        p->docs[h.n + j] = KB_DOC_END;
    if (!small) {
        /* Only the tf runs' places: each is a 6-bit width and n values of that width. A posting's
         * tfs are read where the cursor stops (set_current), the whole block's when positions
         * are asked for (kb__postings_positions). */
        p->tfs_at = hdr * 8 + r.pos;
        for (int f = 0; f < KB_N_FIELDS; f++) {
            unsigned w = br_get(&r, 6);
            if (w > 32 || r.pos + (uint64_t)w * h.n > r.nbits) return KB_ECORRUPT;
            p->tf_w[f] = w;
            p->tf_bits[f] = hdr * 8 + r.pos;
            r.pos += (size_t)w * h.n;
        }
    }
    p->pos_bits = hdr * 8 + r.pos; /* where the positions start, for kb__postings_positions */
    p->cur_head = h;
    p->n = h.n;
    p->i = 0;
    p->cur_valid = 1;
    p->pos_ready = 0;
    p->pos_upto = 0;
    if (p->state == ST_INLINE)
        p->state = ST_EMPTY; /* its one block is now current: nothing left to fetch */
    set_blk_fields(p, &h);
    return 0;
}

/* Makes posting i of the decoded block current (its tfs are read by kb__postings_tfs). */
static void set_current(kb__postings *p)
{
    p->doc = p->docs[p->i];
    p->tf_ok = 0;
}

/* Reads the current posting's tfs from the packed runs, unless the whole block's are decoded;
 * a tf past the header's maximum, or none at all, is corrupt. */
int kb__postings_read_tfs(kb__postings *p)
{
    uint32_t i = p->i;
    if (!p->cur_valid || p->doc == KB_DOC_END) {
        memset(p->tf, 0, sizeof p->tf);
        p->tf_ok = 1;
        return 0;
    }
    if (p->tfs_ready) {
        for (int f = 0; f < KB_N_FIELDS; f++)
            p->tf[f] = p->tfs[f][i];
        p->tf_ok = 1;
        return 0;
    }
    p->tf_ok = 0;
    return kb__postings_tfs(p); /* the packed case */
}

/* Decodes the tfs of the whole current block into tfs[][] (for its positions). */
static int all_tfs(kb__postings *p)
{
    if (p->tfs_ready) return 0;
    const unsigned char *b = (const unsigned char *)p->blk.p;
    bitr r = {b, p->cur_len * 8, p->tfs_at};
    int rc = read_tfs(&r, &p->cur_head, 0, p->tfs);
    if (rc) return rc;
    p->tfs_ready = 1;
    return 0;
}

static int finish(kb__postings *p)
{
    p->doc = KB_DOC_END;
    p->blk_last = KB_DOC_END;
    p->cur_valid = 0;
    memset(p->tf, 0, sizeof p->tf);
    p->tf_ok = 1;
    return 0;
}

/* Positions the cursor on the first posting >= target (live or not). */
static int seek(kb__postings *p, uint32_t target)
{
    if (p->cur_valid && target <= p->cur_head.last) {
        p->i = kb__postings_scan(p->docs, p->i, p->n, target);
        set_current(p);
        return 1;
    }
    if (!(p->have_next && p->next_head.last >= target && p->next_seek <= target)) {
        int rc = fetch_block(p, target);
        if (rc <= 0) return rc < 0 ? rc : finish(p);
        p->next_seek = target;
    }
    int rc = take_next(p);
    if (rc) return rc;
    uint32_t i = kb__postings_scan(p->docs, 0, p->n, target);
    if (i == p->n) return KB_ECORRUPT; /* the block's last docid said otherwise */
    p->i = i;
    set_current(p);
    return 1;
}

int kb__postings_advance_slow(kb__postings *p, uint32_t target)
{
    if (p->doc != KB_DOC_END && p->cur_valid && p->doc >= target) return 1;
    if (target == KB_DOC_END) return finish(p);
    for (;;) {
        int rc = seek(p, target);
        if (rc <= 0) return rc;
        if (kb__index_live(p->ix, p->doc)) return 1;
        if (p->doc == KB_DOC_END - 1) return finish(p);
        /* a run of dead postings (deleted documents not compacted yet) may be long */
        if (kb__budget_tick(p->budget)) return KB__ESPENT;
        target = p->doc + 1;
    }
}

int kb__postings_next(kb__postings *p)
{
    int r;
    if (!p->cur_valid)
        r = p->state == ST_EMPTY && !p->have_next ? 0 : kb__postings_advance_slow(p, 1);
    else
        r = p->doc == KB_DOC_END ? 0 : kb__postings_advance_slow(p, p->doc + 1);
    if (r == 1) {
        int rc = kb__postings_tfs(p);
        if (rc) return rc;
    }
    return r;
}

int kb__postings_shallow(kb__postings *p, uint32_t target)
{
    if (p->cur_valid && target <= p->cur_head.last && (p->doc == KB_DOC_END || 1)) {
        set_blk_fields(p, &p->cur_head);
        return 1;
    }
    if (p->have_next && p->next_head.last >= target && p->next_seek <= target) {
        set_blk_fields(p, &p->next_head);
        return 1;
    }
    int rc = fetch_block(p, target);
    if (rc <= 0) {
        p->blk_last = KB_DOC_END;
        return rc;
    }
    p->next_seek = target;
    set_blk_fields(p, &p->next_head);
    return 1;
}

int kb__postings_rewind(kb__postings *p)
{
    if (p->inl_n) { /* an inline list: its one block is current (taken) or still to fetch */
        if (p->state == ST_EMPTY) {
            kb_buf t = p->blk;
            p->blk = p->next_blk;
            p->next_blk = t;
            p->next_len = p->inl_n;
        }
        p->state = ST_INLINE;
    } else if (p->state == ST_ROWS) {
        sqlite3_reset(p->stmt);
        p->row_live = 0;
    }
    p->doc = KB_DOC_END;
    p->blk_last = KB_DOC_END;
    p->cur_valid = 0;
    p->have_next = 0;
    p->n = p->i = 0;
    return 0;
}

int kb__postings_positions(kb__postings *p, const uint32_t **pos, uint32_t *n)
{
    *pos = NULL;
    *n = 0;
    if (p->kind != KB_TERM_FORM || !p->cur_valid || p->doc == KB_DOC_END) return 0;
    /* The block's positions are decoded up to the posting asked for, and on from there when
     * the cursor asks again further on: a phrase's candidates are a few postings of a block. */
    if (p->pos_upto <= p->i) {
        bitr r = {(const unsigned char *)p->blk.p, p->cur_len * 8, p->pos_bits};
        int rc;
        if (!p->pos_ready) { /* the block's docs are decoded: read on from where the tfs end */
            rc = all_tfs(p);
            if (!rc) rc = positions_begin(&r, p->n, p->tfs, &p->pos, &p->cap_pos, &p->pos_k);
            if (rc) return rc;
            p->pos_start[0] = 0;
            p->pos_upto = 0;
            p->pos_ready = 1;
        }
        rc = positions_read(&r, p->pos_k, p->pos_upto, p->i + 1, p->tfs, p->pos, p->pos_start);
        if (rc) { /* damaged: any later ask of this block overruns too */
            p->pos_bits = p->cur_len * 8 + 1;
            p->pos_upto = 0;
            return rc;
        }
        p->pos_bits = r.pos;
        p->pos_upto = p->i + 1;
    }
    *pos = p->pos + p->pos_start[p->i];
    *n = p->pos_start[p->i + 1] - p->pos_start[p->i];
    return 0;
}
