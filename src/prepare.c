/*
 * prepare.c — turns a clean article into a prepared document: the index's unit of work.
 *
 * Preparing is the expensive, parallel half of adding an article: it analyzes the title and
 * body into terms (the normalized form and the stem of each word, at the same position), counts
 * them per field, collects each form's positions, and compresses the stored copy of the article
 * with zstd. It touches no index, so `khabar index` runs it in worker threads; the single writer
 * then only merges the prepared terms into its batch (kb_index_add_prepared in index.c).
 *
 * Positions: the title's words are 0..t-1; the body's start at t + KB_FIELD_GAP. The body is the
 * article's blocks in reading order joined by "\n\n", captions last: exactly the text stored, so
 * the analyzer gives the same positions and offsets when search re-reads it for snippets.
 */
#include "khabar_int.h"

#include <pthread.h>
#include <zstd.h>
/* Inlined: a term key is ~10 bytes and is hashed twice per word (form and stem); the library
 * call's dispatch cost about as much as the hash. */
#define XXH_INLINE_ALL
#include <xxhash.h>

/* zstd level for stored articles: level 1 compresses news text to about a third at several
 * hundred MB/s; higher levels gain a few percent for a large share of indexing time. */
#define STORE_ZSTD_LEVEL 1
/* Matches shorter than this are not looked for: Arabic letters are 2 bytes, so a 5-byte match
 * is 2.5 letters. Measured on the bench corpus's 41,134 stored records (112.7 MB), level 1
 * alone against minMatch 6: 0.61 -> 0.58 CPU-s, 45.51 -> 45.58 MB (+0.16%). */
#define STORE_ZSTD_MIN_MATCH 6
/* Words longer than this (bytes of the normalized form) are not indexed: no Arabic or Latin word
 * is near it; such tokens are URLs, base64 or glued garbage that nobody searches for. */
#define KB_TERM_MAX_BYTES 96
/* Text of one article (title + body) past this is refused with KB_ETOOBIG: the largest news
 * article is a few hundred KB; 64 MB means the input is not an article. */
#define KB_ARTICLE_MAX_BYTES (64u << 20)

void kb__prepared_reset(kb_prepared *p)
{
    kb__buf_reset(&p->meta);
    kb__buf_reset(&p->raw);
    kb__buf_reset(&p->z);
    kb__buf_reset(&p->keys);
    kb__buf_reset(&p->enc);
    p->n_terms = 0;
    p->n_pos = 0;
    p->n_toks = 0;
    p->n_blocks = 0;
    p->text_bytes = 0;
    p->has_sig = 0;
    memset(p->lens, 0, sizeof p->lens);
}

KB_API kb_prepared *kb_prepared_new(void)
{
    kb_prepared *p = kb__calloc(1, sizeof *p);
    if (!p) return NULL;
    kb__buf_init(&p->meta, 0);
    kb__buf_init(&p->raw, 0);
    kb__buf_init(&p->z, 0);
    kb__buf_init(&p->keys, 0);
    kb__buf_init(&p->enc, 0);
    return p;
}

KB_API void kb_prepared_free(kb_prepared *p)
{
    if (!p) return;
    kb__buf_free(&p->meta);
    kb__buf_free(&p->raw);
    kb__buf_free(&p->z);
    kb__buf_free(&p->keys);
    kb__buf_free(&p->enc);
    kb__free(p->terms);
    kb__free(p->pos);
    kb__free(p->toks);
    kb__free(p->ht);
    kb__free(p->blocks);
    if (p->dw) kb__dedup_work_free(p->dw);
    kb__free(p->dw);
    kb__free(p->sig);
    kb__free(p);
}

KB_API void kb_prepared_skip_dups(kb_prepared *p, int skip)
{
    if (p) p->skip_sig = skip != 0;
}

/* The signature sees the article as stored: the title, then the body (blocks and captions) as
 * one text, which is what the index's duplicates hook has always been given. */
int kb__prepared_sign(kb_prepared *p)
{
    if (p->has_sig) return 0;
    if (!p->dw) {
        p->dw = kb__malloc(sizeof *p->dw);
        if (!p->dw) return KB_ENOMEM;
        kb__dedup_work_init(p->dw);
    }
    if (!p->sig && !(p->sig = kb__malloc(sizeof *p->sig))) return KB_ENOMEM;
    kb__dedup_work_reset(p->dw);
    kb_slice title = kb__prepared_meta(p, KB_PMETA_TITLE);
    size_t body_n = p->n_blocks ? p->blocks[p->n_blocks - 1].off + p->blocks[p->n_blocks - 1].len : 0;
    int rc = 0;
    if (title.n) rc = kb__dedup_feed(p->dw, title.p, title.n);
    if (!rc && body_n) rc = kb__dedup_feed(p->dw, p->raw.p + p->body_off, body_n);
    kb__dedup_params dp;
    kb__dedup_params_default(&dp);
    if (!rc) rc = kb__dedup_finish(p->dw, dp.shingle, p->sig);
    p->has_sig = rc == 0;
    return rc;
}

/*
 * One zstd context per thread, not per prepared document: `khabar index` cycles its 32 job slots
 * through 2 workers, and a context whose tables went cold since its last use compresses ~30%
 * slower (measured: 16 contexts in turn 134-143 MB/s against 185-195 MB/s for one). A thread's
 * context is freed when the thread exits; the main thread's lives as long as the process.
 */
static pthread_key_t zc_key;
static pthread_once_t zc_once = PTHREAD_ONCE_INIT;
static int zc_key_ok;

static void zc_free(void *zc)
{
    ZSTD_freeCCtx(zc);
}

static void zc_key_make(void)
{
    zc_key_ok = pthread_key_create(&zc_key, zc_free) == 0;
}

static ZSTD_CCtx *thread_cctx(void)
{
    pthread_once(&zc_once, zc_key_make);
    if (!zc_key_ok) return NULL;
    ZSTD_CCtx *zc = pthread_getspecific(zc_key);
    if (zc) return zc;
    zc = ZSTD_createCCtx();
    if (!zc) return NULL;
    ZSTD_CCtx_setParameter(zc, ZSTD_c_compressionLevel, STORE_ZSTD_LEVEL);
    ZSTD_CCtx_setParameter(zc, ZSTD_c_minMatch, STORE_ZSTD_MIN_MATCH);
    ZSTD_CCtx_setParameter(zc, ZSTD_c_checksumFlag, 1);
    if (pthread_setspecific(zc_key, zc)) {
        ZSTD_freeCCtx(zc);
        return NULL;
    }
    return zc;
}

KB_API size_t kb_prepared_text_bytes(const kb_prepared *p)
{
    return p->text_bytes;
}

KB_API size_t kb_prepared_memory(const kb_prepared *p)
{
    if (!p) return 0;
    return sizeof *p + p->meta.cap + p->raw.cap + p->z.cap + p->keys.cap + p->enc.cap +
           (size_t)p->cap_terms * sizeof *p->terms + (size_t)p->cap_pos * sizeof *p->pos +
           (size_t)p->cap_toks * sizeof *p->toks + (size_t)p->ht_alloc * sizeof *p->ht +
           (size_t)p->cap_blocks * sizeof *p->blocks;
}

/* Seeds of a term's hash by kind. The hash is XXH3 of the term's bytes with its kind's seed:
 * hashing the key as stored (the kind byte, then the term) first meant copying it into a buffer
 * and reading it back at once, a store-forwarding stall that was half of term_slot's time. The
 * value only places terms in this table and the writer's batch (write.c). */
#define KB_SEED_FORM 0x466f726du /* "Form" */
#define KB_SEED_STEM 0x5374656du /* "Stem" */

/* Whether a[0..n) equals b[0..n): word compares inlined (terms are ~10 bytes; the library memcmp
 * call cost more than the compare). */
static inline int bytes_eq(const char *a, const char *b, size_t n)
{
    for (; n >= 8; a += 8, b += 8, n -= 8) {
        uint64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        if (x != y) return 0;
    }
    for (; n; n--)
        if (*a++ != *b++) return 0;
    return 1;
}

/* Makes the term table cap slots (a power of 2), empty but for the document's terms so far.
 * The slots reuse the allocation when it is large enough: the terms array holds each term's
 * hash, so they are placed again from it. */
static int term_table_size(kb_prepared *p, uint32_t cap)
{
    if (cap > p->ht_alloc) {
        uint32_t *ht = kb__malloc((size_t)cap * sizeof *ht);
        if (!ht) return KB_ENOMEM;
        kb__free(p->ht);
        p->ht = ht;
        p->ht_alloc = cap;
    }
    p->ht_cap = cap;
    memset(p->ht, 0xff, (size_t)cap * sizeof *p->ht);
    for (uint32_t i = 0; i < p->n_terms; i++) {
        uint32_t h = (uint32_t)p->terms[i].hash & (cap - 1);
        while (p->ht[h] != UINT32_MAX)
            h = (h + 1) & (cap - 1);
        p->ht[h] = i;
    }
    return 0;
}

/* Empties the term table for a document of text_bytes bytes: sized for the terms it may have
 * (a word is ~6 bytes or more, with its stem at most 2 terms; half full at most), 1024 slots at
 * least, 65536 at most (past that it grows as terms come). Clearing the table sized for the
 * longest document so far, for every document, was ~1.2% of indexing's samples and left it
 * cold. */
static int term_table_begin(kb_prepared *p, size_t text_bytes)
{
    uint32_t cap = 1024;
    while (cap < (1u << 16) && cap < text_bytes / 2)
        cap *= 2;
    return term_table_size(p, cap);
}

/* Looks the term (kind, s[0..n)) up in the document's table: its index, or -1 with *hash and
 * *slot set for term_add; < -1 on error. The table has room for one more term. */
static int64_t term_find(kb_prepared *p, int kind, const char *s, size_t n, uint64_t *hash_out,
                         uint32_t *slot)
{
    if (p->n_terms * 2 >= p->ht_cap) {
        int rc = term_table_size(p, p->ht_cap ? p->ht_cap * 2 : 1024);
        if (rc) return rc;
    }
    char kc = kind == KB_TERM_FORM ? 'F' : 'S';
    uint64_t hash = XXH3_64bits_withSeed(s, n, kind == KB_TERM_FORM ? KB_SEED_FORM : KB_SEED_STEM);
    uint32_t h = (uint32_t)hash & (p->ht_cap - 1);
    while (p->ht[h] != UINT32_MAX) {
        kb__pterm *t = &p->terms[p->ht[h]];
        if (t->hash == hash && t->key_len == n + 1) {
            const char *k = p->keys.p + t->key_off;
            if (k[0] == kc && bytes_eq(k + 1, s, n)) return p->ht[h];
        }
        h = (h + 1) & (p->ht_cap - 1);
    }
    *hash_out = hash;
    *slot = h;
    return -1;
}

/* Adds the term term_find did not find, at the slot it gave; returns its index or < 0. */
static int64_t term_add(kb_prepared *p, int kind, const char *s, size_t n, uint64_t hash,
                        uint32_t h)
{
    char kc = kind == KB_TERM_FORM ? 'F' : 'S';
    if (kb__grow((void **)&p->terms, &p->cap_terms, p->n_terms + 1, sizeof *p->terms))
        return KB_ENOMEM;
    kb__pterm *t = &p->terms[p->n_terms];
    memset(t, 0, sizeof *t);
    t->hash = hash;
    t->kind = (uint8_t)kind;
    t->key_off = (uint32_t)p->keys.n;
    t->key_len = (uint32_t)(n + 1);
    kb__buf_putc(&p->keys, kc);
    kb__buf_append(&p->keys, s, n);
    if (p->keys.rc) return p->keys.rc;
    p->ht[h] = p->n_terms;
    return p->n_terms++;
}

/* Finds or adds the term (kind, s[0..n)) in the document's table; returns its index or < 0. */
static int64_t term_slot(kb_prepared *p, int kind, const char *s, size_t n)
{
    uint64_t hash;
    uint32_t h;
    int64_t i = term_find(p, kind, s, n, &hash, &h);
    return i == -1 ? term_add(p, kind, s, n, hash, h) : i;
}

/* What a token's stem depends on besides its normalized form (khabar_int.h, _next_norm): its
 * kind flags and its hamza mask. stem_how holds the flags that matter, and a bit for "set". */
#define STEM_FLAGS (KB_TOK_ARABIC | KB_TOK_LATIN | KB_TOK_HASHTAG)
#define STEM_HOW(flags) ((uint8_t)(0x80u | ((flags) & STEM_FLAGS)))

/* Analyzes text[0..n) as field `field` (or, for the body, by block) starting at position base.
 * Returns the number of positions used (last position + 1) or < 0.
 *
 * A form met again in the document with the same kind flags and hamza mask has the same stem:
 * its form term remembers its stem term, and the stemmer (lexicon look-up, cut) and the stem's
 * hash and probe are skipped. The form's own look-up already paid for finding it, so this is not
 * the word cache docs/performance.md measured slower. Terms are added in the same order as
 * with kb_analyzer_next() then a look-up of the form and of the stem. */
static int64_t analyze(kb_prepared *p, kb_analyzer *an, const char *text, size_t n, int is_body,
                       uint32_t base)
{
    kb_token tok;
    int rc;
    uint32_t used = 0, blk = 0;
    kb_analyzer_reset(an, text, n);
    while ((rc = kb__analyzer_next_norm(an, &tok)) > 0) {
        int field = KB_FIELD_TITLE;
        if (is_body) {
            while (blk + 1 < p->n_blocks && tok.start >= p->blocks[blk + 1].off)
                blk++;
            field = p->n_blocks && p->blocks[blk].head ? KB_FIELD_HEAD : KB_FIELD_BODY;
        }
        uint32_t pos = base + tok.position;
        used = tok.position + 1;
        p->lens[field]++;
        if (tok.norm_len > KB_TERM_MAX_BYTES) continue; /* (never 0 from _next_norm) */
        uint64_t hash;
        uint32_t slot;
        int64_t f = term_find(p, KB_TERM_FORM, tok.norm, tok.norm_len, &hash, &slot);
        if (f < -1) return f;
        uint32_t mask = kb__analyzer_hamza_mask(an);
        uint8_t how = STEM_HOW(tok.flags);
        int64_t s;
        if (f >= 0 && p->terms[f].stem_how == how && p->terms[f].stem_mask == mask) {
            s = p->terms[f].stem_term == UINT32_MAX ? -1 : (int64_t)p->terms[f].stem_term;
        } else {
            if ((rc = kb__analyzer_stem(an, &tok)) != 0) return rc;
            if (tok.stem_len > KB_TERM_MAX_BYTES) continue;
            if (f < 0 && (f = term_add(p, KB_TERM_FORM, tok.norm, tok.norm_len, hash, slot)) < 0)
                return f;
            s = -1;
            if (tok.stem_len && (s = term_slot(p, KB_TERM_STEM, tok.stem, tok.stem_len)) < 0)
                return s;
            kb__pterm *e = &p->terms[f];
            e->stem_how = how;
            e->stem_mask = mask;
            e->stem_term = s < 0 ? UINT32_MAX : (uint32_t)s;
        }
        p->terms[f].tf[field]++;
        if (p->n_toks == p->cap_toks && /* the call only when full, not once per token */
            kb__grow((void **)&p->toks, &p->cap_toks, p->n_toks + 1, sizeof *p->toks))
            return KB_ENOMEM;
        p->toks[p->n_toks].term = (uint32_t)f;
        p->toks[p->n_toks].pos = pos;
        p->n_toks++;
        if (s >= 0) p->terms[s].tf[field]++;
    }
    return rc < 0 ? rc : (int64_t)used;
}

/* Appends one piece of article text to the raw record's body (which starts at p->body_off):
 * "\n\n" before every block but the first, empty ones included (the decoder counts the
 * separators by blocks: a leading empty block without its separator made the stored copy
 * unreadable). */
static int add_block(kb_prepared *p, kb_buf *body, const kb_slice *s, int type, int head)
{
    if (p->n_blocks) kb__buf_append(body, "\n\n", 2);
    if (kb__grow((void **)&p->blocks, &p->cap_blocks, p->n_blocks + 1, sizeof *p->blocks))
        return KB_ENOMEM;
    p->blocks[p->n_blocks].off = (uint32_t)(body->n - p->body_off);
    p->blocks[p->n_blocks].len = (uint32_t)s->n;
    p->blocks[p->n_blocks].type = (uint8_t)type;
    p->blocks[p->n_blocks].head = (uint8_t)head;
    p->n_blocks++;
    kb__buf_append(body, s->p, s->n);
    return body->rc;
}

static void meta_put(kb_prepared *p, int which, kb_slice s)
{
    p->meta_off[which] = (uint32_t)p->meta.n;
    p->meta_len[which] = (uint32_t)s.n;
    kb__buf_append(&p->meta, s.p ? s.p : "", s.n);
    kb__buf_putc(&p->meta, 0);
}

KB_API int kb_index_prepare(kb_analyzer *an, const kb_article *a, kb_prepared *p)
{
    kb__prepared_reset(p);
    if (!a || !a->id.n) return KB_EINVAL;
    size_t total = a->title.n;
    for (size_t i = 0; i < a->n_blocks; i++)
        total += a->blocks[i].text.n + 2;
    for (size_t i = 0; i < a->n_captions; i++)
        total += a->captions[i].n + 2;
    for (size_t i = 0; i < a->n_dropped; i++)
        total += a->dropped[i].text.n + 32; /* text, reason and lengths */
    if (total > KB_ARTICLE_MAX_BYTES) return KB_ETOOBIG;
    meta_put(p, KB_PMETA_ID, a->id);
    meta_put(p, KB_PMETA_SOURCE, a->source);
    meta_put(p, KB_PMETA_DATE, a->date);
    meta_put(p, KB_PMETA_URL, a->url);
    meta_put(p, KB_PMETA_TITLE, a->title);

    /* Raw stored record: title, body, block table (docs/format.md). The body (the blocks, then
     * the captions, "\n\n" between them) is written in place: its length is known first. */
    size_t body_n = 0, n_pieces = a->n_blocks + a->n_captions;
    for (size_t i = 0; i < a->n_blocks; i++)
        body_n += a->blocks[i].text.n;
    for (size_t i = 0; i < a->n_captions; i++)
        body_n += a->captions[i].n;
    if (n_pieces) body_n += 2 * (n_pieces - 1);
    if (kb__buf_reserve(&p->raw, 2 * 10 + a->title.n + body_n)) return p->raw.rc;
    kb__varint_put(&p->raw, a->title.n);
    kb__buf_append(&p->raw, a->title.p, a->title.n);
    kb__varint_put(&p->raw, body_n);
    p->body_off = (uint32_t)p->raw.n;
    for (size_t i = 0; i < a->n_blocks; i++) {
        int type = (int)a->blocks[i].type;
        int rc = add_block(p, &p->raw, &a->blocks[i].text, type, type == KB_BLOCK_HEADING);
        if (rc) return rc;
    }
    for (size_t i = 0; i < a->n_captions; i++) {
        int rc = add_block(p, &p->raw, &a->captions[i], KB_PBLOCK_CAPTION, 1);
        if (rc) return rc;
    }
    if (p->meta.rc || p->raw.rc) return p->meta.rc ? p->meta.rc : p->raw.rc;
    p->text_bytes = a->title.n + body_n;
    kb__varint_put(&p->raw, p->n_blocks);
    for (uint32_t i = 0; i < p->n_blocks; i++) {
        kb__buf_putc(&p->raw, (char)p->blocks[i].type);
        kb__varint_put(&p->raw, p->blocks[i].len);
    }
    /* Dropped lines with their reasons, so the stored article keeps what cleaning removed. */
    kb__varint_put(&p->raw, a->n_dropped);
    for (size_t i = 0; i < a->n_dropped; i++) {
        const char *why = a->dropped[i].reason ? a->dropped[i].reason : "";
        kb__varint_put(&p->raw, strlen(why));
        kb__buf_puts(&p->raw, why);
        kb__varint_put(&p->raw, a->dropped[i].text.n);
        kb__buf_append(&p->raw, a->dropped[i].text.p, a->dropped[i].text.n);
    }
    if (p->raw.rc) return p->raw.rc;

    /* Terms. */
    int rc = term_table_begin(p, total);
    if (rc) return rc;
    int64_t t = analyze(p, an, a->title.p, a->title.n, 0, 0);
    if (t < 0) return (int)t;
    int64_t b = analyze(p, an, p->raw.p + p->body_off, body_n, 1, (uint32_t)t + KB_FIELD_GAP);
    if (b < 0) return (int)b;

    /* Positions of each form, grouped by term in token order (so ascending): a counting sort. */
    uint32_t total_pos = 0;
    for (uint32_t i = 0; i < p->n_terms; i++) {
        kb__pterm *e = &p->terms[i];
        e->pos_off = total_pos;
        e->n_pos = 0;
        if (e->kind == KB_TERM_FORM) total_pos += e->tf[0] + e->tf[1] + e->tf[2];
    }
    if (kb__grow((void **)&p->pos, &p->cap_pos, total_pos + 1, sizeof *p->pos)) return KB_ENOMEM;
    for (uint32_t i = 0; i < p->n_toks; i++) {
        kb__pterm *e = &p->terms[p->toks[i].term];
        p->pos[e->pos_off + e->n_pos++] = p->toks[i].pos;
    }
    p->n_pos = total_pos;

    /* Each term's posting less its docid (the writer's batch format, write.c): tfs, position
     * gaps. At most 5 bytes per number. */
    kb__buf_reset(&p->enc);
    if (kb__buf_reserve(&p->enc, (size_t)5 * (KB_N_FIELDS * p->n_terms + total_pos)))
        return p->enc.rc;
    char *w = p->enc.p;
    for (uint32_t i = 0; i < p->n_terms; i++) {
        kb__pterm *e = &p->terms[i];
        e->enc_off = (uint32_t)(w - p->enc.p);
        for (int f = 0; f < KB_N_FIELDS; f++)
            w += kb__varint_at(w, e->tf[f]);
        const uint32_t *ps = p->pos + e->pos_off;
        for (uint32_t j = 0; j < e->n_pos; j++)
            w += kb__varint_at(w, j ? ps[j] - ps[j - 1] - 1 : ps[j]);
        e->enc_len = (uint32_t)(w - p->enc.p) - e->enc_off;
    }
    p->enc.n = (size_t)(w - p->enc.p);

    /* Compress the raw record. */
    size_t bound = ZSTD_compressBound(p->raw.n);
    kb__buf_reset(&p->z);
    if (kb__buf_reserve(&p->z, bound)) return p->z.rc;
    ZSTD_CCtx *zc = thread_cctx();
    if (!zc) return KB_ENOMEM;
    size_t zn = ZSTD_compress2(zc, p->z.p, bound, p->raw.p, p->raw.n);
    if (ZSTD_isError(zn)) return KB_EINTERNAL;
    p->z.n = zn;
    return p->skip_sig ? 0 : kb__prepared_sign(p);
}

kb_slice kb__prepared_meta(const kb_prepared *p, int which)
{
    return (kb_slice){p->meta.p + p->meta_off[which], p->meta_len[which]};
}
