/*
 * alloc.c — the allocator hook. All library allocations go through kb__malloc/kb__realloc/kb__free
 * so a test can fail the Nth allocation and check that every path ends in a clean error.
 */
#include "khabar_int.h"

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

KB_API void kb_set_allocator(const kb_allocator *a)
{
    if (a && a->malloc && a->realloc && a->free)
        g_alloc = *a;
    else
        g_alloc = (kb_allocator){libc_malloc, libc_realloc, libc_free, NULL};
}

void *kb__malloc(size_t n)
{
    return g_alloc.malloc(g_alloc.ctx, n ? n : 1);
}

void *kb__calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    void *p = kb__malloc(count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

void *kb__realloc(void *p, size_t n)
{
    return g_alloc.realloc(g_alloc.ctx, p, n ? n : 1);
}

void kb__free(void *p)
{
    if (p)
        g_alloc.free(g_alloc.ctx, p);
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
