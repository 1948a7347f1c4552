/*
 * probe.c — reads everything an index holds, through the public API and the internal reader API,
 * and prints a digest: the tool behind the corruption suite (tests/robust/corrupt.sh).
 *
 *   robust_probe digest DIR          prints the digest of the index in DIR (exit 0), or the first
 *                                    error met ("error STEP KB_E...", exit 3)
 *   robust_probe damage FILE SEED    damages FILE in place, deterministically from SEED: flips
 *                                    1–8 random bytes, zeroes a random run, or truncates it;
 *                                    prints what it did
 *
 * The digest covers: the document count; for each probe word, kb_search_run's hits (ids, titles,
 * snippets) and the term's postings read with a cursor; every stored article by id (title and body
 * checksums). kb_index_check runs separately ("check" line), so the suite can tell "check found
 * the damage" from "reads are unaffected". A damaged index must give, for every step, either the
 * undamaged answer or a clean error code: a crash, a hang (the suite runs this under timeout) or
 * a different answer while check says "ok" is a failure.
 */
#include "khabar.h"
#include "khabar_int.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Words the bundled examples contain in several articles, plus one that is absent. */
static const char *const probe_words[] = {"العراق", "مصر", "الرئيس", "مجلس",           "الحكومة",
                                          "وزير",   "قال", "اليوم",  "\"مجلس الأمن\"", "غائبة"};

static uint64_t fnv(const void *p, size_t n, uint64_t h)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 0x100000001b3ull;
    return h;
}
#define FNV0 0xcbf29ce484222325ull

static int fail(const char *step, int rc)
{
    printf("error %s %s\n", step, kb_err_name(rc));
    return 3;
}

static void print_problem(void *ctx, const char *problem)
{
    int *n = ctx;
    if ((*n)++ < 3) fprintf(stderr, "check: %s\n", problem);
}

/* Reads a term's postings in a snapshot of their own (positions too for forms): count and hash.
 * Returns 0 or the first error. */
static int read_term(kb_index *ix, kb__term_kind kind, const char *term, size_t n, uint32_t *count,
                     uint64_t *h)
{
    *count = 0;
    *h = FNV0;
    int rc = kb__index_read_begin(ix);
    if (rc) return rc;
    kb__postings p;
    kb__postings_init(&p);
    rc = kb__postings_open(ix, kind, term, n, &p);
    if (rc == 0 || rc == KB_ENOTFOUND) {
        while ((rc = kb__postings_next(&p)) == 1) {
            (*count)++;
            *h = fnv(&p.doc, sizeof p.doc, *h);
            *h = fnv(p.tf, sizeof p.tf, *h);
            if (kind != KB_TERM_FORM) continue;
            const uint32_t *pos;
            uint32_t np;
            rc = kb__postings_positions(&p, &pos, &np);
            if (rc) break;
            *h = fnv(pos, np * sizeof *pos, *h);
        }
    }
    kb__postings_free(&p);
    kb__index_read_end(ix);
    return rc < 0 ? rc : 0;
}

static int digest(const char *dir)
{
    kb_index *ix = NULL;
    kb_index_options ro = {.read_only = 1};
    int rc = kb_index_open(dir, &ro, &ix);
    if (rc) return fail("open", rc);

    int problems = 0;
    rc = kb_index_check(ix, print_problem, &problems);
    printf("check %s %d\n", kb_err_name(rc), problems);
    /* Everything below must not depend on what check found. */

    kb_index_stats st;
    rc = kb_index_stats_get(ix, &st);
    if (rc) {
        kb_index_close(ix);
        return fail("stats", rc);
    }
    printf("docs %llu\n", (unsigned long long)st.docs);

    int status = 0;
    for (size_t w = 0; w < KB_ARRAY_LEN(probe_words) && !status; w++) {
        const char *q = probe_words[w];
        kb_results *res = NULL;
        kb_search_options so = {.limit = 50, .exact_total = 1};
        rc = kb_search_run(ix, q, strlen(q), &so, &res);
        if (rc) {
            status = fail("search", rc);
            kb_results_free(res);
            break;
        }
        uint64_t h = FNV0;
        for (size_t i = 0; i < res->n_hits && !status; i++)
            /* a hit whose stored article could not be read is listed, flagged, without title
             * and snippet: the damage reported, as an error would */
            if (res->hits[i].damaged) status = fail("search_damaged_hit", KB_ECORRUPT);
        if (status) {
            kb_results_free(res);
            break;
        }
        for (size_t i = 0; i < res->n_hits; i++) {
            const kb_hit *hit = &res->hits[i];
            h = fnv(hit->id.p, hit->id.n, h);
            h = fnv(hit->title.p, hit->title.n, h);
            h = fnv(hit->snippet.p, hit->snippet.n, h);
            h = fnv(hit->highlights, hit->n_highlights * sizeof *hit->highlights, h);
        }
        printf("search %zu total=%llu hits=%zu h=%016llx\n", w, (unsigned long long)res->total,
               res->n_hits, (unsigned long long)h);
        kb_results_free(res);

        /* The same word's postings through a cursor (stems, as a plain query reads them). */
        char stem[256];
        int n = kb_analyzer_stem_word(kb__index_analyzer(ix), q, strlen(q), stem, sizeof stem);
        if (n < 0) {
            status = fail("stem", n);
            break;
        }
        uint32_t count;
        uint64_t ph;
        rc = read_term(ix, KB_TERM_STEM, stem, (size_t)n, &count, &ph);
        if (rc < 0) {
            status = fail("postings", rc);
            break;
        }
        printf("postings %zu n=%u h=%016llx\n", w, count, (unsigned long long)ph);

        /* Its written form's postings with positions (what phrases read). */
        kb_analyzer *an = kb__index_analyzer(ix);
        kb_token t;
        kb_analyzer_reset(an, q, strlen(q));
        if (kb_analyzer_next(an, &t) != 1) continue;
        rc = read_term(ix, KB_TERM_FORM, t.norm, t.norm_len, &count, &ph);
        if (rc < 0) {
            status = fail("positions", rc);
            break;
        }
        printf("positions %zu n=%u h=%016llx\n", w, count, (unsigned long long)ph);
    }

    /* Every stored article, by id: the ids come from the docs table. */
    if (!status) {
        sqlite3_stmt *s = NULL;
        sqlite3 *db = kb__index_db(ix);
        rc = sqlite3_prepare_v2(db, "SELECT id FROM docs ORDER BY docid", -1, &s, NULL);
        if (rc != SQLITE_OK) status = fail("ids", KB_ECORRUPT);
        uint64_t h = FNV0;
        int n_docs = 0;
        while (!status && (rc = sqlite3_step(s)) == SQLITE_ROW) {
            const char *id = (const char *)sqlite3_column_text(s, 0);
            size_t idn = (size_t)sqlite3_column_bytes(s, 0);
            kb_stored *d = NULL;
            int r = kb_index_get(ix, id ? id : "", idn, &d);
            if (r) {
                status = fail("get", r);
                break;
            }
            h = fnv(d->id.p, d->id.n, h);
            h = fnv(d->title.p, d->title.n, h);
            h = fnv(d->body.p, d->body.n, h);
            h = fnv(d->source.p, d->source.n, h);
            h = fnv(d->date.p, d->date.n, h);
            kb_stored_free(d);
            n_docs++;
        }
        if (!status && rc != SQLITE_DONE) status = fail("ids", KB_ECORRUPT);
        sqlite3_finalize(s);
        if (!status) printf("stored n=%d h=%016llx\n", n_docs, (unsigned long long)h);
    }
    kb_index_close(ix);
    return status;
}

/* A small deterministic generator (splitmix64): the same SEED damages the same way. */
static uint64_t rng_state;
static uint64_t rng(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int damage(const char *path, uint64_t seed)
{
    rng_state = seed;
    FILE *f = fopen(path, "r+b");
    if (!f) {
        perror(path);
        return 2;
    }
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || sb.st_size == 0) {
        fclose(f);
        printf("empty file, nothing to damage\n");
        return 0;
    }
    uint64_t size = (uint64_t)sb.st_size;
    unsigned kind = (unsigned)(rng() % 10);
    if (kind < 6) { /* flip 1–8 bytes */
        unsigned k = 1 + (unsigned)(rng() % 8);
        printf("flip %u:", k);
        for (unsigned i = 0; i < k; i++) {
            uint64_t off = rng() % size;
            unsigned char c;
            fseek(f, (long)off, SEEK_SET);
            if (fread(&c, 1, 1, f) != 1) break;
            c ^= (unsigned char)(1 + rng() % 255);
            fseek(f, (long)off, SEEK_SET);
            fwrite(&c, 1, 1, f);
            printf(" %llu", (unsigned long long)off);
        }
        printf("\n");
    } else if (kind < 8) { /* zero a run of 1–512 bytes */
        uint64_t off = rng() % size, n = 1 + rng() % 512;
        if (off + n > size) n = size - off;
        static const unsigned char zero[512];
        fseek(f, (long)off, SEEK_SET);
        fwrite(zero, 1, (size_t)n, f);
        printf("zero %llu+%llu\n", (unsigned long long)off, (unsigned long long)n);
    } else { /* truncate */
        uint64_t to = rng() % size;
        fflush(f);
        if (ftruncate(fileno(f), (off_t)to) != 0) perror("ftruncate");
        printf("truncate %llu of %llu\n", (unsigned long long)to, (unsigned long long)size);
    }
    fclose(f);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "digest")) return digest(argv[2]);
    if (argc == 4 && !strcmp(argv[1], "damage"))
        return damage(argv[2], strtoull(argv[3], NULL, 10));
    fprintf(stderr, "usage: robust_probe digest DIR | damage FILE SEED\n");
    return 2;
}
