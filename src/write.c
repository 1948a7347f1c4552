/*
 * write.c — the index's single writer: adding and deleting articles, and committing.
 *
 * Between commits the writer holds one SQLite write transaction (BEGIN IMMEDIATE). Document rows
 * and stored copies are inserted as articles arrive; terms are gathered in an in-memory batch,
 * a hash table from term key to the postings added since the last commit. kb_index_commit()
 * walks the batch in key order and, for each term, merges the new postings onto the term's
 * on-disk list: the inline block in the terms row, or the last (partial) block row, is decoded,
 * extended and rewritten, and full blocks of KB_BLOCK_MAX postings are appended. Docids only
 * grow, so appending keeps every list sorted. Then the transaction commits: all or nothing.
 */
#include "index_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

/* The duplicates tables are written through a store that keeps its statements prepared across
 * articles (src/dedup_store.c), opened on the write connection at the first write. */
static int dedup_store(kb_index *ix, kb__dedup_store **out)
{
    if (!ix->dedup) {
        int rc = kb__dedup_store_open(ix->db, &ix->dedup);
        if (rc < 0) return kb__index_fail(ix, rc, "duplicates: cannot open the tables");
    }
    *out = ix->dedup;
    return 0;
}

/* Inline postings blocks larger than this go to rows of the blocks table. */
#define KB_INLINE_MAX_BYTES 512

static inline uint32_t get_varint(const unsigned char *p, size_t n, size_t *i)
{
    if (*i < n && p[*i] < 0x80) return p[(*i)++]; /* most: tfs, small gaps */
    uint32_t v = 0;
    for (unsigned shift = 0; *i < n && shift < 35; shift += 7) {
        unsigned char c = p[(*i)++];
        v |= (uint32_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) break;
    }
    return v;
}

static void merge_free(kb__merge *m)
{
    kb__free(m->pin);
    kb__free(m->plen);
    kb__free(m->ppos);
    kb__free(m->ppos_idx);
    kb__buf_free(&m->enc);
    memset(m, 0, sizeof *m);
}

/*
 * Memory of the batch. The batch is read and written at random over a few hundred MB (the hash
 * table, the entries, the tails of the postings), and with 4 KB pages most of those accesses
 * missed the TLB as well as the caches; so its large arrays ask for transparent huge pages
 * (where the kernel gives them on request: THP "madvise"). The postings buffers, one per term,
 * doubling as they grow, come from chunks of KB_POST_CHUNK bytes instead of one malloc each:
 * huge pages for them too, and no malloc or realloc per buffer. Measured with the benchmark's
 * one commit (docs/performance.md): the writer's CPU while streaming ~2.7 -> ~2.4 s.
 */
#define KB_HUGE_PAGE ((uintptr_t)2 << 20)
#define KB_POST_CHUNK ((size_t)32 << 20)
/* The first chunk (2 MB, doubling up to KB_POST_CHUNK): a small batch takes little memory. */
#define KB_POST_CHUNK_MIN ((size_t)2 << 20)

/* Asks for huge pages on the 2 MB pages wholly inside [p, p + n). A hint: nothing on failure. */
static void huge_pages(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
    uintptr_t a = ((uintptr_t)p + KB_HUGE_PAGE - 1) & ~(KB_HUGE_PAGE - 1);
    uintptr_t e = ((uintptr_t)p + n) & ~(KB_HUGE_PAGE - 1);
    if (e > a) madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
    (void)p;
    (void)n;
#endif
}

/* The size class of a buffer of cap bytes (a power of two, KB_POST_MIN .. KB_POST_ARENA_MAX). */
static unsigned post_class(uint32_t cap)
{
    return (unsigned)(__builtin_ctz(cap) - __builtin_ctz(KB_POST_MIN));
}

/* A buffer of cap bytes from the arena, or NULL when out of memory. */
static char *parena_alloc(kb__parena *pa, uint32_t cap)
{
    unsigned k = post_class(cap);
    char *p = pa->free_list[k];
    if (p) {
        memcpy(&pa->free_list[k], p, sizeof p);
        return p;
    }
    if (pa->left < cap) {
        if (pa->n_chunks == pa->cap_chunks &&
            kb__grow((void **)&pa->chunks, &pa->cap_chunks, pa->n_chunks + 1, sizeof *pa->chunks))
            return NULL;
        size_t size = KB_MIN(KB_POST_CHUNK, KB_POST_CHUNK_MIN << KB_MIN(pa->n_chunks, 8));
        void *c = kb__malloc(size);
        if (!c) return NULL;
        huge_pages(c, size);
        pa->chunks[pa->n_chunks++] = c;
        pa->cur = c;
        pa->left = size;
    }
    p = pa->cur;
    pa->cur += cap;
    pa->left -= cap;
    return p;
}

static void parena_put(kb__parena *pa, char *p, uint32_t cap)
{
    unsigned k = post_class(cap);
    memcpy(p, &pa->free_list[k], sizeof p);
    pa->free_list[k] = p;
}

/* Frees every postings buffer of the batch (the arena's chunks, and the large buffers). */
static void parena_reset(kb_index *ix)
{
    kb__parena *pa = &ix->parena;
    for (uint32_t i = 0; i < ix->n_acc; i++)
        if (ix->acc[i].post_cap > KB_POST_ARENA_MAX) kb__free(ix->acc[i].post);
    for (uint32_t i = 0; i < pa->n_chunks; i++)
        kb__free(pa->chunks[i]);
    pa->n_chunks = 0;
    pa->cur = NULL;
    pa->left = 0;
    memset(pa->free_list, 0, sizeof pa->free_list);
}

void kb__batch_free(kb_index *ix)
{
    parena_reset(ix);
    kb__free(ix->parena.chunks);
    ix->parena.chunks = NULL;
    ix->parena.cap_chunks = 0;
    kb__free(ix->acc_mem);
    ix->acc_mem = NULL;
    kb__free(ix->aht);
    kb__buf_free(&ix->bkeys);
    kb__free(ix->blens);
    merge_free(&ix->merge);
    ix->acc = NULL;
    ix->aht = NULL;
    ix->blens = NULL;
    ix->n_acc = ix->cap_acc = ix->aht_cap = ix->n_blens = ix->cap_blens = 0;
}

/* Empties the batch, keeping the hash table's and arrays' memory for the next one. */
static void batch_reset(kb_index *ix)
{
    parena_reset(ix);
    ix->n_acc = 0;
    if (ix->aht) memset(ix->aht, 0xff, (size_t)ix->aht_cap * sizeof *ix->aht);
    kb__buf_reset(&ix->bkeys);
    ix->n_blens = 0;
    ix->pending_dead = ix->pending_docs = 0;
    kb__dedup_store_abort(ix->dedup); /* nothing pending after a commit: a no-op then */
}

/* SQLite rolls a transaction back by itself after some failures (out of memory in the middle of
 * a statement, I/O errors). Continuing would then write in autocommit mode, one statement at a
 * time: a half-applied batch. So every write first checks that its transaction is still there;
 * if not, the batch is dropped and the caller told. */
static int txn_alive(kb_index *ix)
{
    if (!ix->in_txn || !sqlite3_get_autocommit(ix->db)) return 0;
    ix->in_txn = 0;
    ix->dirty = 1;
    batch_reset(ix);
    int e = (sqlite3_errcode(ix->db) & 0xff) == SQLITE_NOMEM ? KB_ENOMEM : KB_EIO;
    return kb__index_fail(ix, e,
                          "an error rolled the write transaction back: the changes since "
                          "the last commit are lost");
}

/*
 * A fresh index's first commit, without the WAL.
 *
 * In WAL mode every page a commit writes goes to disk twice: into khabar.db-wal, then, read back,
 * by the checkpoint into khabar.db. A first commit into an empty index writes nearly all its
 * pages past the end of the database file, and a rollback journal keeps only the original
 * content of the pages a transaction changes inside the file: so that commit runs with
 * journal_mode=DELETE, its pages written once into khabar.db and a few pages into
 * khabar.db-journal, and the index goes back to WAL as soon as it ends. The guarantee is SQLite's
 * atomic commit in both modes: killed before COMMIT returns, the journal is hot and the next
 * connection rolls the file back to the empty index (a reader cannot write, so
 * kb__index_recover_journal does it for readers); synchronous=FULL for that commit, so a power
 * loss cannot damage the file either (WAL's NORMAL never does; rollback mode's NORMAL could).
 *
 * Only when the writer is alone: SQLite refuses to leave WAL while another connection is open
 * (tried without waiting). Readers that open the index during that first batch read the empty
 * index as before, until the batch outgrows SQLite's page cache (KB_CACHE_KIB, index.c): from
 * then the writer holds the file's exclusive lock, and they wait for the commit (up to their
 * busy timeout). Measured on the benchmark (docs/performance.md): the final COMMIT's CPU
 * 0.45 -> 0.10 s, and the checkpoint's reading and writing of ~150 MB gone.
 */
/* A journal mode switch changes PRAGMA data_version, which is how the duplicates store learns
 * that another connection wrote (it then stops mirroring dedup_keys and looks every document's
 * keys up with SQL: on the benchmark at --batch 7000, 0.6 CPU-s more on the writer after the first
 * commit's switch back to WAL). When the commit counter is still the one this handle's last
 * commit wrote, no other writer came between, and the store keeps its mirror. */
static void journal_switched(kb_index *ix)
{
    int64_t commits = 0;
    if (ix->dedup && ix->commits_mine && !kb__index_meta_read(ix, "commits", &commits) &&
        commits == ix->commits_mine)
        kb__dedup_store_rebase(ix->dedup);
}

/* PRAGMA journal_mode=MODE; 1 when the database is in that mode afterwards. */
static int journal_mode(kb_index *ix, const char *mode)
{
    char sql[48];
    snprintf(sql, sizeof sql, "PRAGMA journal_mode=%s", mode);
    sqlite3_stmt *st = NULL;
    int ok = sqlite3_prepare_v2(ix->db, sql, -1, &st, NULL) == SQLITE_OK &&
             sqlite3_step(st) == SQLITE_ROW &&
             sqlite3_stricmp((const char *)sqlite3_column_text(st, 0), mode) == 0;
    sqlite3_finalize(st);
    return ok;
}

static void leave_wal(kb_index *ix)
{
    int64_t next = 0;
    if (ix->out_of_wal || kb__index_meta_read(ix, "next_docid", &next) || next != 1) return;
    sqlite3_busy_timeout(ix->db, 0);
    int ok = journal_mode(ix, "delete");
    sqlite3_busy_timeout(ix->db, KB_BUSY_MS);
    if (!ok) return; /* another connection is open: the commit goes through the WAL */
    ix->out_of_wal = 1;
    sqlite3_exec(ix->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
    journal_switched(ix);
}

/* Back to WAL once the first commit (or its rollback) is over. Waits, on the busy timeout, for
 * readers that opened meanwhile to end their reads; if that fails, the next write or the close
 * tries again (until then commits are journaled: slower, as safe). */
void kb__index_wal_again(kb_index *ix)
{
    if (!ix->out_of_wal || !sqlite3_get_autocommit(ix->db) || !journal_mode(ix, "wal")) return;
    ix->out_of_wal = 0;
    sqlite3_exec(ix->db, ix->sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
                 NULL, NULL, NULL);
    journal_switched(ix);
}

static int begin_write(kb_index *ix)
{
    if (ix->read_only) return kb__index_fail(ix, KB_EREADONLY, "index opened read-only");
    if (ix->in_read) return kb__index_fail(ix, KB_EINVAL, "a read snapshot is open on this handle");
    if (ix->in_txn) return txn_alive(ix);
    if (!sqlite3_get_autocommit(ix->db)) /* a read left open by a failed COMMIT */
        sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
    kb__index_wal_again(ix);
    leave_wal(ix);
    int rc = kb__index_exec(ix, "BEGIN IMMEDIATE");
    if (rc) return rc;
    ix->in_txn = 1;
    int64_t nd = -1, nt = -1;
    rc = kb__index_meta_read(ix, "next_docid", &nd);
    if (!rc) rc = kb__index_meta_read(ix, "next_tid", &nt);
    if (rc || nd < 1 || nt < 1 || nd > (int64_t)KB_INDEX_MAX_DOCS || nt > 0x7fffffff) {
        sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
        ix->in_txn = 0;
        return rc && rc != KB_ENOTFOUND
                   ? rc
                   : kb__index_fail(ix, KB_ECORRUPT, "meta: next_docid/next_tid missing or bad");
    }
    ix->next_docid = (uint32_t)nd;
    ix->next_tid = (uint64_t)nt;
    ix->batch_first = ix->next_docid;
    if (ix->dedup && (rc = kb__dedup_store_begin(ix->dedup))) {
        sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
        ix->in_txn = 0;
        return kb__index_fail(ix, rc, "duplicates: %s", kb_strerror(rc));
    }
    /* An empty dictionary (a fresh index's first commit) needs no lookup per term at commit. */
    sqlite3_stmt *st = NULL;
    ix->terms_fresh = 0;
    int s = sqlite3_prepare_v2(ix->db, "SELECT EXISTS (SELECT 1 FROM terms)", -1, &st, NULL);
    if (s == SQLITE_OK) s = sqlite3_step(st);
    if (s == SQLITE_ROW) ix->terms_fresh = sqlite3_column_int(st, 0) == 0;
    sqlite3_finalize(st);
    if (s != SQLITE_ROW) { /* out of memory or I/O: SQLite may have ended the transaction */
        rc = kb__index_sqlerr(ix, s, "terms");
        sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
        ix->in_txn = 0;
        return rc;
    }
    batch_reset(ix);
    return 0;
}

/* Deletes one document's rows (its postings stay until compaction; readers skip it). */
static int delete_docid(kb_index *ix, uint32_t docid)
{
    sqlite3_stmt *st = kb__index_stmt(ix, KB_ST_DOC_DEL);
    if (!st) return ix->last_err;
    sqlite3_bind_int64(st, 1, docid);
    int s = sqlite3_step(st);
    if (s != SQLITE_DONE) return kb__index_sqlerr(ix, s, "delete");
    st = kb__index_stmt(ix, KB_ST_STORE_DEL);
    if (!st) return ix->last_err;
    sqlite3_bind_int64(st, 1, docid);
    s = sqlite3_step(st);
    if (s != SQLITE_DONE) return kb__index_sqlerr(ix, s, "delete");
    /* The deaths log: readers update their arrays from it (index.c, update_docs). */
    st = kb__index_stmt(ix, KB_ST_DEATH_ADD);
    if (!st) return ix->last_err;
    sqlite3_bind_int64(st, 1, docid);
    s = sqlite3_step(st);
    if (s != SQLITE_DONE) return kb__index_sqlerr(ix, s, "deaths");
    kb__dedup_store *ds = NULL;
    int drc = dedup_store(ix, &ds);
    if (drc) return drc;
    drc = kb__dedup_store_delete(ds, docid);
    if (drc < 0) return kb__index_fail(ix, drc, "duplicates: delete hook failed");
    ix->pending_dead++;
    ix->dirty = 1;
    return 0;
}

static int64_t source_id(kb_index *ix, kb_slice s)
{
    if (!s.n) return 0;
    sqlite3_stmt *st = kb__index_stmt(ix, KB_ST_SOURCE);
    if (!st) return ix->last_err;
    sqlite3_bind_text(st, 1, s.p, (int)s.n, SQLITE_STATIC);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        int64_t sid = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        return sid;
    }
    sqlite3_reset(st);
    if (r != SQLITE_DONE) return kb__index_sqlerr(ix, r, "sources");
    st = kb__index_stmt(ix, KB_ST_SOURCE_ADD);
    if (!st) return ix->last_err;
    sqlite3_bind_text(st, 1, s.p, (int)s.n, SQLITE_STATIC);
    r = sqlite3_step(st);
    sqlite3_reset(st);
    if (r != SQLITE_DONE) return kb__index_sqlerr(ix, r, "sources");
    return sqlite3_last_insert_rowid(ix->db);
}

int64_t kb__index_ymd(kb_slice d)
{
    if (d.n < 10) return 0;
    const char *p = d.p;
    for (int i = 0; i < 10; i++)
        if (i == 4 || i == 7 ? p[i] != '-' : (p[i] < '0' || p[i] > '9')) return 0;
    return (int64_t)atoi(p) * 10000 + atoi(p + 5) * 100 + atoi(p + 8);
}

_Static_assert(sizeof(kb__acc) == 64, "a batch entry is one cache line");

/* Doubles the batch's entries (a fresh allocation aligned to a cache line: one line each). */
static int acc_grow(kb_index *ix)
{
    uint32_t cap = ix->cap_acc ? ix->cap_acc * 2 : 1024;
    if (cap <= ix->cap_acc) return KB_ETOOBIG;
    char *mem = kb__malloc((size_t)cap * sizeof(kb__acc) + 64);
    if (!mem) return KB_ENOMEM;
    kb__acc *acc = (kb__acc *)(void *)(mem + (64 - (uintptr_t)mem % 64) % 64);
    huge_pages(mem, (size_t)cap * sizeof(kb__acc) + 64);
    if (ix->n_acc) memcpy(acc, ix->acc, (size_t)ix->n_acc * sizeof *acc);
    kb__free(ix->acc_mem);
    ix->acc_mem = mem;
    ix->acc = acc;
    ix->cap_acc = cap;
    return 0;
}

/* Makes room for extra more bytes of a's postings (buffers of a power-of-two size: from the
 * arena up to KB_POST_ARENA_MAX, kb__malloc'd past it). */
static int post_reserve(kb__parena *pa, kb__acc *a, size_t extra)
{
    size_t need = (size_t)a->post_n + extra;
    if (need <= a->post_cap) return 0;
    if (need > ((size_t)1 << 31)) return KB_ETOOBIG;
    size_t cap = a->post_cap ? a->post_cap : KB_POST_MIN;
    while (cap < need)
        cap *= 2;
    char *p;
    if (cap <= KB_POST_ARENA_MAX) {
        p = parena_alloc(pa, (uint32_t)cap);
    } else if (a->post_cap > KB_POST_ARENA_MAX) {
        p = kb__realloc(a->post, cap);
    } else {
        p = kb__malloc(cap);
        if (p) huge_pages(p, cap);
    }
    if (!p) return KB_ENOMEM;
    if (a->post && a->post_cap <= KB_POST_ARENA_MAX) {
        memcpy(p, a->post, a->post_n);
        parena_put(pa, a->post, a->post_cap);
    }
    a->post = p;
    a->post_cap = (uint32_t)cap;
    return 0;
}

/* a[0..n) == b[0..n), n <= KB_ACC_HEAD, inline: memcmp with a variable n is a call into libc for
 * every posting of the batch. Loads of 8, 4 or 1 bytes that may overlap, none past n. */
static inline int same_head(const char *a, const char *b, uint32_t n)
{
    uint64_t x, y;
    uint32_t u, v;
    if (n >= 8) {
        for (uint32_t i = 0; i + 8 < n; i += 8) {
            memcpy(&x, a + i, 8);
            memcpy(&y, b + i, 8);
            if (x != y) return 0;
        }
        memcpy(&x, a + n - 8, 8);
        memcpy(&y, b + n - 8, 8);
        return x == y;
    }
    if (n >= 4) {
        memcpy(&u, a, 4);
        memcpy(&v, b, 4);
        if (u != v) return 0;
        memcpy(&u, a + n - 4, 4);
        memcpy(&v, b + n - 4, 4);
        return u == v;
    }
    return !n || (a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1]);
}

/* Finds or adds a batch entry for the prepared term t. The table's slots hold the entry index
 * and 32 more bits of the hash, so a probe touches an entry only when those match (the table is
 * far larger than the caches: one miss per probe is what this path costs). */
static kb__acc *acc_slot(kb_index *ix, const kb_prepared *pp, const kb__pterm *t)
{
    if (ix->n_acc * 2 >= ix->aht_cap) {
        uint32_t cap = ix->aht_cap ? ix->aht_cap * 2 : 1u << 16;
        kb__aslot *ht = kb__malloc((size_t)cap * sizeof *ht);
        if (!ht) return NULL;
        huge_pages(ht, (size_t)cap * sizeof *ht);
        memset(ht, 0xff, (size_t)cap * sizeof *ht);
        for (uint32_t i = 0; i < ix->n_acc; i++) {
            uint32_t h = (uint32_t)ix->acc[i].hash & (cap - 1);
            while (ht[h].idx != UINT32_MAX)
                h = (h + 1) & (cap - 1);
            ht[h].idx = i;
            ht[h].tag = (uint32_t)(ix->acc[i].hash >> 32);
        }
        kb__free(ix->aht);
        ix->aht = ht;
        ix->aht_cap = cap;
    }
    const char *key = pp->keys.p + t->key_off;
    uint32_t h = (uint32_t)t->hash & (ix->aht_cap - 1), tag = (uint32_t)(t->hash >> 32);
    /* The head is compared in place, n bytes: the entries' heads are zero-padded past the key
     * and the lengths are equal. (A zero-padded copy on the stack, compared whole, made the
     * compare's wide masked load wait for the copy's byte stores to drain behind the postings'
     * stores: 9 % of the process's samples in memcmp, 2.3 % since; writer −0.2 CPU-s.) */
    uint32_t nh = KB_MIN(t->key_len, KB_ACC_HEAD);
    while (ix->aht[h].idx != UINT32_MAX) {
        if (ix->aht[h].tag == tag) {
            kb__acc *a = &ix->acc[ix->aht[h].idx];
            if (a->hash == t->hash && a->key_len == t->key_len &&
                same_head(a->head, key, nh) &&
                (t->key_len <= KB_ACC_HEAD ||
                 !memcmp(ix->bkeys.p + a->key_off + nh, key + nh, t->key_len - nh)))
                return a;
        }
        h = (h + 1) & (ix->aht_cap - 1);
    }
    if (ix->n_acc == ix->cap_acc && acc_grow(ix)) return NULL;
    kb__acc *a = &ix->acc[ix->n_acc];
    memset(a, 0, sizeof *a);
    a->hash = t->hash;
    a->key_off = (uint32_t)ix->bkeys.n;
    a->key_len = t->key_len;
    memcpy(a->head, key, nh);
    kb__buf_append(&ix->bkeys, key, t->key_len);
    if (ix->bkeys.rc) return NULL;
    ix->aht[h].idx = ix->n_acc++;
    ix->aht[h].tag = tag;
    return a;
}

/*
 * The batch is far larger than the caches, so each term of a document costs a chain of misses:
 * its slot, then its entry, then its key and the tail of its postings. Each is known only once
 * the previous has arrived; so add_one starts the chains of the terms ahead of the current one,
 * one link per step (slot 3 x KB_AHEAD terms ahead, entry 2 x, key and tail 1 x), and the misses
 * of a dozen terms overlap instead of following one another. Prefetches are hints: a slot that
 * moved since (the table grew) costs nothing but the wasted load.
 */

#define KB_AHEAD 10

/* A prefetch the compiler keeps. With __builtin_prefetch, GCC 12 -O3 removed the entry's and the
 * tail's prefetches below from add_one altogether (its tree DCE: -fno-tree-dce brought them
 * back; only the slots' were left, and the batch's time went to the entries' and the tails'
 * misses: docs/performance.md); an asm volatile is never removed. */
static inline void prefetch_line(const void *p)
{
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    __asm__ volatile("prefetcht0 (%0)" : : "r"(p));
#else
    __builtin_prefetch(p);
#endif
}

static inline void prefetch_slot(const kb_index *ix, const kb__pterm *t)
{
    if (ix->aht) prefetch_line(&ix->aht[(uint32_t)t->hash & (ix->aht_cap - 1)]);
}

/* The entry of t's slot when its tag matches (the first probe only). */
static inline const kb__acc *slot_entry(const kb_index *ix, const kb__pterm *t)
{
    if (!ix->aht) return NULL;
    const kb__aslot *sl = &ix->aht[(uint32_t)t->hash & (ix->aht_cap - 1)];
    if (sl->idx == UINT32_MAX || sl->tag != (uint32_t)(t->hash >> 32)) return NULL;
    return &ix->acc[sl->idx];
}

static inline void prefetch_entry(const kb_index *ix, const kb__pterm *t)
{
    const kb__acc *a = slot_entry(ix, t);
    if (a) prefetch_line(a);
}

static inline void prefetch_tail(const kb_index *ix, const kb__pterm *t)
{
    const kb__acc *a = slot_entry(ix, t);
    if (a) {
        if (a->key_len > KB_ACC_HEAD) prefetch_line(ix->bkeys.p + a->key_off + KB_ACC_HEAD);
        if (a->post) prefetch_line(a->post + a->post_n);
    }
}

static void rollback(kb_index *ix);

/* Adds one prepared document inside the open transaction (see kb_index_add_prepared). */
static int add_one(kb_index *ix, kb_prepared *p)
{
    if (!ix || !p || !p->meta.n) return KB_EINVAL;
    int rc = begin_write(ix);
    if (rc) return rc;
    if (ix->next_docid >= KB_INDEX_MAX_DOCS)
        return kb__index_fail(ix, KB_ETOOBIG, "the index holds the maximum number of documents");
    /* The chains of the document's first terms (which the loop below starts for the terms
     * ahead only) start here, a link at a time between the rows written before the terms. */
    uint32_t lead = KB_MIN(p->n_terms, 3 * KB_AHEAD);
    for (uint32_t i = 0; i < lead; i++)
        prefetch_slot(ix, &p->terms[i]);
    kb_slice id = kb__prepared_meta(p, KB_PMETA_ID);
    int replaced = 0;
    uint32_t old = 0;
    rc = kb__index_docid_find(ix, id.p, id.n, &old);
    if (rc && rc != KB_ENOTFOUND) return rc;
    if (old) {
        rc = delete_docid(ix, old);
        if (rc) return rc;
        replaced = 1;
    }
    if ((rc = txn_alive(ix))) return rc;
    int64_t sid = source_id(ix, kb__prepared_meta(p, KB_PMETA_SOURCE));
    if (sid >= 0 && (rc = txn_alive(ix))) return rc;
    if (sid < 0) return (int)sid;
    uint32_t docid = ix->next_docid;
    kb_slice date = kb__prepared_meta(p, KB_PMETA_DATE), url = kb__prepared_meta(p, KB_PMETA_URL);
    sqlite3_stmt *st = kb__index_stmt(ix, KB_ST_DOC_ADD);
    if (!st) return ix->last_err;
    sqlite3_bind_int64(st, 1, docid);
    sqlite3_bind_text(st, 2, id.p, (int)id.n, SQLITE_STATIC);
    if (sid) sqlite3_bind_int64(st, 3, sid);
    if (date.n) sqlite3_bind_text(st, 4, date.p, (int)date.n, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, kb__index_ymd(date));
    if (url.n) sqlite3_bind_text(st, 6, url.p, (int)url.n, SQLITE_STATIC);
    for (int f = 0; f < KB_N_FIELDS; f++)
        sqlite3_bind_int64(st, 7 + f, p->lens[f]);
    int s = sqlite3_step(st);
    if (s != SQLITE_DONE) return kb__index_sqlerr(ix, s, "docs");
    if ((rc = txn_alive(ix))) return rc;
    st = kb__index_stmt(ix, KB_ST_STORE_ADD);
    if (!st) return ix->last_err;
    sqlite3_bind_int64(st, 1, docid);
    sqlite3_bind_blob(st, 2, p->z.p, (int)p->z.n, SQLITE_STATIC);
    s = sqlite3_step(st);
    if (s != SQLITE_DONE) return kb__index_sqlerr(ix, s, "store");
    ix->next_docid++;
    ix->pending_docs++;
    ix->dirty = 1;
    for (uint32_t i = 0; i < KB_MIN(lead, 2 * KB_AHEAD); i++)
        prefetch_entry(ix, &p->terms[i]);

    if (!ix->no_dedup) {
        /* The signature was made in the analysis thread (kb_index_prepare), unless skipped. */
        kb__dedup_store *ds = NULL;
        if ((rc = dedup_store(ix, &ds))) return rc;
        if ((rc = kb__prepared_sign(p)))
            return kb__index_fail(ix, rc, "duplicates: out of memory signing");
        rc = kb__dedup_store_add_sig(ds, docid, date, p->sig);
        if (rc < 0) return kb__index_fail(ix, rc, "duplicates: add hook failed");
        if ((rc = txn_alive(ix))) return rc;
    }

    for (uint32_t i = 0; i < KB_MIN(lead, KB_AHEAD); i++)
        prefetch_tail(ix, &p->terms[i]);
    /* Document lengths of the batch (block min_len), then the terms. */
    if (kb__grow((void **)&ix->blens, &ix->cap_blens, (uint64_t)(docid - ix->batch_first + 1) * 3,
                 sizeof *ix->blens))
        return KB_ENOMEM;
    for (int f = 0; f < KB_N_FIELDS; f++)
        ix->blens[(size_t)(docid - ix->batch_first) * 3 + f] = p->lens[f];
    for (uint32_t i = 0; i < p->n_terms; i++) {
        const kb__pterm *t = &p->terms[i];
        if (i + 3 * KB_AHEAD < p->n_terms) prefetch_slot(ix, t + 3 * KB_AHEAD);
        if (i + 2 * KB_AHEAD < p->n_terms) prefetch_entry(ix, t + 2 * KB_AHEAD);
        if (i + KB_AHEAD < p->n_terms) prefetch_tail(ix, t + KB_AHEAD);
        kb__acc *a = acc_slot(ix, p, t);
        if (!a) return kb__index_fail(ix, KB_ENOMEM, "out of memory in the batch");
        /* The docid gap, then the rest of the posting as the analysis thread encoded it. */
        if ((rc = post_reserve(&ix->parena, a, (size_t)5 + t->enc_len)))
            return kb__index_fail(ix, rc, "batch postings");
        char *w = a->post + a->post_n;
        w += kb__varint_at(w, docid - a->last_doc);
        memcpy(w, p->enc.p + t->enc_off, t->enc_len);
        w += t->enc_len;
        a->post_n = (uint32_t)(w - a->post);
        a->last_doc = docid;
    }
    return replaced;
}

/* A failure part-way through an add (a row written, the batch half-updated) cannot be undone on
 * its own: the whole pending batch is rolled back, so a commit stays all or nothing, and the
 * message says so. */
KB_API int kb_index_add_prepared(kb_index *ix, kb_prepared *p)
{
    int was_open = ix && ix->in_txn;
    int rc = add_one(ix, p);
    if (rc >= 0 || !ix || (!ix->in_txn && !was_open)) return rc;
    if (rc == KB_EREADONLY || rc == KB_EINVAL) return rc;
    char msg[sizeof ix->errmsg];
    memcpy(msg, ix->errmsg, sizeof msg);
    rollback(ix);
    snprintf(ix->errmsg, sizeof ix->errmsg, "%.400s (changes since the last commit rolled back)",
             msg);
    return rc;
}

KB_API int kb_index_add(kb_index *ix, const kb_article *a)
{
    if (!ix || !a) return KB_EINVAL;
    if (ix->read_only) return kb__index_fail(ix, KB_EREADONLY, "index opened read-only");
    int rc = kb_index_prepare(ix->an, a, ix->prep);
    if (rc) return kb__index_fail(ix, rc, "preparing the article: %s", kb_strerror(rc));
    return kb_index_add_prepared(ix, ix->prep);
}

KB_API int kb_index_delete(kb_index *ix, const char *id, size_t n)
{
    if (!ix || !id) return KB_EINVAL;
    int rc = begin_write(ix);
    if (rc) return rc;
    uint32_t d = 0;
    rc = kb__index_docid_find(ix, id, n, &d);
    if (rc && rc != KB_ENOTFOUND) return rc;
    if (!d)
        return kb__index_fail(ix, KB_ENOTFOUND, "no article with id '%.*s'", (int)KB_MIN(n, 200),
                              id);
    rc = delete_docid(ix, d);
    if (rc < 0) rollback(ix); /* half a delete must not be committed */
    return rc;
}

/* ---- commit: merging the batch into the on-disk postings ------------------------------------- */

/* The commit's sort: by key bytes. Each entry's first 8 key bytes, big-endian in pre[], decide
 * most comparisons without touching the keys (scattered in memory); ties compare the keys. */
typedef struct sort_ctx {
    const kb_index *ix;
    const uint64_t *pre;
} sort_ctx;

static int cmp_acc(const void *x, const void *y, void *ctx)
{
    const sort_ctx *sc = ctx;
    uint32_t i = *(const uint32_t *)x, j = *(const uint32_t *)y;
    if (sc->pre[i] != sc->pre[j]) return sc->pre[i] < sc->pre[j] ? -1 : 1;
    const kb_index *ix = sc->ix;
    const kb__acc *a = &ix->acc[i], *b = &ix->acc[j];
    size_t n = KB_MIN(a->key_len, b->key_len), nh = KB_MIN(n, KB_ACC_HEAD);
    int c = memcmp(a->head, b->head, nh); /* the rest of the keys only past their heads */
    if (!c && n > nh)
        c = memcmp(ix->bkeys.p + a->key_off + nh, ix->bkeys.p + b->key_off + nh, n - nh);
    return c ? c : (a->key_len > b->key_len) - (a->key_len < b->key_len);
}

_Static_assert(KB_ACC_HEAD >= 16, "the sort reads 16 bytes of the head");

/* The radix sort's item: an entry's first 16 key bytes, big-endian, and its index. */
typedef struct rkey {
    uint64_t hi, lo;
    uint32_t idx;
} rkey;

/* Sorts the batch's entries in key order into order[0..n): a radix sort on their first 16 key
 * bytes (zero-padded), a byte at a time from the last, skipping bytes all entries share; then
 * cmp_acc within each run of equal 16-byte prefixes (24,000 of the benchmark's 361,000 terms).
 * The same order as a comparison sort by cmp_acc (keys are distinct), at a fraction of its cost:
 * qsort_r by cmp_acc took 0.10 s of the benchmark's commit, before the encoder thread can start
 * (8 bytes are not enough: Arabic letters take two, and 87 % of the terms share their first 8
 * bytes with another). Fills pre[] (each entry's first 8 bytes) for cmp_acc. Returns 0 or
 * KB_ENOMEM. */
static int sort_keys(const kb_index *ix, uint32_t *order, uint64_t *pre, uint32_t n)
{
    size_t m = n ? n : 1;
    rkey *ka = kb__malloc(m * sizeof *ka), *kb = kb__malloc(m * sizeof *kb);
    uint32_t(*count)[256] = kb__calloc(16, sizeof *count);
    int rc = ka && kb && count ? 0 : KB_ENOMEM;
    for (uint32_t i = 0; !rc && i < n; i++) {
        const unsigned char *h = (const unsigned char *)ix->acc[i].head;
        uint64_t hi = 0, lo = 0;
        for (uint32_t b = 0; b < 8; b++) { /* the head is zero-padded past the key */
            hi = hi << 8 | h[b];
            lo = lo << 8 | h[8 + b];
        }
        pre[i] = hi;
        ka[i] = (rkey){hi, lo, i};
        for (int d = 0; d < 8; d++) {
            count[d][(lo >> (8 * d)) & 0xff]++;
            count[8 + d][(hi >> (8 * d)) & 0xff]++;
        }
    }
    rkey *kp = ka, *tp = kb;
    for (int d = 0; !rc && n && d < 16; d++) {
        uint32_t sum = 0, *c = count[d];
        int shift = 8 * (d % 8);
#define RKEY_DIGIT(k) ((unsigned)(((d < 8 ? (k).lo : (k).hi) >> shift) & 0xff))
        if (c[RKEY_DIGIT(kp[0])] == n) continue; /* one value: nothing moves */
        for (int v = 0; v < 256; v++) {
            uint32_t k = c[v];
            c[v] = sum;
            sum += k;
        }
        for (uint32_t i = 0; i < n; i++)
            tp[c[RKEY_DIGIT(kp[i])]++] = kp[i];
#undef RKEY_DIGIT
        rkey *t = kp;
        kp = tp;
        tp = t;
    }
    for (uint32_t i = 0; !rc && i < n; i++)
        order[i] = kp[i].idx;
    sort_ctx sc = {ix, pre};
    for (uint32_t i = 0, j; !rc && i < n; i = j) {
        for (j = i + 1; j < n && kp[j].hi == kp[i].hi && kp[j].lo == kp[i].lo; j++)
            ;
        if (j - i > 1) qsort_r(order + i, j - i, sizeof *order, cmp_acc, &sc);
    }
    kb__free(ka);
    kb__free(kb);
    kb__free(count);
    return rc;
}

/* Makes room for n more postings and n_pos positions in the merge arrays (pin, its field
 * lengths plen and first-position index ppos_idx grow together). */
static int pin_reserve(kb__merge *m, uint32_t n, uint32_t n_pos)
{
    if ((uint64_t)m->n_pin + n > m->cap_pin) {
        if ((uint64_t)m->n_pin + n > UINT32_MAX / 2) return KB_ETOOBIG;
        uint32_t c = m->cap_pin ? m->cap_pin : 1024;
        while (c < m->n_pin + n)
            c *= 2;
        kb__posting_in *a = kb__realloc(m->pin, (size_t)c * sizeof *a);
        if (a) m->pin = a;
        uint32_t *l = kb__realloc(m->plen, (size_t)c * KB_N_FIELDS * sizeof *l);
        if (l) m->plen = l;
        uint32_t *q = kb__realloc(m->ppos_idx, (size_t)c * sizeof *q);
        if (q) m->ppos_idx = q;
        if (!a || !l || !q) return KB_ENOMEM;
        m->cap_pin = c;
    }
    return kb__grow((void **)&m->ppos, &m->cap_ppos, (uint64_t)m->n_ppos + n_pos + 1,
                    sizeof *m->ppos);
}

static int pin_add(kb__merge *m, uint32_t doc, const uint32_t tf[KB_N_FIELDS], const uint32_t *pos,
                   uint32_t n_pos, const uint32_t lens[KB_N_FIELDS])
{
    int rc = pin_reserve(m, 1, n_pos);
    if (rc) return rc;
    kb__posting_in *p = &m->pin[m->n_pin];
    p->doc = doc;
    memcpy(p->tf, tf, sizeof p->tf);
    p->pos = NULL; /* set when encoding: ppos may move while it grows */
    m->ppos_idx[m->n_pin] = m->n_ppos;
    memcpy(m->plen + (size_t)m->n_pin * KB_N_FIELDS, lens, KB_N_FIELDS * sizeof *lens);
    if (n_pos) memcpy(m->ppos + m->n_ppos, pos, n_pos * sizeof *pos);
    m->n_ppos += n_pos;
    m->n_pin++;
    m->n_plen = m->n_pin;
    return 0;
}

/* Decodes an existing block (inline, or a term's last row) into the merge arrays; its postings
 * take the block's minimum field lengths, which keeps the new block's bound valid. Returns 0,
 * KB_ENOMEM, or KB_ECORRUPT for a damaged block. */
static int pin_add_block(kb__merge *m, const void *blob, size_t n, int with_pos)
{
    kb_buf *b = &m->enc;
    kb__buf_reset(b);
    kb__buf_append(b, blob, n);
    if (kb__buf_reserve(b, KB_BLOCK_PAD)) return b->rc;
    memset(b->p + n, 0, KB_BLOCK_PAD);
    uint32_t docs[KB_BLOCK_MAX], tfs[KB_N_FIELDS][KB_BLOCK_MAX], pstart[KB_BLOCK_MAX + 1];
    uint32_t *pos = NULL, cap = 0;
    kb__block_head h;
    int rc = kb__block_decode((const unsigned char *)b->p, n, &h, docs, tfs, with_pos ? &pos : NULL,
                              &cap, pstart);
    if (!rc && h.with_pos != with_pos) rc = KB_ECORRUPT;
    for (uint32_t i = 0; i < h.n && !rc; i++) {
        uint32_t tf[KB_N_FIELDS] = {tfs[0][i], tfs[1][i], tfs[2][i]};
        uint32_t np = with_pos ? pstart[i + 1] - pstart[i] : 0;
        rc = pin_add(m, docs[i], tf, with_pos ? pos + pstart[i] : NULL, np, h.min_len);
    }
    kb__free(pos);
    return rc;
}

/* A batch entry's kind: its key's first byte. */
static inline int acc_kind(const kb__acc *a)
{
    return a->head[0] == 'F' ? KB_TERM_FORM : KB_TERM_STEM;
}

/* Decodes the batch postings of entry a into the merge arrays (reads the batch only); adds their
 * count to *df and raises max_tf to their largest tfs. Their field lengths stay in the batch
 * (kb__merge.blens): only their lines are prefetched here, for encode_range. */
static int pin_add_batch(kb__merge *m, const kb_index *ix, const kb__acc *a, uint32_t *df,
                         uint32_t max_tf[KB_N_FIELDS])
{
    const unsigned char *p = (const unsigned char *)a->post;
    size_t n = a->post_n, i = 0;
    /* A posting takes 4 bytes or more (the docid gap and three tfs), a position 1 or more: room
     * for them all at once, instead of a check per posting. */
    int rc = pin_reserve(m, (uint32_t)(n / 4 + 1), (uint32_t)n);
    if (rc) return rc;
    int with_pos = acc_kind(a) == KB_TERM_FORM;
    kb__posting_in *in = m->pin + m->n_pin;
    uint32_t *idx = m->ppos_idx + m->n_pin, *out = m->ppos + m->n_ppos;
    uint32_t doc = 0, mt0 = max_tf[0], mt1 = max_tf[1], mt2 = max_tf[2];
    while (i < n) {
        uint32_t t0, t1, t2;
        uint32_t head4;
        if (n - i >= 4 && (memcpy(&head4, p + i, 4), (head4 & 0x80808080u) == 0)) {
            /* the common posting: docid gap and tfs a byte each */
            doc += p[i];
            t0 = p[i + 1];
            t1 = p[i + 2];
            t2 = p[i + 3];
            i += 4;
        } else {
            doc += get_varint(p, n, &i);
            t0 = get_varint(p, n, &i);
            t1 = get_varint(p, n, &i);
            t2 = get_varint(p, n, &i);
        }
        prefetch_line(ix->blens + (size_t)(doc - ix->batch_first) * KB_N_FIELDS);
        in->doc = doc;
        in->tf[0] = t0;
        in->tf[1] = t1;
        in->tf[2] = t2;
        in->pos = NULL; /* set when encoding */
        in++;
        *idx++ = (uint32_t)(out - m->ppos);
        mt0 = KB_MAX(mt0, t0);
        mt1 = KB_MAX(mt1, t1);
        mt2 = KB_MAX(mt2, t2);
        /* well-formed postings have as many positions as bytes at most; a varint that says
         * otherwise is the batch's own bug, but must not write past the room made */
        uint32_t np = with_pos ? t0 + t1 + t2 : 0, prev = 0;
        if (np > n - i) np = (uint32_t)(n - i);
        for (uint32_t j = 0; j < np; j++) {
            uint32_t g = get_varint(p, n, &i);
            out[j] = j ? prev + g + 1 : g;
            prev = out[j];
        }
        out += np;
    }
    uint32_t added = (uint32_t)(in - (m->pin + m->n_pin));
    *df += added;
    max_tf[0] = mt0;
    max_tf[1] = mt1;
    max_tf[2] = mt2;
    m->n_pin += added;
    m->n_ppos = (uint32_t)(out - m->ppos);
    m->blens = ix->blens;
    m->blens_first = ix->batch_first;
    return 0;
}

/* Encodes postings [from, to) of the merge arrays as one block into m->enc. */
static int encode_range(kb__merge *m, uint32_t from, uint32_t to, int with_pos)
{
    uint32_t min_len[KB_N_FIELDS] = {UINT32_MAX, UINT32_MAX, UINT32_MAX};
    for (uint32_t i = from; i < to; i++) {
        m->pin[i].pos = with_pos ? m->ppos + m->ppos_idx[i] : NULL;
        const uint32_t *l = i < m->n_plen
                                ? m->plen + (size_t)i * KB_N_FIELDS
                                : m->blens + (size_t)(m->pin[i].doc - m->blens_first) * KB_N_FIELDS;
        for (int f = 0; f < KB_N_FIELDS; f++)
            min_len[f] = KB_MIN(min_len[f], l[f]);
    }
    kb__buf_reset(&m->enc);
    kb__block_encode(&m->enc, m->pin + from, to - from, with_pos, min_len);
    return m->enc.rc;
}

static int put_block_row(kb_index *ix, uint64_t tid, uint32_t last, const void *b, size_t n)
{
    sqlite3_stmt *st = kb__index_stmt(ix, KB_ST_BLOCK_PUT);
    if (!st) return ix->last_err;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)(tid << 32 | last));
    sqlite3_bind_blob(st, 2, b, (int)n, SQLITE_STATIC);
    int s = sqlite3_step(st);
    sqlite3_reset(st);
    return s == SQLITE_DONE ? 0 : kb__index_sqlerr(ix, s, "blocks");
}

/*
 * The commit walks the batch in key order, in chunks of terms, each in three stages:
 *   read    (writer, SQL) each term's row, and the on-disk postings the new ones merge onto: an
 *           inline block, or a partial last block row; copied into the chunk
 *   encode  (pure CPU) merge those with the batch postings and encode the term's blocks into
 *           the chunk; new terms with blocks get their tid here, in key order
 *   write   (writer, SQL) delete the replaced last block, put the block rows and the term row
 * On a large commit an encoder thread encodes the chunks the writer has read, up to KB_RING ahead
 * of it, and the writer writes the duplicates key rows while the encoder works, then, rather
 * than wait for the chunk it must write next, encodes the ring's last chunk not taken yet (the
 * encoder takes them from the front): the two CPUs share what was the commit's serial part. A
 * chunk the encoder has not taken yet when the writer needs it, the writer encodes itself: on a busy machine the encoder thread may wait long for a
 * CPU, and the commit then never waits for it longer than one chunk. So chunks may be encoded
 * out of order; new terms get their tids when written, in key order. Small commits do the three
 * stages in turn.
 */
#define KB_CHUNK_TERMS 256
#define KB_RING 16
/* Terms in the batch from which the commit encodes in a thread of its own (tests lower it). */
uint32_t kb__commit_thread_terms = 4096;
/* Duplicates key rows the writer writes between two looks at the encoder. */
#define KB_DEDUP_STEP 1024

typedef struct cterm {
    uint32_t acc; /* batch entry */
    uint32_t df, mtf[KB_N_FIELDS];
    uint64_t tid;                  /* 0: none yet */
    uint32_t old_off, old_n;       /* on-disk postings to merge, in chunk.in (old_n 0: none) */
    sqlite3_int64 del_k;           /* the partial last block row they came from, or 0 */
    uint32_t out_off, out_n;       /* in chunk.out: the key, then per block u32 last doc, u32
                                      length and the bytes */
    uint32_t key_len;
    uint32_t val_off, val_n; /* its dictionary value, built when written */
    int inl;                       /* one block, inline in the term row */
} cterm;

enum { CH_READ = 0, CH_TAKEN, CH_ENCODED }; /* a chunk's state once read */

typedef struct chunk {
    cterm t[KB_CHUNK_TERMS];
    uint32_t first; /* its first term's place in the commit's order */
    uint32_t n;
    kb_buf in, out;
    int state;
    int rc; /* the encoding's: 0, KB_ENOMEM or KB_ECORRUPT */
} chunk;

typedef struct committer {
    kb_index *ix;
    const uint32_t *order;
    uint32_t n_chunks;
    chunk ring[KB_RING];
    kb__merge own; /* the writer's merge arrays, for the chunks it encodes itself */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint32_t n_read, n_written; /* chunks [n_written, n_read) are in the ring */
    uint32_t next_take;         /* the encoder's next chunk to look at */
    int stop;
} committer;

/* Read stage: the rows of chunk k's terms. */
static int read_chunk(committer *cm, uint32_t k)
{
    kb_index *ix = cm->ix;
    chunk *c = &cm->ring[k % KB_RING];
    uint32_t first = k * KB_CHUNK_TERMS;
    c->first = first;
    c->n = KB_MIN(KB_CHUNK_TERMS, ix->n_acc - first);
    c->rc = 0;
    c->state = CH_READ;
    kb__buf_reset(&c->in);
    kb__buf_reset(&c->out);
    for (uint32_t i = 0; i < c->n; i++) {
        cterm *t = &c->t[i];
        memset(t, 0, sizeof *t);
        t->acc = cm->order[first + i];
        if (ix->terms_fresh) continue;
        const kb__acc *a = &ix->acc[t->acc];
        const char *key = ix->bkeys.p + a->key_off;
        kb__term_row row;
        int rc = kb__index_term_lookup(ix, (kb__term_kind)acc_kind(a), key + 1, a->key_len - 1, &row);
        if (rc == KB_ENOTFOUND) continue;
        if (rc) return rc;
        t->df = row.df;
        memcpy(t->mtf, row.max_tf, sizeof t->mtf);
        t->tid = row.tid;
        if (row.inl) {
            t->old_off = (uint32_t)c->in.n;
            t->old_n = (uint32_t)row.inl_n;
            kb__buf_append(&c->in, row.inl, row.inl_n);
            if (c->in.rc) return kb__index_fail(ix, c->in.rc, "out of memory committing");
            continue;
        }
        /* The last block, when partial, is decoded and rewritten with the new postings. */
        sqlite3_stmt *st = kb__index_stmt(ix, KB_ST_BLOCK_LAST);
        if (!st) return ix->last_err;
        sqlite3_bind_int64(st, 1, (sqlite3_int64)(t->tid << 32));
        sqlite3_bind_int64(st, 2, (sqlite3_int64)(t->tid << 32 | 0xffffffffu));
        int s = sqlite3_step(st);
        if (s == SQLITE_ROW) {
            size_t bn = (size_t)sqlite3_column_bytes(st, 1), off = c->in.n;
            kb__buf_append(&c->in, sqlite3_column_blob(st, 1), bn);
            /* the header needs padding to be read safely */
            if (!kb__buf_reserve(&c->in, KB_BLOCK_PAD)) memset(c->in.p + c->in.n, 0, KB_BLOCK_PAD);
            if (c->in.rc) {
                sqlite3_reset(st);
                return kb__index_fail(ix, c->in.rc, "out of memory committing");
            }
            kb__block_head h;
            rc = kb__block_read_head((const unsigned char *)c->in.p + off, bn, &h);
            if (rc) {
                sqlite3_reset(st);
                return kb__index_fail(ix, rc, "a postings block on disk is damaged");
            }
            if (h.n < KB_BLOCK_MAX) {
                t->old_off = (uint32_t)off;
                t->old_n = (uint32_t)bn;
                t->del_k = sqlite3_column_int64(st, 0);
            } else {
                c->in.n = off;
            }
        } else if (s != SQLITE_DONE) {
            return kb__index_sqlerr(ix, s, "blocks");
        }
        sqlite3_reset(st);
    }
    return 0;
}

/* Appends one encoded block (m->enc) to the chunk's output. */
static int out_block(chunk *c, uint32_t last, const kb_buf *b)
{
    uint32_t n = (uint32_t)b->n;
    kb__buf_append(&c->out, &last, sizeof last);
    kb__buf_append(&c->out, &n, sizeof n);
    kb__buf_append(&c->out, b->p, b->n);
    return c->out.rc;
}

/* Encode stage of one term: reads the batch and the chunk, writes the chunk's term and output
 * and the merge arrays m. */
static int encode_term(kb_index *ix, kb__merge *m, chunk *c, cterm *t)
{
    const kb__acc *a = &ix->acc[t->acc];
    int with_pos = acc_kind(a) == KB_TERM_FORM, rc = 0;
    m->n_pin = m->n_ppos = m->n_plen = 0;
    if (t->old_n) rc = pin_add_block(m, c->in.p + t->old_off, t->old_n, with_pos);
    if (!rc) rc = pin_add_batch(m, ix, a, &t->df, t->mtf);
    if (rc) return rc;
    t->key_len = a->key_len;
    /* The key first (the writer then reads the chunk in order instead of the batch at random). */
    t->out_off = (uint32_t)c->out.n;
    uint32_t nh = KB_MIN(a->key_len, KB_ACC_HEAD);
    kb__buf_append(&c->out, a->head, nh);
    kb__buf_append(&c->out, ix->bkeys.p + a->key_off + nh, a->key_len - nh);
    if (c->out.rc) return c->out.rc;
    /* One small block stays inline in the terms row; otherwise blocks rows. */
    int encoded = 0;
    if (m->n_pin <= KB_BLOCK_MAX && !t->tid) {
        rc = encode_range(m, 0, m->n_pin, with_pos);
        if (rc) return rc;
        t->inl = m->enc.n <= KB_INLINE_MAX_BYTES;
        encoded = 1; /* too big to be inline: the same bytes make its one block row */
    }
    for (uint32_t from = 0; from < m->n_pin; from += KB_BLOCK_MAX) {
        uint32_t to = KB_MIN(m->n_pin, from + KB_BLOCK_MAX);
        rc = encoded ? 0 : encode_range(m, from, to, with_pos);
        if (!rc) rc = out_block(c, m->pin[to - 1].doc, &m->enc);
        if (rc) return rc;
    }
    t->out_n = (uint32_t)c->out.n - t->out_off;
    return 0;
}

static int encode_chunk(committer *cm, chunk *c, kb__merge *m)
{
    kb_index *ix = cm->ix;
    int rc = 0;
    for (uint32_t i = 0; i < c->n && !rc; i++) {
        /* Key order is random order in memory: start the next entries' misses early (entry
         * 2 x KB_AHEAD ahead, its postings KB_AHEAD ahead), from the batch's order rather than
         * the chunk's terms, so that a chunk's first terms were prefetched too. */
        uint32_t g = c->first + i;
        if (g + 2 * KB_AHEAD < ix->n_acc) prefetch_line(&ix->acc[cm->order[g + 2 * KB_AHEAD]]);
        if (g + KB_AHEAD < ix->n_acc) {
            const kb__acc *f = &ix->acc[cm->order[g + KB_AHEAD]];
            prefetch_line(f->post);
        }
        rc = encode_term(ix, m, c, &c->t[i]);
    }
    return rc;
}

/* Write stage: the rows of chunk c: block rows term by term, then the terms rows, 32 per INSERT
 * (one statement per row spent as much in starting and ending statements as in the B-tree). */
static int write_chunk(kb_index *ix, chunk *c)
{
    if (c->rc == KB_ECORRUPT)
        return kb__index_fail(ix, c->rc, "a postings block on disk is damaged (run khabar check)");
    if (c->rc) return kb__index_fail(ix, c->rc, "out of memory committing");
    kb_buf *vals = &c->in; /* the old postings are merged by now: the buffer holds the values */
    kb__buf_reset(vals);
    for (uint32_t i = 0; i < c->n; i++) {
        cterm *t = &c->t[i];
        int rc = 0;
        if (!t->inl && !t->tid) {
            if (ix->next_tid > 0x7fffffff) return kb__index_fail(ix, KB_ETOOBIG, "too many terms");
            t->tid = ix->next_tid++;
        }
        if (t->del_k) {
            sqlite3_stmt *del = kb__index_stmt(ix, KB_ST_BLOCK_DEL);
            if (!del) return ix->last_err;
            sqlite3_bind_int64(del, 1, t->del_k);
            int s = sqlite3_step(del);
            sqlite3_reset(del);
            if (s != SQLITE_DONE) return kb__index_sqlerr(ix, s, "blocks");
        }
        const char *key = c->out.p + t->out_off, *o = key + t->key_len, *end = key + t->out_n;
        uint32_t last = 0, n = 0;
        while (!t->inl && o < end && !rc) {
            memcpy(&last, o, 4);
            memcpy(&n, o + 4, 4);
            rc = put_block_row(ix, t->tid, last, o + 8, n);
            o += 8 + n;
        }
        if (rc) return rc;
        if (t->inl) memcpy(&n, o + 4, 4);
        t->val_off = (uint32_t)vals->n;
        if (kb__index_term_value(vals, t->df, t->inl ? 0 : t->tid, t->mtf, t->inl ? o + 8 : NULL,
                                 t->inl ? n : 0))
            return kb__index_fail(ix, vals->rc, "out of memory committing");
        t->val_n = (uint32_t)vals->n - t->val_off;
    }
    uint32_t i = 0;
    sqlite3_stmt *many = c->n >= KB_TERM_PUT_ROWS ? kb__index_stmt(ix, KB_ST_TERM_PUT_N) : NULL;
    if (c->n >= KB_TERM_PUT_ROWS && !many) return ix->last_err;
    for (; i + KB_TERM_PUT_ROWS <= c->n; i += KB_TERM_PUT_ROWS) {
        for (int r = 0; r < KB_TERM_PUT_ROWS; r++) {
            const cterm *t = &c->t[i + r];
            sqlite3_bind_blob(many, 2 * r + 1, c->out.p + t->out_off, (int)t->key_len,
                              SQLITE_STATIC);
            sqlite3_bind_blob(many, 2 * r + 2, vals->p + t->val_off, (int)t->val_n, SQLITE_STATIC);
        }
        int s = sqlite3_step(many);
        sqlite3_reset(many);
        if (s != SQLITE_DONE) return kb__index_sqlerr(ix, s, "terms");
    }
    for (; i < c->n; i++) {
        const cterm *t = &c->t[i];
        sqlite3_stmt *st = kb__index_stmt(ix, KB_ST_TERM_PUT);
        if (!st) return ix->last_err;
        sqlite3_bind_blob(st, 1, c->out.p + t->out_off, (int)t->key_len, SQLITE_STATIC);
        sqlite3_bind_blob(st, 2, vals->p + t->val_off, (int)t->val_n, SQLITE_STATIC);
        int s = sqlite3_step(st);
        sqlite3_reset(st);
        if (s != SQLITE_DONE) return kb__index_sqlerr(ix, s, "terms");
    }
    return 0;
}

/* The encoder thread: takes the read chunks in order (skipping those the writer took). */
static void *encoder(void *arg)
{
    committer *cm = arg;
    pthread_mutex_lock(&cm->mu);
    for (;;) {
        uint32_t k = KB_MAX(cm->next_take, cm->n_written);
        while (k < cm->n_read && cm->ring[k % KB_RING].state != CH_READ)
            k++;
        if (k < cm->n_read) {
            chunk *c = &cm->ring[k % KB_RING];
            c->state = CH_TAKEN;
            cm->next_take = k + 1;
            pthread_mutex_unlock(&cm->mu);
            c->rc = encode_chunk(cm, c, &cm->ix->merge);
            pthread_mutex_lock(&cm->mu);
            c->state = CH_ENCODED;
            pthread_cond_broadcast(&cm->cv);
            continue;
        }
        if (cm->stop) break;
        pthread_cond_wait(&cm->cv, &cm->mu);
    }
    pthread_mutex_unlock(&cm->mu);
    return NULL;
}

/* Writes the batch's terms in key order (and the duplicates key rows). */
static int commit_terms(kb_index *ix, const uint32_t *order)
{
    committer *cm = kb__malloc(sizeof *cm);
    if (!cm) return kb__index_fail(ix, KB_ENOMEM, "out of memory committing");
    memset(cm, 0, sizeof *cm);
    cm->ix = ix;
    cm->order = order;
    cm->n_chunks = (ix->n_acc + KB_CHUNK_TERMS - 1) / KB_CHUNK_TERMS;
    for (int i = 0; i < KB_RING; i++) {
        kb__buf_init(&cm->ring[i].in, 0);
        kb__buf_init(&cm->ring[i].out, 0);
    }
    kb__buf_init(&cm->own.enc, 0);
    pthread_t tid;
    int threaded = 0, rc = 0, dedup_left = ix->dedup != NULL;
    if (ix->n_acc >= kb__commit_thread_terms) {
        pthread_mutex_init(&cm->mu, NULL);
        pthread_cond_init(&cm->cv, NULL);
        threaded = pthread_create(&tid, NULL, encoder, cm) == 0;
        if (!threaded) {
            pthread_mutex_destroy(&cm->mu);
            pthread_cond_destroy(&cm->cv);
        }
    }
    /* Without the thread the lock is never taken, and every chunk is encoded here. */
    if (threaded) pthread_mutex_lock(&cm->mu);
    while (!rc && cm->n_written < cm->n_chunks) {
        /* Read ahead as far as the ring allows (one chunk at a time without the thread). */
        while (cm->n_read < cm->n_chunks && cm->n_read - cm->n_written < (threaded ? KB_RING : 1)) {
            if (threaded) pthread_mutex_unlock(&cm->mu);
            rc = read_chunk(cm, cm->n_read);
            if (threaded) pthread_mutex_lock(&cm->mu);
            if (rc) break;
            cm->n_read++;
            if (threaded) pthread_cond_signal(&cm->cv);
        }
        if (rc) break;
        chunk *c = &cm->ring[cm->n_written % KB_RING];
        if (c->state == CH_READ) { /* not taken: encode it here */
            c->state = CH_TAKEN;
            if (threaded) pthread_mutex_unlock(&cm->mu);
            c->rc = encode_chunk(cm, c, threaded ? &cm->own : &ix->merge);
            if (threaded) pthread_mutex_lock(&cm->mu);
            c->state = CH_ENCODED;
        }
        /* While the encoder works on it, write duplicates key rows; then encode the ring's
         * last chunk the encoder has not taken (it takes them from the front); then wait. */
        while (c->state != CH_ENCODED && dedup_left) {
            pthread_mutex_unlock(&cm->mu);
            int d = kb__dedup_store_flush_step(ix->dedup, KB_DEDUP_STEP);
            pthread_mutex_lock(&cm->mu);
            if (d <= 0) dedup_left = 0;
            if (d < 0) rc = kb__index_fail(ix, d, "duplicates: writing the key rows failed");
        }
        while (!rc && c->state != CH_ENCODED) {
            uint32_t k = cm->n_read;
            while (k > cm->n_written + 1 && cm->ring[(k - 1) % KB_RING].state != CH_READ)
                k--;
            if (k == cm->n_written + 1) {
                pthread_cond_wait(&cm->cv, &cm->mu);
                continue;
            }
            chunk *o = &cm->ring[(k - 1) % KB_RING];
            o->state = CH_TAKEN;
            pthread_mutex_unlock(&cm->mu);
            o->rc = encode_chunk(cm, o, &cm->own);
            pthread_mutex_lock(&cm->mu);
            o->state = CH_ENCODED;
        }
        if (rc) break;
        if (threaded) pthread_mutex_unlock(&cm->mu);
        rc = write_chunk(ix, c);
        if (threaded) pthread_mutex_lock(&cm->mu);
        cm->n_written++;
    }
    if (threaded) {
        cm->stop = 1;
        pthread_cond_broadcast(&cm->cv);
        pthread_mutex_unlock(&cm->mu);
        pthread_join(tid, NULL);
        pthread_mutex_destroy(&cm->mu);
        pthread_cond_destroy(&cm->cv);
    }
    for (int i = 0; i < KB_RING; i++) {
        kb__buf_free(&cm->ring[i].in);
        kb__buf_free(&cm->ring[i].out);
    }
    merge_free(&cm->own);
    kb__free(cm);
    if (!rc && dedup_left && (rc = kb__dedup_store_flush(ix->dedup)) < 0)
        rc = kb__index_fail(ix, rc, "duplicates: writing the key rows failed");
    return rc;
}

static void rollback(kb_index *ix)
{
    kb__index_stmts_reset(ix);
    if (ix->in_txn) sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
    ix->in_txn = 0;
    ix->dirty = 1;
    batch_reset(ix);
    kb__index_wal_again(ix);
}

KB_API int kb_index_commit(kb_index *ix)
{
    if (!ix) return KB_EINVAL;
    if (!ix->in_txn) return 0;
    int rc = txn_alive(ix);
    if (rc) return rc;
    uint32_t *order = kb__malloc((size_t)(ix->n_acc ? ix->n_acc : 1) * sizeof *order);
    uint64_t *pre = kb__malloc((size_t)(ix->n_acc ? ix->n_acc : 1) * sizeof *pre);
    if (!order || !pre) {
        kb__free(order);
        kb__free(pre);
        rollback(ix);
        return kb__index_fail(ix, KB_ENOMEM, "out of memory committing");
    }
    rc = sort_keys(ix, order, pre, ix->n_acc);
    kb__free(pre);
    if (rc) {
        kb__free(order);
        rollback(ix);
        return kb__index_fail(ix, rc, "out of memory committing");
    }
    rc = commit_terms(ix, order);
    kb__free(order);
    if (!rc) rc = kb__index_meta_put(ix, "next_docid", ix->next_docid);
    if (!rc) rc = kb__index_meta_put(ix, "next_tid", (int64_t)ix->next_tid);
    int64_t commits = 0, dead = 0;
    if (!rc) rc = kb__index_meta_read(ix, "commits", &commits);
    if (!rc) rc = kb__index_meta_put(ix, "commits", commits + 1);
    if (!rc && ix->pending_dead) {
        rc = kb__index_meta_read(ix, "dead", &dead);
        if (rc == KB_ENOTFOUND) rc = 0, dead = 0;
    }
    if (!rc && ix->pending_dead) rc = kb__index_meta_put(ix, "dead", dead + ix->pending_dead);
    kb__index_stmts_reset(ix);
    if (!rc) rc = kb__index_exec(ix, "COMMIT");
    if (rc) {
        int keep = rc;
        char msg[sizeof ix->errmsg];
        memcpy(msg, ix->errmsg, sizeof msg);
        rollback(ix);
        memcpy(ix->errmsg, msg, sizeof msg);
        return keep;
    }
    ix->in_txn = 0;
    ix->dirty = 1;
    ix->commits_mine = commits + 1;
    kb__dedup_store_committed(ix->dedup);
    batch_reset(ix);
    kb__index_wal_again(ix);
    return 0;
}

/* ---- compaction: dropping the postings of deleted and replaced documents ----------------------
 */

/* Rewrites one term's postings without dead documents. */
static int compact_term(kb_index *ix, const unsigned char *key, size_t kn, sqlite3_stmt *blk)
{
    int with_pos = key[0] == 'F';
    kb__term_row row;
    int rc = kb__index_term_lookup(ix, with_pos ? KB_TERM_FORM : KB_TERM_STEM,
                                   (const char *)key + 1, kn - 1, &row);
    if (rc) return rc == KB_ENOTFOUND ? 0 : rc;
    kb__merge *m = &ix->merge;
    m->n_pin = m->n_ppos = m->n_plen = 0;
    uint64_t tid = row.tid;
    if (row.inl) {
        rc = pin_add_block(m, row.inl, row.inl_n, with_pos);
    } else {
        sqlite3_reset(blk);
        sqlite3_bind_int64(blk, 1, (sqlite3_int64)(tid << 32));
        sqlite3_bind_int64(blk, 2, (sqlite3_int64)(tid << 32 | 0xffffffffu));
        int s;
        while (!rc && (s = sqlite3_step(blk)) == SQLITE_ROW) {
            kb_buf copy;
            kb__buf_init(&copy, 0);
            kb__buf_append(&copy, sqlite3_column_blob(blk, 1),
                           (size_t)sqlite3_column_bytes(blk, 1));
            rc = copy.rc ? copy.rc : pin_add_block(m, copy.p, copy.n, with_pos);
            kb__buf_free(&copy);
        }
        sqlite3_reset(blk);
    }
    if (rc == KB_ECORRUPT)
        return kb__index_fail(ix, rc, "a postings block on disk is damaged (run khabar check)");
    if (rc) return rc;
    /* Keep live postings only (in place). */
    uint32_t w = 0, wpos = 0;
    uint32_t mtf[KB_N_FIELDS] = {0};
    for (uint32_t i = 0; i < m->n_pin; i++) {
        if (!kb__index_doc_live(ix, m->pin[i].doc)) continue;
        uint32_t np = with_pos ? m->pin[i].tf[0] + m->pin[i].tf[1] + m->pin[i].tf[2] : 0;
        memmove(m->ppos + wpos, m->ppos + m->ppos_idx[i], np * sizeof *m->ppos);
        m->pin[w] = m->pin[i];
        const uint32_t *l = kb__index_doc_lens(ix, m->pin[i].doc);
        memcpy(m->plen + (size_t)w * KB_N_FIELDS, l, KB_N_FIELDS * sizeof *l);
        m->ppos_idx[w] = wpos;
        for (int f = 0; f < KB_N_FIELDS; f++)
            mtf[f] = KB_MAX(mtf[f], m->pin[i].tf[f]);
        wpos += np;
        w++;
    }
    if (w == m->n_pin) return 0; /* nothing dead here */
    m->n_pin = w;
    m->n_ppos = wpos;
    if (tid) {
        char sql[128];
        snprintf(sql, sizeof sql, "DELETE FROM blocks WHERE k >= %llu AND k <= %llu",
                 (unsigned long long)(tid << 32), (unsigned long long)(tid << 32 | 0xffffffffu));
        rc = kb__index_exec(ix, sql);
        if (rc) return rc;
    }
    if (!w) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(ix->db, "DELETE FROM terms WHERE term = ?1", -1, &st, NULL) !=
            SQLITE_OK)
            return kb__index_sqlerr(ix, SQLITE_ERROR, "terms");
        sqlite3_bind_blob(st, 1, key, (int)kn, SQLITE_STATIC);
        int s = sqlite3_step(st);
        sqlite3_finalize(st);
        return s == SQLITE_DONE ? 0 : kb__index_sqlerr(ix, s, "terms");
    }
    int inl = 0;
    if (w <= KB_BLOCK_MAX) {
        rc = encode_range(m, 0, w, with_pos);
        if (rc) return rc;
        inl = m->enc.n <= KB_INLINE_MAX_BYTES;
    }
    if (!inl) {
        if (!tid) tid = ix->next_tid++;
        for (uint32_t from = 0; from < w; from += KB_BLOCK_MAX) {
            uint32_t to = KB_MIN(w, from + KB_BLOCK_MAX);
            rc = encode_range(m, from, to, with_pos);
            if (!rc) rc = put_block_row(ix, tid, m->pin[to - 1].doc, m->enc.p, m->enc.n);
            if (rc) return rc;
        }
    }
    return kb__index_term_put(ix, key, kn, w, tid, mtf, inl ? m->enc.p : NULL,
                              inl ? m->enc.n : 0);
}

int kb__compact_postings(kb_index *ix)
{
    int rc = begin_write(ix);
    if (rc) return rc;
    /* The live-document arrays of this transaction. */
    rc = kb__index_read_begin(ix);
    if (rc) {
        rollback(ix);
        return rc;
    }
    kb__index_read_end(ix);
    kb_buf keys;
    kb__buf_init(&keys, 0);
    sqlite3_stmt *st = NULL, *blk = NULL;
    if (sqlite3_prepare_v2(ix->db, "SELECT term FROM terms", -1, &st, NULL) != SQLITE_OK) {
        rollback(ix);
        return kb__index_sqlerr(ix, SQLITE_ERROR, "terms");
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        uint32_t n = (uint32_t)sqlite3_column_bytes(st, 0);
        kb__buf_append(&keys, &n, sizeof n);
        kb__buf_append(&keys, sqlite3_column_blob(st, 0), n);
    }
    sqlite3_finalize(st);
    rc = keys.rc;
    if (!rc && sqlite3_prepare_v2(ix->db, "SELECT k, data FROM blocks WHERE k >= ?1 AND k <= ?2",
                                  -1, &blk, NULL) != SQLITE_OK)
        rc = kb__index_sqlerr(ix, SQLITE_ERROR, "blocks");
    for (size_t i = 0; !rc && i + 4 <= keys.n;) {
        uint32_t n;
        memcpy(&n, keys.p + i, 4);
        rc = compact_term(ix, (const unsigned char *)keys.p + i + 4, n, blk);
        i += 4 + n;
    }
    sqlite3_finalize(blk);
    kb__buf_free(&keys);
    if (!rc) rc = kb__index_meta_put(ix, "dead", 0);
    /* The deaths log starts again: it covers the commits after this one. Readers whose arrays
     * are older reload them whole once. */
    int64_t commits = 0;
    if (!rc) rc = kb__index_meta_read(ix, "commits", &commits);
    if (!rc) rc = kb__index_exec(ix, "DELETE FROM deaths");
    if (!rc) rc = kb__index_meta_put(ix, "deaths_since", commits + 1);
    if (rc) {
        rollback(ix);
        return rc;
    }
    return kb_index_commit(ix);
}
