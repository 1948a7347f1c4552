/*
 * linestats.c — cross-document line statistics per source, for "repeated-in-source" drops.
 *
 * A byline formula, "// انتهى //" or an SMS footer is one line that recurs in many documents of
 * one site, while a real paragraph occurs in one document (or a few, when a story is reprinted).
 * A first pass counts, for each (source, line) pair, the documents the line occurs in; the
 * cleaner then drops lines whose count passes its thresholds. Lines are keyed by a 64-bit hash
 * of their tidied text (XXH3), seeded with the source's hash, in one open-addressing table.
 *
 * The model file (kb_cleaner_model_save) is text, so a user can read it:
 *
 *   khabar-linestats 1
 *   S <TAB> source-name <TAB> documents          one per source, before its lines
 *   L <TAB> 16-hex-digit line hash <TAB> documents   only lines seen in 2+ documents
 */
#include "khabar_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <xxhash.h>

#define MODEL_MAGIC "khabar-linestats"
#define MODEL_VERSION 1
/* A source name longer than this is cut: site names are short, and the model file's lines stay
 * bounded. */
#define SOURCE_NAME_MAX 200
/* Lines of the model file are short; a longer one is corrupt. */
#define MODEL_LINE_MAX 512

typedef struct src_entry {
    char *name;
    size_t n;
    uint64_t seed;
    uint32_t docs;
} src_entry;

typedef struct slot {
    uint64_t key; /* 0 = empty */
    uint32_t count;
    uint32_t src;
} slot;

struct kb__linestats {
    src_entry *srcs;
    size_t n_srcs, cap_srcs;
    slot *tab;
    size_t cap, used; /* cap is a power of two */
};

uint64_t kb__line_hash(const char *s, size_t n)
{
    return XXH3_64bits(s, n);
}

kb__linestats *kb__linestats_new(void)
{
    return kb__calloc(1, sizeof(kb__linestats));
}

void kb__linestats_free(kb__linestats *ls)
{
    if (!ls) return;
    for (size_t i = 0; i < ls->n_srcs; i++)
        kb__free(ls->srcs[i].name);
    kb__free(ls->srcs);
    kb__free(ls->tab);
    kb__free(ls);
}

static int find_src(const kb__linestats *ls, const char *s, size_t n)
{
    n = KB_MIN(n, SOURCE_NAME_MAX);
    for (size_t i = 0; i < ls->n_srcs; i++)
        if (ls->srcs[i].n == n && memcmp(ls->srcs[i].name, s, n) == 0) return (int)i;
    return -1;
}

static int add_src(kb__linestats *ls, const char *s, size_t n)
{
    n = KB_MIN(n, SOURCE_NAME_MAX);
    int i = find_src(ls, s, n);
    if (i >= 0) return i;
    if (ls->n_srcs == ls->cap_srcs) {
        size_t cap = ls->cap_srcs ? ls->cap_srcs * 2 : 8;
        src_entry *p = kb__realloc(ls->srcs, cap * sizeof *p);
        if (!p) return KB_ENOMEM;
        ls->srcs = p;
        ls->cap_srcs = cap;
    }
    src_entry *e = &ls->srcs[ls->n_srcs];
    if (!(e->name = kb__strndup(s, n))) return KB_ENOMEM;
    e->n = n;
    e->seed = XXH3_64bits(s, n);
    e->docs = 0;
    return (int)ls->n_srcs++;
}

static uint64_t key_of(uint64_t seed, uint64_t hash)
{
    uint64_t k = XXH3_64bits_withSeed(&hash, sizeof hash, seed);
    return k ? k : 1;
}

static slot *lookup(const kb__linestats *ls, uint64_t key)
{
    if (!ls->cap) return NULL;
    size_t h = (size_t)(key & (ls->cap - 1));
    while (ls->tab[h].key) {
        if (ls->tab[h].key == key) return &ls->tab[h];
        h = (h + 1) & (ls->cap - 1);
    }
    return &ls->tab[h];
}

static int rehash(kb__linestats *ls)
{
    size_t cap = ls->cap ? ls->cap * 2 : 1024;
    slot *t = kb__calloc(cap, sizeof *t);
    if (!t) return KB_ENOMEM;
    for (size_t i = 0; i < ls->cap; i++) {
        if (!ls->tab[i].key) continue;
        size_t h = (size_t)(ls->tab[i].key & (cap - 1));
        while (t[h].key)
            h = (h + 1) & (cap - 1);
        t[h] = ls->tab[i];
    }
    kb__free(ls->tab);
    ls->tab = t;
    ls->cap = cap;
    return 0;
}

static int bump(kb__linestats *ls, uint64_t key, uint32_t src, uint32_t by)
{
    if ((ls->used + 1) * 4 > ls->cap * 3 && rehash(ls)) return KB_ENOMEM;
    slot *s = lookup(ls, key);
    if (!s->key) {
        s->key = key;
        s->src = src;
        ls->used++;
    }
    s->count = s->count > UINT32_MAX - by ? UINT32_MAX : s->count + by;
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int kb__linestats_add(kb__linestats *ls, const char *src, size_t n_src, uint64_t *hashes, size_t n)
{
    int si = add_src(ls, src, n_src);
    if (si < 0) return si;
    ls->srcs[si].docs++;
    /* count each line once per document */
    qsort(hashes, n, sizeof *hashes, cmp_u64);
    for (size_t i = 0; i < n; i++) {
        if (i && hashes[i] == hashes[i - 1]) continue;
        int rc = bump(ls, key_of(ls->srcs[si].seed, hashes[i]), (uint32_t)si, 1);
        if (rc) return rc;
    }
    return 0;
}

uint32_t kb__linestats_count(const kb__linestats *ls, const char *src, size_t n_src, uint64_t hash,
                             uint32_t *n_docs)
{
    *n_docs = 0;
    int si = find_src(ls, src ? src : "", src ? n_src : 0);
    if (si < 0) return 0;
    *n_docs = ls->srcs[si].docs;
    slot *s = lookup(ls, key_of(ls->srcs[si].seed, hash));
    return s && s->key ? s->count : 0;
}

/* The model stores, per line, the hash the table is keyed by; the source's line records follow
 * its S record. */
int kb__linestats_save(const kb__linestats *ls, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) return KB_EIO;
    fprintf(f, "%s %d\n", MODEL_MAGIC, MODEL_VERSION);
    for (size_t si = 0; si < ls->n_srcs; si++) {
        fputs("S\t", f);
        for (size_t i = 0; i < ls->srcs[si].n; i++) {
            char ch = ls->srcs[si].name[i];
            fputc(ch == '\t' || ch == '\n' || ch == '\r' ? ' ' : ch, f);
        }
        fprintf(f, "\t%u\n", ls->srcs[si].docs);
        for (size_t i = 0; i < ls->cap; i++)
            if (ls->tab[i].key && ls->tab[i].src == si && ls->tab[i].count >= 2)
                fprintf(f, "L\t%016llx\t%u\n", (unsigned long long)ls->tab[i].key,
                        ls->tab[i].count);
    }
    int bad = ferror(f);
    if (fclose(f) || bad) return KB_EIO;
    return 0;
}

int kb__linestats_load(kb__linestats *ls, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return KB_EIO;
    char buf[MODEL_LINE_MAX];
    int rc = 0, ver = 0;
    if (!fgets(buf, sizeof buf, f) || sscanf(buf, MODEL_MAGIC " %d", &ver) != 1) {
        fclose(f);
        return KB_ECORRUPT;
    }
    if (ver != MODEL_VERSION) {
        fclose(f);
        return KB_EVERSION;
    }
    int si = -1;
    while (!rc && fgets(buf, sizeof buf, f)) {
        size_t n = strlen(buf);
        if (n && buf[n - 1] == '\n')
            buf[--n] = 0;
        else if (!feof(f)) {
            rc = KB_ECORRUPT;
            break;
        }
        if (buf[0] == 'S' && buf[1] == '\t') {
            char *tab = strrchr(buf + 2, '\t');
            if (!tab || tab == buf + 1) {
                rc = KB_ECORRUPT;
                break;
            }
            char *end;
            errno = 0;
            unsigned long docs = strtoul(tab + 1, &end, 10);
            if (*end || errno || docs > UINT32_MAX) {
                rc = KB_ECORRUPT;
                break;
            }
            si = add_src(ls, buf + 2, (size_t)(tab - (buf + 2)));
            if (si < 0) {
                rc = si;
                break;
            }
            uint64_t d = ls->srcs[si].docs + (uint64_t)docs;
            ls->srcs[si].docs = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
        } else if (buf[0] == 'L' && buf[1] == '\t' && si >= 0) {
            unsigned long long key;
            unsigned count;
            char extra;
            if (sscanf(buf + 2, "%16llx\t%u%c", &key, &count, &extra) != 2 || !key) {
                rc = KB_ECORRUPT;
                break;
            }
            rc = bump(ls, (uint64_t)key, (uint32_t)si, count);
        } else if (buf[0]) {
            rc = KB_ECORRUPT;
        }
    }
    if (!rc && ferror(f)) rc = KB_EIO;
    fclose(f);
    return rc;
}
