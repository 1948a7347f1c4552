/*
 * test_checksum_vfs.c — page checksums (src/checksum_vfs.c): every page of a new index carries
 * one, in the database file and in the WAL; a commit left in the WAL survives the rebuilding of
 * the WAL index (the frames' running checksums are recomputed over the pages as written); every
 * damaged page that SQLite reads is KB_ECORRUPT naming the file and the page; an index without
 * page checksums (the previous format) is refused with KB_EVERSION.
 */
#include "harness.h"
#include "khabar_int.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#define PAGE 4096                  /* SQLite's default page size, which the index keeps */
#define SEED 0x6b68616261722070ull /* KB_PAGE_SEED in checksum_vfs.c */

static char dir[256];

static int add_docs(kb_index *ix, int from, int to)
{
    static const char *words[] = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta"};
    for (int i = from; i < to; i++) {
        char id[32], title[64], body[2048];
        snprintf(id, sizeof id, "d%d", i);
        snprintf(title, sizeof title, "title %s %d", words[i % 7], i);
        size_t n = 0;
        for (int w = 0; w < 200; w++)
            n += (size_t)snprintf(body + n, sizeof body - n, "%s%d ", words[(i + w) % 7], w % 13);
        kb_block b = {KB_BLOCK_PARAGRAPH, {body, n}};
        kb_article a;
        memset(&a, 0, sizeof a);
        a.id = (kb_slice){id, strlen(id)};
        a.title = (kb_slice){title, strlen(title)};
        a.date = (kb_slice){"2024-03-05", 10};
        a.source = (kb_slice){"s", 1};
        a.blocks = &b;
        a.n_blocks = 1;
        int rc = kb_index_add(ix, &a);
        if (rc < 0) return rc;
    }
    return kb_index_commit(ix);
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = malloc(len > 0 ? (size_t)len : 1);
    *n = p && fread(p, 1, (size_t)len, f) == (size_t)len ? (size_t)len : 0;
    fclose(f);
    return p;
}

static void spit(const char *path, const unsigned char *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(p, 1, n, f);
        fclose(f);
    }
}

static int page_ok(const unsigned char *page)
{
    uint64_t want = 0;
    for (int i = 7; i >= 0; i--)
        want = want << 8 | page[PAGE - 8 + i];
    return want == XXH3_64bits_withSeed(page, PAGE - 8, SEED);
}

static void copy_index(const char *from, const char *to, int with_wal)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s && cp %s/khabar.db %s/", to, to, from, to);
    if (with_wal)
        snprintf(cmd + strlen(cmd), sizeof cmd - strlen(cmd), " && cp %s/khabar.db-wal %s/", from,
                 to);
    CHECK_INT(system(cmd), 0);
}

typedef struct found {
    int n;
    char first[300];
} found;

static void on_problem(void *ctx, const char *msg)
{
    found *f = ctx;
    if (!f->n++) snprintf(f->first, sizeof f->first, "%s", msg);
}

static uint64_t docs_of(const char *d)
{
    kb_index *ix = NULL;
    kb_index_options ro = {.read_only = 1};
    kb_index_stats st = {0};
    if (kb_index_open(d, &ro, &ix) || kb_index_stats_get(ix, &st)) st.docs = UINT64_MAX;
    kb_index_close(ix);
    return st.docs;
}

/* A new index: reserve 8 in the header, every page of the database file verifies. */
static void test_layout(const char *ixdir)
{
    char path[400];
    snprintf(path, sizeof path, "%s/khabar.db", ixdir);
    size_t n = 0;
    unsigned char *db = slurp(path, &n);
    CHECK(db && n >= PAGE && n % PAGE == 0);
    if (!db || n < PAGE) return;
    CHECK_INT(db[20], KB_PAGE_RESERVE);
    CHECK_INT(db[16] << 8 | db[17], PAGE);
    size_t bad = 0;
    for (size_t off = 0; off < n; off += PAGE)
        bad += !page_ok(db + off);
    CHECK_INT(bad, 0);
    free(db);
}

/* Every page SQLite reads: a byte flipped in its middle is reported by check (or refused at
 * open) with the file name and the page number. Pages of b-trees are listed by dbstat; free
 * pages are never read. */
static void test_every_page(const char *ixdir)
{
    char path[400], sub[300], dpath[400];
    snprintf(path, sizeof path, "%s/khabar.db", ixdir);
    snprintf(sub, sizeof sub, "%s/damaged", dir);
    snprintf(dpath, sizeof dpath, "%s/khabar.db", sub);
    sqlite3 *h = NULL;
    CHECK_INT(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    CHECK_INT(sqlite3_prepare_v2(h, "SELECT DISTINCT pageno FROM dbstat ORDER BY 1", -1, &st, NULL),
              SQLITE_OK);
    int pages[4096], n_pages = 0;
    while (st && sqlite3_step(st) == SQLITE_ROW && n_pages < 4096)
        pages[n_pages++] = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    CHECK(n_pages > 10);
    size_t n = 0;
    unsigned char *db = slurp(path, &n);
    int named = 0;
    for (int i = 0; db && i < n_pages; i++) {
        int pg = pages[i];
        copy_index(ixdir, sub, 0);
        size_t off = (size_t)(pg - 1) * PAGE + (pg == 1 ? 300 : PAGE / 2);
        db[off] ^= 0x10;
        spit(dpath, db, n);
        db[off] ^= 0x10;
        char want[64];
        snprintf(want, sizeof want, "khabar.db page %d:", pg);
        kb_index *ix = NULL;
        kb_index_options ro = {.read_only = 1};
        int rc = kb_index_open(sub, &ro, &ix);
        found f = {0, ""};
        if (rc == 0) {
            rc = kb_index_check(ix, on_problem, &f);
            named += rc == KB_ECORRUPT && f.n >= 1 && strstr(f.first, want) != NULL;
            if (!(rc == KB_ECORRUPT && strstr(f.first, want)))
                fprintf(stderr, "page %d: check %s, first problem: %s\n", pg, kb_err_name(rc),
                        f.first);
        } else {
            /* refused at open: the handle is gone, the code must say damaged */
            named += rc == KB_ECORRUPT;
            if (rc != KB_ECORRUPT) fprintf(stderr, "page %d: open %s\n", pg, kb_err_name(rc));
        }
        kb_index_close(ix);
    }
    CHECK_INT(named, n_pages);
    free(db);
}

/* The message of a failed open names the page (a read-write open reads page 1 first). */
static void test_open_message(const char *ixdir)
{
    char sub[300], dpath[400];
    snprintf(sub, sizeof sub, "%s/page1", dir);
    snprintf(dpath, sizeof dpath, "%s/khabar.db", sub);
    copy_index(ixdir, sub, 0);
    size_t n = 0;
    unsigned char *db = slurp(dpath, &n);
    CHECK(db && n > 1000);
    if (!db) return;
    db[1000] ^= 0xff; /* page 1, past the 100-byte header: the schema */
    spit(dpath, db, n);
    free(db);
    kb_index *ix = NULL;
    CHECK_INT(kb_index_open(sub, NULL, &ix), KB_ECORRUPT);
    CHECK(ix == NULL);
    /* the handle is gone; the CLI prints the message through kb_index_open's caller, which gets
     * it from a handle opened read-only the same way: check that one */
    kb_index_options ro = {.read_only = 1};
    CHECK_INT(kb_index_open(sub, &ro, &ix), KB_ECORRUPT);
}

/* A commit left in the WAL: copied without the WAL index (-shm), the WAL is replayed on open
 * and SQLite verifies every frame's running checksum, which this VFS recomputed: nothing lost.
 * A damaged page inside a frame, read while the WAL index is live, is named by frame and page. */
static void test_wal(void)
{
    char src[300], sub[300], wal[400];
    snprintf(src, sizeof src, "%s/walsrc", dir);
    snprintf(sub, sizeof sub, "%s/walcopy", dir);
    kb_index *w = NULL;
    CHECK_INT(kb_index_open(src, NULL, &w), 0);
    CHECK_INT(add_docs(w, 0, 40), 0);
    /* a reader keeps the WAL from being checkpointed away when the writer closes */
    kb_index *r = NULL;
    kb_index_options ro = {.read_only = 1};
    CHECK_INT(kb_index_open(src, &ro, &r), 0);
    CHECK_INT(add_docs(w, 40, 90), 0);
    CHECK_INT(add_docs(w, 90, 100), 0);
    snprintf(wal, sizeof wal, "%s/khabar.db-wal", src);
    struct stat sb;
    CHECK(stat(wal, &sb) == 0 && sb.st_size > 32);
    copy_index(src, sub, 1);
    CHECK_INT(docs_of(sub), 100); /* replayed from the WAL: the frame checksums hold */
    {
        kb_index *c = NULL;
        CHECK_INT(kb_index_open(sub, &ro, &c), 0);
        CHECK_INT(kb_index_check(c, NULL, NULL), 0);
        kb_index_close(c);
    }
    /* The WAL's pages carry page checksums too. */
    size_t n = 0;
    unsigned char *p = slurp(wal, &n);
    size_t frames = n > 32 ? (n - 32) / (24 + PAGE) : 0, bad = 0;
    for (size_t i = 0; p && i < frames; i++)
        bad += !page_ok(p + 32 + i * (24 + PAGE) + 24);
    CHECK(frames > 5);
    CHECK_INT(bad, 0);
    /* Damage every frame's page in place while the WAL index is live (the reader holds it):
     * a search or check now reads a page from the WAL and must fail naming it. */
    for (size_t i = 0; p && i < frames; i++)
        p[32 + i * (24 + PAGE) + 24 + 200] ^= 1;
    if (p) spit(wal, p, n);
    free(p);
    kb_index *c = NULL;
    CHECK_INT(kb_index_open(src, &ro, &c), KB_ECORRUPT); /* the schema page is in the WAL */
    kb_index_close(c);
    found f = {0, ""};
    CHECK_INT(kb_index_check(r, on_problem, &f), KB_ECORRUPT);
    CHECK(strstr(f.first, "khabar.db-wal frame ") != NULL);
    if (!strstr(f.first, "khabar.db-wal frame ")) fprintf(stderr, "first problem: %s\n", f.first);
    kb_index_close(r);
    kb_index_close(w);
}

static int64_t sql_int(sqlite3 *h, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* A transaction bigger than the page cache spills pages into the WAL and then changes some of
 * them again: SQLite overwrites those frames' pages in place and rewrites the frame headers of
 * the transaction at commit, from the file. The WAL, replayed without its index, must hold the
 * whole transaction, and every page must verify. Plain SQL through the VFS, with a tiny cache. */
static void test_spilled_transaction(void)
{
    char sub[300], path[400], copy[300], cpath[400];
    snprintf(sub, sizeof sub, "%s/spill", dir);
    snprintf(copy, sizeof copy, "%s/spillcopy", dir);
    snprintf(path, sizeof path, "mkdir -p %s", sub);
    CHECK_INT(system(path), 0);
    snprintf(path, sizeof path, "%s/khabar.db", sub);
    snprintf(cpath, sizeof cpath, "%s/khabar.db", copy);
    CHECK_INT(kb__checksum_vfs_register(), SQLITE_OK);
    sqlite3 *h = NULL, *hold = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    CHECK_INT(sqlite3_open_v2(path, &h, flags, KB_CHECKSUM_VFS), SQLITE_OK);
    CHECK_INT(kb__checksum_vfs_prepare(h), SQLITE_OK);
    CHECK_INT(sqlite3_exec(h,
                           "PRAGMA journal_mode=WAL; PRAGMA cache_size=8; PRAGMA synchronous=NORMAL;"
                           "CREATE TABLE t(k INTEGER PRIMARY KEY, v BLOB);",
                           NULL, NULL, NULL),
              SQLITE_OK);
    CHECK(kb__checksum_vfs_active(h));
    CHECK_INT(sqlite3_open_v2(path, &hold, SQLITE_OPEN_READONLY, KB_CHECKSUM_VFS), SQLITE_OK);
    CHECK_INT(sql_int(hold, "SELECT count(*) FROM t"), 0); /* the WAL stays after h closes */
    CHECK_INT(sqlite3_exec(h,
                           "BEGIN;"
                           "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
                           " WHERE i < 3000) INSERT INTO t SELECT i, randomblob(300) FROM n;"
                           "UPDATE t SET v = zeroblob(290) WHERE k % 7 = 0;"
                           "UPDATE t SET v = randomblob(310) WHERE k % 5 = 0;"
                           "COMMIT;",
                           NULL, NULL, NULL),
              SQLITE_OK);
    /* Copied at once, as a crash right after the commit would leave the files: every frame
     * header must be in the file when the commit returns. */
    copy_index(sub, copy, 1);
    int64_t sum = sql_int(h, "SELECT sum(length(v)) FROM t");
    CHECK(sum > 0);
    sqlite3_close(h);
    sqlite3_close(hold);
    sqlite3 *c = NULL;
    CHECK_INT(sqlite3_open_v2(cpath, &c, SQLITE_OPEN_READONLY, KB_CHECKSUM_VFS), SQLITE_OK);
    CHECK_INT(sql_int(c, "SELECT count(*) FROM t"), 3000);
    CHECK_INT(sql_int(c, "SELECT sum(length(v)) FROM t"), sum);
    sqlite3_stmt *st = NULL;
    CHECK_INT(sqlite3_prepare_v2(c, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    CHECK_INT(sqlite3_step(st), SQLITE_ROW);
    CHECK_STR((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    CHECK_INT(kb__checksum_vfs_faults(c), 0);
    sqlite3_close(c);
}

/* The previous format: no reserved bytes, format 2 in meta. Refused by version, not as damage;
 * and an index whose header lost its reserve byte is refused as damaged. */
static void test_old_format(const char *ixdir)
{
    char sub[300], path[400];
    snprintf(sub, sizeof sub, "%s/old", dir);
    snprintf(path, sizeof path, "mkdir -p %s", sub);
    CHECK_INT(system(path), 0);
    snprintf(path, sizeof path, "%s/khabar.db", sub);
    sqlite3 *h = NULL;
    CHECK_INT(sqlite3_open(path, &h), SQLITE_OK);
    CHECK_INT(sqlite3_exec(h,
                           "PRAGMA journal_mode=WAL; PRAGMA application_id=1802003058;"
                           "CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
                           "INSERT INTO meta VALUES('format', 2), ('stemmer', 0);",
                           NULL, NULL, NULL),
              SQLITE_OK);
    sqlite3_close(h);
    kb_index *ix = NULL;
    kb_index_options ro = {.read_only = 1};
    CHECK_INT(kb_index_open(sub, &ro, &ix), KB_EVERSION);
    CHECK_INT(kb_index_open(sub, NULL, &ix), KB_EVERSION);

    /* reserve byte 8 → 0: SQLite would take the checksum for page content */
    snprintf(sub, sizeof sub, "%s/noreserve", dir);
    copy_index(ixdir, sub, 0);
    snprintf(path, sizeof path, "%s/khabar.db", sub);
    size_t n = 0;
    unsigned char *db = slurp(path, &n);
    if (db && n > 100) db[20] = 0;
    if (db) spit(path, db, n);
    free(db);
    CHECK_INT(kb_index_open(sub, &ro, &ix), KB_ECORRUPT);
}

/* Written by another program through SQLite's own VFS: the pages it changed keep their old
 * checksums, and khabar reports them rather than trusting them. */
static void test_foreign_write(const char *ixdir)
{
    char sub[300], path[400];
    snprintf(sub, sizeof sub, "%s/foreign", dir);
    copy_index(ixdir, sub, 0);
    snprintf(path, sizeof path, "%s/khabar.db", sub);
    sqlite3 *h = NULL;
    CHECK_INT(sqlite3_open(path, &h), SQLITE_OK);
    CHECK_INT(sqlite3_exec(h, "UPDATE docs SET url = 'http://x' WHERE docid = 3", NULL, NULL, NULL),
              SQLITE_OK);
    sqlite3_close(h);
    kb_index *ix = NULL;
    kb_index_options ro = {.read_only = 1};
    int rc = kb_index_open(sub, &ro, &ix);
    if (rc == 0) rc = kb_index_check(ix, NULL, NULL);
    CHECK_INT(rc, KB_ECORRUPT);
    kb_index_close(ix);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/kb_test_cksum_XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char ixdir[300];
    snprintf(ixdir, sizeof ixdir, "%s/ix", dir);
    kb_index *ix = NULL;
    CHECK_INT(kb_index_open(ixdir, NULL, &ix), 0);
    CHECK_INT(add_docs(ix, 0, 60), 0);
    CHECK_INT(add_docs(ix, 60, 120), 0);
    CHECK_INT(kb_index_delete(ix, "d7", 2), 0);
    CHECK_INT(kb_index_commit(ix), 0);
    kb_index_close(ix); /* the last connection: checkpointed into khabar.db */

    test_layout(ixdir);
    test_every_page(ixdir);
    test_open_message(ixdir);
    test_wal();
    test_spilled_transaction();
    test_old_format(ixdir);
    test_foreign_write(ixdir);

    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return kbt_summary();
}
