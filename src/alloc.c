/*
 * alloc.c — the allocator hook. All library allocations go through kb__malloc/kb__realloc/kb__free
 * so a test can fail the Nth allocation and check that every path ends in a clean error.
 *
 * SQLite allocates a good deal on the index's behalf (page cache, prepared statements, the
 * schema). When a caller installs its own allocator, SQLite's allocations are routed through it
 * too (sqlite3_config(SQLITE_CONFIG_MALLOC)), so out-of-memory fault injection reaches the
 * storage layer as well, and a leak inside SQLite shows up in the caller's counts. SQLite can only
 * change allocators while it is shut down, which is why kb_set_allocator() must be called before
 * any index is opened (the public header says so) and calls sqlite3_shutdown() itself. Restoring
 * the default (NULL) gives SQLite back its own allocator.
 */
#include "khabar_int.h"

#include <sqlite3.h>
#include <stddef.h>
#include <stdlib.h>

static void *libc_malloc(void *ctx, size_t n)
{
    KB_UNUSED(ctx);
    return malloc(n);
}

static void *libc_realloc(void *ctx, void *p, size_t n)
{
    KB_UNUSED(ctx);
    return realloc(p, n);
}

static void libc_free(void *ctx, void *p)
{
    KB_UNUSED(ctx);
    free(p);
}

static kb_allocator g_alloc = {libc_malloc, libc_realloc, libc_free, NULL};

/* ---- SQLite through the hook ----
 * SQLite's xSize needs the size of a live allocation; the hook does not keep one, so each SQLite
 * allocation carries a header holding its size. The header is a max_align_t so the payload keeps
 * the alignment malloc would give. */
#define SQL_HDR sizeof(max_align_t)
/* SQLite never asks for more than 2^31 bytes at once; anything larger is refused outright so the
 * header arithmetic cannot overflow. */
#define SQL_MAX_ALLOC ((size_t)1 << 31)

static void *sql_malloc(int n)
{
    if (n <= 0 || (size_t)n > SQL_MAX_ALLOC) return NULL;
    size_t *h = g_alloc.malloc(g_alloc.ctx, SQL_HDR + (size_t)n);
    if (!h) return NULL;
    *h = (size_t)n;
    return (char *)h + SQL_HDR;
}

static void sql_free(void *p)
{
    if (p) g_alloc.free(g_alloc.ctx, (char *)p - SQL_HDR);
}

static void *sql_realloc(void *p, int n)
{
    if (!p) return sql_malloc(n);
    if (n <= 0 || (size_t)n > SQL_MAX_ALLOC) return NULL;
    size_t *h = g_alloc.realloc(g_alloc.ctx, (char *)p - SQL_HDR, SQL_HDR + (size_t)n);
    if (!h) return NULL;
    *h = (size_t)n;
    return (char *)h + SQL_HDR;
}

static int sql_size(void *p)
{
    return p ? (int)*(size_t *)(void *)((char *)p - SQL_HDR) : 0;
}

static int sql_roundup(int n)
{
    return (n + 7) & ~7;
}

static int sql_init(void *ctx)
{
    KB_UNUSED(ctx);
    return SQLITE_OK;
}

static void sql_shutdown(void *ctx)
{
    KB_UNUSED(ctx);
}

static const sqlite3_mem_methods sql_methods = {sql_malloc,  sql_free, sql_realloc,  sql_size,
                                                sql_roundup, sql_init, sql_shutdown, NULL};
static sqlite3_mem_methods sql_default;
static int sql_routed, sql_saved;

/* Points SQLite's allocator at the hook (on) or back at its own (off). */
static void route_sqlite(int on)
{
    if (on == sql_routed) return;
    sqlite3_shutdown();
    if (!sql_saved) {
        sql_saved = sqlite3_config(SQLITE_CONFIG_GETMALLOC, &sql_default) == SQLITE_OK;
        if (!sql_saved) return;
    }
    if (sqlite3_config(SQLITE_CONFIG_MALLOC, on ? &sql_methods : &sql_default) == SQLITE_OK)
        sql_routed = on;
}

KB_API void kb_set_allocator(const kb_allocator *a)
{
    /* Shut SQLite down first: its remaining allocations are freed by the allocator that made
     * them, before the hook changes. */
    sqlite3_shutdown();
    if (a && a->malloc && a->realloc && a->free) {
        g_alloc = *a;
        route_sqlite(1);
    } else {
        g_alloc = (kb_allocator){libc_malloc, libc_realloc, libc_free, NULL};
        route_sqlite(0);
    }
}

void *kb__malloc(size_t n)
{
    return g_alloc.malloc(g_alloc.ctx, n ? n : 1);
}

void *kb__calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) return NULL;
    void *p = kb__malloc(count * size);
    if (p) memset(p, 0, count * size);
    return p;
}

void *kb__realloc(void *p, size_t n)
{
    return g_alloc.realloc(g_alloc.ctx, p, n ? n : 1);
}

void kb__free(void *p)
{
    if (p) g_alloc.free(g_alloc.ctx, p);
}

char *kb__strndup(const char *s, size_t n)
{
    char *d = kb__malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}
