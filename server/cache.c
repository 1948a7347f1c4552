/*
 * cache.c — the server's answer cache: JSON answers of the read endpoints (search, a document,
 * its similar stories), keyed by the request and tagged with the index's commit generation.
 *
 * Correctness across commits: an answer is stored under the generation read BEFORE it was
 * computed (kb_index_generation), and a lookup hits only when the index's current generation is
 * the stored one. Every commit, by this server or any other process, moves the generation on, so
 * an answer is never served once a commit it does not reflect has finished. (An answer computed
 * from a snapshot newer than its tag is harmless: by the time it is stored, the generation has
 * moved past the tag, and the entry is dropped at its next lookup.)
 *
 * One mutex guards a hash table (chained) and a least-recently-used list; the bytes of keys and
 * answers are bounded by the size given at creation (--cache-mb), evicting the least recently
 * used first. Answers larger than an eighth of the cache are never stored.
 */
#include "server.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
    struct entry *next_hash;    /* chain of its bucket */
    struct entry *prev, *next;  /* LRU list: head.next is the most recently used */
    uint64_t hash, gen;
    int status;
    size_t key_n, body_n;
    char data[]; /* key bytes, then the body */
} entry;

struct srv_cache {
    pthread_mutex_t mu;
    entry **buckets;
    size_t n_buckets; /* a power of two */
    entry head;       /* LRU sentinel */
    size_t bytes, max_bytes, n_entries;
    uint64_t hits, misses, stale;
};

/* Per-entry bookkeeping counted against the size, so many tiny answers cannot overrun it. */
#define ENTRY_OVERHEAD (sizeof(entry) + 2 * sizeof(void *))

static uint64_t hash_key(const char *k, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a, 64-bit */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)k[i]) * 1099511628211ull;
    return h;
}

srv_cache *srv_cache_new(size_t max_bytes)
{
    if (!max_bytes) return NULL;
    srv_cache *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    /* about one bucket per 4 KiB of answers (a page of results is 5-10 KiB) */
    size_t nb = 1024;
    while (nb < max_bytes / 4096 && nb < ((size_t)1 << 22))
        nb <<= 1;
    c->buckets = calloc(nb, sizeof *c->buckets);
    if (!c->buckets) {
        free(c);
        return NULL;
    }
    c->n_buckets = nb;
    c->max_bytes = max_bytes;
    c->head.prev = c->head.next = &c->head;
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

static void unlink_entry(srv_cache *c, entry *e)
{
    entry **pp = &c->buckets[e->hash & (c->n_buckets - 1)];
    while (*pp != e)
        pp = &(*pp)->next_hash;
    *pp = e->next_hash;
    e->prev->next = e->next;
    e->next->prev = e->prev;
    c->bytes -= ENTRY_OVERHEAD + e->key_n + e->body_n;
    c->n_entries--;
    free(e);
}

void srv_cache_free(srv_cache *c)
{
    if (!c) return;
    while (c->head.next != &c->head)
        unlink_entry(c, c->head.next);
    free(c->buckets);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static entry *find(srv_cache *c, const char *key, size_t n, uint64_t h)
{
    for (entry *e = c->buckets[h & (c->n_buckets - 1)]; e; e = e->next_hash)
        if (e->hash == h && e->key_n == n && !memcmp(e->data, key, n)) return e;
    return NULL;
}

int srv_cache_get(srv_cache *c, const char *key, size_t n, uint64_t gen, srv_buf *out)
{
    if (!c) return 0;
    uint64_t h = hash_key(key, n);
    int status = 0;
    pthread_mutex_lock(&c->mu);
    entry *e = find(c, key, n, h);
    if (e && e->gen != gen) { /* a commit since: never served again */
        unlink_entry(c, e);
        e = NULL;
        c->stale++;
    }
    if (e) {
        /* most recently used: to the head */
        e->prev->next = e->next;
        e->next->prev = e->prev;
        e->next = c->head.next;
        e->prev = &c->head;
        c->head.next->prev = e;
        c->head.next = e;
        srv_buf_add(out, e->data + e->key_n, e->body_n);
        status = out->failed ? 0 : e->status;
        c->hits++;
    } else {
        c->misses++;
    }
    pthread_mutex_unlock(&c->mu);
    return status;
}

void srv_cache_put(srv_cache *c, const char *key, size_t n, uint64_t gen, int status,
                   const char *body, size_t body_n)
{
    if (!c) return;
    size_t need = ENTRY_OVERHEAD + n + body_n;
    if (need > c->max_bytes / 8) return;
    entry *e = malloc(sizeof *e + n + body_n);
    if (!e) return;
    e->hash = hash_key(key, n);
    e->gen = gen;
    e->status = status;
    e->key_n = n;
    e->body_n = body_n;
    memcpy(e->data, key, n);
    memcpy(e->data + n, body, body_n);
    pthread_mutex_lock(&c->mu);
    entry *old = find(c, key, n, e->hash);
    if (old) unlink_entry(c, old);
    while (c->bytes + need > c->max_bytes && c->head.prev != &c->head)
        unlink_entry(c, c->head.prev);
    entry **b = &c->buckets[e->hash & (c->n_buckets - 1)];
    e->next_hash = *b;
    *b = e;
    e->next = c->head.next;
    e->prev = &c->head;
    c->head.next->prev = e;
    c->head.next = e;
    c->bytes += need;
    c->n_entries++;
    pthread_mutex_unlock(&c->mu);
}

void srv_cache_stats(srv_cache *c, srv_cache_counts *out)
{
    memset(out, 0, sizeof *out);
    if (!c) return;
    pthread_mutex_lock(&c->mu);
    out->hits = c->hits;
    out->misses = c->misses;
    out->stale = c->stale;
    out->entries = c->n_entries;
    out->bytes = c->bytes;
    out->max_bytes = c->max_bytes;
    pthread_mutex_unlock(&c->mu);
}
