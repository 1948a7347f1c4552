/*
 * bench_input.c — how fast the reader turns bytes on disk into records, side by side with the
 * cost of its parts and with a Python peer, in one run. Figures only: nothing here is a test.
 *
 *   bench_input [CORPUS.jsonl.zst [ARTICLES.jsonl.zst]]
 *       (defaults ../shared/corpus/saudinewsnet.jsonl.zst and ../shared/corpus/jawharafm.jsonl.zst)
 *
 * From the corpus it writes, in a temporary directory, the plain JSONL and a Windows-1256 copy
 * (characters Windows-1256 lacks are dropped), then times, three runs each, and prints medians:
 *   decode   zstd → UTF-8, plain UTF-8 → UTF-8 (validation, CR LF), Windows-1256 → UTF-8
 *   reader   JSONL records from the .zst and from the plain file (decode, lines, the JSON fast
 *            path), and from the plain file with jansson parsing every record; the same for a
 *            copy with every non-ASCII character \\u-escaped (Python's ensure_ascii)
 *   parts    libzstd alone (decompression to nowhere); jansson alone (json_loadb per line,
 *            in memory): the floor under the reader
 *   peer     Python 3 json.loads per line over the plain file (what Python cleaners pay)
 * Then encoding detection on real articles (ARTICLES written in Windows-1256, ISO-8859-6 and
 * UTF-16LE without BOM): how many are detected as what they are.
 * MB/s are megabytes (10^6) of decoded input text per CPU second (user + system, children
 * included), one thread.
 */
#include "khabar_int.h"

#include <fcntl.h>
#include <iconv.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zstd.h>

#define RUNS 3

/* CPU seconds used by this process and its finished children: the machine running the
 * benchmarks is shared, so wall time would measure the neighbours as much as the code. */
static double now(void)
{
    struct rusage self, kids;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &kids);
    return (double)(self.ru_utime.tv_sec + self.ru_stime.tv_sec + kids.ru_utime.tv_sec +
                    kids.ru_stime.tv_sec) +
           (double)(self.ru_utime.tv_usec + self.ru_stime.tv_usec + kids.ru_utime.tv_usec +
                    kids.ru_stime.tv_usec) *
               1e-6;
}

static double median3(double a[RUNS])
{
    for (int i = 0; i < RUNS; i++)
        for (int j = i + 1; j < RUNS; j++)
            if (a[j] < a[i]) {
                double t = a[i];
                a[i] = a[j];
                a[j] = t;
            }
    return a[RUNS / 2];
}

/* Decodes a whole file with the decoder; returns decoded bytes (into *out if not NULL). */
static uint64_t decode_file(const char *path, const char *enc, kb_buf *keep)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        perror(path);
        exit(2);
    }
    kb_decoder *d = kb__decoder_new(enc);
    kb__decoder_start_fd(d, fd);
    kb_buf out;
    kb__buf_init(&out, 0);
    uint64_t total = 0;
    int k;
    while ((k = kb__decoder_read(d, &out)) > 0) {
        total += (uint64_t)k;
        if (keep) kb__buf_append(keep, out.p, out.n);
        kb__buf_reset(&out);
    }
    if (k < 0) fprintf(stderr, "%s: %s\n", path, kb__decoder_errmsg(d));
    kb__buf_free(&out);
    kb__decoder_free(d);
    close(fd);
    return total;
}

static uint64_t read_records(const char *path, uint64_t *bytes, int fast)
{
    kb_reader *r = kb_reader_open(&path, 1, NULL);
    kb__reader_json_fast(r, fast);
    kb_record rec;
    uint64_t n = 0;
    int rc;
    while ((rc = kb_reader_next(r, &rec)) != 0)
        n += rc == 1;
    kb_reader_stats st;
    kb_reader_stats_get(r, &st);
    *bytes = st.bytes;
    kb_reader_close(r);
    return n;
}

static void write_all(const char *path, const char *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f)) {
        perror(path);
        exit(2);
    }
}

/* UTF-8 → Windows-1256, dropping characters it cannot encode (Latin accents, emoji). */
/* UTF-8 → another encoding, dropping the characters it cannot encode; returns malloc'd bytes. */
static char *encode_lossy(const char *to, const char *p, size_t n, size_t *out_n)
{
    iconv_t ic = iconv_open(to, "UTF-8");
    size_t cap = n * 2 + 16;
    char *out = malloc(cap), *o = out, *in = (char *)p;
    size_t in_left = n, o_left = cap;
    while (in_left) {
        if (iconv(ic, &in, &in_left, &o, &o_left) != (size_t)-1) break;
        size_t skip = 1; /* skip one whole UTF-8 character */
        while (skip < in_left && ((unsigned char)in[skip] & 0xC0) == 0x80)
            skip++;
        in += skip;
        in_left -= skip;
    }
    iconv_close(ic);
    *out_n = (size_t)(o - out);
    return out;
}

static void write_cp1256(const char *path, const char *p, size_t n)
{
    size_t k;
    char *out = encode_lossy("WINDOWS-1256", p, n, &k);
    write_all(path, out, k);
    free(out);
}

/*
 * Encoding detection on real articles: the first `limit` articles of a corpus (title and text)
 * written in Windows-1256, ISO-8859-6 and UTF-16LE without BOM, each read as one plain-text
 * file from memory; prints how many were detected as what they are.
 */
static void detection(const char *corpus, int limit)
{
    static const char *const encs[] = {"WINDOWS-1256", "ISO-8859-6", "UTF-16LE"};
    int right[3] = {0}, total = 0;
    kb_reader *r = kb_reader_open(&corpus, 1, NULL);
    kb_record rec;
    kb_buf text;
    kb__buf_init(&text, 0);
    int rc;
    while (total < limit && (rc = kb_reader_next(r, &rec)) != 0) {
        if (rc < 0) continue;
        kb__buf_reset(&text);
        kb__buf_append(&text, rec.title.p, rec.title.n);
        kb__buf_putc(&text, '\n');
        kb__buf_append(&text, rec.body.p, rec.body.n);
        total++;
        for (int e = 0; e < 3; e++) {
            size_t n;
            char *bytes = encode_lossy(encs[e], text.p, text.n, &n);
            kb_reader *one = kb_reader_open_mem(bytes, n, "a.txt", NULL);
            kb_record r1;
            if (kb_reader_next(one, &r1) == 1 && !strcmp(r1.encoding, encs[e])) right[e]++;
            kb_reader_close(one);
            free(bytes);
        }
    }
    kb_reader_close(r);
    kb__buf_free(&text);
    printf("\nencoding detection, %d articles of %s as plain-text files:\n", total, corpus);
    for (int e = 0; e < 3; e++)
        printf("  %-14s %d/%d detected right%s\n", encs[e], right[e], total,
               e == 2 ? " (no byte order mark)" : "");
}

/* The same JSON with every non-ASCII character as a \\u escape, as Python's json.dumps writes
 * by default (ensure_ascii): many dumps look like this. */
static void write_escaped(const char *path, const char *p, size_t n)
{
    kb_buf b;
    kb__buf_init(&b, 0);
    for (size_t i = 0; i < n;) {
        int32_t cp;
        int bad;
        size_t k = kb__utf8_decode((const unsigned char *)p + i, n - i, &cp, &bad);
        if (cp < 0x80)
            kb__buf_putc(&b, (char)cp);
        else if (cp < 0x10000)
            kb__buf_printf(&b, "\\u%04x", (unsigned)cp);
        else
            kb__buf_printf(&b, "\\u%04x\\u%04x", (unsigned)(0xD800 + ((cp - 0x10000) >> 10)),
                           (unsigned)(0xDC00 + ((cp - 0x10000) & 0x3FF)));
        i += k;
    }
    write_all(path, b.p, b.n);
    kb__buf_free(&b);
}

static void row(const char *what, double secs, uint64_t bytes, uint64_t records)
{
    printf("%-52s %8.1f MB/s", what, (double)bytes / 1e6 / secs);
    if (records) printf("  %9.0f records/s", (double)records / secs);
    printf("\n");
}

int main(int argc, char **argv)
{
    const char *corpus = argc > 1 ? argv[1] : "../shared/corpus/saudinewsnet.jsonl.zst";
    const char *articles = argc > 2 ? argv[2] : "../shared/corpus/jawharafm.jsonl.zst";
    if (access(corpus, R_OK) != 0) {
        fprintf(stderr, "bench_input: %s not found\n", corpus);
        return 2;
    }
    char dir[] = "/tmp/khabar-bench-input-XXXXXX";
    if (!mkdtemp(dir)) return 2;
    char plain[256], cp[256], esc[256];
    snprintf(plain, sizeof plain, "%s/plain.jsonl", dir);
    snprintf(cp, sizeof cp, "%s/cp1256.jsonl", dir);
    snprintf(esc, sizeof esc, "%s/escaped.jsonl", dir);
    kb_buf text;
    kb__buf_init(&text, 0);
    decode_file(corpus, NULL, &text);
    write_all(plain, text.p, text.n);
    write_cp1256(cp, text.p, text.n);
    write_escaped(esc, text.p, text.n);
    printf("corpus %s: %.1f MB of JSONL text; median of %d runs, CPU time, one thread\n\n", corpus,
           (double)text.n / 1e6, RUNS);

    double t[RUNS];
    uint64_t bytes = 0, recs = 0;
#define TIME(...)                                                                                  \
    for (int i = 0; i < RUNS; i++) {                                                               \
        double t0 = now();                                                                         \
        __VA_ARGS__;                                                                               \
        t[i] = now() - t0;                                                                         \
    }
    TIME(bytes = decode_file(corpus, NULL, NULL));
    row("decode  .zst -> UTF-8", median3(t), bytes, 0);
    TIME(bytes = decode_file(plain, NULL, NULL));
    row("decode  UTF-8 -> UTF-8 (validate, CR LF)", median3(t), bytes, 0);
    TIME(bytes = decode_file(cp, NULL, NULL));
    row("decode  Windows-1256 (detected) -> UTF-8", median3(t), bytes, 0);
    TIME(recs = read_records(corpus, &bytes, 1));
    row("reader  JSONL records from .zst", median3(t), bytes, recs);
    TIME(recs = read_records(plain, &bytes, 1));
    row("reader  JSONL records from plain file", median3(t), bytes, recs);
    TIME(recs = read_records(plain, &bytes, 0));
    row("reader  the same, JSON fast path off (jansson only)", median3(t), bytes, recs);
    TIME(recs = read_records(esc, &bytes, 1));
    row("reader  JSONL with \\u escapes (ensure_ascii)", median3(t), bytes, recs);
    TIME(recs = read_records(esc, &bytes, 0));
    row("reader  the same, jansson only", median3(t), bytes, recs);

    /* the parts under the reader */
    FILE *f = fopen(corpus, "rb");
    fseek(f, 0, SEEK_END);
    size_t zn = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    char *z = malloc(zn);
    if (fread(z, 1, zn, f) != zn) return 2;
    fclose(f);
    char *sink = malloc(1 << 20);
    TIME({
        ZSTD_DStream *ds = ZSTD_createDStream();
        ZSTD_inBuffer in = {z, zn, 0};
        bytes = 0;
        while (in.pos < in.size) {
            ZSTD_outBuffer out = {sink, 1 << 20, 0};
            if (ZSTD_isError(ZSTD_decompressStream(ds, &out, &in))) break;
            bytes += out.pos;
        }
        ZSTD_freeDStream(ds);
    });
    row("part    libzstd alone, to memory", median3(t), bytes, 0);
    TIME({
        recs = 0;
        const char *p = text.p, *end = text.p + text.n;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            if (!nl) nl = end;
            json_error_t e;
            json_t *j = json_loadb(p, (size_t)(nl - p), 0, &e);
            recs += j != NULL;
            json_decref(j);
            p = nl + 1;
        }
    });
    row("part    jansson json_loadb alone, in memory", median3(t), text.n, recs);

    /* the peer: Python reading the same lines */
    char cmd[600];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c 'import json,sys\nn=0\nfor l in open(sys.argv[1],\"rb\"):\n"
             " json.loads(l); n+=1\nprint(n)' %s >/dev/null",
             plain);
    TIME(if (system(cmd) != 0) fprintf(stderr, "python3 peer failed\n"));
    row("peer    Python 3 json.loads per line", median3(t), text.n, recs);

    if (access(articles, R_OK) == 0) detection(articles, 3000);

    unlink(plain);
    unlink(cp);
    unlink(esc);
    rmdir(dir);
    kb__buf_free(&text);
    free(z);
    free(sink);
    return 0;
}
