/*
 * index.c — the crash-safe embedded index: SQLite (WAL) holding khabar's own postings.
 *
 * Data path: a prepared document (prepare.c) arrives at kb_index_add_prepared(); its row and its
 * stored copy go to SQLite at once, inside the open write transaction; its terms go to an
 * in-memory batch (term → encoded postings). kb_index_commit() merges the batch into the
 * on-disk postings blocks (postings.c), term by term in key order, and commits the transaction:
 * a crash at any moment leaves the last finished commit intact, and readers in other
 * connections keep their snapshot (WAL) until their search ends.
 *
 * Tables (docs/format.md has every column): meta, sources, docs, store, terms, blocks.
 * The reader side keeps per-document arrays (lengths, liveness, source, date) in memory,
 * reloaded when the snapshot shows another commit; search reads them without SQL.
 *
 * Checking, compaction and fetching stored articles live in store.c.
 */
#include "khabar_int.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "index_int.h"

/* The application_id stamped in the SQLite header: "khbr". Another file is refused early. */
#define KB_APP_ID 0x6b686272
/* The largest inline postings block kept in a terms row; larger ones get blocks rows. About the
 * size where a separate row's key and cell overhead stops mattering. */
#define KB_INLINE_MAX_BYTES 192
/* SQLite page cache of a handle, in KiB: big enough for the term dictionary's inner pages and
 * the tail blocks a commit touches. */
#define KB_CACHE_KIB 65536
/* Pooled block statements per handle: one per open postings cursor; a query has at most
 * 2 × KB_QUERY_MAX_TERMS cursors, more than that are prepared on demand and finalized. */
#define KB_STMT_POOL 160

/* The deaths log (docs/format.md): in the schema, and added by upgrade_v3 to older indexes. */
#define DEATHS_TABLE                                                                               \
    "CREATE TABLE IF NOT EXISTS deaths(gen INTEGER NOT NULL, docid INTEGER NOT NULL,"            \
    " PRIMARY KEY(gen, docid)) WITHOUT ROWID"

static const char *SCHEMA =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
    "CREATE TABLE sources(sid INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
    "CREATE TABLE docs(docid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, sid INTEGER,"
    " date TEXT, ymd INTEGER, url TEXT, lt INTEGER, lh INTEGER, lb INTEGER);"
    "CREATE INDEX docs_ymd ON docs(ymd);"
    "CREATE INDEX docs_sid ON docs(sid);"
    "CREATE TABLE store(docid INTEGER PRIMARY KEY, data BLOB NOT NULL);"
    "CREATE TABLE terms(term BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE blocks(k INTEGER PRIMARY KEY, data BLOB NOT NULL);" DEATHS_TABLE ";";

/* ---- errors ------------------------------------------------------------------------------------
 */

int kb__index_fail(kb_index *ix, int err, const char *fmt, ...)
{
    if (!ix) return err;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ix->errmsg, sizeof ix->errmsg, fmt, ap);
    va_end(ap);
    return err;
}

/* Maps an SQLite result to a KB_E* code and records SQLite's message. */
int kb__index_sqlerr(kb_index *ix, int src, const char *what)
{
    int e = src & 0xff;
    char page[400];
    if (src == SQLITE_IOERR_DATA && ix->db &&
        kb__checksum_vfs_fault(ix->db, kb__checksum_vfs_faults(ix->db) - 1, page, sizeof page)) {
        ix->last_err = KB_ECORRUPT; /* a page failed its checksum (checksum_vfs.c) */
        return kb__index_fail(ix, KB_ECORRUPT, "%s: %s", what, page);
    }
    /* A writer died in a first commit (write.c, leave_wal) and this handle cannot roll its
     * journal back: have it done, so that the next read finds the index as it was. */
    if (src == SQLITE_READONLY_ROLLBACK && ix->read_only && ix->path)
        kb__index_recover_journal(ix->path);
    int err = e == SQLITE_CORRUPT || e == SQLITE_NOTADB ? KB_ECORRUPT
              : e == SQLITE_NOMEM                       ? KB_ENOMEM
              : e == SQLITE_FULL                        ? KB_ENOSPC
              : e == SQLITE_BUSY || e == SQLITE_LOCKED  ? KB_EBUSY
              : e == SQLITE_READONLY                    ? KB_EREADONLY
                                                        : KB_EIO;
    ix->last_err = err;
    return kb__index_fail(ix, err, "%s: %s", what, ix->db ? sqlite3_errmsg(ix->db) : "sqlite");
}

/* The message of the thread's last failed open: the handle that held it is gone. */
static __thread char open_errmsg[512];

KB_API const char *kb_index_errmsg(const kb_index *ix)
{
    return ix ? ix->errmsg : open_errmsg;
}

struct sqlite3 *kb__index_db(kb_index *ix)
{
    return ix->db;
}

kb__dedup_store *kb__index_dedup_reader(kb_index *ix)
{
    if (!ix->dedup_rd && kb__dedup_store_open_read(ix->db, &ix->dedup_rd)) return NULL;
    return ix->dedup_rd;
}

kb_analyzer *kb__index_analyzer(kb_index *ix)
{
    return ix->an;
}

/* ---- statements --------------------------------------------------------------------------------
 */

/* KB_TERM_PUT_ROWS rows of parameters */
#define ROWS4 "(?,?),(?,?),(?,?),(?,?)"
#define ROWS16 ROWS4 "," ROWS4 "," ROWS4 "," ROWS4
#define ROWS32 ROWS16 "," ROWS16
_Static_assert(KB_TERM_PUT_ROWS == 32, "ROWS32 has KB_TERM_PUT_ROWS rows");

sqlite3_stmt *kb__index_stmt(kb_index *ix, int which)
{
    static const char *sql[KB_ST_N] = {
        [KB_ST_TERM] = "SELECT v FROM terms WHERE term = ?1",
        [KB_ST_DOCID] = "SELECT docid FROM docs WHERE id = ?1",
        [KB_ST_SOURCE] = "SELECT sid FROM sources WHERE name = ?1",
        [KB_ST_SOURCE_ADD] = "INSERT INTO sources(name) VALUES(?1)",
        [KB_ST_DOC_ADD] = "INSERT INTO docs(docid, id, sid, date, ymd, url, lt, lh, lb)"
                          " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        [KB_ST_STORE_ADD] = "INSERT INTO store(docid, data) VALUES(?1, ?2)",
        [KB_ST_DOC_DEL] = "DELETE FROM docs WHERE docid = ?1",
        [KB_ST_STORE_DEL] = "DELETE FROM store WHERE docid = ?1",
        [KB_ST_TERM_PUT] = "INSERT OR REPLACE INTO terms(term, v) VALUES(?1, ?2)",
        [KB_ST_TERM_PUT_N] = "INSERT OR REPLACE INTO terms(term, v) VALUES " ROWS32,
        [KB_ST_BLOCK_PUT] = "INSERT OR REPLACE INTO blocks(k, data) VALUES(?1, ?2)",
        [KB_ST_BLOCK_DEL] = "DELETE FROM blocks WHERE k = ?1",
        [KB_ST_BLOCK_LAST] = "SELECT k, data FROM blocks WHERE k >= ?1 AND k <= ?2"
                             " ORDER BY k DESC LIMIT 1",
        [KB_ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
        [KB_ST_META_PUT] = "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)",
        [KB_ST_DOC_GET] = "SELECT d.id, s.name, d.date, d.url, st.data FROM docs d"
                          " LEFT JOIN sources s ON s.sid = d.sid"
                          " LEFT JOIN store st ON st.docid = d.docid WHERE d.docid = ?1",
        [KB_ST_DOC_META] = "SELECT id, date, url FROM docs WHERE docid = ?1",
        /* a search's read snapshot: prepared once, not parsed per query */
        [KB_ST_BEGIN] = "BEGIN",
        [KB_ST_COMMIT] = "COMMIT",
        /* the commit that deletes: the one after the last (its counter is written at commit) */
        [KB_ST_DEATH_ADD] = "INSERT OR IGNORE INTO deaths(gen, docid)"
                            " SELECT value + 1, ?1 FROM meta WHERE key = 'commits'",
    };
    if (!ix->st[which]) {
        int rc = sqlite3_prepare_v3(ix->db, sql[which], -1, SQLITE_PREPARE_PERSISTENT,
                                    &ix->st[which], NULL);
        if (rc != SQLITE_OK) {
            kb__index_sqlerr(ix, rc, "prepare");
            return NULL;
        }
    }
    sqlite3_reset(ix->st[which]);
    sqlite3_clear_bindings(ix->st[which]);
    return ix->st[which];
}

void *kb__index_stmt_blocks(kb_index *ix)
{
    if (ix->n_pool) return ix->pool[--ix->n_pool];
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v3(ix->db, "SELECT k, data FROM blocks WHERE k >= ?1 AND k <= ?2", -1,
                                SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK) {
        kb__index_sqlerr(ix, rc, "prepare");
        return NULL;
    }
    return st;
}

void kb__index_stmt_release(kb_index *ix, void *stmt)
{
    sqlite3_stmt *st = stmt;
    if (!st) return;
    sqlite3_reset(st);
    if (ix && ix->n_pool < KB_STMT_POOL)
        ix->pool[ix->n_pool++] = st;
    else
        sqlite3_finalize(st);
}

int kb__index_exec(kb_index *ix, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(ix->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        int err = kb__index_sqlerr(ix, rc, sql);
        /* SQLite's text says more, except for a page checksum (kb__index_sqlerr names it) */
        if (msg && rc != SQLITE_IOERR_DATA)
            snprintf(ix->errmsg, sizeof ix->errmsg, "%.60s: %s", sql, msg);
        sqlite3_free(msg);
        return err;
    }
    return 0;
}

int kb__index_meta_read(kb_index *ix, const char *key, int64_t *out)
{
    sqlite3_stmt *st = kb__index_stmt(ix, KB_ST_META_GET);
    if (!st) return ix->last_err;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) *out = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (s == SQLITE_ROW) return 0;
    if (s == SQLITE_DONE) return kb__index_fail(ix, KB_ENOTFOUND, "meta: %s missing", key);
    return kb__index_sqlerr(ix, s, "meta");
}

int64_t kb__index_meta_get(kb_index *ix, const char *key, int64_t dflt)
{
    int64_t v = dflt;
    return kb__index_meta_read(ix, key, &v) ? dflt : v;
}

int kb__index_meta_put(kb_index *ix, const char *key, int64_t v)
{
    sqlite3_stmt *st = kb__index_stmt(ix, KB_ST_META_PUT);
    if (!st) return ix->last_err;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, v);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : kb__index_sqlerr(ix, rc, "meta");
}

/* ---- open / close ------------------------------------------------------------------------------
 */

static int create_schema(kb_index *ix, kb_stemmer_mode stemmer)
{
    int rc = kb__index_exec(ix, "BEGIN IMMEDIATE");
    if (rc) return rc;
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA application_id=%d", KB_APP_ID);
    rc = kb__index_exec(ix, SCHEMA);
    if (!rc) rc = kb__index_exec(ix, pragma);
    if (!rc) rc = kb__index_meta_put(ix, "format", KB_INDEX_FORMAT_VERSION);
    if (!rc) rc = kb__index_meta_put(ix, "stemmer", (int64_t)stemmer);
    if (!rc) rc = kb__index_meta_put(ix, "next_docid", 1);
    if (!rc) rc = kb__index_meta_put(ix, "next_tid", 1);
    if (!rc) rc = kb__index_meta_put(ix, "commits", 0);
    if (!rc) rc = kb__index_meta_put(ix, "deaths_since", 0);
    if (rc) {
        sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    return kb__index_exec(ix, "COMMIT");
}

static int query_int(kb_index *ix, const char *sql, int64_t *out)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(ix->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK) return kb__index_sqlerr(ix, rc, sql);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? 0 : kb__index_sqlerr(ix, rc, sql);
}

/* Version 3 lacked the deaths log (docs/format.md); a writer adds it: from then on every deletion
 * is logged, and the log covers the commits after the current one. In a write transaction of its
 * own, which first looks again (another process may have done it meanwhile). */
static int upgrade_v3(kb_index *ix)
{
    int rc = kb__index_exec(ix, "BEGIN IMMEDIATE");
    if (rc) return rc;
    int64_t ver = -1, commits = -1;
    rc = kb__index_meta_read(ix, "format", &ver);
    if (!rc && ver == 3) {
        rc = kb__index_meta_read(ix, "commits", &commits);
        if (!rc) rc = kb__index_exec(ix, DEATHS_TABLE);
        if (!rc) rc = kb__index_meta_put(ix, "deaths_since", commits);
        if (!rc) rc = kb__index_meta_put(ix, "format", KB_INDEX_FORMAT_VERSION);
    }
    if (rc) {
        sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    return kb__index_exec(ix, "COMMIT");
}

/* Checks that the database is a khabar index of our format version; creates the schema in an
 * empty, writable database. A version 3 index is upgraded when opened for writing, and read as
 * it is otherwise (its readers reload their arrays whole at every commit). */
static int check_format(kb_index *ix, const kb_index_options *o)
{
    int64_t app = 0, tables = 0;
    int rc = query_int(ix, "PRAGMA application_id", &app);
    if (!rc) rc = query_int(ix, "SELECT count(*) FROM sqlite_schema", &tables);
    if (rc) return rc;
    if (tables == 0 && app == 0) {
        if (ix->read_only)
            return kb__index_fail(ix, KB_ENOTFOUND, "%s: empty database, not an index", ix->path);
        rc = create_schema(ix, o->stemmer);
        if (rc) return rc;
        app = KB_APP_ID;
    }
    if (app != KB_APP_ID)
        return kb__index_fail(ix, KB_ECORRUPT, "%s: not a khabar index (application_id %lld)",
                              ix->path, (long long)app);
    int64_t ver = -1, stem = -1;
    rc = kb__index_meta_read(ix, "format", &ver);
    if (rc && rc != KB_ENOTFOUND) return rc;
    if (ver == 3) { /* upgraded by a writer, read as it is otherwise */
        if (!ix->read_only && (rc = upgrade_v3(ix))) return rc;
        ver = KB_INDEX_FORMAT_VERSION;
    }
    rc = ver == KB_INDEX_FORMAT_VERSION ? kb__index_meta_read(ix, "stemmer", &stem) : 0;
    if (rc && rc != KB_ENOTFOUND) return rc;
    if (ver != KB_INDEX_FORMAT_VERSION)
        return kb__index_fail(ix, KB_EVERSION,
                              "%s: index format version %lld, this khabar reads version %d",
                              ix->path, (long long)ver, KB_INDEX_FORMAT_VERSION);

    if (stem < 0 || stem > KB_STEM_NONE)
        return kb__index_fail(ix, KB_ECORRUPT, "%s: unknown stemmer %lld in meta", ix->path,
                              (long long)stem);
    ix->stemmer = (kb_stemmer_mode)stem;
    return 0;
}

void kb__index_recover_journal(const char *db_path)
{
    char jpath[4096];
    struct stat sb;
    if ((size_t)snprintf(jpath, sizeof jpath, "%s-journal", db_path) >= sizeof jpath ||
        stat(jpath, &sb) != 0 || sb.st_size == 0)
        return;
    sqlite3 *db = NULL;
    if (kb__checksum_vfs_register() == SQLITE_OK &&
        sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                        KB_CHECKSUM_VFS) == SQLITE_OK) {
        sqlite3_busy_timeout(db, KB_BUSY_MS);
        sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
    }
    sqlite3_close_v2(db); /* accepts NULL; without write access the reader's error stands */
}

KB_API int kb_index_open(const char *dir, const kb_index_options *opts, kb_index **out)
{
    kb_index_options o = {0};
    if (opts) o = *opts;
    if (!out || !dir) return KB_EINVAL;
    *out = NULL;
    open_errmsg[0] = 0;
    kb_index *ix = kb__calloc(1, sizeof *ix);
    if (!ix) return KB_ENOMEM;
    ix->read_only = o.read_only;
    ix->no_dedup = o.no_dedup;
    ix->sync_full = o.sync_full != 0;
    size_t dl = strlen(dir);
    ix->path = kb__malloc(dl + 16);
    if (!ix->path) {
        kb__free(ix);
        return KB_ENOMEM;
    }
    snprintf(ix->path, dl + 16, "%s/khabar.db", dir);
    int rc = 0;
    struct stat sb;
    if (o.read_only) {
        if (stat(ix->path, &sb) != 0)
            rc = kb__index_fail(ix, KB_ENOTFOUND, "%s: no index here", dir);
    } else if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        rc = kb__index_fail(ix, KB_EIO, "%s: %s", dir, strerror(errno));
    }
    if (!rc && o.read_only) kb__index_recover_journal(ix->path);
    if (!rc) {
        int flags =
            (o.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
            SQLITE_OPEN_NOMUTEX;
        /* Every page goes through the checksum VFS; a new index reserves its bytes first. */
        int s = kb__checksum_vfs_register();
        if (s == SQLITE_OK) s = sqlite3_open_v2(ix->path, &ix->db, flags, KB_CHECKSUM_VFS);
        if (s == SQLITE_OK && !o.read_only) s = kb__checksum_vfs_prepare(ix->db);
        if (s != SQLITE_OK) rc = kb__index_sqlerr(ix, s, ix->path);
    }
    if (!rc) {
        sqlite3_busy_timeout(ix->db, KB_BUSY_MS);
        sqlite3_extended_result_codes(ix->db, 1);
        char pragma[96];
        snprintf(pragma, sizeof pragma, "PRAGMA cache_size=-%d", KB_CACHE_KIB);
        rc = kb__index_exec(ix, pragma);
    }
    if (!rc && !o.read_only) {
        rc = kb__index_exec(ix, "PRAGMA journal_mode=WAL");
        if (!rc)
            rc = kb__index_exec(ix, o.sync_full ? "PRAGMA synchronous=FULL"
                                                : "PRAGMA synchronous=NORMAL");
    }
    if (!rc) rc = check_format(ix, &o);
    if (!rc && !kb__checksum_vfs_active(ix->db))
        rc = kb__index_fail(ix, KB_ECORRUPT, "%s: pages carry no checksums (damaged header)",
                            ix->path);
    if (!rc) {
        kb_analyzer_options ao = {ix->stemmer};
        ix->an = kb_analyzer_new(&ao);
        if (!ix->an) rc = kb__index_fail(ix, KB_ENOMEM, "cannot create the analyzer");
    }
    if (!rc && !o.read_only) {
        ix->prep = kb_prepared_new();
        if (!ix->prep) rc = KB_ENOMEM;
        kb_prepared_skip_dups(ix->prep, ix->no_dedup);
    }
    if (rc) {
        /* The caller only gets a code; the message stays for kb_index_errmsg(NULL). */
        memcpy(open_errmsg, ix->errmsg, sizeof open_errmsg);
        kb_index_close(ix);
        return rc;
    }
    *out = ix;
    return 0;
}

KB_API void kb_index_close(kb_index *ix)
{
    if (!ix) return;
    if (ix->in_txn) sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
    if (ix->in_read) sqlite3_exec(ix->db, "COMMIT", NULL, NULL, NULL);
    kb__batch_free(ix);
    for (int i = 0; i < KB_ST_N; i++)
        sqlite3_finalize(ix->st[i]);
    for (uint32_t i = 0; i < ix->n_pool; i++)
        sqlite3_finalize(ix->pool[i]);
    kb__dedup_store_close(ix->dedup);
    ix->dedup = NULL; /* the switch back to WAL below has no store to tell */
    kb__dedup_store_close(ix->dedup_rd);
    kb__store_close(ix);
    if (ix->db) kb__index_wal_again(ix);
    if (ix->db) sqlite3_close_v2(ix->db);
    kb_analyzer_free(ix->an);
    kb_prepared_free(ix->prep);
    kb__free(ix->lens);
    kb__free(ix->src);
    kb__free(ix->ymd);
    kb__free(ix->src_names);
    kb__buf_free(&ix->src_text);
    kb__free(ix->meta_at);
    kb__buf_free(&ix->meta_text);
    kb__buf_free(&ix->tval);
    kb__free(ix->path);
    kb__free(ix);
}

/* ---- reader side: snapshots and per-document arrays
 * ---------------------------------------------- */

/* Room in the arrays for docids 0..maxd; the new entries zeroed from docid `from` on. */
static int grow_docs(kb_index *ix, int64_t maxd, size_t from)
{
    size_t n = (size_t)maxd + 1;
    if (n > ix->cap_docs) {
        uint32_t *l = kb__realloc(ix->lens, n * KB_N_FIELDS * sizeof *l);
        if (l) ix->lens = l;
        uint32_t *s = kb__realloc(ix->src, n * sizeof *s);
        if (s) ix->src = s;
        uint32_t *y = kb__realloc(ix->ymd, n * sizeof *y);
        if (y) ix->ymd = y;
        if (!l || !s || !y)
            return kb__index_fail(ix, KB_ENOMEM, "out of memory loading document data");
        ix->cap_docs = n;
    }
    if (from < n) {
        memset(ix->lens + from * KB_N_FIELDS, 0, (n - from) * KB_N_FIELDS * sizeof *ix->lens);
        memset(ix->src + from, 0, (n - from) * sizeof *ix->src);
        memset(ix->ymd + from, 0, (n - from) * sizeof *ix->ymd);
    }
    return 0;
}

static int max_docid_read(kb_index *ix, int64_t *maxd)
{
    *maxd = 0;
    int rc = query_int(ix, "SELECT max(docid) FROM docs", maxd);
    if (rc) return rc;
    if (*maxd < 0 || *maxd >= (int64_t)KB_INDEX_MAX_DOCS)
        return kb__index_fail(ix, KB_ECORRUPT, "docs: docid %lld out of range", (long long)*maxd);
    return 0;
}

/* Reads the docs rows of docids above `after` into the arrays (grown and zeroed beforehand). */
static int load_docs_after(kb_index *ix, int64_t after, int64_t maxd)
{
    sqlite3_stmt *st;
    int s = sqlite3_prepare_v2(
        ix->db, "SELECT docid, sid, ymd, lt, lh, lb FROM docs WHERE docid > ?1", -1, &st, NULL);
    if (s != SQLITE_OK) return kb__index_sqlerr(ix, s, "docs");
    sqlite3_bind_int64(st, 1, after);
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t d = sqlite3_column_int64(st, 0);
        if (d <= after || d > maxd) continue;
        uint32_t *l = ix->lens + (size_t)d * KB_N_FIELDS;
        for (int f = 0; f < KB_N_FIELDS; f++) {
            l[f] = (uint32_t)sqlite3_column_int64(st, 3 + f);
            ix->total_len[f] += l[f];
        }
        /* The high bit of src[] marks a live document (an article may have no words at all). */
        ix->src[d] = ((uint32_t)sqlite3_column_int64(st, 1) & KB_SRC_MASK) | KB_SRC_LIVE;
        ix->ymd[d] = (uint32_t)sqlite3_column_int64(st, 2);
        ix->coll_docs++;
    }
    sqlite3_finalize(st);
    if (s != SQLITE_DONE) return kb__index_sqlerr(ix, s, "docs");
    /* Docids are given out in order from 1 and never again: when the live documents are every
     * docid below next_docid, no posting can be of a dead one. */
    int64_t next = 0;
    ix->all_live = kb__index_meta_read(ix, "next_docid", &next) == 0 &&
                   next == (int64_t)maxd + 1 && ix->coll_docs == (uint32_t)maxd;
    return 0;
}

/* The sources table (a few hundred rows at most: read whole). Rows are only ever added, sid
 * max + 1 each (write.c): with `grown`, a table whose largest sid is still n_sources is kept. */
static int load_sources(kb_index *ix, int grown)
{
    int64_t nsrc = 0;
    int rc = query_int(ix, "SELECT max(sid) FROM sources", &nsrc);
    if (rc) return rc;
    if (nsrc < 0 || nsrc > 100000000)
        return kb__index_fail(ix, KB_ECORRUPT, "sources: sid %lld out of range", (long long)nsrc);
    if (grown && ix->src_names && nsrc == (int64_t)ix->n_sources) return 0;
    kb__free(ix->src_names);
    ix->src_names = kb__calloc((size_t)nsrc + 1, sizeof *ix->src_names);
    ix->n_sources = 0;
    if (!ix->src_names) return KB_ENOMEM;
    ix->n_sources = (uint32_t)nsrc;
    kb__buf_reset(&ix->src_text);
    sqlite3_stmt *st;
    int s = sqlite3_prepare_v2(ix->db, "SELECT sid, name FROM sources", -1, &st, NULL);
    if (s != SQLITE_OK) return kb__index_sqlerr(ix, s, "sources");
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t sid = sqlite3_column_int64(st, 0);
        if (sid <= 0 || sid > nsrc) continue;
        ix->src_names[sid].off = (uint32_t)ix->src_text.n;
        ix->src_names[sid].len = (uint32_t)sqlite3_column_bytes(st, 1);
        kb__buf_append(&ix->src_text, sqlite3_column_text(st, 1), ix->src_names[sid].len);
        kb__buf_putc(&ix->src_text, 0);
    }
    sqlite3_finalize(st);
    if (s != SQLITE_DONE) return kb__index_sqlerr(ix, s, "sources");
    return ix->src_text.rc;
}

/* Reloads the per-document arrays from the docs and sources tables of the current snapshot. */
static int reload_docs(kb_index *ix)
{
    ix->docs_loaded = 0;
    int64_t maxd = 0;
    int rc = max_docid_read(ix, &maxd);
    if (!rc) rc = grow_docs(ix, maxd, 0);
    if (rc) return rc;
    ix->max_docid = (uint32_t)maxd;
    ix->coll_docs = 0;
    ix->meta_loaded = 0; /* the ids of another snapshot */
    memset(ix->total_len, 0, sizeof ix->total_len);
    rc = load_docs_after(ix, 0, maxd);
    if (!rc) rc = load_sources(ix, 0);
    if (rc) return rc;
    ix->n_reloads++;
    ix->docs_loaded = 1;
    return 0;
}

static int load_meta(kb_index *ix, uint32_t after);

/*
 * Brings the arrays of the snapshot of commit loaded_gen to that of commit gen, reading only what
 * changed: docids are given out in increasing order and never again, so the new snapshot adds the
 * docs rows above the old max_docid, and kills some older docids, which the deaths log (written
 * with each deletion, docs/format.md) lists with the commit that deleted them. The log covers the
 * commits after meta deaths_since (compaction empties it); when it does not cover the arrays' own
 * commit, or the index has no log (version 3 read as it is), returns KB_ENOTFOUND and the caller
 * reloads whole. The statistics (coll_docs, total lengths, all_live) come out the same as a
 * reload's: the tests compare both.
 *
 * A writer's handle takes the same path after its own commits: its arrays, loaded outside its
 * write transactions, are the committed snapshot of loaded_gen whatever it wrote since, and its
 * commits log their deaths like anyone's. Not when the arrays were loaded inside a write
 * transaction (txn_view: they may hold its uncommitted rows), nor inside one after writing
 * (dirty: its uncommitted rows are not in the log's committed part): reloaded whole then.
 */
static int update_docs(kb_index *ix, int64_t gen)
{
    if (!ix->docs_loaded || ix->txn_view || (ix->in_txn && ix->dirty) || gen <= ix->loaded_gen)
        return KB_ENOTFOUND;
    int64_t since = -1, maxd = 0;
    if (kb__index_meta_read(ix, "deaths_since", &since) || since > ix->loaded_gen)
        return KB_ENOTFOUND;
    int rc = max_docid_read(ix, &maxd);
    if (rc) return rc;
    uint32_t old = ix->max_docid;
    ix->docs_loaded = 0; /* until the update is whole */
    if (maxd > old && (rc = grow_docs(ix, maxd, (size_t)old + 1))) return rc;
    sqlite3_stmt *st;
    int s = sqlite3_prepare_v2(ix->db, "SELECT docid FROM deaths WHERE gen > ?1", -1, &st, NULL);
    if (s != SQLITE_OK) return kb__index_sqlerr(ix, s, "deaths");
    sqlite3_bind_int64(st, 1, ix->loaded_gen);
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t d = sqlite3_column_int64(st, 0);
        if (d <= 0 || d > old || !(ix->src[d] & KB_SRC_LIVE)) continue; /* added since */
        uint32_t *l = ix->lens + (size_t)d * KB_N_FIELDS;
        for (int f = 0; f < KB_N_FIELDS; f++) {
            ix->total_len[f] -= l[f];
            l[f] = 0;
        }
        ix->src[d] = ix->ymd[d] = 0;
        ix->coll_docs--;
    }
    sqlite3_finalize(st);
    if (s != SQLITE_DONE) return kb__index_sqlerr(ix, s, "deaths");
    /* Every docid above the new largest died; the log said so. */
    ix->max_docid = (uint32_t)maxd;
    rc = load_docs_after(ix, old, maxd);
    if (!rc) rc = load_sources(ix, 1);
    /* The ids table (an ids-only answer's) gains the new rows; dead docids keep theirs, which
     * nothing reads (kb__index_doc_meta looks liveness up first). */
    if (!rc && ix->meta_loaded && maxd > old) rc = load_meta(ix, old);
    if (rc) return rc;
    ix->n_updates++;
    ix->docs_loaded = 1;
    return 0;
}

int kb__index_read_begin(kb_index *ix)
{
    if (ix->in_read) return kb__index_fail(ix, KB_EINVAL, "read snapshot already open");
    int64_t gen = -1;
    int mrc = 0;
    for (int again = 0; again < 2; again++) {
        if (!ix->in_txn) {
            if (!sqlite3_get_autocommit(ix->db)) /* a read left open by a failed COMMIT */
                sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
            sqlite3_stmt *st = kb__index_stmt(ix, KB_ST_BEGIN);
            if (!st) return ix->last_err;
            int s = sqlite3_step(st);
            sqlite3_reset(st);
            if (s != SQLITE_DONE) return kb__index_sqlerr(ix, s, "BEGIN");
        }
        ix->in_read = 1;
        /* The first read fixes the snapshot; the commit counter in it says whether ours is
         * stale. Once more when a writer died in a first commit (write.c, leave_wal): the
         * failure had its journal rolled back (kb__index_sqlerr). */
        gen = -1;
        mrc = kb__index_meta_read(ix, "commits", &gen);
        if (!mrc || again || !ix->read_only ||
            sqlite3_extended_errcode(ix->db) != SQLITE_READONLY_ROLLBACK)
            break;
        kb__index_read_end(ix);
    }
    if (mrc || gen < 0) {
        kb__index_read_end(ix);
        return mrc && mrc != KB_ENOTFOUND
                   ? mrc
                   : kb__index_fail(ix, KB_ECORRUPT, "meta: commit counter missing");
    }
    if (!ix->docs_loaded || gen != ix->loaded_gen || ix->dirty || (ix->txn_view && !ix->in_txn)) {
        int rc = update_docs(ix, gen);
        if (rc) rc = reload_docs(ix);
        if (rc) {
            kb__index_read_end(ix);
            return rc;
        }
        ix->loaded_gen = gen;
        ix->dirty = 0;
        ix->txn_view = ix->in_txn;
    }
    return 0;
}

void kb__index_stmts_reset(kb_index *ix)
{
    for (int i = 0; i < KB_ST_N; i++)
        if (ix->st[i]) sqlite3_reset(ix->st[i]);
}

void kb__index_read_end(kb_index *ix)
{
    if (!ix->in_read) return;
    ix->in_read = 0;
    kb__index_stmts_reset(ix);
    /* Ending a read: COMMIT, and when even that fails (out of memory), ROLLBACK, which cannot
     * fail for a read-only transaction; the next read_begin double-checks. */
    if (ix->in_txn) return;
    sqlite3_stmt *st = kb__index_stmt(ix, KB_ST_COMMIT);
    int s = st ? sqlite3_step(st) : SQLITE_NOMEM;
    if (st) sqlite3_reset(st);
    if (s != SQLITE_DONE) sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
}

void kb__index_collection(const kb_index *ix, kb__collection *out)
{
    memset(out, 0, sizeof *out);
    out->docs = ix->coll_docs;
    out->max_docid = ix->max_docid;
    for (int f = 0; f < KB_N_FIELDS; f++) {
        out->total_len[f] = ix->total_len[f];
        out->avg_len[f] = ix->coll_docs ? (double)ix->total_len[f] / ix->coll_docs : 0;
    }
}

int kb__index_doc_live(const kb_index *ix, uint32_t docid)
{
    return kb__index_live(ix, docid);
}

const uint32_t *kb__index_doc_lens(const kb_index *ix, uint32_t docid)
{
    if (!kb__index_doc_live(ix, docid)) return NULL;
    return ix->lens + (size_t)docid * KB_N_FIELDS; /* valid until the next read_begin */
}

uint32_t kb__index_doc_source(const kb_index *ix, uint32_t docid)
{
    return docid && docid <= ix->max_docid ? ix->src[docid] & KB_SRC_MASK : 0;
}

uint32_t kb__index_doc_date(const kb_index *ix, uint32_t docid)
{
    return docid && docid <= ix->max_docid ? ix->ymd[docid] : 0;
}

uint32_t kb__index_n_sources(const kb_index *ix)
{
    return ix->n_sources;
}

kb_slice kb__index_source_name(const kb_index *ix, uint32_t sid)
{
    if (!sid || sid > ix->n_sources || !ix->src_names) return (kb_slice){"", 0};
    return (kb_slice){ix->src_text.p + ix->src_names[sid].off, ix->src_names[sid].len};
}

uint32_t kb__index_source_id(const kb_index *ix, const char *name, size_t n)
{
    for (uint32_t s = 1; s <= ix->n_sources; s++)
        if (ix->src_names[s].len == n && !memcmp(ix->src_text.p + ix->src_names[s].off, name, n))
            return s;
    return 0;
}

int kb__index_term_lookup(kb_index *ix, kb__term_kind kind, const char *term, size_t n,
                          kb__term_row *row)
{
    memset(row, 0, sizeof *row);
    char key[256];
    if (n + 1 > sizeof key) return KB_ENOTFOUND; /* longer than any indexed term */
    key[0] = kind == KB_TERM_FORM ? 'F' : 'S';
    memcpy(key + 1, term, n);
    sqlite3_stmt *st = kb__index_stmt(ix, KB_ST_TERM);
    if (!st) return ix->last_err;
    /* A copy of the key (it lives on this stack frame); the copy can fail to allocate, and a
     * statement run without its key would say "no such term". */
    int b = sqlite3_bind_blob(st, 1, key, (int)n + 1, SQLITE_TRANSIENT);
    if (b != SQLITE_OK) return kb__index_sqlerr(ix, b, "terms");
    int s = sqlite3_step(st);
    if (s == SQLITE_DONE) return KB_ENOTFOUND;
    if (s != SQLITE_ROW) return kb__index_sqlerr(ix, s, "terms");
    if (kb__term_value_parse(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), row))
        return kb__index_fail(ix, KB_ECORRUPT, "terms: damaged dictionary entry");
    return 0;
}

/* Loads id, date and url of every document of the snapshot (one pass over the docs table) into
 * meta_text as "id\0date\0url\0"; with `after`, only the rows above it, added to what is loaded
 * (update_docs). A row with a field too long for the table is left out (meta_at[4d] = NO_META)
 * and read through SQL when asked for. */
#define NO_META UINT32_MAX
#define META_FIELD_MAX 65535u
static int load_meta(kb_index *ix, uint32_t after)
{
    size_t n = (size_t)ix->max_docid + 1, from = ix->meta_n;
    if (!after || !ix->meta_loaded) {
        after = 0;
        from = 0;
        ix->meta_loaded = 0;
        kb__free(ix->meta_at);
        ix->meta_at = NULL;
        ix->meta_n = 0;
        kb__buf_reset(&ix->meta_text);
    }
    if (n > from) {
        uint32_t *at = kb__realloc(ix->meta_at, n * 4 * sizeof *at);
        if (!at) {
            ix->meta_loaded = 0;
            return kb__index_fail(ix, KB_ENOMEM, "out of memory loading document ids");
        }
        ix->meta_at = at;
        ix->meta_n = (uint32_t)n;
        for (size_t i = from; i < n; i++)
            ix->meta_at[i * 4] = NO_META;
    }
    n = ix->meta_n;
    ix->meta_loaded = 0; /* until the pass is whole */
    sqlite3_stmt *st;
    int s = sqlite3_prepare_v2(ix->db, "SELECT docid, id, date, url FROM docs WHERE docid > ?1", -1,
                               &st, NULL);
    if (s != SQLITE_OK) return kb__index_sqlerr(ix, s, "docs");
    sqlite3_bind_int64(st, 1, after);
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t d = sqlite3_column_int64(st, 0);
        if (d <= (int64_t)after || (size_t)d >= n) continue;
        uint32_t *at = ix->meta_at + (size_t)d * 4, len[3];
        int fits = ix->meta_text.n < UINT32_MAX - 4 * META_FIELD_MAX;
        for (int c = 0; c < 3; c++) {
            len[c] = (uint32_t)KB_MIN((size_t)sqlite3_column_bytes(st, 1 + c), UINT32_MAX);
            fits &= len[c] <= META_FIELD_MAX;
        }
        if (!fits) continue;
        at[0] = (uint32_t)ix->meta_text.n;
        for (int c = 0; c < 3; c++) {
            const unsigned char *t = sqlite3_column_text(st, 1 + c);
            at[1 + c] = t ? len[c] : 0;
            kb__buf_append(&ix->meta_text, t ? (const char *)t : "", at[1 + c]);
            kb__buf_putc(&ix->meta_text, 0);
        }
    }
    sqlite3_finalize(st);
    if (s != SQLITE_DONE) return kb__index_sqlerr(ix, s, "docs");
    if (ix->meta_text.rc)
        return kb__index_fail(ix, ix->meta_text.rc, "out of memory loading document ids");
    ix->meta_loaded = 1;
    return 0;
}

/* One document's row through SQL: the fallback when the in-memory copy cannot be had. */
static int doc_meta_sql(kb_index *ix, uint32_t docid, kb__doc *d)
{
    sqlite3_stmt *st = kb__index_stmt(ix, KB_ST_DOC_META);
    if (!st) return ix->last_err;
    sqlite3_bind_int64(st, 1, docid);
    int r = sqlite3_step(st);
    if (r != SQLITE_ROW) {
        sqlite3_reset(st);
        return r == SQLITE_DONE ? KB_ENOTFOUND : kb__index_sqlerr(ix, r, "docs");
    }
    kb__buf_reset(&d->meta);
    size_t off[3], len[3];
    for (int c = 0; c < 3; c++) {
        const unsigned char *t = sqlite3_column_text(st, c);
        len[c] = t ? (size_t)sqlite3_column_bytes(st, c) : 0;
        off[c] = d->meta.n;
        kb__buf_append(&d->meta, t ? (const char *)t : "", len[c]);
        kb__buf_putc(&d->meta, 0);
    }
    sqlite3_reset(st);
    if (d->meta.rc) return d->meta.rc;
    d->id = (kb_slice){d->meta.p + off[0], len[0]};
    d->date = (kb_slice){d->meta.p + off[1], len[1]};
    d->url = (kb_slice){d->meta.p + off[2], len[2]};
    return 0;
}

/* An ids-only answer reads a document's id, date and url for each hit: a SQL lookup each cost
 * about as much as ranking a short query, so the first such answer of a snapshot loads them all
 * (41,000 articles: one pass, ~5 MB) and later hits are array reads. */
int kb__index_doc_meta(kb_index *ix, uint32_t docid, kb__doc *d)
{
    if (!kb__index_doc_live(ix, docid)) return KB_ENOTFOUND;
    if (!ix->meta_loaded || docid >= ix->meta_n) {
        int rc = load_meta(ix, 0);
        if (rc) return rc;
    }
    const uint32_t *at = ix->meta_at + (size_t)docid * 4;
    if (at[0] == NO_META) {
        int rc = doc_meta_sql(ix, docid, d);
        if (rc) return rc;
    } else {
        const char *t = ix->meta_text.p + at[0];
        kb__buf_reset(&d->meta);
        kb__buf_append(&d->meta, t, (size_t)at[1] + at[2] + at[3] + 3);
        if (d->meta.rc) return d->meta.rc;
        d->id = (kb_slice){d->meta.p, at[1]};
        d->date = (kb_slice){d->meta.p + at[1] + 1, at[2]};
        d->url = (kb_slice){d->meta.p + at[1] + at[2] + 2, at[3]};
    }
    d->docid = docid;
    d->source = kb__index_source_name(ix, kb__index_doc_source(ix, docid));
    return 0;
}

int kb__index_doc_row(kb_index *ix, uint32_t docid, kb__doc *d)
{
    if (!kb__index_doc_live(ix, docid)) return KB_ENOTFOUND;
    int rc = doc_meta_sql(ix, docid, d);
    if (rc) return rc;
    d->docid = docid;
    d->source = kb__index_source_name(ix, kb__index_doc_source(ix, docid));
    return 0;
}

/* A dictionary entry's value: varint tid; with a tid, varint df and three varint max tfs; without
 * (tid 0), the inline block, whose posting count is the df. */
int kb__term_value_parse(const void *v, size_t n, kb__term_row *row)
{
    const unsigned char *p = v;
    size_t i = 0;
    uint64_t x;
    memset(row, 0, sizeof *row);
    if (kb__varint_get(p, n, &i, &x) || x > 0x7fffffffu) return KB_ECORRUPT;
    row->tid = x;
    if (row->tid) {
        if (kb__varint_get(p, n, &i, &x) || x == 0 || x > KB_INDEX_MAX_DOCS) return KB_ECORRUPT;
        row->df = (uint32_t)x;
        for (int f = 0; f < KB_N_FIELDS; f++) {
            if (kb__varint_get(p, n, &i, &x) || x > UINT32_MAX) return KB_ECORRUPT;
            row->max_tf[f] = (uint32_t)x;
        }
        return i == n ? 0 : KB_ECORRUPT;
    }
    /* The block's first header varint after its 4-byte checksum is n << 2 | flags. */
    size_t j = i + 4;
    if (j >= n || kb__varint_get(p, n, &j, &x) || (x >> 2) == 0 || (x >> 2) > KB_BLOCK_MAX)
        return KB_ECORRUPT;
    row->df = (uint32_t)(x >> 2);
    row->inl = p + i;
    row->inl_n = n - i;
    return 0;
}

int kb__index_term_value(kb_buf *v, uint32_t df, uint64_t tid, const uint32_t max_tf[KB_N_FIELDS],
                         const void *inl, size_t inl_n)
{
    kb__varint_put(v, inl ? 0 : tid);
    if (inl) {
        kb__buf_append(v, inl, inl_n); /* df is the block's posting count */
    } else {
        kb__varint_put(v, df);
        for (int f = 0; f < KB_N_FIELDS; f++)
            kb__varint_put(v, max_tf[f]);
    }
    return v->rc;
}

int kb__index_term_put(kb_index *ix, const void *key, size_t kn, uint32_t df, uint64_t tid,
                       const uint32_t max_tf[KB_N_FIELDS], const void *inl, size_t inl_n)
{
    kb_buf *v = &ix->tval;
    kb__buf_reset(v);
    if (kb__index_term_value(v, df, tid, max_tf, inl, inl_n)) return v->rc;
    sqlite3_stmt *st = kb__index_stmt(ix, KB_ST_TERM_PUT);
    if (!st) return ix->last_err;
    sqlite3_bind_blob(st, 1, key, (int)kn, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, v->p, (int)v->n, SQLITE_STATIC);
    int s = sqlite3_step(st);
    sqlite3_reset(st);
    return s == SQLITE_DONE ? 0 : kb__index_sqlerr(ix, s, "terms");
}

int kb__index_docid_find(kb_index *ix, const char *id, size_t n, uint32_t *out)
{
    *out = 0;
    sqlite3_stmt *st = kb__index_stmt(ix, KB_ST_DOCID);
    if (!st) return ix->last_err;
    sqlite3_bind_text(st, 1, id, (int)n, SQLITE_STATIC);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) *out = (uint32_t)sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (s == SQLITE_ROW) return 0;
    return s == SQLITE_DONE ? KB_ENOTFOUND : kb__index_sqlerr(ix, s, "docs");
}

uint32_t kb__index_docid(kb_index *ix, const char *id, size_t n)
{
    sqlite3_stmt *st = kb__index_stmt(ix, KB_ST_DOCID);
    if (!st) return 0;
    sqlite3_bind_text(st, 1, id, (int)n, SQLITE_STATIC);
    uint32_t d = 0;
    if (sqlite3_step(st) == SQLITE_ROW) d = (uint32_t)sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return d;
}

/* ---- stats -------------------------------------------------------------------------------------
 */

KB_API kb_stemmer_mode kb_index_stemmer(const kb_index *ix)
{
    return ix->stemmer;
}

KB_API int kb_index_stats_get(kb_index *ix, kb_index_stats *out)
{
    memset(out, 0, sizeof *out);
    int64_t v = 0;
    int rc = query_int(ix, "SELECT count(*) FROM docs", &v);
    out->docs = (uint64_t)v;
    if (!rc) rc = query_int(ix, "SELECT count(*) FROM terms", &v);
    out->terms = (uint64_t)v;
    if (rc) return rc;
    int64_t next = kb__index_meta_get(ix, "next_docid", 1);
    int64_t dead = kb__index_meta_get(ix, "dead", 0);
    out->dead_docs = (uint64_t)(dead > 0 ? dead : 0);
    (void)next;
    out->commits = (uint64_t)kb__index_meta_get(ix, "commits", 0);
    out->stemmer = ix->stemmer;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(ix->db, "SELECT name, sum(pgsize) FROM dbstat GROUP BY name", -1, &st,
                           NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *name = (const char *)sqlite3_column_text(st, 0);
            uint64_t sz = (uint64_t)sqlite3_column_int64(st, 1);
            if (!name) continue;
            if (!strcmp(name, "terms") || !strcmp(name, "blocks"))
                out->postings_bytes += sz;
            else if (!strcmp(name, "store"))
                out->stored_bytes += sz;
        }
        sqlite3_finalize(st);
    }
    struct stat sb;
    if (stat(ix->path, &sb) == 0) out->file_bytes += (uint64_t)sb.st_size;
    char wal[4096];
    snprintf(wal, sizeof wal, "%s-wal", ix->path);
    if (stat(wal, &sb) == 0) out->file_bytes += (uint64_t)sb.st_size;
    return 0;
}
