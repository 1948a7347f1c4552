/*
 * cache.c — a bounded, thread-safe cache of byte strings, least recently used out first.
 *
 * Two users: the index keeps decoded stored articles in one (store.c, kb_index_set_doc_cache),
 * shared by the read handles of a server, and the server keeps its answers in another (keyed by
 * the request, tagged with the index's commit generation). Each entry has a key, a value and a
 * 64-bit tag; a lookup with another tag drops the entry (it is stale) and misses. Values are
 * copied out through a callback while the lock is held, so an entry never outlives its use.
 *
 * One mutex guards a chained hash table and an LRU list. Keys, values and a fixed bookkeeping
 * cost per entry count against the size given at creation; a value larger than an eighth of
 * the cache is never kept (it would flush everything else).
 */
#include "khabar_int.h"

#include <pthread.h>

typedef struct entry {
    struct entry *next_hash;   /* chain of its bucket */
    struct entry *prev, *next; /* LRU list: head.next is the most recently used */
    uint64_t hash, tag;
    size_t key_n, value_n;
    char data[]; /* key bytes, then the value */
} entry;

struct kb_cache {
    pthread_mutex_t mu;
    entry **buckets;
    size_t n_buckets; /* a power of two */
    entry head;       /* LRU sentinel */
    size_t bytes, max_bytes, entries;
    uint64_t hits, misses, stale;
};

/* Per-entry bookkeeping counted against the size, so many tiny values cannot overrun it. */
#define ENTRY_OVERHEAD (sizeof(entry) + 2 * sizeof(void *))
/* Buckets: about one per 4 KiB of values (a page of answers, a decoded article: 3-10 KiB), and
 * at most 4M of them. */
#define BUCKET_BYTES 4096
#define MAX_BUCKETS ((size_t)1 << 22)

static uint64_t hash_key(const void *k, size_t n)
{
    const unsigned char *p = k;
    uint64_t h = 1469598103934665603ull; /* FNV-1a, 64-bit: keys are short */
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

KB_API kb_cache *kb_cache_new(size_t max_bytes)
{
    if (!max_bytes) return NULL;
    kb_cache *c = kb__calloc(1, sizeof *c);
    if (!c) return NULL;
    size_t nb = 1024;
    while (nb < max_bytes / BUCKET_BYTES && nb < MAX_BUCKETS)
        nb <<= 1;
    c->buckets = kb__calloc(nb, sizeof *c->buckets);
    if (!c->buckets) {
        kb__free(c);
        return NULL;
    }
    c->n_buckets = nb;
    c->max_bytes = max_bytes;
    c->head.prev = c->head.next = &c->head;
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

static void unlink_entry(kb_cache *c, entry *e)
{
    entry **pp = &c->buckets[e->hash & (c->n_buckets - 1)];
    while (*pp != e)
        pp = &(*pp)->next_hash;
    *pp = e->next_hash;
    e->prev->next = e->next;
    e->next->prev = e->prev;
    c->bytes -= ENTRY_OVERHEAD + e->key_n + e->value_n;
    c->entries--;
    kb__free(e);
}

KB_API void kb_cache_free(kb_cache *c)
{
    if (!c) return;
    while (c->head.next != &c->head)
        unlink_entry(c, c->head.next);
    kb__free(c->buckets);
    pthread_mutex_destroy(&c->mu);
    kb__free(c);
}

static entry *find(kb_cache *c, const void *key, size_t n, uint64_t h)
{
    for (entry *e = c->buckets[h & (c->n_buckets - 1)]; e; e = e->next_hash)
        if (e->hash == h && e->key_n == n && !memcmp(e->data, key, n)) return e;
    return NULL;
}

static void push_front(kb_cache *c, entry *e)
{
    e->next = c->head.next;
    e->prev = &c->head;
    c->head.next->prev = e;
    c->head.next = e;
}

KB_API int kb_cache_get(kb_cache *c, const void *key, size_t n, uint64_t tag, kb_cache_fn fn,
                        void *ctx)
{
    if (!c || !fn) return 0;
    uint64_t h = hash_key(key, n);
    int rc = 0;
    pthread_mutex_lock(&c->mu);
    entry *e = find(c, key, n, h);
    if (e && e->tag != tag) {
        unlink_entry(c, e);
        e = NULL;
        c->stale++;
    }
    if (e) {
        e->prev->next = e->next;
        e->next->prev = e->prev;
        push_front(c, e);
        c->hits++;
        rc = fn(ctx, e->data + e->key_n, e->value_n);
        if (rc == 0) rc = 1;
    } else {
        c->misses++;
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

KB_API void kb_cache_put(kb_cache *c, const void *key, size_t n, uint64_t tag,
                         const void *const *parts, const size_t *part_n, size_t n_parts)
{
    if (!c) return;
    size_t value_n = 0;
    for (size_t i = 0; i < n_parts; i++)
        value_n += part_n[i];
    size_t need = ENTRY_OVERHEAD + n + value_n;
    if (need > c->max_bytes / 8) return;
    entry *e = kb__malloc(sizeof *e + n + value_n);
    if (!e) return; /* a cache may forget */
    e->hash = hash_key(key, n);
    e->tag = tag;
    e->key_n = n;
    e->value_n = value_n;
    memcpy(e->data, key, n);
    char *v = e->data + n;
    for (size_t i = 0; i < n_parts; i++) {
        if (part_n[i]) memcpy(v, parts[i], part_n[i]);
        v += part_n[i];
    }
    pthread_mutex_lock(&c->mu);
    entry *old = find(c, key, n, e->hash);
    if (old) unlink_entry(c, old);
    while (c->bytes + need > c->max_bytes && c->head.prev != &c->head)
        unlink_entry(c, c->head.prev);
    entry **b = &c->buckets[e->hash & (c->n_buckets - 1)];
    e->next_hash = *b;
    *b = e;
    push_front(c, e);
    c->bytes += need;
    c->entries++;
    pthread_mutex_unlock(&c->mu);
}

KB_API void kb_cache_stats_get(kb_cache *c, kb_cache_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!c) return;
    pthread_mutex_lock(&c->mu);
    out->hits = c->hits;
    out->misses = c->misses;
    out->stale = c->stale;
    out->entries = c->entries;
    out->bytes = c->bytes;
    out->max_bytes = c->max_bytes;
    pthread_mutex_unlock(&c->mu);
}
