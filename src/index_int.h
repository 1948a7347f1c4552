/*
 * index_int.h — the index module's own internals, shared by index.c (open, snapshots, reader
 * arrays), write.c (adding, deleting, committing) and store.c (stored articles, check, compact).
 * Other modules use the Index section of khabar_int.h instead.
 */
#ifndef KHABAR_INDEX_INT_H
#define KHABAR_INDEX_INT_H

#include "khabar_int.h"

#include <sqlite3.h>

enum {
    KB_ST_TERM = 0,
    KB_ST_DOCID,
    KB_ST_SOURCE,
    KB_ST_SOURCE_ADD,
    KB_ST_DOC_ADD,
    KB_ST_STORE_ADD,
    KB_ST_DOC_DEL,
    KB_ST_STORE_DEL,
    KB_ST_TERM_PUT,
    KB_ST_BLOCK_PUT,
    KB_ST_BLOCK_DEL,
    KB_ST_BLOCK_LAST,
    KB_ST_META_GET,
    KB_ST_META_PUT,
    KB_ST_DOC_GET,
    KB_ST_DOC_META,
    KB_ST_BEGIN,
    KB_ST_COMMIT,
    KB_ST_TERM_PUT_N, /* KB_TERM_PUT_ROWS terms rows in one INSERT (the commit) */
    KB_ST_DEATH_ADD,  /* a deleted docid into the deaths log, with the commit that deletes it */
    KB_ST_N
};
#define KB_TERM_PUT_ROWS 32
/* How long a connection waits for another's lock before SQLITE_BUSY. */
#define KB_BUSY_MS 10000

/* One term of the in-memory batch: its postings since the last commit, encoded as varints
 * (docid gap, tf per field, then for forms the position gaps). One cache line: adding a
 * posting touches the entry and the tail of its postings, and the rest of the key in bkeys only
 * when it is longer than head (rare). The term's kind is its key's first byte; its df and
 * largest tfs are counted when the commit decodes the postings. */
#define KB_ACC_HEAD 28
typedef struct kb__acc {
    uint64_t hash;
    char *post;                /* the varints (kb__parena), NULL before the first posting */
    uint32_t post_n, post_cap; /* bytes used / allocated */
    uint32_t key_off, key_len; /* in kb_index.bkeys */
    uint32_t last_doc;
    char head[KB_ACC_HEAD]; /* the key's first bytes, zero-padded */
} kb__acc;

/* The batch's postings buffers: power-of-two sizes from KB_POST_MIN to KB_POST_ARENA_MAX are
 * cut from large chunks (write.c, post_reserve), kept in a free list per size when a buffer
 * grows out of them; larger ones are kb__malloc'd one by one. */
#define KB_POST_MIN 32
#define KB_POST_CLASSES 16 /* 32 B .. 1 MB */
#define KB_POST_ARENA_MAX ((uint32_t)KB_POST_MIN << (KB_POST_CLASSES - 1))
typedef struct kb__parena {
    void **chunks;
    uint32_t n_chunks, cap_chunks;
    char *cur;  /* the unused rest of the last chunk */
    size_t left;
    char *free_list[KB_POST_CLASSES];
} kb__parena;

/* A batch hash table slot: entry index and the hash's high 32 bits. */
typedef struct kb__aslot {
    uint32_t idx, tag;
} kb__aslot;

/* One term's postings being merged (old block + batch) and encoded, by the commit's encoder (its
 * own thread on large commits) or by compaction. */
typedef struct kb__merge {
    kb__posting_in *pin;
    uint32_t *plen; /* field lengths per posting (min_len source), for postings [0, n_plen) */
    uint32_t n_pin, cap_pin;
    /* Postings from n_plen on come from the commit's batch: their field lengths are those of
     * the batch's documents, blens[(doc - blens_first) * KB_N_FIELDS...], read when encoding
     * (a random access each, many in flight in that short loop). */
    uint32_t n_plen;
    const uint32_t *blens;
    uint32_t blens_first;
    uint32_t *ppos, n_ppos, cap_ppos;
    uint32_t *ppos_idx; /* per posting: index of its first position in ppos */
    kb_buf enc;
} kb__merge;

/* src[] per docid: the source id, and the high bit for a live document. */
#define KB_SRC_LIVE 0x80000000u
#define KB_SRC_MASK 0x7fffffffu

struct kb_index {
    sqlite3 *db;
    char *path;
    int read_only;
    int no_dedup;    /* skip the duplicates hooks */
    kb__dedup_store *dedup; /* the duplicates tables' prepared statements, opened on first write */
    kb__dedup_store *dedup_rd; /* the readers' statements (clusters of hits), on first use */
    struct ZSTD_DCtx_s *zd; /* stored articles' decompression context (store.c), on first use */
    kb_cache *dcache;       /* decoded articles shared with other handles (store.c), or NULL */
    kb__stem_memo *smemo;   /* stems of the words snippets met (snippet.c), on first use */
    int last_err;    /* KB_E* code of the last SQLite failure (kb__index_sqlerr) */
    int sync_full;   /* kb_index_options.sync_full: synchronous=FULL in WAL mode too */
    int out_of_wal;  /* the first commit runs with a rollback journal (write.c, leave_wal) */
    int64_t commits_mine; /* meta "commits" as this handle's last commit wrote it; 0: none yet */
    int terms_fresh; /* the dictionary was empty when this write transaction began */
    kb_stemmer_mode stemmer;
    kb_analyzer *an;
    kb_prepared *prep; /* for kb_index_add */
    char errmsg[512];
    sqlite3_stmt *st[KB_ST_N];
    sqlite3_stmt *pool[160];
    uint32_t n_pool;

    /* writer */
    int in_txn;
    uint32_t next_docid;
    uint64_t next_tid;
    uint32_t pending_dead; /* documents deleted or replaced in this batch */
    uint32_t pending_docs; /* documents added in this batch */
    kb__acc *acc; /* in acc_mem, aligned to a cache line */
    void *acc_mem;
    uint32_t n_acc, cap_acc;
    kb__aslot *aht;
    uint32_t aht_cap;
    kb_buf bkeys;
    uint32_t batch_first; /* first docid of the batch */
    uint32_t *blens;      /* KB_N_FIELDS per batch document */
    uint32_t n_blens, cap_blens;
    /* commit scratch: one term's merged postings (the commit's encoder, or compaction) */
    kb__merge merge;
    kb__parena parena; /* the batch's postings buffers */

    /* reader arrays of the current snapshot. dirty: this handle wrote since they were loaded (a
     * read inside its write transaction must see the writes: commits counts them only at COMMIT).
     * txn_view: they were brought up to date inside this handle's write transaction, so they may
     * hold its uncommitted rows and are no committed snapshot's: reloaded whole once it ends */
    int in_read, docs_loaded, dirty, txn_view;
    int64_t loaded_gen;
    /* how the arrays were brought to a new snapshot: whole reloads and updates from the deaths
     * log (docs/format.md; the tests check the incremental path is taken) */
    uint32_t n_reloads, n_updates;
    uint32_t max_docid, coll_docs;
    int all_live; /* every docid ever given out is live: the cursors need not look each up */
    size_t cap_docs;
    uint64_t total_len[KB_N_FIELDS];
    uint32_t *lens; /* KB_N_FIELDS per docid */
    uint32_t *src, *ymd;
    struct {
        uint32_t off, len;
    } * src_names;
    uint32_t n_sources;
    kb_buf src_text;
    /* id, date and url of every document of the snapshot, loaded on the first ids-only answer
     * (kb__index_doc_meta) and dropped with the other arrays when the snapshot changes:
     * meta_at[4 * docid] = offset in meta_text, then the three lengths */
    int meta_loaded;
    uint32_t *meta_at, meta_n; /* meta_n docids (0..meta_n-1) */
    kb_buf meta_text;
    kb_buf tval; /* a dictionary value being built */
};

/* kb__index_doc_live() inlined, for the postings cursor's every step. */
static inline int kb__index_live(const kb_index *ix, uint32_t docid)
{
    return docid && docid <= ix->max_docid && (ix->all_live || (ix->src[docid] & KB_SRC_LIVE));
}

int kb__index_sqlerr(kb_index *ix, int src, const char *what);
sqlite3_stmt *kb__index_stmt(kb_index *ix, int which);
/* Resets every statement of ix->st: one left on a row (a dictionary lookup returns on it) keeps
 * its read snapshot open past COMMIT or ROLLBACK, which then holds back checkpoints and, once
 * another connection writes, makes the next BEGIN IMMEDIATE fail (SQLITE_BUSY_SNAPSHOT). */
void kb__index_stmts_reset(kb_index *ix);
int kb__index_exec(kb_index *ix, const char *sql);
int64_t kb__index_meta_get(kb_index *ix, const char *key, int64_t dflt); /* dflt on any error */
/* Reads a meta value: 0, KB_ENOTFOUND, or the SQLite failure's code (KB_ENOMEM, KB_EIO...). */
int kb__index_meta_read(kb_index *ix, const char *key, int64_t *out);
/* Looks an article id up: 0 and *out, KB_ENOTFOUND, or an error code. */
int kb__index_docid_find(kb_index *ix, const char *id, size_t n, uint32_t *out);
int kb__index_meta_put(kb_index *ix, const char *key, int64_t v);
void kb__batch_free(kb_index *ix);
/* Terms in a commit's batch from which the commit encodes postings in a thread of its own
 * (write.c; tests set it to 0 to run that thread on small commits). */
extern uint32_t kb__commit_thread_terms;
/* Dictionary values (docs/format.md): parse one, or write a term's row. */
int kb__term_value_parse(const void *v, size_t n, kb__term_row *row);
int kb__index_term_put(kb_index *ix, const void *key, size_t kn, uint32_t df, uint64_t tid,
                       const uint32_t max_tf[KB_N_FIELDS], const void *inl, size_t inl_n);
/* Appends a dictionary value to v (what kb__index_term_put writes); returns v->rc. */
int kb__index_term_value(kb_buf *v, uint32_t df, uint64_t tid, const uint32_t max_tf[KB_N_FIELDS],
                         const void *inl, size_t inl_n);
/* Rolls back the journal a writer killed in a first commit left (write.c, leave_wal): opens the
 * database read-write for one read, which has SQLite replay it. For readers, which cannot
 * (index.c). */
void kb__index_recover_journal(const char *db_path);
/* Puts an index a first commit took out of WAL back into it (write.c; a no-op otherwise). */
void kb__index_wal_again(kb_index *ix);
/* Drops dead postings (write.c); kb_index_compact() then VACUUMs. */
int kb__compact_postings(kb_index *ix);
/* Decodes a stored record (zstd) into d, with ix's decompression context (ix NULL: a context
 * for this call only). Returns 0 or KB_ECORRUPT / KB_ENOMEM. */
int kb__store_decode(kb_index *ix, const void *z, size_t zn, kb__doc *d);
/* Frees what store.c keeps in ix (kb_index_close calls it). */
void kb__store_close(kb_index *ix);

/* YYYYMMDD from an ISO date's first 10 bytes, or 0 (write.c). The docs table keeps both the date
 * text and this number; check compares them, since metadata rows carry no checksum. */
int64_t kb__index_ymd(kb_slice d);

#endif
