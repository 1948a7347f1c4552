/*
 * checksum_vfs.c — a checksum on every SQLite page of an index, verified on every read.
 *
 * khabar's own data carries checksums (postings blocks, stored articles), but SQLite's b-tree
 * pages do not: a flipped byte inside a page of the term dictionary or of the docs table reads
 * back without complaint and answers a search differently. This module closes that gap with a
 * VFS shim, registered once as "khabar-checksum" and wrapping the default VFS (unix), through
 * which every index is opened (index.c).
 *
 * Page layout. An index is created with KB_PAGE_RESERVE (8) reserved bytes at the end of every
 * page (SQLITE_FCNTL_RESERVE_BYTES before the first write; byte 20 of the database header
 * records it). SQLite never looks inside reserved bytes; this module keeps there the XXH3-64 of
 * the rest of the page (seed KB_PAGE_SEED), little-endian. It is written on every whole-page
 * write and verified on every read, of the database file and of the write-ahead log:
 *
 *   khabar.db       page n at (n-1)·P. The 100-byte header is part of page 1 and covered by it;
 *                   SQLite's odd-sized reads of the header (and direct reads of part of an
 *                   overflow page) are verified by reading and checking the whole page. Which
 *                   file is checked is decided by the header: reserve 8 → checked.
 *   khabar.db-wal   a 32-byte header, then frames of a 24-byte frame header and one page. The
 *                   page carries its checksum like in the database file, so a checkpoint copies
 *                   pages verbatim (and verifies them on the way). SQLite's frame header holds a
 *                   running checksum over the header and the page *as SQLite handed it over*,
 *                   before this module filled in the reserved bytes; so the frame header is held
 *                   back until its page arrives, and the running checksum is recomputed over the
 *                   page as written (the algorithm of SQLite's file format document, seeded from
 *                   the previous frame header in the file), and header and page go out in one
 *                   write. SQLite verifies those running checksums when it rebuilds the WAL
 *                   index; a page rewritten in place (a transaction that spilled a page twice)
 *                   gets its page checksum here and its frame header from SQLite's own re-pass
 *                   over the file, which reads each frame and writes its header at once.
 *
 * A mismatch makes the read fail with SQLITE_IOERR_DATA; the file and page are kept on the
 * database file handle for kb__checksum_vfs_fault(), which kb__index_sqlerr() turns into
 * KB_ECORRUPT with that message. Memory-mapped reads would bypass xRead, so the files offer
 * no xFetch (I/O methods version 2: SQLite then always reads through xRead). The one buffer a
 * file needs (a page, or a frame for the WAL) is allocated with sqlite3_malloc on first use, so
 * it goes through the allocator hook like the rest of SQLite's memory (alloc.c); failing that
 * allocation is SQLITE_IOERR_NOMEM, which SQLite reports as SQLITE_NOMEM.
 *
 * Not covered: free pages (never read), and a page written where another belongs (the checksum
 * does not include the page number, because a page in the WAL does not know its own without a
 * second read of its frame header).
 */
#include "khabar_int.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <xxhash.h>

#define VFS_NAME KB_CHECKSUM_VFS
/* Seed of the page checksum ("khabar p"): a page of zeros does not verify. */
#define KB_PAGE_SEED 0x6b68616261722070ull
#define DB_HEADER 100
#define WAL_HEADER 32
#define FRAME_HEADER 24

enum { KIND_OTHER, KIND_DB, KIND_WAL };
/* Failures kept per connection: enough for check to name every damaged page of a few, while
 * the file handle (allocated per connection by SQLite) stays small. */
#define FAULTS_KEPT 8
#define FAULT_MAX 160

typedef struct cfile cfile;
struct cfile {
    sqlite3_file base;  /* this module's methods */
    sqlite3_file *real; /* the lower VFS's file: in the same allocation, after this struct */
    const char *path;   /* as given to xOpen; SQLite keeps it valid until xClose */
    int kind;
    cfile *partner;     /* database file ↔ its WAL, while both are open */
    uint32_t page_size; /* database file: from the header, 0 until seen */
    int checked;        /* database file: the header says pages carry checksums */
    unsigned char *buf; /* one page (database) or one frame (WAL), allocated on first use */
    size_t buf_cap;
    /* WAL: a frame header held back until its page is written */
    int pending;
    sqlite3_int64 pending_off;
    unsigned char pending_hdr[FRAME_HEADER];
    uint32_t wal_magic;       /* WAL: the header's magic number, 0 until read or written */
    sqlite3_int64 frame_read; /* WAL: offset of a whole frame just read, -1 after any write */
    /* database file: checksum failures seen through this connection (its WAL's too), the last
     * FAULTS_KEPT of them as text naming file and page */
    uint64_t n_faults;
    char faults[FAULTS_KEPT][FAULT_MAX];
};

/* The lower VFS's file follows the cfile, aligned for anything it may hold. */
#define CFILE_SIZE ((sizeof(cfile) + 15) & ~(size_t)15)

static sqlite3_vfs vfs;
static sqlite3_vfs *lower;
static pthread_mutex_t vfs_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- checksums ------------------------------------------------------------------------------ */

static uint64_t page_sum(const unsigned char *page, uint32_t size)
{
    return XXH3_64bits_withSeed(page, size - KB_PAGE_RESERVE, KB_PAGE_SEED);
}

static uint64_t get64le(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void put64le(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32be(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t get32le(const unsigned char *p)
{
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static void put32be(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* The WAL's running checksum, as SQLite's file format document defines it: the input is read as
 * 32-bit words (big-endian when the WAL magic number is 0x377f0683, little-endian for
 * 0x377f0682), two at a time: s0 += x[i] + s1; s1 += x[i+1] + s0. n is a multiple of 8. */
static void wal_sum(int big_endian, const unsigned char *p, size_t n, uint32_t s[2])
{
    uint32_t s0 = s[0], s1 = s[1];
    if (big_endian) {
        for (size_t i = 0; i < n; i += 8) {
            s0 += get32be(p + i) + s1;
            s1 += get32be(p + i + 4) + s0;
        }
    } else {
        for (size_t i = 0; i < n; i += 8) {
            s0 += get32le(p + i) + s1;
            s1 += get32le(p + i + 4) + s0;
        }
    }
    s[0] = s0;
    s[1] = s1;
}

/* ---- helpers -------------------------------------------------------------------------------- */

static int ensure_buf(cfile *f, size_t n)
{
    if (f->buf_cap >= n) return SQLITE_OK;
    unsigned char *b = sqlite3_realloc64(f->buf, n);
    if (!b) return SQLITE_IOERR_NOMEM;
    f->buf = b;
    f->buf_cap = n;
    return SQLITE_OK;
}

/* Notes the page size and reserve of a database header that SQLite read or writes. */
static void read_db_header(cfile *f, const unsigned char *h)
{
    if (memcmp(h, "SQLite format 3", 16) != 0) return;
    uint32_t ps = (uint32_t)h[16] << 8 | h[17];
    if (ps == 1) ps = 65536;
    if (ps < 512 || ps > 65536 || (ps & (ps - 1))) {
        f->checked = 0;
        return;
    }
    f->page_size = ps;
    f->checked = h[20] == KB_PAGE_RESERVE;
}

/* The file name for messages: the last path component. */
static const char *base_name(const char *path)
{
    const char *s = path ? strrchr(path, '/') : NULL;
    return s ? s + 1 : path ? path : "?";
}

/* Records a checksum failure on the database file (the WAL's partner) and returns
 * SQLITE_IOERR_DATA. */
static int fault(cfile *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fault(cfile *db, const char *fmt, ...)
{
    char msg[FAULT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (db) memcpy(db->faults[db->n_faults++ % FAULTS_KEPT], msg, sizeof msg);
    sqlite3_log(SQLITE_IOERR_DATA, "%s", msg);
    return SQLITE_IOERR_DATA;
}

/* Verifies one page of the database file read into page[0..ps). */
static int verify_db_page(cfile *f, const unsigned char *page, sqlite3_int64 off)
{
    uint32_t ps = f->page_size;
    uint64_t want = get64le(page + ps - KB_PAGE_RESERVE), got = page_sum(page, ps);
    if (want == got) return SQLITE_OK;
    return fault(f, "%s page %lld: checksum mismatch (stored %016llx, computed %016llx)",
                 base_name(f->path), (long long)(off / ps + 1), (unsigned long long)want,
                 (unsigned long long)got);
}

/* ---- the database file ---------------------------------------------------------------------- */

static int db_read(cfile *f, void *out, int n, sqlite3_int64 off)
{
    sqlite3_file *r = f->real;
    uint32_t ps = f->page_size;
    if (f->checked && n > 0 && (uint32_t)n < ps && off / ps == (off + n - 1) / ps) {
        /* Part of one page (the header, or the start of an overflow page read directly): read
         * and verify the whole page, hand back the part asked for. */
        int rc = ensure_buf(f, ps);
        if (rc) return rc;
        sqlite3_int64 start = off - off % ps;
        rc = r->pMethods->xRead(r, f->buf, (int)ps, start);
        if (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ) return rc;
        int vrc = verify_db_page(f, f->buf, start);
        memcpy(out, f->buf + (off - start), (size_t)n);
        if (vrc) return vrc;
        if (off == 0 && n >= DB_HEADER) read_db_header(f, out);
        return rc;
    }
    int rc = r->pMethods->xRead(r, out, n, off);
    if (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ) return rc;
    if (off == 0 && n >= DB_HEADER && rc == SQLITE_OK) read_db_header(f, out);
    ps = f->page_size;
    if (!f->checked || n <= 0 || (uint32_t)n % ps || off % ps) return rc;
    /* Whole pages (one, as SQLite reads them). A short read is zero-filled: it fails the check
     * (a page of zeros does not verify), as a truncated page should. */
    for (int i = 0; i < n; i += (int)ps) {
        int vrc = verify_db_page(f, (const unsigned char *)out + i, off + i);
        if (vrc) return vrc;
    }
    return rc;
}

static int db_write(cfile *f, const void *in, int n, sqlite3_int64 off)
{
    sqlite3_file *r = f->real;
    if (off == 0 && n >= DB_HEADER) read_db_header(f, in);
    uint32_t ps = f->page_size;
    if (!f->checked || n <= 0 || (uint32_t)n % ps || off % ps)
        return r->pMethods->xWrite(r, in, n, off);
    int rc = ensure_buf(f, ps);
    for (int i = 0; !rc && i < n; i += (int)ps) {
        memcpy(f->buf, (const unsigned char *)in + i, ps);
        put64le(f->buf + ps - KB_PAGE_RESERVE, page_sum(f->buf, ps));
        rc = r->pMethods->xWrite(r, f->buf, (int)ps, off + i);
    }
    return rc;
}

/* ---- the write-ahead log -------------------------------------------------------------------- */

/* The WAL is checked when its database file is. Returns the page size, or 0 when unchecked. */
static uint32_t wal_page_size(const cfile *w)
{
    return w->partner && w->partner->checked ? w->partner->page_size : 0;
}

/* Writes out a held-back frame header unchanged, when something else than its page comes next
 * (which SQLite does not do; this keeps the file right whatever the order of calls). */
static int wal_flush(cfile *w)
{
    if (!w->pending) return SQLITE_OK;
    w->pending = 0;
    return w->real->pMethods->xWrite(w->real, w->pending_hdr, FRAME_HEADER, w->pending_off);
}

/* Writes frame header + page at frame_off in one write, with the page checksum filled in and
 * the frame's running checksum recomputed over the page as written. */
static int wal_write_frame(cfile *w, const unsigned char *page, uint32_t ps,
                           sqlite3_int64 frame_off)
{
    sqlite3_file *r = w->real;
    size_t fs = FRAME_HEADER + (size_t)ps;
    int rc = ensure_buf(w, fs);
    if (rc) return rc;
    unsigned char *b = w->buf;
    memcpy(b, w->pending_hdr, FRAME_HEADER);
    memcpy(b + FRAME_HEADER, page, ps);
    w->pending = 0;
    put64le(b + fs - KB_PAGE_RESERVE, page_sum(b + FRAME_HEADER, ps));

    /* The running checksum continues from the previous frame's header, or from the WAL
     * header's for the first frame. */
    unsigned char seed[WAL_HEADER];
    if (frame_off == WAL_HEADER) {
        rc = r->pMethods->xRead(r, seed, WAL_HEADER, 0);
        if (rc) return rc == SQLITE_IOERR_SHORT_READ ? SQLITE_IOERR_WRITE : rc;
        w->wal_magic = get32be(seed);
        memmove(seed, seed + 24, 8);
    } else {
        if (!w->wal_magic) {
            rc = r->pMethods->xRead(r, seed, 4, 0);
            if (rc) return rc == SQLITE_IOERR_SHORT_READ ? SQLITE_IOERR_WRITE : rc;
            w->wal_magic = get32be(seed);
        }
        rc = r->pMethods->xRead(r, seed, 8, frame_off - (sqlite3_int64)fs + 16);
        if (rc) return rc == SQLITE_IOERR_SHORT_READ ? SQLITE_IOERR_WRITE : rc;
    }
    uint32_t s[2] = {get32be(seed), get32be(seed + 4)};
    int big = (int)(w->wal_magic & 1);
    wal_sum(big, b, 8, s);
    wal_sum(big, b + FRAME_HEADER, ps, s);
    put32be(b + 16, s[0]);
    put32be(b + 20, s[1]);
    return r->pMethods->xWrite(r, b, (int)fs, frame_off);
}

static int wal_write(cfile *w, const void *in, int n, sqlite3_int64 off)
{
    sqlite3_file *r = w->real;
    uint32_t ps = wal_page_size(w);
    sqlite3_int64 fs = FRAME_HEADER + (sqlite3_int64)ps;
    int rewrite = off == w->frame_read;
    w->frame_read = -1;
    if (ps && n == FRAME_HEADER && off >= WAL_HEADER && (off - WAL_HEADER) % fs == 0 && !rewrite) {
        int rc = wal_flush(w);
        if (rc) return rc;
        memcpy(w->pending_hdr, in, FRAME_HEADER);
        w->pending_off = off;
        w->pending = 1;
        return SQLITE_OK;
    }
    if (ps && (uint32_t)n == ps && off >= WAL_HEADER + FRAME_HEADER &&
        (off - WAL_HEADER - FRAME_HEADER) % fs == 0) {
        if (w->pending && w->pending_off == off - FRAME_HEADER)
            return wal_write_frame(w, in, ps, off - FRAME_HEADER);
        /* A page rewritten in place: SQLite fixes the frame headers afterwards. */
        int rc = wal_flush(w);
        if (!rc) rc = ensure_buf(w, ps);
        if (rc) return rc;
        memcpy(w->buf, in, ps);
        put64le(w->buf + ps - KB_PAGE_RESERVE, page_sum(w->buf, ps));
        return r->pMethods->xWrite(r, w->buf, (int)ps, off);
    }
    int rc = wal_flush(w);
    if (rc) return rc;
    if (off == 0 && n >= 4) w->wal_magic = get32be(in);
    return r->pMethods->xWrite(r, in, n, off);
}

static int wal_read(cfile *w, void *out, int n, sqlite3_int64 off)
{
    sqlite3_file *r = w->real;
    int rc = wal_flush(w);
    if (rc) return rc;
    rc = r->pMethods->xRead(r, out, n, off);
    if (rc != SQLITE_OK) return rc;
    if (off == 0 && n >= 4) w->wal_magic = get32be(out);
    uint32_t ps = wal_page_size(w);
    sqlite3_int64 fs = FRAME_HEADER + (sqlite3_int64)ps;
    /* A whole frame read: SQLite's re-pass over frames already in the file (their pages carry
     * checksums) reads each frame and then rewrites its header, computed from what it read:
     * that header goes out at once, as it comes. */
    w->frame_read = ps && n == fs && off >= WAL_HEADER && (off - WAL_HEADER) % fs == 0 ? off : -1;
    /* Only the page of a frame, as readers and checkpoints read it; whole frames are read when
     * SQLite rebuilds the WAL index and verifies its own running checksums. */
    if (!ps || (uint32_t)n != ps || off < WAL_HEADER + FRAME_HEADER ||
        (off - WAL_HEADER - FRAME_HEADER) % fs)
        return SQLITE_OK;
    const unsigned char *page = out;
    uint64_t want = get64le(page + ps - KB_PAGE_RESERVE), got = page_sum(page, ps);
    if (want == got) return SQLITE_OK;
    sqlite3_int64 frame = (off - WAL_HEADER - FRAME_HEADER) / fs;
    unsigned char h[4] = {0};
    r->pMethods->xRead(r, h, 4, off - FRAME_HEADER);
    return fault(w->partner,
                 "%s frame %lld (page %u): checksum mismatch (stored %016llx, computed %016llx)",
                 base_name(w->path), (long long)frame + 1, get32be(h), (unsigned long long)want,
                 (unsigned long long)got);
}

/* ---- I/O methods ---------------------------------------------------------------------------- */

static int x_close(sqlite3_file *file)
{
    cfile *f = (cfile *)file;
    int rc = f->kind == KIND_WAL ? wal_flush(f) : SQLITE_OK;
    if (f->partner) f->partner->partner = NULL;
    f->partner = NULL;
    sqlite3_free(f->buf);
    f->buf = NULL;
    int crc = f->real->pMethods->xClose(f->real);
    return rc ? rc : crc;
}

static int x_read(sqlite3_file *file, void *out, int n, sqlite3_int64 off)
{
    cfile *f = (cfile *)file;
    if (f->kind == KIND_DB) return db_read(f, out, n, off);
    if (f->kind == KIND_WAL) return wal_read(f, out, n, off);
    return f->real->pMethods->xRead(f->real, out, n, off);
}

static int x_write(sqlite3_file *file, const void *in, int n, sqlite3_int64 off)
{
    cfile *f = (cfile *)file;
    if (f->kind == KIND_DB) return db_write(f, in, n, off);
    if (f->kind == KIND_WAL) return wal_write(f, in, n, off);
    return f->real->pMethods->xWrite(f->real, in, n, off);
}

static int x_truncate(sqlite3_file *file, sqlite3_int64 size)
{
    cfile *f = (cfile *)file;
    int rc = f->kind == KIND_WAL ? wal_flush(f) : SQLITE_OK;
    return rc ? rc : f->real->pMethods->xTruncate(f->real, size);
}

static int x_sync(sqlite3_file *file, int flags)
{
    cfile *f = (cfile *)file;
    int rc = f->kind == KIND_WAL ? wal_flush(f) : SQLITE_OK;
    return rc ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int x_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
    cfile *f = (cfile *)file;
    int rc = f->kind == KIND_WAL ? wal_flush(f) : SQLITE_OK;
    return rc ? rc : f->real->pMethods->xFileSize(f->real, size);
}

static int x_lock(sqlite3_file *file, int level)
{
    cfile *f = (cfile *)file;
    return f->real->pMethods->xLock(f->real, level);
}

static int x_unlock(sqlite3_file *file, int level)
{
    cfile *f = (cfile *)file;
    return f->real->pMethods->xUnlock(f->real, level);
}

static int x_check_reserved_lock(sqlite3_file *file, int *out)
{
    cfile *f = (cfile *)file;
    return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int x_file_control(sqlite3_file *file, int op, void *arg)
{
    cfile *f = (cfile *)file;
    if (f->kind == KIND_WAL) {
        int rc = wal_flush(f);
        if (rc) return rc;
    }
    int rc = f->real->pMethods->xFileControl(f->real, op, arg);
    if (op == SQLITE_FCNTL_VFSNAME && rc == SQLITE_OK) {
        char *below = *(char **)arg;
        *(char **)arg = sqlite3_mprintf(VFS_NAME "/%z", below);
    }
    return rc;
}

static int x_sector_size(sqlite3_file *file)
{
    cfile *f = (cfile *)file;
    return f->real->pMethods->xSectorSize(f->real);
}

/* The WAL's frame header is held back until its page arrives, which needs the page in the same
 * run of writes: SQLite splits a frame only to pad a commit to a sector boundary, and pads only
 * on devices without power-safe overwrite. The unix VFS reports power-safe overwrite (its
 * default), and so does this one, for the WAL, whatever the device below says. */
static int x_device_characteristics(sqlite3_file *file)
{
    cfile *f = (cfile *)file;
    int c = f->real->pMethods->xDeviceCharacteristics(f->real);
    return f->kind == KIND_WAL ? c | SQLITE_IOCAP_POWERSAFE_OVERWRITE : c;
}

static int x_shm_map(sqlite3_file *file, int pg, int pgsz, int extend, void volatile **out)
{
    cfile *f = (cfile *)file;
    return f->real->pMethods->xShmMap(f->real, pg, pgsz, extend, out);
}

/* The WAL index's locks are taken on the database file. No frame header may stay held back
 * once a writer lets go of a lock: the frames it wrote are then visible to other connections. */
static int x_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
    cfile *f = (cfile *)file;
    int rc = f->kind == KIND_DB && f->partner && (flags & SQLITE_SHM_UNLOCK) ? wal_flush(f->partner)
                                                                             : SQLITE_OK;
    int lrc = f->real->pMethods->xShmLock(f->real, offset, n, flags);
    return lrc ? lrc : rc;
}

static void x_shm_barrier(sqlite3_file *file)
{
    cfile *f = (cfile *)file;
    f->real->pMethods->xShmBarrier(f->real);
}

static int x_shm_unmap(sqlite3_file *file, int delete_flag)
{
    cfile *f = (cfile *)file;
    return f->real->pMethods->xShmUnmap(f->real, delete_flag);
}

/* Version 2: shared memory for WAL mode, no xFetch, so no page escapes xRead through mmap. */
static const sqlite3_io_methods io_methods = {
    .iVersion = 2,
    .xClose = x_close,
    .xRead = x_read,
    .xWrite = x_write,
    .xTruncate = x_truncate,
    .xSync = x_sync,
    .xFileSize = x_file_size,
    .xLock = x_lock,
    .xUnlock = x_unlock,
    .xCheckReservedLock = x_check_reserved_lock,
    .xFileControl = x_file_control,
    .xSectorSize = x_sector_size,
    .xDeviceCharacteristics = x_device_characteristics,
    .xShmMap = x_shm_map,
    .xShmLock = x_shm_lock,
    .xShmBarrier = x_shm_barrier,
    .xShmUnmap = x_shm_unmap,
};

/* ---- the VFS -------------------------------------------------------------------------------- */

static int x_open(sqlite3_vfs *v, const char *name, sqlite3_file *file, int flags, int *out_flags)
{
    KB_UNUSED(v);
    cfile *f = (cfile *)file;
    memset(f, 0, sizeof *f);
    f->real = (sqlite3_file *)(void *)((char *)file + CFILE_SIZE);
    f->path = name;
    f->frame_read = -1;
    int rc = lower->xOpen(lower, name, f->real, flags, out_flags);
    if (rc != SQLITE_OK) {
        /* SQLite calls xClose only when pMethods is set; close the lower file ourselves. */
        if (f->real->pMethods) f->real->pMethods->xClose(f->real);
        return rc;
    }
    if (flags & SQLITE_OPEN_MAIN_DB) {
        f->kind = KIND_DB;
    } else if ((flags & SQLITE_OPEN_WAL) && name) {
        f->kind = KIND_WAL;
        sqlite3_file *db = sqlite3_database_file_object(name);
        if (db && db->pMethods == &io_methods) {
            f->partner = (cfile *)db;
            f->partner->partner = f;
        }
    }
    f->base.pMethods = &io_methods;
    return SQLITE_OK;
}

static int x_delete(sqlite3_vfs *v, const char *name, int sync_dir)
{
    KB_UNUSED(v);
    return lower->xDelete(lower, name, sync_dir);
}

static int x_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
    KB_UNUSED(v);
    return lower->xAccess(lower, name, flags, out);
}

static int x_full_pathname(sqlite3_vfs *v, const char *name, int n, char *out)
{
    KB_UNUSED(v);
    return lower->xFullPathname(lower, name, n, out);
}

static void *x_dl_open(sqlite3_vfs *v, const char *name)
{
    KB_UNUSED(v);
    return lower->xDlOpen(lower, name);
}

static void x_dl_error(sqlite3_vfs *v, int n, char *out)
{
    KB_UNUSED(v);
    lower->xDlError(lower, n, out);
}

static void (*x_dl_sym(sqlite3_vfs *v, void *h, const char *sym))(void)
{
    KB_UNUSED(v);
    return lower->xDlSym(lower, h, sym);
}

static void x_dl_close(sqlite3_vfs *v, void *h)
{
    KB_UNUSED(v);
    lower->xDlClose(lower, h);
}

static int x_randomness(sqlite3_vfs *v, int n, char *out)
{
    KB_UNUSED(v);
    return lower->xRandomness(lower, n, out);
}

static int x_sleep(sqlite3_vfs *v, int us)
{
    KB_UNUSED(v);
    return lower->xSleep(lower, us);
}

static int x_current_time(sqlite3_vfs *v, double *out)
{
    KB_UNUSED(v);
    return lower->xCurrentTime(lower, out);
}

static int x_get_last_error(sqlite3_vfs *v, int n, char *out)
{
    KB_UNUSED(v);
    return lower->xGetLastError ? lower->xGetLastError(lower, n, out) : 0;
}

static int x_current_time_int64(sqlite3_vfs *v, sqlite3_int64 *out)
{
    KB_UNUSED(v);
    return lower->xCurrentTimeInt64(lower, out);
}

/* ---- the index's side ----------------------------------------------------------------------- */

int kb__checksum_vfs_register(void)
{
    int rc = sqlite3_initialize();
    if (rc) return rc;
    pthread_mutex_lock(&vfs_lock);
    if (!lower) {
        /* The default VFS (unix) goes below this one. */
        sqlite3_vfs *below = sqlite3_vfs_find(NULL);
        if (below && below->iVersion >= 2) {
            vfs = (sqlite3_vfs){
                .iVersion = 2,
                .szOsFile = (int)(CFILE_SIZE + (size_t)below->szOsFile),
                .mxPathname = below->mxPathname,
                .zName = VFS_NAME,
                .xOpen = x_open,
                .xDelete = x_delete,
                .xAccess = x_access,
                .xFullPathname = x_full_pathname,
                .xDlOpen = x_dl_open,
                .xDlError = x_dl_error,
                .xDlSym = x_dl_sym,
                .xDlClose = x_dl_close,
                .xRandomness = x_randomness,
                .xSleep = x_sleep,
                .xCurrentTime = x_current_time,
                .xGetLastError = x_get_last_error,
                .xCurrentTimeInt64 = x_current_time_int64,
            };
            lower = below;
        } else {
            rc = SQLITE_ERROR;
        }
    }
    /* Registered on first use, and again after SQLite was shut down and re-initialized
     * (kb_set_allocator does that); registering twice is harmless, SQLite unlinks it first. */
    if (!rc && sqlite3_vfs_find(VFS_NAME) != &vfs) rc = sqlite3_vfs_register(&vfs, 0);
    pthread_mutex_unlock(&vfs_lock);
    return rc;
}

/* The open database file of db, when it goes through this VFS. */
static cfile *db_file(sqlite3 *db)
{
    sqlite3_file *f = NULL;
    if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &f) != SQLITE_OK || !f ||
        f->pMethods != &io_methods)
        return NULL;
    return (cfile *)f;
}

int kb__checksum_vfs_prepare(sqlite3 *db)
{
    cfile *f = db_file(db);
    if (!f) return SQLITE_MISUSE;
    sqlite3_int64 size = -1;
    int rc = f->real->pMethods->xFileSize(f->real, &size);
    if (rc) return rc;
    if (size != 0) return SQLITE_OK;
    int n = KB_PAGE_RESERVE;
    return sqlite3_file_control(db, "main", SQLITE_FCNTL_RESERVE_BYTES, &n);
}

int kb__checksum_vfs_active(sqlite3 *db)
{
    cfile *f = db_file(db);
    return f && f->checked && f->page_size;
}

uint64_t kb__checksum_vfs_faults(sqlite3 *db)
{
    cfile *f = db_file(db);
    return f ? f->n_faults : 0;
}

int kb__checksum_vfs_fault(sqlite3 *db, uint64_t i, char *out, size_t cap)
{
    cfile *f = db_file(db);
    if (!f || i >= f->n_faults || f->n_faults - i > FAULTS_KEPT) return 0;
    snprintf(out, cap, "%s", f->faults[i % FAULTS_KEPT]);
    return 1;
}
