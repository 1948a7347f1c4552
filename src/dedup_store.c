/*
 * dedup_store.c — duplicate clusters kept in the index's SQLite database.
 *
 * The index writes through a kb__dedup_store (kb__dedup_store_add/_delete: the same work with its
 * statements prepared once per connection) inside its write transaction, so a
 * document and its duplicate links commit together and a crash loses neither. Search and
 * `khabar dups` read the clusters back. Signatures and the verification rule are dedup.c's; only
 * the MinHash estimate is used here (the stored signature is all that is kept per document).
 *
 * Tables (all named dedup_*, owned by this module; docs/dedup.md has the details):
 *
 *   dedup_meta(key, value)          "version" = KB_DEDUP_STORE_VERSION, and the parameters the
 *                                   signatures were made with (shingle, bands, rows, threshold).
 *   dedup_docs(docid, rep, n_words, date, sig)
 *                                   one row per indexed document; rep is the docid of its
 *                                   cluster's representative (itself when alone); sig is the
 *                                   signature: exact hash (8 bytes LE), n_words, n_shingles
 *                                   (4 bytes LE each), then the 112 MinHash values (4 bytes LE
 *                                   each): 464 bytes. NULL for a text without words.
 *   dedup_keys(key, docid)          the LSH band keys and the exact-copy key of each document.
 *   dedup_pairs(a, b, sim, kind)    verified duplicate pairs, a < b; sim = estimated Jaccard;
 *                                   kind 1 = Jaccard (or exact), 2 = containment.
 *
 * Clusters are connected components of dedup_pairs; a new document's cluster is the union of its
 * partners' clusters; a deletion re-computes its cluster from the pairs that remain.
 */
#include "khabar_int.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

/* Bumped when the tables or the signature change; a mismatch is KB_EVERSION. */
#define KB_DEDUP_STORE_VERSION 1

/* Candidates examined per added document: past this many, the rest share only band keys with
 * thousands of documents (empty pages, one-line notices) and add nothing a cluster lacks. */
#define KB_DEDUP_MAX_CANDIDATES 4096

/* Members of one cluster re-clustered in memory after a deletion or for a listing. */
#define KB_DEDUP_MAX_CLUSTER 1000000

#define SIG_BYTES (16 + 4 * KB_DEDUP_HASHES)

static const char *SCHEMA =
    "CREATE TABLE IF NOT EXISTS dedup_meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS dedup_docs(docid INTEGER PRIMARY KEY, rep INTEGER NOT NULL,"
    " n_words INTEGER NOT NULL, date TEXT, sig BLOB);"
    "CREATE INDEX IF NOT EXISTS dedup_docs_rep ON dedup_docs(rep);"
    "CREATE TABLE IF NOT EXISTS dedup_keys(key INTEGER NOT NULL, docid INTEGER NOT NULL,"
    " PRIMARY KEY(key, docid)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS dedup_pairs(a INTEGER NOT NULL, b INTEGER NOT NULL, sim REAL,"
    " kind INTEGER, PRIMARY KEY(a, b)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS dedup_pairs_b ON dedup_pairs(b);";

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void sig_encode(const kb__dedup_sig *s, unsigned char *p)
{
    put32(p, (uint32_t)s->exact);
    put32(p + 4, (uint32_t)(s->exact >> 32));
    put32(p + 8, s->n_words);
    put32(p + 12, s->n_shingles);
    for (int j = 0; j < KB_DEDUP_HASHES; j++)
        put32(p + 16 + 4 * j, s->mh[j]);
}

/* Decodes a stored signature; KB_ECORRUPT when the blob has the wrong size. */
static int sig_decode(const void *blob, int n, kb__dedup_sig *s)
{
    memset(s, 0, sizeof *s);
    if (!blob) return 0; /* no words: an empty signature */
    if (n != SIG_BYTES) return KB_ECORRUPT;
    const unsigned char *p = blob;
    s->exact = (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
    s->n_words = get32(p + 8);
    s->n_shingles = get32(p + 12);
    for (int j = 0; j < KB_DEDUP_HASHES; j++)
        s->mh[j] = get32(p + 16 + 4 * j);
    return s->n_words ? 0 : KB_ECORRUPT;
}

static int sql_rc(int s)
{
    if (s == SQLITE_IOERR_NOMEM) return KB_ENOMEM;
    if (s == SQLITE_IOERR_DATA) return KB_ECORRUPT; /* a page failed its checksum */
    switch (s & 0xff) { /* extended result codes keep the primary code in the low byte */
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return 0;
    case SQLITE_NOMEM:
        return KB_ENOMEM;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return KB_ECORRUPT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return KB_EBUSY;
    case SQLITE_READONLY:
        return KB_EREADONLY;
    case SQLITE_FULL:
        return KB_ENOSPC;
    default:
        return KB_EIO;
    }
}

static int prep(sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
    return sql_rc(sqlite3_prepare_v2(db, sql, -1, st, NULL));
}

/*
 * The hooks' statements. A kb__dedup_store (opened by the index with its connection) keeps them
 * prepared between calls, and the signature work area too; without one, each call prepares and
 * finalizes its own (SQLite compiles ~8 statements per add: about half of the hook's time).
 */
enum {
    ST_DOC_INS,
    ST_KEY_SEL,
    ST_KEY_INS,
    ST_KEY_DEL,
    ST_SIG,
    ST_PAIR_INS,
    ST_MEMBER,
    ST_CLUSTER,
    ST_PAIRS_OF,
    ST_REP_BY_REP,
    ST_REP_BY_DOC,
    ST_PAIR_DEL,
    ST_DOC_DEL,
    ST_DV,
    ST_KEY_INS_N,
    ST_REP_OF,   /* readers: a document's representative and its cluster's size */
    ST_MEMBERS,  /* readers: a cluster's docids */
    ST_DESCRIBE, /* readers: a member's id, source, date, url */
    ST_DOC_NEW,
    ST_PAIR_NEW,
    ST_N
};

/* Key rows per INSERT in kb__dedup_store_flush: one statement per row spent as much in starting
 * and ending statements as in the B-tree. */
#define FLUSH_ROWS 32

/*
 * The key rows in memory. Looking each of a document's 17 keys up in dedup_keys and inserting its
 * 17 rows at random places of that table cost a B-tree descent each: most of the hook's time. So
 * a store keeps the rows it adds in a hash table (key -> its documents, in docid order) and
 * writes them to dedup_keys only in kb__dedup_store_flush, sorted by key, just before the index
 * commits: the same rows in the same transaction, so a crash still loses both or neither. When
 * dedup_keys was empty as the store opened, the table mirrors it whole and a lookup needs no SQL;
 * otherwise (an index holding documents of earlier runs) a lookup reads dedup_keys and adds the
 * rows still pending. A commit by another connection (PRAGMA data_version) or a mirror past
 * KB_DEDUP_MIRROR_MAX rows ends the mirror: from then on committed rows are read with SQL.
 */
/* Rows mirrored at most: 4M rows (16 bytes each, plus the slots) is ~100 MB for ~250,000
 * documents; past that the SQL lookups are a small share of what such a load costs anyway. */
#define KB_DEDUP_MIRROR_MAX (4u << 20)
#define NIL UINT32_MAX

typedef struct kent {
    uint64_t key;
    uint32_t docid; /* 0: the document was deleted (skipped, never flushed) */
    uint32_t next;  /* the key's next row; the last row's next is the first (a ring) */
} kent;

/* A slot holds the key's low 32 bits beside its last row, so a probe reads the slot's cache line
 * only: most of a document's 17 keys are new (no row yet), and checking the row's key for each
 * slot passed cost a second cache miss per probe. The low bits also place the key when the table
 * grows, without reading its rows. The last row (its next is the first) appends in O(1) however
 * many documents share the key. */
typedef struct kslot {
    uint32_t lo;   /* (uint32_t)key of ents[last].key */
    uint32_t last; /* the key's last row; NIL: an empty slot */
} kslot;

struct kb__dedup_store {
    sqlite3 *db;
    sqlite3_stmt *st[ST_N];
    kb__dedup_work work;
    int mirror;           /* ents holds every row of dedup_keys, committed or pending */
    int64_t data_version; /* PRAGMA data_version while the mirror is valid */
    kent *ents;           /* [0, n_done): committed (mirror only); [n_done, n_ents): pending */
    uint32_t n_ents, cap_ents, n_done;
    uint32_t n_dead;      /* rows of ents whose document was deleted (docid 0) */
    int flushing;         /* kb__dedup_store_flush_step has begun: frows[0, flush_at) written */
    kent *frows;          /* the live pending rows in key order, while flushing */
    uint32_t n_frows, flush_at;
    kslot *slots; /* open addressing on the key's low bits (keys are hashes already) */
    uint32_t cap_slots, n_keys;
};

static kslot *slot_of(const kent *ents, kslot *slots, uint32_t cap, uint64_t key)
{
    uint32_t lo = (uint32_t)key, h = lo & (cap - 1);
    while (slots[h].last != NIL && (slots[h].lo != lo || ents[slots[h].last].key != key))
        h = (h + 1) & (cap - 1);
    return &slots[h];
}

/* Chains entry e at the end of its key's rows. */
static void slot_append(kb__dedup_store *s, uint32_t e)
{
    kslot *sl = slot_of(s->ents, s->slots, s->cap_slots, s->ents[e].key);
    if (sl->last == NIL) {
        sl->lo = (uint32_t)s->ents[e].key;
        s->ents[e].next = e;
        s->n_keys++;
    } else {
        s->ents[e].next = s->ents[sl->last].next;
        s->ents[sl->last].next = e;
    }
    sl->last = e;
}

/* Empties the table and re-inserts the live rows ents[from, to), which move to the front. */
static void map_rebuild(kb__dedup_store *s, uint32_t from, uint32_t to)
{
    uint32_t n = 0;
    for (uint32_t i = from; i < to; i++)
        if (s->ents[i].docid) s->ents[n++] = s->ents[i];
    s->n_ents = 0;
    s->n_keys = 0;
    s->n_dead = 0;
    if (s->slots) memset(s->slots, 0xff, (size_t)s->cap_slots * sizeof *s->slots);
    for (uint32_t i = 0; i < n; i++) {
        slot_append(s, i);
    }
    s->n_ents = n;
}

/* Makes room for n more rows of as many new keys, so that adding them cannot fail. */
static int map_reserve(kb__dedup_store *s, uint32_t n)
{
    if ((uint64_t)(s->n_keys + n) * 2 > s->cap_slots) {
        uint32_t cap = s->cap_slots ? s->cap_slots : 4096;
        while ((uint64_t)(s->n_keys + n) * 2 > cap)
            cap *= 2;
        kslot *sl = kb__malloc((size_t)cap * sizeof *sl);
        if (!sl) return KB_ENOMEM;
        memset(sl, 0xff, (size_t)cap * sizeof *sl);
        for (uint32_t i = 0; i < s->cap_slots; i++) {
            if (s->slots[i].last == NIL) continue;
            uint32_t h = s->slots[i].lo & (cap - 1);
            while (sl[h].last != NIL)
                h = (h + 1) & (cap - 1);
            sl[h] = s->slots[i];
        }
        kb__free(s->slots);
        s->slots = sl;
        s->cap_slots = cap;
    }
    return kb__grow((void **)&s->ents, &s->cap_ents, (uint64_t)s->n_ents + n, sizeof *s->ents)
               ? KB_ENOMEM
               : 0;
}

/* Adds the row (key, docid) as pending; map_reserve made room for it. */
static void map_add(kb__dedup_store *s, uint64_t key, uint32_t docid)
{
    uint32_t e = s->n_ents++;
    s->ents[e] = (kent){key, docid, NIL};
    slot_append(s, e);
}

/* Starts loading the slots where the keys' probes begin: a document's keys are looked up one
 * after the other, each probe a likely cache miss of its own. */
static void map_prefetch(const kb__dedup_store *s, const uint64_t *keys, int n)
{
    for (int k = 0; s->cap_slots && k < n; k++)
        __builtin_prefetch(&s->slots[(uint32_t)keys[k] & (s->cap_slots - 1)]);
}

/* The first row of key in the table, or NIL; *last is its last row, for map_next. */
static uint32_t map_first(const kb__dedup_store *s, uint64_t key, uint32_t *last)
{
    *last = s->cap_slots ? slot_of(s->ents, s->slots, s->cap_slots, key)->last : NIL;
    return *last == NIL ? NIL : s->ents[*last].next;
}

/* The row after e of its key, or NIL after the last. */
static uint32_t map_next(const kb__dedup_store *s, uint32_t e, uint32_t last)
{
    return e == last ? NIL : s->ents[e].next;
}

/* Keeps only the pending rows, for SQL lookups of the committed ones from now on. */
static void mirror_end(kb__dedup_store *s)
{
    s->mirror = 0;
    map_rebuild(s, s->n_done, s->n_ents);
    s->n_done = 0;
}

typedef struct conn {
    sqlite3 *db;
    kb__dedup_store *s; /* NULL: prepare per call */
} conn;

static int get(conn *c, int id, const char *sql, sqlite3_stmt **st)
{
    if (c->s && c->s->st[id]) {
        *st = c->s->st[id];
        return 0;
    }
    int rc = prep(c->db, sql, st);
    if (!rc && c->s) c->s->st[id] = *st;
    return rc;
}

static void done(conn *c, sqlite3_stmt *st)
{
    if (!st) return;
    if (c->s) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    } else {
        sqlite3_finalize(st);
    }
}

/* Runs a statement that returns no rows, with up to three integer parameters. */
static int exec3(conn *cn, int id, const char *sql, int64_t a, int64_t b, int64_t c)
{
    sqlite3_stmt *st;
    int rc = get(cn, id, sql, &st);
    if (rc) return rc;
    int n = sqlite3_bind_parameter_count(st);
    if (n >= 1) sqlite3_bind_int64(st, 1, a);
    if (n >= 2) sqlite3_bind_int64(st, 2, b);
    if (n >= 3) sqlite3_bind_int64(st, 3, c);
    rc = sql_rc(sqlite3_step(st));
    done(cn, st);
    return rc;
}

/* A column's text or blob came back NULL although the value is not NULL, or the call ran out of
 * memory (SQLite then reports the value as NULL and sets SQLITE_NOMEM). */
static int column_lost(sqlite3_stmt *st, int col, const void *v)
{
    return !v && ((sqlite3_column_type(st, col) != SQLITE_NULL && sqlite3_column_bytes(st, col)) ||
                  sqlite3_errcode(sqlite3_db_handle(st)) == SQLITE_NOMEM);
}

/* Creates the tables when missing and checks the version and parameters. */
static int ensure_schema(sqlite3 *db, const kb__dedup_params *p)
{
    sqlite3_stmt *st;
    int rc = prep(db, "SELECT value FROM dedup_meta WHERE key = 'params'", &st);
    if (rc == KB_ENOMEM) return rc;
    if (rc) { /* no tables yet (the usual case is that they exist: one statement) */
        rc = sql_rc(sqlite3_exec(db, SCHEMA, NULL, NULL, NULL));
        if (!rc) rc = prep(db, "SELECT value FROM dedup_meta WHERE key = 'params'", &st);
        if (rc) return rc;
    }
    char want[128];
    snprintf(want, sizeof want, "version=%d shingle=%d hashes=%d bands=%d rows=%d threshold=%.3f",
             KB_DEDUP_STORE_VERSION, p->shingle, KB_DEDUP_HASHES, p->bands, p->rows, p->threshold);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) {
        const unsigned char *have = sqlite3_column_text(st, 0);
        rc = column_lost(st, 0, have)                    ? KB_ENOMEM
             : have && !strcmp((const char *)have, want) ? 0
                                                         : KB_EVERSION;
        sqlite3_finalize(st);
        return rc;
    }
    sqlite3_finalize(st);
    if (s != SQLITE_DONE) return sql_rc(s);
    rc = prep(db, "INSERT INTO dedup_meta(key, value) VALUES ('params', ?)", &st);
    if (rc) return rc;
    rc = sql_rc(sqlite3_bind_text(st, 1, want, -1, SQLITE_STATIC));
    if (!rc) rc = sql_rc(sqlite3_step(st));
    sqlite3_finalize(st);
    return rc;
}

int kb__dedup_create(sqlite3 *db)
{
    kb__dedup_params p;
    kb__dedup_params_default(&p);
    return db ? ensure_schema(db, &p) : KB_EINVAL;
}

/* Do the dedup tables exist? 1 yes, 0 no (an index before its first add: no clusters), or a
 * negative KB_E* code. */
static int have_tables(sqlite3 *db)
{
    sqlite3_stmt *st;
    int rc = prep(db, "SELECT 1 FROM sqlite_master WHERE name = 'dedup_docs'", &st);
    if (rc) return rc;
    int s = sqlite3_step(st);
    sqlite3_finalize(st);
    return s == SQLITE_ROW ? 1 : s == SQLITE_DONE ? 0 : sql_rc(s);
}

/* A cluster member loaded into memory. */
typedef struct member {
    int64_t docid, rep;
    uint32_t n_words, parent;
    char date[40];
} member;

/* The representative order of dedup.c: earliest date (undated last), longest, smallest docid. */
static int better(const member *a, const member *b)
{
    if (a->date[0] && !b->date[0]) return 1;
    if (!a->date[0] && b->date[0]) return 0;
    int c = strcmp(a->date, b->date);
    if (c) return c < 0;
    if (a->n_words != b->n_words) return a->n_words > b->n_words;
    return a->docid < b->docid;
}

static int member_from_row(sqlite3_stmt *st, member *m)
{
    m->docid = sqlite3_column_int64(st, 0);
    m->rep = sqlite3_column_int64(st, 1);
    m->n_words = (uint32_t)sqlite3_column_int64(st, 2);
    const unsigned char *d = sqlite3_column_text(st, 3);
    snprintf(m->date, sizeof m->date, "%s", d ? (const char *)d : "");
    return column_lost(st, 3, d) ? KB_ENOMEM : 0;
}

static int load_member(conn *c, int64_t docid, member *m)
{
    sqlite3_stmt *st;
    int rc =
        get(c, ST_MEMBER, "SELECT docid, rep, n_words, date FROM dedup_docs WHERE docid = ?", &st);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, docid);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW)
        rc = member_from_row(st, m);
    else
        rc = s == SQLITE_DONE ? KB_ENOTFOUND : sql_rc(s);
    done(c, st);
    return rc;
}

/* Loads the members of the cluster whose representative is rep into *out (kb__malloc'd). */
static int load_cluster(conn *c, int64_t rep, member **out, uint32_t *n_out)
{
    sqlite3_stmt *st;
    *out = NULL;
    *n_out = 0;
    int rc =
        get(c, ST_CLUSTER, "SELECT docid, rep, n_words, date FROM dedup_docs WHERE rep = ?", &st);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, rep);
    uint32_t n = 0, cap = 0;
    member *m = NULL;
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            if (cap >= KB_DEDUP_MAX_CLUSTER) {
                rc = KB_ETOOBIG;
                break;
            }
            cap = cap ? cap * 2 : 16;
            member *q = kb__realloc(m, cap * sizeof *m);
            if (!q) {
                rc = KB_ENOMEM;
                break;
            }
            m = q;
        }
        if ((rc = member_from_row(st, &m[n])) != 0) break;
        m[n].parent = n;
        n++;
    }
    if (!rc && s != SQLITE_DONE) rc = sql_rc(s);
    done(c, st);
    if (rc) {
        kb__free(m);
        return rc;
    }
    *out = m;
    *n_out = n;
    return 0;
}

static uint32_t find(member *m, uint32_t x)
{
    while (m[x].parent != x) {
        m[x].parent = m[m[x].parent].parent;
        x = m[x].parent;
    }
    return x;
}

static int cmp_docid(const void *a, const void *b)
{
    int64_t x = ((const member *)a)->docid, y = ((const member *)b)->docid;
    return (x > y) - (x < y);
}

static uint32_t member_index(const member *m, uint32_t n, int64_t docid)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (m[mid].docid < docid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && m[lo].docid == docid ? lo : UINT32_MAX;
}

/*
 * Splits members m[0..n) (sorted by docid) into the connected components of the pairs among them
 * whose similarity is at least min_sim; afterwards m[i].rep is the docid of i's component's
 * representative.
 */
static int components(conn *c, member *m, uint32_t n, double min_sim)
{
    sqlite3_stmt *st;
    int rc = get(c, ST_PAIRS_OF, "SELECT b, sim FROM dedup_pairs WHERE a = ?", &st);
    if (rc) return rc;
    for (uint32_t i = 0; i < n; i++)
        m[i].parent = i;
    for (uint32_t i = 0; i < n && !rc; i++) {
        sqlite3_bind_int64(st, 1, m[i].docid);
        int s;
        while ((s = sqlite3_step(st)) == SQLITE_ROW) {
            uint32_t j = member_index(m, n, sqlite3_column_int64(st, 0));
            if (j == UINT32_MAX || sqlite3_column_double(st, 1) < min_sim) continue;
            uint32_t x = find(m, i), y = find(m, j);
            if (x != y) m[y].parent = x;
        }
        if (s != SQLITE_DONE) rc = sql_rc(s);
        sqlite3_reset(st);
    }
    done(c, st);
    if (rc) return rc;
    /* The best member of each component: kept at the root's index in a second pass. */
    uint32_t *best = kb__malloc((size_t)n * sizeof *best);
    if (!best) return KB_ENOMEM;
    for (uint32_t i = 0; i < n; i++)
        best[i] = UINT32_MAX;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = find(m, i);
        if (best[r] == UINT32_MAX || better(&m[i], &m[best[r]])) best[r] = i;
    }
    for (uint32_t i = 0; i < n; i++)
        m[i].rep = m[best[find(m, i)]].docid;
    kb__free(best);
    return 0;
}

/* Reads the signature of docid into *sig; KB_ENOTFOUND when there is no row. */
static int load_sig(sqlite3_stmt *st, int64_t docid, kb__dedup_sig *sig, member *m)
{
    sqlite3_bind_int64(st, 1, docid);
    int s = sqlite3_step(st), rc;
    if (s == SQLITE_ROW) {
        int null = sqlite3_column_type(st, 4) == SQLITE_NULL; /* no words */
        const void *blob = sqlite3_column_blob(st, 4);
        if (column_lost(st, 4, blob))
            rc = KB_ENOMEM;
        else if (!null && !blob) /* an empty blob: not a signature */
            rc = KB_ECORRUPT;
        else
            rc = sig_decode(blob, sqlite3_column_bytes(st, 4), sig);
        if (!rc && m) rc = member_from_row(st, m);
    } else {
        rc = s == SQLITE_DONE ? KB_ENOTFOUND : sql_rc(s);
    }
    sqlite3_reset(st);
    return rc;
}

#define SQL_SIG "SELECT docid, rep, n_words, date, sig FROM dedup_docs WHERE docid = ?"

static int key_rows(conn *c, int id, const char *sql, const kb__dedup_sig *sig,
                    const kb__dedup_params *p, int64_t docid)
{
    sqlite3_stmt *st;
    int rc = get(c, id, sql, &st);
    for (int k = 0; !rc && k <= p->bands; k++) {
        uint64_t key =
            k < p->bands ? kb__dedup_band_key(sig, k, p->rows) : kb__dedup_exact_key(sig);
        sqlite3_bind_int64(st, 1, (int64_t)key);
        sqlite3_bind_int64(st, 2, docid);
        rc = sql_rc(sqlite3_step(st));
        sqlite3_reset(st);
    }
    done(c, st);
    return rc;
}

/* Adds docid to the candidate list (once; at most KB_DEDUP_MAX_CANDIDATES). */
static int add_cand(int64_t **cand, uint32_t *n, uint32_t *cap, int64_t cd, int64_t self)
{
    uint32_t i = 0;
    while (i < *n && (*cand)[i] != cd)
        i++;
    if (i < *n || cd == self) return 0;
    if (*n == *cap) {
        uint32_t c = *cap ? *cap * 2 : 64;
        int64_t *q = kb__realloc(*cand, c * sizeof *q);
        if (!q) return KB_ENOMEM;
        *cand = q;
        *cap = c;
    }
    (*cand)[(*n)++] = cd;
    return 0;
}

/*
 * Inserts a row whose key is new but for a docid added again without a delete: the plain INSERT
 * first, and when the key is there already (SQLITE_CONSTRAINT, nothing written), the same
 * values through INSERT OR REPLACE. A plain INSERT of one row runs without a statement journal;
 * INSERT OR REPLACE into a table with an index opens one for every row (a replace may delete a
 * row and then fail). bind(st, arg) binds the values to either statement.
 */
static int insert_new(conn *c, int id_new, const char *sql_new, int id_any, const char *sql_any,
                      void (*bind)(sqlite3_stmt *, const void *), const void *arg)
{
    sqlite3_stmt *st;
    int rc = get(c, id_new, sql_new, &st);
    if (rc) return rc;
    bind(st, arg);
    int s = sqlite3_step(st);
    done(c, st);
    if ((s & 0xff) != SQLITE_CONSTRAINT) return sql_rc(s);
    if ((rc = get(c, id_any, sql_any, &st))) return rc;
    bind(st, arg);
    rc = sql_rc(sqlite3_step(st));
    done(c, st);
    return rc;
}

typedef struct doc_row {
    int64_t docid, rep;
    kb_slice date;
    const kb__dedup_sig *sig;
    unsigned char blob[SIG_BYTES];
} doc_row;

static void bind_doc(sqlite3_stmt *st, const void *arg)
{
    const doc_row *d = arg;
    sqlite3_bind_int64(st, 1, d->docid);
    sqlite3_bind_int64(st, 2, d->rep);
    sqlite3_bind_int64(st, 3, d->sig->n_words);
    if (d->date.n) sqlite3_bind_text(st, 4, d->date.p, (int)d->date.n, SQLITE_STATIC);
    if (d->sig->n_words) sqlite3_bind_blob(st, 5, d->blob, SIG_BYTES, SQLITE_STATIC);
}

/* Writes a document's dedup_docs row, rep the representative of its cluster. */
static int insert_doc(conn *c, int64_t docid, int64_t rep, kb_slice date, const kb__dedup_sig *sig)
{
    doc_row d = {docid, rep, date, sig, {0}};
    sig_encode(sig, d.blob);
#define DOC_COLS "dedup_docs(docid, rep, n_words, date, sig) VALUES (?, ?, ?, ?, ?)"
    return insert_new(c, ST_DOC_NEW, "INSERT INTO " DOC_COLS, ST_DOC_INS,
                      "INSERT OR REPLACE INTO " DOC_COLS, bind_doc, &d);
#undef DOC_COLS
}

typedef struct pair_row {
    int64_t a, b;
    double sim;
    int kind;
} pair_row;

static void bind_pair(sqlite3_stmt *st, const void *arg)
{
    const pair_row *r = arg;
    sqlite3_bind_int64(st, 1, r->a);
    sqlite3_bind_int64(st, 2, r->b);
    sqlite3_bind_double(st, 3, r->sim);
    sqlite3_bind_int(st, 4, r->kind);
}

/*
 * Adds a signed document: its key rows (pending in a store), its verified pairs, the union of its
 * partners' clusters, and its dedup_docs row. The row is written last, with its representative
 * already known: written first (alone) and then updated, each document with a partner cost a
 * second write of its 464-byte signature. A cluster whose representative stays is not updated
 * either (its rows would be rewritten with the same values). Neither changes a row of the tables.
 */
static int add_signed(conn *c, int64_t docid, kb_slice date, const kb__dedup_sig *sig)
{
    kb__dedup_params p;
    kb__dedup_params_default(&p);
    kb__dedup_store *ds = c->s;
    if (ds && (docid < 1 || docid >= NIL)) return KB_EINVAL; /* the table keeps 32-bit docids */
    if (!sig->n_words) return insert_doc(c, docid, docid, date, sig); /* alone, no keys */

    /* Candidates: every document sharing a key (committed rows from SQL unless mirrored, then
     * the store's rows: both in docid order, the committed ones first). */
    uint64_t keys[KB_DEDUP_BANDS + 1];
    int n_keys = p.bands + 1, rc = 0;
    for (int k = 0; k < n_keys; k++)
        keys[k] = k < p.bands ? kb__dedup_band_key(sig, k, p.rows) : kb__dedup_exact_key(sig);
    if (ds && (rc = map_reserve(ds, (uint32_t)n_keys))) return rc;
    if (ds) map_prefetch(ds, keys, n_keys);
    int64_t *cand = NULL;
    uint32_t n_cand = 0, cap_cand = 0;
    sqlite3_stmt *st = NULL;
    if (!ds || !ds->mirror) rc = get(c, ST_KEY_SEL, "SELECT docid FROM dedup_keys WHERE key = ?", &st);
    for (int k = 0; !rc && k < n_keys && n_cand < KB_DEDUP_MAX_CANDIDATES; k++) {
        if (st) {
            sqlite3_bind_int64(st, 1, (int64_t)keys[k]);
            int s;
            while (!rc && (s = sqlite3_step(st)) == SQLITE_ROW && n_cand < KB_DEDUP_MAX_CANDIDATES)
                rc = add_cand(&cand, &n_cand, &cap_cand, sqlite3_column_int64(st, 0), docid);
            if (!rc && s != SQLITE_DONE && s != SQLITE_ROW) rc = sql_rc(s);
            sqlite3_reset(st);
        }
        uint32_t last = NIL;
        for (uint32_t e = ds ? map_first(ds, keys[k], &last) : NIL;
             !rc && e != NIL && n_cand < KB_DEDUP_MAX_CANDIDATES; e = map_next(ds, e, last))
            if (ds->ents[e].docid)
                rc = add_cand(&cand, &n_cand, &cap_cand, ds->ents[e].docid, docid);
    }
    done(c, st);
    if (!rc && ds) {
        if (ds->mirror && ds->n_ents + (uint32_t)n_keys > KB_DEDUP_MIRROR_MAX) mirror_end(ds);
        for (int k = 0; k < n_keys; k++)
            map_add(ds, keys[k], (uint32_t)docid);
    } else if (!rc) {
        rc = key_rows(c, ST_KEY_INS, "INSERT OR IGNORE INTO dedup_keys(key, docid) VALUES (?, ?)",
                      sig, &p, docid);
    }

    /* Verify each candidate; the new document's cluster is the union of its partners'. */
    member self = {docid, docid, sig->n_words, 0, ""};
    size_t dn = date.p ? strnlen(date.p, KB_MIN(date.n, sizeof self.date - 1)) : 0;
    memcpy(self.date, date.p ? date.p : "", dn);
    self.date[dn] = 0;
    member best = self;
    int64_t *reps = NULL;
    uint32_t n_reps = 0;
    sqlite3_stmt *ss = NULL;
    if (!rc && n_cand) {
        reps = kb__malloc(n_cand * sizeof *reps);
        if (!reps) rc = KB_ENOMEM;
        if (!rc) rc = get(c, ST_SIG, SQL_SIG, &ss);
    }
    for (uint32_t i = 0; !rc && i < n_cand; i++) {
        kb__dedup_sig cs;
        member cm;
        rc = load_sig(ss, cand[i], &cs, &cm);
        if (rc == KB_ENOTFOUND) { /* a key row without its document: skip it */
            rc = 0;
            continue;
        }
        if (rc) break;
        double sim;
        int kind = kb__dedup_verify(&p, sig, NULL, &cs, NULL, &sim);
        if (!kind) continue;
        pair_row pr = {KB_MIN(docid, cand[i]), KB_MAX(docid, cand[i]), sim, kind};
#define PAIR_COLS "dedup_pairs(a, b, sim, kind) VALUES (?, ?, ?, ?)"
        rc = insert_new(c, ST_PAIR_NEW, "INSERT INTO " PAIR_COLS, ST_PAIR_INS,
                        "INSERT OR REPLACE INTO " PAIR_COLS, bind_pair, &pr);
#undef PAIR_COLS
        uint32_t r = 0;
        while (r < n_reps && reps[r] != cm.rep)
            r++;
        if (r == n_reps) {
            reps[n_reps++] = cm.rep;
            member rm;
            /* A cluster led by docid itself (a docid added again without a delete: its old row
             * is still there) is led by the new document's row, as when that was written first. */
            if (!rc)
                rc = cm.rep == cm.docid ? (rm = cm, 0)
                     : cm.rep == docid  ? (rm = self, 0)
                                        : load_member(c, cm.rep, &rm);
            if (!rc && better(&rm, &best)) best = rm;
        }
    }
    done(c, ss);
    for (uint32_t r = 0; !rc && r < n_reps; r++)
        if (reps[r] != best.docid)
            rc = exec3(c, ST_REP_BY_REP, "UPDATE dedup_docs SET rep = ? WHERE rep = ?", best.docid,
                       reps[r], 0);
    if (!rc) rc = insert_doc(c, docid, best.docid, date, sig);
    kb__free(reps);
    kb__free(cand);
    return rc;
}

static int on_add(conn *c, int64_t docid, const kb_article *a)
{
    kb__dedup_params p;
    kb__dedup_params_default(&p);
    int rc = c->s ? 0 : ensure_schema(c->db, &p); /* a store checked it when it opened */
    if (rc) return rc;
    kb__dedup_work local, *w = c->s ? &c->s->work : &local;
    if (c->s)
        kb__dedup_work_reset(w);
    else
        kb__dedup_work_init(w);
    kb__dedup_sig sig;
    rc = kb__dedup_feed_article(w, a);
    if (!rc) rc = kb__dedup_finish(w, p.shingle, &sig);
    if (!c->s) kb__dedup_work_free(w);
    return rc ? rc : add_signed(c, docid, a->date, &sig);
}

static int on_delete(conn *c, int64_t docid)
{
    int t = c->s ? 1 : have_tables(c->db);
    if (t <= 0) return t;
    kb__dedup_params p;
    kb__dedup_params_default(&p);
    sqlite3_stmt *st;
    int rc = get(c, ST_SIG, SQL_SIG, &st);
    if (rc) return rc;
    kb__dedup_sig sig;
    member self;
    rc = load_sig(st, docid, &sig, &self);
    done(c, st);
    if (rc == KB_ENOTFOUND) return 0; /* never seen: nothing to undo */
    if (rc && rc != KB_ECORRUPT) return rc;
    if (!rc && sig.n_words)
        rc = key_rows(c, ST_KEY_DEL, "DELETE FROM dedup_keys WHERE key = ? AND docid = ?", &sig, &p,
                      docid);
    /* Its rows in the store's table: never flushed, and no longer candidates. */
    for (int k = 0; !rc && c->s && sig.n_words && k <= p.bands; k++) {
        uint64_t key =
            k < p.bands ? kb__dedup_band_key(&sig, k, p.rows) : kb__dedup_exact_key(&sig);
        uint32_t last;
        for (uint32_t e = map_first(c->s, key, &last); e != NIL; e = map_next(c->s, e, last))
            if (c->s->ents[e].docid == docid) {
                c->s->ents[e].docid = 0;
                c->s->n_dead++;
            }
    }
    if (!rc)
        rc = exec3(c, ST_PAIR_DEL, "DELETE FROM dedup_pairs WHERE a = ? OR b = ?", docid, docid, 0);
    if (!rc) rc = exec3(c, ST_DOC_DEL, "DELETE FROM dedup_docs WHERE docid = ?", docid, 0, 0);
    if (rc) return rc;
    /* Re-cluster what is left of its cluster. */
    member *m;
    uint32_t n;
    rc = load_cluster(c, self.rep, &m, &n);
    if (rc || !n) return rc;
    qsort(m, n, sizeof *m, cmp_docid);
    rc = components(c, m, n, 0.0);
    for (uint32_t i = 0; !rc && i < n; i++)
        if (m[i].rep != self.rep)
            rc = exec3(c, ST_REP_BY_DOC, "UPDATE dedup_docs SET rep = ? WHERE docid = ?", m[i].rep,
                       m[i].docid, 0);
    kb__free(m);
    return rc;
}

/* A hook that fails may leave part of its rows written: the caller's transaction undoes them
 * (the index rolls back its whole pending batch when an add or a delete fails). A savepoint per
 * call would do it here, but it halved the hooks' speed (SQLite writes a statement journal). */
int kb__dedup_on_add(sqlite3 *db, int64_t docid, const kb_article *a)
{
    conn c = {db, NULL};
    return db && a ? on_add(&c, docid, a) : KB_EINVAL;
}

int kb__dedup_on_delete(sqlite3 *db, int64_t docid)
{
    conn c = {db, NULL};
    return db ? on_delete(&c, docid) : KB_EINVAL;
}

static int64_t data_version(kb__dedup_store *s, int *rc)
{
    conn c = {s->db, s};
    sqlite3_stmt *st;
    int64_t v = -1;
    *rc = get(&c, ST_DV, "PRAGMA data_version", &st);
    if (*rc) return v;
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    else
        *rc = r == SQLITE_DONE ? KB_EIO : sql_rc(r);
    done(&c, st);
    return v;
}

int kb__dedup_store_open(sqlite3 *db, kb__dedup_store **out)
{
    *out = NULL;
    if (!db) return KB_EINVAL;
    kb__dedup_params p;
    kb__dedup_params_default(&p);
    int rc = ensure_schema(db, &p);
    if (rc) return rc;
    kb__dedup_store *s = kb__calloc(1, sizeof *s);
    if (!s) return KB_ENOMEM;
    s->db = db;
    kb__dedup_work_init(&s->work);
    /* An empty dedup_keys is mirrored from the start. */
    sqlite3_stmt *st;
    rc = prep(db, "SELECT EXISTS (SELECT 1 FROM dedup_keys)", &st);
    if (!rc) {
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW)
            s->mirror = sqlite3_column_int(st, 0) == 0;
        else
            rc = sql_rc(r) ? sql_rc(r) : KB_EIO;
        sqlite3_finalize(st);
    }
    if (!rc && s->mirror) s->data_version = data_version(s, &rc);
    if (rc) {
        kb__dedup_store_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

void kb__dedup_store_close(kb__dedup_store *s)
{
    if (!s) return;
    for (int i = 0; i < ST_N; i++)
        sqlite3_finalize(s->st[i]);
    kb__dedup_work_free(&s->work);
    kb__free(s->ents);
    kb__free(s->slots);
    kb__free(s->frows);
    kb__free(s);
}

int kb__dedup_store_begin(kb__dedup_store *s)
{
    if (!s) return KB_EINVAL;
    if (s->n_ents > s->n_done) kb__dedup_store_abort(s); /* left from an unfinished batch */
    if (!s->mirror) return 0;
    int rc;
    int64_t v = data_version(s, &rc);
    if (rc) return rc;
    if (v != s->data_version) mirror_end(s); /* another connection wrote: rows we do not have */
    return 0;
}

int kb__dedup_store_rebase(kb__dedup_store *s)
{
    if (!s) return KB_EINVAL;
    if (!s->mirror) return 0;
    int rc;
    int64_t v = data_version(s, &rc);
    if (rc)
        mirror_end(s); /* unknown from now on: committed rows are read with SQL */
    else
        s->data_version = v;
    return 0;
}

int kb__dedup_store_mirrored(const kb__dedup_store *s)
{
    return s && s->mirror;
}

static int cmp_kent(const void *x, const void *y)
{
    const kent *a = x, *b = y;
    int64_t ka = (int64_t)a->key, kb = (int64_t)b->key; /* SQLite's order of the column */
    if (ka != kb) return ka < kb ? -1 : 1;
    return (a->docid > b->docid) - (a->docid < b->docid);
}

/* Sorts ents[0..n) as cmp_kent does: a radix sort (stable, a byte at a time from the docid's
 * lowest to the key's highest, skipping bytes all rows share), falling back to qsort when its
 * buffer cannot be had. The benchmark's 699,000 rows: qsort 1 % of `khabar index`'s samples,
 * on the writer in the commit. */
static void sort_kents(kent *ents, uint32_t n)
{
    kent *tmp = n > 1 ? kb__malloc((size_t)n * sizeof *tmp) : NULL;
    uint32_t(*count)[256] = tmp ? kb__calloc(12, sizeof *count) : NULL;
    if (!count) {
        kb__free(tmp);
        if (n > 1) qsort(ents, n, sizeof *ents, cmp_kent);
        return;
    }
    /* digit d: bytes 0-3 of the docid, then bytes 0-7 of the key, its sign bit flipped (SQLite
     * orders the column as signed) */
#define KENT_DIGIT(e, d)                                                                           \
    ((unsigned)((d) < 4 ? (e).docid >> (8 * (d))                                                 \
                        : ((e).key ^ (uint64_t)1 << 63) >> (8 * ((d) - 4))) & 0xffu)
    for (uint32_t i = 0; i < n; i++)
        for (int d = 0; d < 12; d++)
            count[d][KENT_DIGIT(ents[i], d)]++;
    kent *from = ents, *to = tmp;
    for (int d = 0; d < 12; d++) {
        uint32_t *c = count[d], sum = 0;
        if (c[KENT_DIGIT(from[0], d)] == n) continue;
        for (int v = 0; v < 256; v++) {
            uint32_t k = c[v];
            c[v] = sum;
            sum += k;
        }
        for (uint32_t i = 0; i < n; i++)
            to[c[KENT_DIGIT(from[i], d)]++] = from[i];
        kent *t = from;
        from = to;
        to = t;
    }
#undef KENT_DIGIT
    if (from != ents) memcpy(ents, from, (size_t)n * sizeof *ents);
    kb__free(tmp);
    kb__free(count);
}

int kb__dedup_store_flush_step(kb__dedup_store *s, uint32_t max_rows)
{
    if (!s) return KB_EINVAL;
    if (!s->flushing) {
        /* In key order the inserts walk the table's pages once instead of landing at random.
         * The live pending rows are copied and sorted; the table keeps its rows where they are
         * (rebuilding its chains around rows sorted in place cost a pass over every mirrored
         * row per commit: quadratic over a long load in batches). */
        uint32_t n = 0;
        for (uint32_t i = s->n_done; i < s->n_ents; i++)
            n += s->ents[i].docid != 0;
        if (!n) return 0;
        kent *f = kb__malloc((size_t)n * sizeof *f);
        if (!f) return KB_ENOMEM;
        n = 0;
        for (uint32_t i = s->n_done; i < s->n_ents; i++)
            if (s->ents[i].docid) f[n++] = s->ents[i];
        sort_kents(f, n);
        s->frows = f;
        s->n_frows = n;
        s->flush_at = 0;
        s->flushing = 1;
    }
    const kent *f = s->frows;
    uint32_t n_f = s->n_frows;
    conn c = {s->db, s};
    sqlite3_stmt *st = NULL, *many = NULL;
    int rc = get(&c, ST_KEY_INS, "INSERT OR IGNORE INTO dedup_keys(key, docid) VALUES (?, ?)", &st);
    if (!rc && n_f - s->flush_at >= FLUSH_ROWS) {
        char sql[64 + 8 * FLUSH_ROWS];
        int n = snprintf(sql, sizeof sql, "INSERT OR IGNORE INTO dedup_keys(key, docid) VALUES ");
        for (int r = 0; r < FLUSH_ROWS; r++)
            n += snprintf(sql + n, sizeof sql - (size_t)n, "%s(?,?)", r ? "," : "");
        rc = get(&c, ST_KEY_INS_N, sql, &many);
    }
    /* A step writes whole groups of FLUSH_ROWS, at least one, and the last step the rest. */
    uint32_t i = s->flush_at;
    if (max_rows < FLUSH_ROWS) max_rows = FLUSH_ROWS;
    uint32_t left = n_f - i;
    uint32_t end = left > FLUSH_ROWS && left - FLUSH_ROWS > max_rows ? i + max_rows : n_f;
    for (; !rc && many && i + FLUSH_ROWS <= end; i += FLUSH_ROWS) {
        for (int r = 0; r < FLUSH_ROWS; r++) {
            sqlite3_bind_int64(many, 2 * r + 1, (int64_t)f[i + r].key);
            sqlite3_bind_int64(many, 2 * r + 2, f[i + r].docid);
        }
        rc = sql_rc(sqlite3_step(many));
        sqlite3_reset(many);
    }
    /* The last rows one by one (a step's rows past its last full group wait for the next). */
    for (; !rc && end == n_f && i < n_f; i++) {
        sqlite3_bind_int64(st, 1, (int64_t)f[i].key);
        sqlite3_bind_int64(st, 2, f[i].docid);
        rc = sql_rc(sqlite3_step(st));
        sqlite3_reset(st);
    }
    done(&c, many);
    done(&c, st);
    s->flush_at = i;
    if (rc) return rc;
    return i < n_f;
}

int kb__dedup_store_flush(kb__dedup_store *s)
{
    int rc;
    while ((rc = kb__dedup_store_flush_step(s, UINT32_MAX)) == 1)
        ;
    return rc;
}

static void flush_end(kb__dedup_store *s)
{
    s->flushing = 0;
    kb__free(s->frows);
    s->frows = NULL;
    s->n_frows = s->flush_at = 0;
}

void kb__dedup_store_committed(kb__dedup_store *s)
{
    if (!s) return;
    flush_end(s);
    if (!s->mirror) {
        map_rebuild(s, 0, 0); /* the rows are in SQL now */
        return;
    }
    s->n_done = s->n_ents;
    /* Deleted documents' rows are skipped by lookups; once they are a quarter of the table, a
     * rebuild drops them (amortized: a quarter of the rows deleted again before the next). */
    if (s->n_dead > s->n_ents / 4) {
        map_rebuild(s, 0, s->n_ents);
        s->n_done = s->n_ents;
    }
}

void kb__dedup_store_abort(kb__dedup_store *s)
{
    if (!s) return;
    flush_end(s);
    if (s->n_ents == s->n_done) return;
    map_rebuild(s, 0, s->n_done);
    s->n_done = s->n_ents;
}

int kb__dedup_store_add(kb__dedup_store *s, int64_t docid, const kb_article *a)
{
    conn c = {s ? s->db : NULL, s};
    return s && a ? on_add(&c, docid, a) : KB_EINVAL;
}

int kb__dedup_store_add_sig(kb__dedup_store *s, int64_t docid, kb_slice date,
                            const kb__dedup_sig *sig)
{
    conn c = {s ? s->db : NULL, s};
    return s && sig ? add_signed(&c, docid, date, sig) : KB_EINVAL;
}

int kb__dedup_store_delete(kb__dedup_store *s, int64_t docid)
{
    conn c = {s ? s->db : NULL, s};
    return s ? on_delete(&c, docid) : KB_EINVAL;
}

/* A store for a reading connection: the same statement cache, without creating the tables
 * (a read-only handle cannot, and an index without them simply has no clusters). */
int kb__dedup_store_open_read(sqlite3 *db, kb__dedup_store **out)
{
    *out = NULL;
    if (!db) return KB_EINVAL;
    kb__dedup_store *s = kb__calloc(1, sizeof *s);
    if (!s) return KB_ENOMEM;
    s->db = db;
    kb__dedup_work_init(&s->work);
    *out = s;
    return 0;
}

/* A reader's statement failed to prepare: the tables may be missing (an index created before
 * they existed has no clusters: 0), or the failure is real. */
static int prep_failed(sqlite3 *db, int rc)
{
    if (rc == KB_ENOMEM) return rc;
    int t = have_tables(db);
    return t < 0 ? t : t ? rc : 0;
}

/* Search calls this for every hit it considers: the statement stays prepared in the store. */
int kb__dedup_cluster_of(kb__dedup_store *s, int64_t docid, int64_t *rep, uint32_t *size)
{
    *rep = docid;
    *size = 1;
    if (!s) return KB_EINVAL;
    conn c = {s->db, s};
    sqlite3_stmt *st;
    int rc = get(&c, ST_REP_OF,
                 "SELECT rep, (SELECT count(*) FROM dedup_docs AS m WHERE m.rep = d.rep) "
                 "FROM dedup_docs AS d WHERE docid = ?",
                 &st);
    if (rc) return prep_failed(s->db, rc);
    sqlite3_bind_int64(st, 1, docid);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        *rep = sqlite3_column_int64(st, 0);
        *size = (uint32_t)sqlite3_column_int64(st, 1);
    } else if (r != SQLITE_DONE) {
        rc = sql_rc(r);
    }
    done(&c, st);
    return rc;
}

int kb__dedup_cluster_members(kb__dedup_store *s, int64_t rep, int64_t *out, uint32_t cap,
                              uint32_t *n_out)
{
    *n_out = 0;
    if (!s) return KB_EINVAL;
    conn c = {s->db, s};
    sqlite3_stmt *st;
    int rc = get(&c, ST_MEMBERS, "SELECT docid FROM dedup_docs WHERE rep = ? ORDER BY docid", &st);
    if (rc) return prep_failed(s->db, rc);
    sqlite3_bind_int64(st, 1, rep);
    int r;
    uint32_t n = 0;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (n < cap) out[n] = sqlite3_column_int64(st, 0);
        n++;
    }
    rc = r == SQLITE_DONE ? 0 : sql_rc(r);
    done(&c, st);
    *n_out = n;
    return rc;
}

/* What a listing keeps between clusters: the statements and the output arrays. */
typedef struct lister {
    conn *cn;
    sqlite3_stmt *desc, *ss;
    double threshold;
    kb_dups_fn fn;
    void *ctx;
    kb_buf text;
    kb_dups_member *out;
    uint32_t cap_out;
} lister;

/* Re-clusters the stored cluster of rep over the pairs of similarity >= threshold and passes
 * each component of two or more to fn, its representative first, then the rest in docid order;
 * only the component holding `only` when it is not 0. Returns 0, 1 when fn asked to stop, or a
 * negative KB_E* code. */
static int list_cluster(lister *L, int64_t rep, int64_t only)
{
    member *m;
    uint32_t n;
    int rc = load_cluster(L->cn, rep, &m, &n);
    if (rc) return rc;
    qsort(m, n, sizeof *m, cmp_docid);
    rc = components(L->cn, m, n, L->threshold);
    if (!rc && n > L->cap_out) {
        kb_dups_member *q = kb__realloc(L->out, n * sizeof *q);
        if (!q)
            rc = KB_ENOMEM;
        else
            L->out = q, L->cap_out = n;
    }
    int64_t only_rep = 0;
    for (uint32_t i = 0; only && i < n; i++)
        if (m[i].docid == only) only_rep = m[i].rep;
    kb_dups_member *out = L->out;
    for (uint32_t i = 0; !rc && i < n; i++) {
        if (m[i].rep != m[i].docid || (only && m[i].docid != only_rep)) continue;
        uint32_t k = 0;
        kb__buf_reset(&L->text);
        kb__dedup_sig rs;
        rc = load_sig(L->ss, m[i].docid, &rs, NULL);
        for (uint32_t j = 0; !rc && j < n; j++) {
            if (m[j].rep != m[i].docid) continue;
            uint32_t at = j == i ? 0 : ++k;
            kb__dedup_sig js;
            if (j != i) rc = load_sig(L->ss, m[j].docid, &js, NULL);
            if (rc) break;
            out[at].docid = m[j].docid;
            out[at].similarity = j == i ? 1.0
                                 : (rs.exact == js.exact && rs.n_words == js.n_words)
                                     ? 1.0
                                     : kb__dedup_estimate(&rs, &js);
            out[at].date = (kb_slice){NULL, 0};
            /* Describe it: strings go to text, slices are fixed up after. */
            sqlite3_bind_int64(L->desc, 1, m[j].docid);
            size_t base = L->text.n;
            size_t len[4] = {0, 0, 0, 0};
            if (sqlite3_step(L->desc) == SQLITE_ROW) {
                for (int c = 0; c < 4; c++) {
                    const unsigned char *v = sqlite3_column_text(L->desc, c);
                    if (column_lost(L->desc, c, v)) rc = KB_ENOMEM;
                    len[c] = v ? (size_t)sqlite3_column_bytes(L->desc, c) : 0;
                    if (v) kb__buf_append(&L->text, v, len[c]);
                }
            }
            sqlite3_reset(L->desc);
            out[at].id.n = len[0], out[at].source.n = len[1], out[at].date.n = len[2];
            out[at].url.n = len[3];
            out[at].id.p = (const char *)(uintptr_t)base;
        }
        if (rc) break;
        rc = L->text.rc;
        if (rc || k == 0) continue;
        for (uint32_t j = 0; j <= k; j++) {
            size_t base = (size_t)(uintptr_t)out[j].id.p;
            out[j].id.p = L->text.p + base;
            out[j].source.p = out[j].id.p + out[j].id.n;
            out[j].date.p = out[j].source.p + out[j].source.n;
            out[j].url.p = out[j].date.p + out[j].date.n;
        }
        if (L->fn(L->ctx, out, k + 1)) rc = 1;
    }
    kb__free(m);
    return rc;
}

#define SQL_DESCRIBE                                                                               \
    "SELECT docs.id, sources.name, docs.date, docs.url FROM docs LEFT JOIN sources "               \
    "ON sources.sid = docs.sid WHERE docs.docid = ?"

/*
 * Lists the clusters of the index: for each stored cluster of two or more, its members are
 * re-clustered over the pairs of similarity >= threshold (so a threshold above the index's own
 * splits loose clusters), and each component of two or more is passed to fn with its
 * representative first. Members are described from the index's docs and sources tables.
 */
int kb__dedup_list(sqlite3 *db, double threshold, kb_dups_fn fn, void *ctx)
{
    if (!db || !fn) return KB_EINVAL;
    int t = have_tables(db);
    if (t <= 0) return t;
    sqlite3_stmt *reps;
    conn cn = {db, NULL};
    lister L = {&cn, NULL, NULL, threshold, fn, ctx, {0}, NULL, 0};
    kb__buf_init(&L.text, 0);
    int rc = prep(db,
                  "SELECT rep, count(*) AS n FROM dedup_docs GROUP BY rep HAVING n > 1 "
                  "ORDER BY n DESC, rep",
                  &reps);
    if (rc) return rc;
    rc = prep(db, SQL_DESCRIBE, &L.desc);
    if (!rc) rc = prep(db, SQL_SIG, &L.ss);
    int s = SQLITE_DONE;
    while (!rc && (s = sqlite3_step(reps)) == SQLITE_ROW)
        rc = list_cluster(&L, sqlite3_column_int64(reps, 0), 0);
    if (!rc && s != SQLITE_DONE && s != SQLITE_ROW) rc = sql_rc(s);
    sqlite3_finalize(reps);
    sqlite3_finalize(L.desc);
    sqlite3_finalize(L.ss);
    kb__buf_free(&L.text);
    kb__free(L.out);
    return rc == 1 ? 0 : rc;
}

/* The one component that holds docid, through the rep index: a handful of row reads where
 * kb__dedup_list walks every cluster of the index. */
int kb__dedup_list_of(kb__dedup_store *s, int64_t docid, double threshold, kb_dups_fn fn,
                      void *ctx)
{
    if (!s || !fn) return KB_EINVAL;
    int64_t rep;
    uint32_t size;
    int rc = kb__dedup_cluster_of(s, docid, &rep, &size);
    if (rc || size < 2) return rc;
    conn cn = {s->db, s};
    lister L = {&cn, NULL, NULL, threshold, fn, ctx, {0}, NULL, 0};
    kb__buf_init(&L.text, 0);
    rc = get(&cn, ST_DESCRIBE, SQL_DESCRIBE, &L.desc);
    if (!rc) rc = get(&cn, ST_SIG, SQL_SIG, &L.ss);
    if (!rc) rc = list_cluster(&L, rep, docid);
    done(&cn, L.desc);
    done(&cn, L.ss);
    kb__buf_free(&L.text);
    kb__free(L.out);
    return rc == 1 ? 0 : rc;
}

KB_API int kb_index_dups(kb_index *ix, double threshold, kb_dups_fn fn, void *ctx)
{
    if (!ix || !fn) return KB_EINVAL;
    int rc = kb__index_read_begin(ix);
    if (rc) return rc;
    rc = kb__dedup_list(kb__index_db(ix), threshold, fn, ctx);
    kb__index_read_end(ix);
    return rc;
}

KB_API int kb_index_dups_of(kb_index *ix, const char *id, size_t n, double threshold,
                            kb_dups_fn fn, void *ctx)
{
    if (!ix || !id || !fn) return KB_EINVAL;
    int rc = kb__index_read_begin(ix);
    if (rc) return rc;
    uint32_t docid = kb__index_docid(ix, id, n);
    kb__dedup_store *rd = kb__index_dedup_reader(ix);
    if (!docid)
        rc = kb__index_fail(ix, KB_ENOTFOUND, "no article with id '%.*s'", (int)KB_MIN(n, 200), id);
    else if (!rd)
        rc = KB_ENOMEM;
    else
        rc = kb__dedup_list_of(rd, docid, threshold, fn, ctx);
    kb__index_read_end(ix);
    return rc;
}
