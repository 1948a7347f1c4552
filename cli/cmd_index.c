/*
 * cmd_index.c — `khabar index --index DIR [FILE|DIR...]`: read, clean, analyze and index in one
 * streaming pass.
 *
 * Three kinds of work share the pass. A reader thread reads records (kb_reader) into a ring of
 * job slots. Worker threads clean each record (kb_cleaner) and prepare it (kb_index_prepare:
 * analysis, term counting, zstd of the stored copy). The main thread is the one writer
 * (kb_index_add_prepared, kb_index_commit every --batch documents): the writer's work is what
 * bounds the pass, so it does nothing else. Records travel through the ring in input order, so a
 * later record with the same id always replaces an earlier one. With --threads 0 the main thread
 * does all three.
 *
 * On a terminal, a progress line on stderr shows documents/s, MB/s and (for uncompressed inputs)
 * an ETA; piped, the command is quiet until its summary. With --log-commits, a line
 * "committed: batch=K docs=N last=ID" goes to stderr after each commit returns: everything up
 * to ID in input order is durable (the crash test relies on it).
 */
#include "cli.h"

#include <pthread.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Documents per commit by default. A commit costs about the same whatever its size (each term of
 * the batch rewrites its tail block and its row): saudinewsnet + jawharafm (41,134 articles, 112
 * MB of text) index in ~5.2 s with 10,000 (5 commits), ~3.9 s with 25,000 and ~3.2 s in one
 * commit, for 237, 282 and 350 MB of peak memory (docs/performance.md, "Batch size"). */
#define DEFAULT_BATCH 50000
/* Article text per commit at most, by default, whatever --batch says. The batch's memory grows
 * with its text (its positions, ~1 byte a word, and an entry per document and term), so 50,000
 * long records (transcripts, HTML pages; up to 16 MB each) would need tens of GB before their
 * commit. Set high: a commit into an index of long records costs more memory than the batch it
 * saves (215 MB of text in records of 3 MB: 344 MB peak in one commit, 520 MB in two). */
#define DEFAULT_BATCH_MB 1024
/* Job slots per worker: keeps workers busy while the writer waits on the slowest in-order job. */
#define SLOTS_PER_WORKER 16
/* Job slots at least, whatever the number of workers. The ring must cover the wake-ups of the
 * reader and of the workers on a busy machine (milliseconds), which depend on the one writer's
 * pace, not on the number of workers: with 32 slots (2 workers) and the reader refilling at half,
 * the writer stalled ~0.6 s of a 3.3 s pass on an idle machine and 2-3 s at load 5, waiting for
 * records to be read or prepared; with 128 slots and the refill at a quarter, 0.7-1.4 s at load
 * 5. Each slot keeps the buffers of the largest record it has held (~0.35 MB on the benchmark's
 * corpus). */
#define MIN_SLOTS 128
/* Bytes the ring may hold ahead of the writer, whatever the number of slots: the records and,
 * once prepared, their prepared forms (kb_prepared_memory: ~3.5 times a long record, its
 * positions and tokens at 4 and 8 bytes a word). 128 records of a few MB each (HTML pages, long
 * transcripts; KB_INPUT_MAX_RECORD is 16 MB) would otherwise all sit in memory: 150 records of 4
 * MB took 2.2 GB of peak memory with 128 slots and no byte bound, 0.8 GB with 32 slots. Counting
 * the records alone still let the ring grow to ~300 MB while the writer committed (docs/
 * performance.md, "Batch size"). The benchmark's records (~3 KB) never reach it. */
#define RING_BYTES_MAX ((uint64_t)64 << 20)
/* A slot whose record buffer grew past this gives its buffers back once the record is written,
 * so that one long record does not keep its memory for the rest of the run in every slot it
 * passed through. */
#define SLOT_KEEP_MAX ((size_t)1 << 20)
/* At most this many worker threads (more gains nothing on the machines we target). */
#define MAX_WORKERS 64
/* Rejection reasons kept apart in the summary. */
#define MAX_REASONS 16
/* Rejections printed one by one on stderr before only counting them. */
#define MAX_REJECT_LINES 20

typedef struct strbuf {
    char *p;
    size_t n, cap;
} strbuf;

static int sb_add(strbuf *b, const char *s, size_t n, kb_slice *out)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) return -1;
        b->p = p;
        b->cap = cap;
    }
    out->p = (const char *)(uintptr_t)b->n; /* offset until fixed up */
    out->n = n;
    if (n) memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n++] = 0;
    return 0;
}

enum { SLOT_FREE = 0, SLOT_FILLED, SLOT_DONE };

typedef struct job {
    int state;
    int fatal;          /* the reader failed here (out of memory): stop after this slot */
    kb_record rec; /* slices point into buf */
    strbuf buf;
    char *file;
    kb_prepared *prep;
    int rc;             /* 0 ok, else rejected */
    uint64_t held;      /* bytes of the slot counted in the ring's bytes: record, prepared form */
    const char *reason; /* static, for rejections */
    char detail[160];
} job;

typedef struct pipeline {
    pthread_mutex_t mu;
    pthread_cond_t cv_work, cv_done, cv_free;
    job *jobs;
    uint64_t n_jobs, seq_read, seq_prep, seq_write;
    int stop;
    int input_done;    /* the reader is past the last record (or failed for good) */
    /* Who sleeps, so that the others wake a thread only when it can go on: the reader once a
     * quarter of the ring is free (then refills it in one go: the other three quarters are work
     * ahead of the writer while the reader wakes), the writer once its next slot is done. A
     * wake-up per record cost ~35,000 context switches over the benchmark's 41,000 records. */
    int reader_waits, writer_waits;
    uint64_t in_bytes;   /* decoded input bytes read so far (the progress line) */
    uint64_t ring_bytes; /* bytes of the slots read and not yet written: records, prepared forms */
    kb_reader *rd;
    kb_stemmer_mode stemmer;
} pipeline;

/* The reader stops when the ring holds n_jobs records, or RING_BYTES_MAX bytes of them (one
 * record, however long, is always let in: the writer needs it to go on). */
static int ring_full(const pipeline *pl)
{
    uint64_t ahead = pl->seq_read - pl->seq_write;
    return ahead >= pl->n_jobs || (ahead && pl->ring_bytes >= RING_BYTES_MAX);
}

/* The sleeping reader goes on once a quarter of the slots, and of the bytes, is free again. */
static int ring_refill(const pipeline *pl)
{
    uint64_t ahead = pl->seq_read - pl->seq_write;
    return ahead <= pl->n_jobs - pl->n_jobs / 4 &&
           (!ahead || pl->ring_bytes <= RING_BYTES_MAX - RING_BYTES_MAX / 4);
}

/* Frees the buffers of a written slot that held a long record (SLOT_KEEP_MAX): the record's copy,
 * and its prepared form for a new one (kept if that cannot be allocated now). The ring's byte
 * count takes the slot's bytes (j->held) off when the slot is freed. */
static void give_back(job *j, int no_dedup)
{
    free(j->buf.p);
    j->buf.p = NULL;
    j->buf.cap = 0;
    kb_prepared *p = kb_prepared_new();
    if (!p) return;
    kb_prepared_skip_dups(p, no_dedup);
    kb_prepared_free(j->prep);
    j->prep = p;
}

static void fix_slices(job *j)
{
    kb_slice *s[] = {&j->rec.id,  &j->rec.title,  &j->rec.body,
                     &j->rec.url, &j->rec.source, &j->rec.date};
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        s[i]->p = j->buf.p + (uintptr_t)s[i]->p;
}

static int copy_record(job *j, const kb_record *r)
{
    j->buf.n = 0;
    j->rec = *r;
    if (sb_add(&j->buf, r->id.p, r->id.n, &j->rec.id) ||
        sb_add(&j->buf, r->title.p, r->title.n, &j->rec.title) ||
        sb_add(&j->buf, r->body.p, r->body.n, &j->rec.body) ||
        sb_add(&j->buf, r->url.p, r->url.n, &j->rec.url) ||
        sb_add(&j->buf, r->source.p, r->source.n, &j->rec.source) ||
        sb_add(&j->buf, r->date.p, r->date.n, &j->rec.date))
        return -1;
    fix_slices(j);
    free(j->file);
    j->file = strdup(r->file ? r->file : "-");
    j->rec.file = j->file;
    return j->file ? 0 : -1;
}

/* Reads the next record into slot j (pl->mu not held). Returns 1 when a record or a failure to
 * report went into j (j->state says which), 0 at the end of the input; after a fatal failure
 * (j->fatal) there is nothing more to read. */
static int read_one(pipeline *pl, job *j, int *state)
{
    kb_record rec;
    j->fatal = 0;
    j->rc = 0;
    int r = kb_reader_next(pl->rd, &rec);
    if (r == 0) return 0;
    *state = SLOT_FILLED;
    if (r < 0 || copy_record(j, &rec)) {
        /* out of memory copying: said as such, without a rejection */
        j->rc = r < 0 ? r : KB_ENOMEM;
        j->reason = r == KB_ENOMEM ? "out of memory" : r < 0 ? "unreadable" : NULL;
        snprintf(j->detail, sizeof j->detail, "%s", r < 0 ? kb_reader_errmsg(pl->rd) : "");
        j->rec.file = NULL;
        j->fatal = j->rc == KB_ENOMEM;
        *state = SLOT_DONE;
    }
    return 1;
}

/* Puts the slot read_one filled into the ring (pl->mu held): counted, and a worker told. */
static void ring_put(pipeline *pl, job *j, int state)
{
    j->state = state;
    j->held = j->buf.n;
    pl->ring_bytes += j->held;
    pl->seq_read++;
    pthread_cond_signal(&pl->cv_work);
}

/* The reader thread: fills free slots in input order. */
static void *reader(void *arg)
{
    pipeline *pl = arg;
    pthread_mutex_lock(&pl->mu);
    while (!pl->stop && !pl->input_done) {
        if (ring_full(pl)) {
            pl->reader_waits = 1;
            while (!pl->stop && !ring_refill(pl))
                pthread_cond_wait(&pl->cv_free, &pl->mu);
            pl->reader_waits = 0;
        }
        if (pl->stop) break;
        job *j = &pl->jobs[pl->seq_read % pl->n_jobs];
        pthread_mutex_unlock(&pl->mu);
        int state = SLOT_FREE, got = read_one(pl, j, &state);
        kb_reader_stats rs;
        kb_reader_stats_get(pl->rd, &rs);
        pthread_mutex_lock(&pl->mu);
        pl->in_bytes = rs.bytes;
        if (got) ring_put(pl, j, state);
        if (!got || j->fatal) pl->input_done = 1;
        /* the writer may wait for this very slot, or for the end */
        if (pl->writer_waits && (!got || state == SLOT_DONE || pl->seq_read == pl->seq_write + 1))
            pthread_cond_signal(&pl->cv_done);
    }
    pthread_mutex_unlock(&pl->mu);
    return NULL;
}

/* The worker's half: clean and prepare one record. */
static void prepare_job(job *j, kb_cleaner *cl, kb_analyzer *an)
{
    kb_article a;
    j->rc = 0;
    j->reason = NULL;
    j->detail[0] = 0;
    int rc = kb_cleaner_clean(cl, &j->rec, &a);
    if (rc) {
        j->rc = rc;
        j->reason = "cleaning failed";
        snprintf(j->detail, sizeof j->detail, "%s", kb_cleaner_errmsg(cl));
        return;
    }
    if (!a.id.n) {
        j->rc = KB_EINVAL;
        j->reason = "no id";
        return;
    }
    if (!a.title.n && !a.n_blocks && !a.n_captions) {
        j->rc = KB_EINVAL;
        j->reason = "empty article";
        return;
    }
    rc = kb_index_prepare(an, &a, j->prep);
    if (rc) {
        j->rc = rc;
        j->reason = rc == KB_ETOOBIG ? "too big" : "analysis failed";
        snprintf(j->detail, sizeof j->detail, "%s", kb_strerror(rc));
    }
}

static void *worker(void *arg)
{
    pipeline *pl = arg;
    kb_cleaner *cl = kb_cleaner_new(NULL);
    kb_analyzer_options ao = {pl->stemmer};
    kb_analyzer *an = kb_analyzer_new(&ao);
    pthread_mutex_lock(&pl->mu);
    for (;;) {
        while (!pl->stop && pl->seq_prep == pl->seq_read)
            pthread_cond_wait(&pl->cv_work, &pl->mu);
        if (pl->seq_prep == pl->seq_read && pl->stop) break;
        job *j = &pl->jobs[pl->seq_prep % pl->n_jobs];
        pl->seq_prep++;
        if (j->state == SLOT_DONE) continue; /* a failure the reader met: nothing to prepare */
        pthread_mutex_unlock(&pl->mu);
        if (cl && an) {
            prepare_job(j, cl, an);
        } else {
            j->rc = KB_ENOMEM;
            j->reason = "out of memory";
        }
        size_t held = kb_prepared_memory(j->prep);
        pthread_mutex_lock(&pl->mu);
        j->state = SLOT_DONE;
        j->held += held;
        pl->ring_bytes += held;
        if (pl->writer_waits && j == &pl->jobs[pl->seq_write % pl->n_jobs])
            pthread_cond_signal(&pl->cv_done);
    }
    pthread_mutex_unlock(&pl->mu);
    kb_cleaner_free(cl);
    kb_analyzer_free(an);
    return NULL;
}

typedef struct counts {
    uint64_t added, replaced, rejected, commits, docs_since_commit;
    uint64_t text_bytes, text_since_commit;
    double commit_s; /* wall seconds in kb_index_commit */
    const char *reasons[MAX_REASONS];
    uint64_t reason_n[MAX_REASONS];
    size_t n_reasons;
} counts;

static void reject(counts *c, const char *reason, const char *file, uint64_t line,
                   const char *detail)
{
    c->rejected++;
    size_t i = 0;
    while (i < c->n_reasons && strcmp(c->reasons[i], reason))
        i++;
    if (i == c->n_reasons && c->n_reasons < MAX_REASONS) c->reasons[c->n_reasons++] = reason;
    if (i < MAX_REASONS) c->reason_n[i]++;
    if (c->rejected <= MAX_REJECT_LINES) {
        if (file)
            cli_error("%s:%llu: rejected (%s)%s%s", file, (unsigned long long)line, reason,
                      detail && *detail ? ": " : "", detail ? detail : "");
        else
            cli_error("rejected (%s)%s%s", reason, detail && *detail ? ": " : "",
                      detail ? detail : "");
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Commits, counts and (with --log-commits) says so once the commit is durable: everything up to
 * last_id in input order is in the index. Returns 1 when the commit failed. */
static int commit(kb_index *ix, counts *c, int log_commits, const char *last_id)
{
    double t = now_s();
    int rc = kb_index_commit(ix);
    c->commit_s += now_s() - t;
    if (rc) {
        cli_error("index: commit failed: %s", kb_index_errmsg(ix));
        return 1;
    }
    c->commits++;
#ifdef __GLIBC__
    malloc_trim(0);
#endif
    c->docs_since_commit = 0;
    c->text_since_commit = 0;
    if (log_commits) {
        fprintf(stderr, "committed: batch=%llu docs=%llu last=%s\n", (unsigned long long)c->commits,
                (unsigned long long)(c->added + c->replaced), last_id);
        fflush(stderr);
    }
    return 0;
}

/* Total bytes of uncompressed inputs (for the ETA); 0 when any input is compressed, stdin or a
 * directory. */
static uint64_t input_total(char **paths, size_t n)
{
    uint64_t t = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        size_t l = strlen(paths[i]);
        if (!strcmp(paths[i], "-") || stat(paths[i], &st) || !S_ISREG(st.st_mode) ||
            (l > 3 && !strcmp(paths[i] + l - 3, ".gz")) ||
            (l > 4 && !strcmp(paths[i] + l - 4, ".zst")))
            return 0;
        t += (uint64_t)st.st_size;
    }
    return t;
}

static void progress(const counts *c, uint64_t in_bytes, uint64_t total, double t0, int final)
{
    double el = now_s() - t0;
    if (el <= 0) el = 1e-9;
    uint64_t docs = c->added + c->replaced;
    fprintf(stderr, "\r%llu docs  %.0f docs/s  %.1f MB/s", (unsigned long long)docs, docs / el,
            c->text_bytes / 1e6 / el);
    if (total && in_bytes && !final) {
        double rate = in_bytes / el;
        double left = in_bytes < total ? (total - in_bytes) / rate : 0;
        int pct = (int)(100.0 * in_bytes / total);
        fprintf(stderr, "  [%3d%%]  ETA %dm%02ds", pct > 100 ? 100 : pct, (int)left / 60,
                (int)left % 60);
    }
    fputs(final ? "\033[K\n" : "\033[K", stderr);
    fflush(stderr);
}

static void usage(FILE *f)
{
    fputs("usage: khabar index --index DIR [OPTIONS] [FILE|DIR|-]...\n"
          "\n"
          "Reads, cleans, analyzes and indexes news articles in one pass. An article whose id\n"
          "is already in the index replaces it. Commits every --batch documents and at the end.\n"
          "\n"
          "options:\n"
          "  --index DIR            the index directory (created when missing)\n"
          "  --batch N              documents per commit (default 50000)\n"
          "  --batch-mb N           commit also once a batch holds N MB of article text\n"
          "                         (default 1024: bounds the batch's memory)\n"
          "  --threads N            analysis threads (default: the number of CPUs)\n"
          "  --stemmer NAME         light, snowball or none (new indexes only; default light)\n"
          "  --format F             auto, text, jsonl, doc or html (default auto)\n"
          "  --encoding ENC         input encoding (default: detected)\n"
          "  --id-field, --title-field, --body-field, --url-field, --source-field,\n"
          "  --date-field NAME      JSONL field names\n"
          "  --sync                 fsync each commit (survives power loss, slower)\n"
          "  --no-dedup             skip duplicate-story signatures (faster bulk loads)\n"
          "  --log-commits          print \"committed: batch=K docs=N last=ID\" after each commit\n"
          "  --progress / --no-progress   force the progress line on or off (default: on a TTY)\n"
          "  -q, --quiet            no summary\n",
          f);
}

static int parse_format(const char *s, kb_format *f)
{
    const char *names[] = {"auto", "text", "jsonl", "doc", "html"};
    for (int i = 0; i < 5; i++)
        if (!strcmp(s, names[i])) {
            *f = (kb_format)i;
            return 0;
        }
    return -1;
}

int cmd_index(int argc, char **argv)
{
    const char *dir = NULL;
    long batch = DEFAULT_BATCH, batch_mb = DEFAULT_BATCH_MB;
    long threads = sysconf(_SC_NPROCESSORS_ONLN);
    int quiet = 0, log_commits = 0, show_progress = isatty(2);
    kb_index_options io = {0};
    kb_reader_options ro = {0};
    char **paths = calloc((size_t)argc + 1, sizeof *paths);
    size_t n_paths = 0;
    if (!paths) return CLI_FAILED;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = !strcmp(a, "--index") || !strcmp(a, "--batch") ||
                    !strcmp(a, "--batch-mb") || !strcmp(a, "--threads") ||
                    !strcmp(a, "--stemmer") || !strcmp(a, "--format") || !strcmp(a, "--encoding") ||
                    !strcmp(a, "--id-field") || !strcmp(a, "--title-field") ||
                    !strcmp(a, "--body-field") || !strcmp(a, "--url-field") ||
                    !strcmp(a, "--source-field") || !strcmp(a, "--date-field");
        if (takes && !v) {
            cli_error("index: %s needs an argument", a);
            free(paths);
            return CLI_USAGE;
        }
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            free(paths);
            return CLI_OK;
        } else if (!strcmp(a, "--index")) {
            dir = v;
        } else if (!strcmp(a, "--batch")) {
            batch = atol(v);
        } else if (!strcmp(a, "--batch-mb")) {
            batch_mb = atol(v);
        } else if (!strcmp(a, "--threads")) {
            threads = atol(v);
        } else if (!strcmp(a, "--stemmer")) {
            if (kb_stemmer_parse(v, &io.stemmer)) {
                cli_error("index: unknown stemmer '%s' (light, snowball, none)", v);
                free(paths);
                return CLI_USAGE;
            }
        } else if (!strcmp(a, "--format")) {
            if (parse_format(v, &ro.format)) {
                cli_error("index: unknown format '%s'", v);
                free(paths);
                return CLI_USAGE;
            }
        } else if (!strcmp(a, "--encoding")) {
            ro.encoding = v;
        } else if (!strcmp(a, "--id-field")) {
            ro.id_field = v;
        } else if (!strcmp(a, "--title-field")) {
            ro.title_field = v;
        } else if (!strcmp(a, "--body-field")) {
            ro.body_field = v;
        } else if (!strcmp(a, "--url-field")) {
            ro.url_field = v;
        } else if (!strcmp(a, "--source-field")) {
            ro.source_field = v;
        } else if (!strcmp(a, "--date-field")) {
            ro.date_field = v;
        } else if (!strcmp(a, "--no-dedup")) {
            io.no_dedup = 1;
        } else if (!strcmp(a, "--sync")) {
            io.sync_full = 1;
        } else if (!strcmp(a, "--log-commits")) {
            log_commits = 1;
        } else if (!strcmp(a, "--progress")) {
            show_progress = 1;
        } else if (!strcmp(a, "--no-progress")) {
            show_progress = 0;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            quiet = 1;
            show_progress = 0;
        } else if (a[0] == '-' && a[1]) {
            cli_error("index: unknown option '%s' (see khabar index --help)", a);
            free(paths);
            return CLI_USAGE;
        } else {
            paths[n_paths++] = (char *)a;
            continue;
        }
        if (takes) i++;
    }
    if (!dir || batch < 1 || batch_mb < 1 || batch_mb > 1 << 20 || threads < 0) {
        cli_error("index: %s",
                  !dir ? "--index DIR is required" : "bad --batch, --batch-mb or --threads");
        usage(stderr);
        free(paths);
        return CLI_USAGE;
    }
    if (threads > MAX_WORKERS) threads = MAX_WORKERS;
    if (!n_paths) paths[n_paths++] = "-";

    kb_index *ix = NULL;
    int rc = kb_index_open(dir, &io, &ix);
    if (rc) {
        cli_error("index: %s: %s", dir, kb_strerror(rc));
        free(paths);
        return CLI_FAILED;
    }
    kb_stemmer_mode stemmer = kb_index_stemmer(ix);
    kb_reader *rd = kb_reader_open((const char *const *)paths, n_paths, &ro);
    pipeline pl;
    memset(&pl, 0, sizeof pl);
    pl.stemmer = stemmer;
    pl.rd = rd;
    pl.n_jobs = (uint64_t)(threads ? threads : 1) * SLOTS_PER_WORKER;
    if (threads && pl.n_jobs < MIN_SLOTS)
        pl.n_jobs = MIN_SLOTS; /* --threads 0 reads one at a time */
    pl.jobs = calloc(pl.n_jobs, sizeof *pl.jobs);
    int ok = rd && pl.jobs;
    for (uint64_t i = 0; ok && i < pl.n_jobs; i++) {
        ok = (pl.jobs[i].prep = kb_prepared_new()) != NULL;
        kb_prepared_skip_dups(pl.jobs[i].prep, io.no_dedup); /* NULL is a no-op */
    }
    pthread_t tids[MAX_WORKERS];
    long n_started = 0;
    pthread_mutex_init(&pl.mu, NULL);
    pthread_cond_init(&pl.cv_work, NULL);
    pthread_cond_init(&pl.cv_done, NULL);
    pthread_cond_init(&pl.cv_free, NULL);
    for (long t = 0; ok && t < threads; t++)
        if (pthread_create(&tids[t], NULL, worker, &pl) == 0) n_started++;
    /* Without threads (--threads 0) the main thread prepares too. */
    kb_cleaner *own_cl = n_started ? NULL : kb_cleaner_new(NULL);
    kb_analyzer_options ao = {stemmer};
    kb_analyzer *own_an = n_started ? NULL : kb_analyzer_new(&ao);
    if (!n_started && (!own_cl || !own_an)) ok = 0;

    counts c;
    memset(&c, 0, sizeof c);
    double t0 = now_s(), last_draw = 0;
    uint64_t total = show_progress ? input_total(paths, n_paths) : 0;
    int failed = !ok;
    char last_id[256] = "";
    if (!ok) cli_error("index: out of memory");
    /* The reader thread, when there are workers (--threads 0: the main thread reads too). */
    pthread_t rtid;
    int reader_started = ok && n_started && pthread_create(&rtid, NULL, reader, &pl) == 0;
    while (!failed) {
        pthread_mutex_lock(&pl.mu);
        if (!reader_started && !pl.input_done && pl.seq_read == pl.seq_write) {
            job *j = &pl.jobs[pl.seq_read % pl.n_jobs];
            pthread_mutex_unlock(&pl.mu);
            int state = SLOT_FREE, got = read_one(&pl, j, &state);
            pthread_mutex_lock(&pl.mu);
            if (got) ring_put(&pl, j, state);
            if (!got || j->fatal) pl.input_done = 1;
        }
        pl.writer_waits = 1;
        while (pl.seq_write == pl.seq_read && !pl.input_done)
            pthread_cond_wait(&pl.cv_done, &pl.mu);
        pl.writer_waits = 0;
        if (pl.seq_write == pl.seq_read) { /* the end of the input, all written */
            pthread_mutex_unlock(&pl.mu);
            break;
        }
        job *j = &pl.jobs[pl.seq_write % pl.n_jobs];
        if (!n_started && j->state == SLOT_FILLED) {
            pl.seq_prep++;
            pthread_mutex_unlock(&pl.mu);
            prepare_job(j, own_cl, own_an);
            pthread_mutex_lock(&pl.mu);
            j->state = SLOT_DONE;
        }
        pl.writer_waits = 1;
        while (j->state != SLOT_DONE)
            pthread_cond_wait(&pl.cv_done, &pl.mu);
        pl.writer_waits = 0;
        uint64_t in_bytes = pl.in_bytes;
        pthread_mutex_unlock(&pl.mu);

        /* The writer's half, in input order. */
        if (j->fatal) {
            if (j->reason)
                reject(&c, j->reason, NULL, 0, j->detail);
            else
                cli_error("index: out of memory");
            failed = 1;
        } else if (j->rc) {
            reject(&c, j->reason, j->rec.file, j->rec.line, j->detail);
        } else {
            int r = kb_index_add_prepared(ix, j->prep);
            if (r < 0) {
                cli_error("index: %s:%llu: %s", j->rec.file, (unsigned long long)j->rec.line,
                          kb_index_errmsg(ix));
                failed = 1;
            } else {
                if (r == 1)
                    c.replaced++;
                else
                    c.added++;
                size_t tb = kb_prepared_text_bytes(j->prep);
                c.text_bytes += tb;
                c.text_since_commit += tb;
                c.docs_since_commit++;
                snprintf(last_id, sizeof last_id, "%.*s", (int)j->rec.id.n, j->rec.id.p);
            }
        }
        if (j->buf.cap > SLOT_KEEP_MAX) give_back(j, io.no_dedup);
        pthread_mutex_lock(&pl.mu);
        j->state = SLOT_FREE;
        pl.ring_bytes -= j->held;
        pl.seq_write++;
        if (pl.reader_waits && ring_refill(&pl)) pthread_cond_signal(&pl.cv_free);
        pthread_mutex_unlock(&pl.mu);

        if (!failed && (c.docs_since_commit >= (uint64_t)batch ||
                        c.text_since_commit >= (uint64_t)batch_mb << 20)) {
            failed = commit(ix, &c, log_commits, last_id);
        }
        if (show_progress && now_s() - last_draw > 0.25) {
            if (!reader_started) {
                kb_reader_stats rs;
                kb_reader_stats_get(rd, &rs);
                in_bytes = rs.bytes;
            }
            progress(&c, in_bytes, total, t0, 0);
            last_draw = now_s();
        }
    }
    /* Stop the reader, then the workers. */
    pthread_mutex_lock(&pl.mu);
    pl.stop = 1;
    pthread_cond_broadcast(&pl.cv_free);
    pthread_mutex_unlock(&pl.mu);
    if (reader_started) pthread_join(rtid, NULL);
    pthread_mutex_lock(&pl.mu);
    pl.seq_read = pl.seq_prep; /* nothing more to prepare */
    pthread_cond_broadcast(&pl.cv_work);
    pthread_mutex_unlock(&pl.mu);
    for (long t = 0; t < n_started; t++)
        pthread_join(tids[t], NULL);
    if (!failed && c.docs_since_commit) {
        failed = commit(ix, &c, log_commits, last_id);
    }
    if (show_progress) progress(&c, 0, 0, t0, 1);
    double el = now_s() - t0;
    if (!quiet) {
        printf("added %llu, replaced %llu, rejected %llu", (unsigned long long)c.added,
               (unsigned long long)c.replaced, (unsigned long long)c.rejected);
        for (size_t i = 0; i < c.n_reasons; i++)
            printf("%s%s: %llu", i ? ", " : " (", c.reasons[i], (unsigned long long)c.reason_n[i]);
        printf("%s\n", c.n_reasons ? ")" : "");
        printf("%.1f MB of text in %.2f s (%.1f MB/s), %llu commit%s (%.2f s)\n",
               c.text_bytes / 1e6, el, el > 0 ? c.text_bytes / 1e6 / el : 0.0,
               (unsigned long long)c.commits, c.commits == 1 ? "" : "s", c.commit_s);
    }
    for (uint64_t i = 0; pl.jobs && i < pl.n_jobs; i++) {
        kb_prepared_free(pl.jobs[i].prep);
        free(pl.jobs[i].buf.p);
        free(pl.jobs[i].file);
    }
    free(pl.jobs);
    pthread_mutex_destroy(&pl.mu);
    pthread_cond_destroy(&pl.cv_work);
    pthread_cond_destroy(&pl.cv_done);
    pthread_cond_destroy(&pl.cv_free);
    kb_cleaner_free(own_cl);
    kb_analyzer_free(own_an);
    kb_reader_close(rd);
    kb_index_close(ix);
    free(paths);
    return failed ? CLI_FAILED : c.rejected ? CLI_FAILED : CLI_OK;
}
