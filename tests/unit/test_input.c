/*
 * test_input.c — the reader and the decoder: formats, encodings, compression, errors, limits.
 *
 * Most tests are rows {name, input bytes, options, expected transcript}: the reader runs over
 * the input held in memory and every record or error it returns is written as one line of a
 * transcript ("REC id|title|body|url|source|date@line" or "ERR code @line: message-start"),
 * which must equal the expected one. Encoded copies are made here with iconv(3) from Arabic text
 * written for this test; compressed copies with zlib and libzstd.
 */
#include "harness.h"
#include "khabar_int.h"

#include <iconv.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

/* ---- helpers ------------------------------------------------------------------------------- */

static void put_escaped(kb_buf *b, kb_slice s)
{
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] == '\n')
            kb__buf_puts(b, "\\n");
        else
            kb__buf_putc(b, s.p[i]);
    }
}

/* Runs a reader to its end; returns the transcript (caller frees). Messages are cut at the
 * first ';' so the rows stay short. */
static char *transcript(kb_reader *r, int with_msg)
{
    kb_buf b;
    kb__buf_init(&b, 0);
    kb_record rec;
    int rc, guard = 0;
    while ((rc = kb_reader_next(r, &rec)) != 0 && guard++ < 100000) {
        if (rc < 0) {
            const char *m = kb_reader_errmsg(r);
            kb__buf_printf(&b, "ERR %s", kb_err_name(rc));
            if (with_msg) {
                const char *semi = strchr(m, ';');
                kb__buf_printf(&b, " %.*s", (int)(semi ? (size_t)(semi - m) : strlen(m)), m);
            }
            kb__buf_putc(&b, '\n');
            if (rc == KB_ENOMEM) break;
            continue;
        }
        kb__buf_puts(&b, "REC ");
        kb_slice f[6] = {rec.id, rec.title, rec.body, rec.url, rec.source, rec.date};
        for (int i = 0; i < 6; i++) {
            if (i) kb__buf_putc(&b, '|');
            put_escaped(&b, f[i]);
        }
        kb__buf_printf(&b, "@%llu\n", (unsigned long long)rec.line);
    }
    return b.p ? b.p : strdup("");
}

static char *read_mem(const void *p, size_t n, const char *name, const kb_reader_options *o,
                      int with_msg)
{
    kb_reader *r = kb_reader_open_mem(p, n, name, o);
    char *t = transcript(r, with_msg);
    kb_reader_close(r);
    return t;
}

/* Converts UTF-8 text to another encoding with iconv(3); *n gets the length. */
static char *to_encoding(const char *text, const char *enc, const char *bom, size_t bom_len,
                         size_t *n)
{
    iconv_t ic = iconv_open(enc, "UTF-8");
    if (ic == (iconv_t)-1) return NULL;
    size_t in_left = strlen(text), cap = in_left * 4 + 16;
    char *out = malloc(cap), *o = out + bom_len;
    memcpy(out, bom, bom_len);
    size_t o_left = cap - bom_len;
    char *in = (char *)text;
    size_t r = iconv(ic, &in, &in_left, &o, &o_left);
    iconv_close(ic);
    if (r == (size_t)-1) {
        free(out);
        return NULL;
    }
    *n = (size_t)(o - out);
    return out;
}

static unsigned char *gzip_bytes(const void *p, size_t n, size_t *out_n)
{
    z_stream z = {0};
    deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY); /* +16: gzip header */
    size_t cap = deflateBound(&z, n) + 64;
    unsigned char *out = malloc(cap);
    z.next_in = (unsigned char *)p;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    deflate(&z, Z_FINISH);
    *out_n = z.total_out;
    deflateEnd(&z);
    return out;
}

static unsigned char *zstd_bytes(const void *p, size_t n, size_t *out_n)
{
    size_t cap = ZSTD_compressBound(n);
    unsigned char *out = malloc(cap);
    *out_n = ZSTD_compress(out, cap, p, n, 3);
    return out;
}

/* ---- Arabic text written for these tests --------------------------------------------------- */

static const char ARTICLE[] =
    "وزير الاقتصاد يبحث مع وفد من رجال الأعمال سبل دعم الصادرات\n"
    "التقى وزير الاقتصاد صباح اليوم وفدا من رجال الأعمال، وبحث معهم سبل دعم الصادرات "
    "وتشجيع الاستثمار في المناطق الداخلية.\n"
    "وقال الوزير إن الحكومة ستعمل على تبسيط الإجراءات الإدارية وتخفيف الأعباء على "
    "المؤسسات الصغرى والمتوسطة خلال العام القادم.\n"
    "وأضاف أن الوزارة تعد برنامجا لمرافقة الشباب الراغبين في بعث مشاريعهم الخاصة.\n";

/* Every encoding of the same article gives the same record (issue 3, must-hold 5). */
static void test_encodings_identical(void)
{
    kb_buf crlf;
    kb__buf_init(&crlf, 0);
    for (const char *p = ARTICLE; *p; p++) {
        if (*p == '\n') kb__buf_putc(&crlf, '\r');
        kb__buf_putc(&crlf, *p);
    }
    char *ref = read_mem(ARTICLE, strlen(ARTICLE), "a.txt", NULL, 1);
    CHECK(strstr(ref, "REC a||وزير الاقتصاد") == ref);
    static const struct {
        const char *iconv_name, *bom, *expect_enc;
        size_t bom_len;
        int crlf;
    } rows[] = {
        {"UTF-8", "\xEF\xBB\xBF", "UTF-8", 3, 0},   {"UTF-8", "\xEF\xBB\xBF", "UTF-8", 3, 1},
        {"UTF-16LE", "\xFF\xFE", "UTF-16LE", 2, 0}, {"UTF-16BE", "\xFE\xFF", "UTF-16BE", 2, 1},
        {"WINDOWS-1256", "", "WINDOWS-1256", 0, 0}, {"WINDOWS-1256", "", "WINDOWS-1256", 0, 1},
        {"ISO-8859-6", "", "ISO-8859-6", 0, 0},
    };
    for (size_t i = 0; i < KB_ARRAY_LEN(rows); i++) {
        size_t n = 0;
        char *enc = to_encoding(rows[i].crlf ? crlf.p : ARTICLE, rows[i].iconv_name, rows[i].bom,
                                rows[i].bom_len, &n);
        if (!CHECK(enc != NULL)) continue;
        char *t = read_mem(enc, n, "a.txt", NULL, 1);
        CHECK_STR_MSG(t, ref, rows[i].iconv_name);
        kb_reader *r = kb_reader_open_mem(enc, n, "a.txt", NULL);
        kb_record rec;
        CHECK_INT(kb_reader_next(r, &rec), 1);
        CHECK_STR_MSG(rec.encoding, rows[i].expect_enc, rows[i].iconv_name);
        CHECK_INT(rec.n_repaired, 0);
        kb_reader_close(r);
        free(t);
        free(enc);
    }
    /* the override: Windows-1256 bytes read as told, and an unknown name is an error */
    size_t n;
    char *enc = to_encoding(ARTICLE, "WINDOWS-1256", "", 0, &n);
    kb_reader_options o = {.encoding = "CP1256"};
    char *t = read_mem(enc, n, "a.txt", &o, 1);
    CHECK_STR(t, ref);
    free(t);
    o.encoding = "NO-SUCH-ENCODING";
    t = read_mem(enc, n, "a.txt", &o, 1);
    CHECK_STR(t, "ERR KB_EENCODING a.txt: unknown character encoding 'NO-SUCH-ENCODING'\n");
    free(t);
    free(enc);
    /* UTF-16 without a byte order mark: told from binary by its 00/06 high bytes */
    char *nobom = to_encoding(ARTICLE, "UTF-16LE", "", 0, &n);
    t = read_mem(nobom, n, "a.txt", NULL, 1);
    CHECK_STR(t, ref);
    free(t);
    free(nobom);
    /* an HTML page in Windows-1256 that says so */
    kb_buf page;
    kb__buf_init(&page, 0);
    kb__buf_puts(&page, "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; "
                        "charset=windows-1256\"></head><body><p>");
    kb__buf_puts(&page, ARTICLE);
    kb__buf_puts(&page, "</p></body></html>");
    char *html = to_encoding(page.p, "WINDOWS-1256", "", 0, &n);
    kb_reader *hr = kb_reader_open_mem(html, n, "p.html", NULL);
    kb_record hrec;
    CHECK_INT(kb_reader_next(hr, &hrec), 1);
    CHECK_STR(hrec.encoding, "WINDOWS-1256");
    CHECK(hrec.body.n == page.n && memcmp(hrec.body.p, page.p, page.n) == 0);
    kb_reader_close(hr);
    free(html);
    kb__buf_free(&page);
    /* Latin text in a Latin single-byte encoding is not taken for Arabic */
    static const char FRENCH[] = "Le ministre de l'économie a reçu les représentants des "
                                 "entreprises exportatrices. Il a annoncé une réforme des "
                                 "procédures à la fin de l'été, après la consultation.\n";
    char *latin = to_encoding(FRENCH, "ISO-8859-1", "", 0, &n);
    kb_reader *lr = kb_reader_open_mem(latin, n, "fr.txt", NULL);
    kb_record lrec;
    CHECK_INT(kb_reader_next(lr, &lrec), 1);
    CHECK(strcmp(lrec.encoding, "WINDOWS-1256") != 0);
    CHECK(lrec.body.n == strlen(FRENCH) && memcmp(lrec.body.p, FRENCH, lrec.body.n) == 0);
    kb_reader_close(lr);
    free(latin);
    /* JSON lines in UTF-16 */
    char *u16 = to_encoding("{\"id\":\"x\",\"title\":\"عنوان\"}\r\n{\"id\":\"y\"}\r\n", "UTF-16LE",
                            "\xFF\xFE", 2, &n);
    t = read_mem(u16, n, "d.jsonl", NULL, 0);
    CHECK_STR(t, "REC x|عنوان||||@1\nREC y|||||@2\n");
    free(t);
    free(u16);
    free(ref);
    kb__buf_free(&crlf);
}

/* Long inputs cross the decoder's chunk boundaries inside multi-byte characters and CR LF. */
static void test_chunk_boundaries(void)
{
    kb_buf lf, crlf;
    kb__buf_init(&lf, 0);
    kb__buf_init(&crlf, 0);
    kb__buf_puts(&lf, "{\"id\":\"big\",\"body\":\"");
    kb__buf_puts(&crlf, "{\"id\":\"big\",\"body\":\"");
    for (int i = 0; i < 20000; i++) { /* ~1 MiB: odd-length pieces shift the boundaries */
        kb__buf_puts(&lf, "وزارة الاقتصاد، a ");
        kb__buf_puts(&crlf, "وزارة الاقتصاد، a ");
    }
    kb__buf_puts(&lf, "\"}\n{\"id\":\"next\"}\n");
    kb__buf_puts(&crlf, "\"}\r\n{\"id\":\"next\"}\r\n");
    char *a = read_mem(lf.p, lf.n, "x.jsonl", NULL, 1);
    char *b = read_mem(crlf.p, crlf.n, "x.jsonl", NULL, 1);
    CHECK(strcmp(a, b) == 0); /* (not CHECK_STR: a failure would print a megabyte) */
    CHECK(strstr(a, "REC next|||||@2\n") != NULL);
    size_t n;
    char *w = to_encoding(crlf.p, "WINDOWS-1256", "", 0, &n);
    char *c = read_mem(w, n, "x.jsonl", NULL, 1);
    CHECK(strcmp(a, c) == 0);
    char *u = to_encoding(lf.p, "UTF-16BE", "\xFE\xFF", 2, &n);
    char *d = read_mem(u, n, "x.jsonl", NULL, 1);
    CHECK(strcmp(a, d) == 0);
    free(a), free(b), free(c), free(d), free(w), free(u);
    kb__buf_free(&lf);
    kb__buf_free(&crlf);
}

/* ---- formats -------------------------------------------------------------------------------- */

typedef struct row {
    const char *name; /* file name given to the reader (extension matters) */
    const char *in;
    const char *expect;
} row;

/* Each row is read twice for JSON input: with the fast path and with jansson alone; both
 * must give the expected transcript. */
static void run_rows(const row *rows, size_t n, const kb_reader_options *o)
{
    for (size_t i = 0; i < n; i++) {
        char *t = read_mem(rows[i].in, strlen(rows[i].in), rows[i].name, o, 1);
        CHECK_STR_MSG(t, rows[i].expect, rows[i].in);
        free(t);
        kb_reader *r = kb_reader_open_mem(rows[i].in, strlen(rows[i].in), rows[i].name, o);
        kb__reader_json_fast(r, 0);
        t = transcript(r, 1);
        CHECK_STR_MSG(t, rows[i].expect, "(jansson only)");
        kb_reader_close(r);
        free(t);
    }
}

static void test_jsonl(void)
{
    static const row rows[] = {
        /* default field names, numbers as ids, blank lines between records */
        {"n.jsonl",
         "{\"id\": 17, \"title\": \"ت\", \"body\": \"نص\", \"url\": \"u\", \"source\": \"s\", "
         "\"date\": \"2015-07-21\"}\n\n  \n{\"id\": 2.5, \"text\": \"b\"}\n{\"content\": \"c\"}",
         "REC 17|ت|نص|u|s|2015-07-21@1\nREC 2.5||b|||@4\nREC n:5||c|||@5\n"},
        /* the names of the two shared corpora's dumps */
        {"j.jsonl",
         "{\"docno\": \"JA-1\", \"src\": \"Jawhara FM\", \"time\": \"2017-03-02T10:26:00\", "
         "\"abstract\": \"a\", \"text\": \"t\"}\n"
         "{\"source\": \"sabq\", \"date_extracted\": \"2015-07-21 02:51:32\", \"content\": "
         "\"c\"}\n",
         "REC JA-1||t||Jawhara FM|2017-03-02T10:26:00@1\nREC j:2||c||sabq|2015-07-21 02:51:32@2\n"},
        /* paragraphs as an array of strings are joined by newlines; null is absent */
        {"p.jsonl", "{\"id\": null, \"content\": [\"AHDATH.INFO\", \"\", \"فقرة\", 5]}\n",
         "REC p:1||AHDATH.INFO\\n\\nفقرة|||@1\n"},
        /* malformed lines: each one error with its line, the rest goes on */
        {"m.jsonl",
         "{\"id\": 1}\n{\"id\": 2,\n[1, 2]\n\"text\"\n{\"id\": \"x\" \"y\"}\n{\"id\": 3}\n",
         "REC 1|||||@1\n"
         "ERR KB_EPARSE m.jsonl:2: malformed JSON (column 9): string or '}' expected near "
         "end of file\n"
         "ERR KB_EPARSE m.jsonl:3: a JSON array, where a record (a JSON object) was expected\n"
         "ERR KB_EPARSE m.jsonl:4: malformed JSON (column 6): '[' or '{' expected near "
         "'\"text\"'\n"
         "ERR KB_EPARSE m.jsonl:5: malformed JSON (column 14): '}' expected near '\"y\"'\n"
         "REC 3|||||@6\n"},
        /* escapes, surrogate pairs, numbers as jansson prints them, duplicate and escaped
         * keys, nested values, \u0000 and lone surrogates (refused), a big integer */
        {"x.jsonl",
         "{\"id\": \"a\\\"b\\\\c\\/\\u0627\\ud83d\\ude00\", \"body\": \"l1\\nl2\\t\"}\n"
         "{\"id\": -0, \"title\": 1E2, \"body\": 0.1, \"url\": true, \"source\": false}\n"
         "{\"id\": \"d\", \"id\": \"e\", \"t\\u0069tle\": \"T\"}\n"
         "{\"x\": {\"a\": [1, {\"b\": null}]}, \"body\": null, \"text\": [[\"n\"], \"s\"]}\n"
         "{\"id\": \"a\\u0000b\"}\n{\"id\": \"\\udc00\"}\n{\"id\": 99999999999999999999}\n",
         "REC a\"b\\c/ا😀||l1\\nl2\t|||@1\n"
         "REC 0|100|0.10000000000000001|true|false|@2\n"
         "REC e|T||||@3\n"
         "REC x:4||s|||@4\n"
         "ERR KB_EPARSE x.jsonl:5: malformed JSON (column 17): \\u0000 is not allowed without "
         "JSON_ALLOW_NUL near '\"a\\u0000b\"'\n"
         "ERR KB_EPARSE x.jsonl:6: malformed JSON (column 15): invalid Unicode '\\uDC00' near "
         "'\"\\udc00\"'\n"
         "ERR KB_EPARSE x.jsonl:7: malformed JSON (column 27): too big integer near "
         "'99999999999999999999'\n"},
        /* a file of blank lines has no records: reported, not silent */
        {"e.jsonl", "\n  \n", "ERR KB_EPARSE e.jsonl: no records found\n"},
        /* a JSON array, pretty-printed, with braces inside strings */
        {"arr.json",
         "[\n  {\"id\": \"a\", \"body\": \"{not} [a] \\\"brace\\\"\"},\n  {\n    \"id\": \"b\"\n  "
         "}\n]\n",
         "REC a||{not} [a] \"brace\"|||@2\nREC b|||||@3\n"},
        {"arr.json", "[]", "ERR KB_EPARSE arr.json: no records found\n"},
        {"arr.json", "[{\"id\": \"a\"}, {\"id\": \"b\"",
         "REC a|||||@1\nERR KB_EPARSE arr.json:1: the JSON array is not closed: the file ends "
         "inside it\n"},
        {"arr.json", "[{\"id\": \"a\"} x {\"id\": \"b\"}]",
         "REC a|||||@1\nERR KB_EPARSE arr.json:1: expected ',' or ']' in the JSON array\n"},
        {"arr.json", "[{\"id\": \"a\"}, {\"id\": }]",
         "REC a|||||@1\nERR KB_EPARSE arr.json:1: malformed JSON (column 8): unexpected token "
         "near '}'\n"},
    };
    run_rows(rows, KB_ARRAY_LEN(rows), NULL);

    /* caller's field names, with alternatives */
    kb_reader_options o = {.id_field = "key", .body_field = "abstract,text", .title_field = "h"};
    static const row named[] = {
        {"o.jsonl",
         "{\"key\": \"k\", \"h\": \"H\", \"abstract\": \"A\", \"text\": \"T\"}\n"
         "{\"id\": \"ignored\", \"text\": \"T\"}\n",
         "REC k|H|A|||@1\nREC o:2||T|||@2\n"},
    };
    run_rows(named, KB_ARRAY_LEN(named), &o);
}

static void test_doc(void)
{
    static const row rows[] = {
        {"d.txt",
         "<DOC>\n<DOCNO>JA-1</DOCNO>\n<URL>http://x/ا</URL>\n<SRC>Jawhara FM</SRC>\n"
         "<CAT>culture</CAT>\n<TITLE>عنوان الخبر</TITLE>\n<TIME>2017-02-25T13:41:00+01:00</TIME>\n"
         "<AUTHOR></AUTHOR>\n<ABSTRACT>\nملخص\n</ABSTRACT>\n<TEXT>\nسطر أول\nسطر ثان\n</TEXT>\n"
         "</DOC>\n\n<DOC><DOCNO>2</DOCNO><TEXT><P>p1</P>\n<P>p2</P></TEXT></DOC>\n",
         "REC JA-1|عنوان الخبر|سطر أول\\nسطر ثان|http://x/ا|Jawhara "
         "FM|2017-02-25T13:41:00+01:00@1\n"
         "REC 2||p1\\np2|||@18\n"},
        /* malformed records are reported and skipped; the good ones around them are read */
        {"bad.doc",
         "<DOC>\n<DOCNO>1</DOCNO>\n<TEXT>a\n<DOC>\n<DOCNO>2</DOCNO>\n<TEXT>b</TEXT>\n</DOC>\n"
         "stray line\nanother\n<DOC>\n<TITLE>t</TITLE>\n<TEXT>c\n</DOC>\n"
         "<DOC>\n<DOCNO>4</DOCNO>\nloose text\n</DOC>\n<DOC>\n<DOCNO>5</DOCNO>\n",
         "ERR KB_EPARSE bad.doc:1: <DOC> record not closed: a new <DOC> begins at line 4\n"
         "REC 2||b|||@4\n"
         "ERR KB_EPARSE bad.doc:8: text outside <DOC> records (lines 8-9)\n"
         "ERR KB_EPARSE bad.doc:12: <TEXT> is never closed (no </TEXT>)\n"
         "ERR KB_EPARSE bad.doc:16: text outside any tag in the <DOC> record of line 14\n"
         "ERR KB_EPARSE bad.doc:18: <DOC> record not closed: the file ends before </DOC>\n"},
        {"nodocno.txt", "<DOC>\n<TEXT>x</TEXT>\n</DOC>\n", "REC nodocno:1||x|||@1\n"},
    };
    run_rows(rows, KB_ARRAY_LEN(rows), NULL);
}

static void test_text_html(void)
{
    static const row rows[] = {
        {"dir/000_abc.txt", "\n  عنوان\n\nفقرة.\n", "REC 000_abc||\\n  عنوان\\n\\nفقرة.\\n|||@1\n"},
        {"x.txt", "", "ERR KB_EPARSE x.txt: empty file\n"},
        {"x.txt", " \n\t\n", "ERR KB_EPARSE x.txt: file holds only whitespace: no article\n"},
        {"page", "<!DOCTYPE html><html><head><title>t</title></head></html>",
         "REC page||<!DOCTYPE html><html><head><title>t</title></head></html>|||@1\n"},
        {"doc.TXT", "[صورة] نص", "REC doc||[صورة] نص|||@1\n"},
        /* a headline in braces is text, not JSON (found in saudinewsnet articles) */
        {"b.txt", "{هامتون كورت}.. عنوان\nنص", "REC b||{هامتون كورت}.. عنوان\\nنص|||@1\n"},
        {"b", "{\"id\": 5}", "REC 5|||||@1\n"},
    };
    run_rows(rows, KB_ARRAY_LEN(rows), NULL);
    kb_reader *r = kb_reader_open_mem("<html><body>x</body></html>", 27, "p.htm", NULL);
    kb_record rec;
    CHECK_INT(kb_reader_next(r, &rec), 1);
    CHECK_INT(rec.format, KB_FORMAT_HTML);
    kb_reader_close(r);
    kb_reader_options o = {.format = KB_FORMAT_TEXT};
    r = kb_reader_open_mem("{\"id\": 1}", 9, "p.jsonl", &o);
    CHECK_INT(kb_reader_next(r, &rec), 1);
    CHECK_INT(rec.format, KB_FORMAT_TEXT);
    kb_reader_close(r);
}

/* ---- damage ---------------------------------------------------------------------------------- */

static void test_invalid_utf8(void)
{
    /* Arabic UTF-8 with a few broken bytes: repaired, not taken for another encoding */
    static const char in[] = "{\"id\": \"a\", \"body\": \"نص سليم تماما بلا أخطاء\"}\n"
                             "{\"id\": \"b\", \"body\": \"x\xff\xfey \xd8\"}\n"
                             "{\"id\": \"c\", \"body\": \"\xe2\x82\"}\n";
    kb_reader *r = kb_reader_open_mem(in, sizeof in - 1, "u.jsonl", NULL);
    kb_record rec;
    size_t reps[3] = {9, 9, 9};
    char bodies[3][64] = {{0}};
    for (int i = 0; i < 3; i++) {
        if (!CHECK(kb_reader_next(r, &rec) == 1)) break;
        reps[i] = rec.n_repaired;
        snprintf(bodies[i], sizeof bodies[i], "%.*s", (int)rec.body.n, rec.body.p);
    }
    CHECK_INT(reps[0], 0);
    CHECK_INT(reps[1], 3);
    CHECK_INT(reps[2], 2);
    CHECK_STR(bodies[1], "x\xef\xbf\xbd\xef\xbf\xbdy \xef\xbf\xbd");
    CHECK_STR(bodies[2], "\xef\xbf\xbd\xef\xbf\xbd");
    CHECK_INT(kb_reader_next(r, &rec), 0);
    kb_reader_stats st;
    kb_reader_stats_get(r, &st);
    CHECK_INT(st.repaired, 5);
    CHECK_INT(st.records, 3);
    CHECK_INT(st.errors, 0);
    kb_reader_close(r);
}

static void test_binary(void)
{
    static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0,
                                        13,   'I', 'H', 'D', 'R',  0,    0,    1,    0, 0, 0};
    char *t = read_mem(png, sizeof png, "img.txt", NULL, 1);
    CHECK_STR(t, "ERR KB_EENCODING img.txt: binary data (a NUL byte at offset 8), not text\n");
    free(t);
    static const unsigned char ctl[] = "\x01\x02\x03\x04\x05\x06\x07\x08 some\x0e\x0f text";
    t = read_mem(ctl, sizeof ctl - 1, "c.bin", NULL, 1);
    CHECK_STR(t, "ERR KB_EENCODING c.bin: binary data (control bytes), not text\n");
    free(t);
    t = read_mem("\xfd"
                 "7zXZ\0\0",
                 7, "a.xz", NULL, 1);
    CHECK_STR(t, "ERR KB_EUNSUPPORTED a.xz: xz-compressed data is not supported (decompress it "
                 "first)\n");
    free(t);
}

static void test_compressed(void)
{
    kb_buf in;
    kb__buf_init(&in, 0);
    for (int i = 1; i <= 20000; i++) /* ~800 KiB: several zstd blocks, many gzip windows */
        kb__buf_printf(&in, "{\"id\": %d, \"body\": \"خبر رقم %d\"}\n", i, i);
    char *plain = read_mem(in.p, in.n, "c.jsonl", NULL, 1);
    size_t gn, zn;
    unsigned char *gz = gzip_bytes(in.p, in.n, &gn);
    unsigned char *zs = zstd_bytes(in.p, in.n, &zn);
    /* detected by magic bytes: the names say nothing */
    char *a = read_mem(gz, gn, "c.jsonl", NULL, 1);
    char *b = read_mem(zs, zn, "c.jsonl", NULL, 1);
    CHECK_STR(a, plain);
    CHECK_STR(b, plain);
    free(a), free(b);
    /* two gzip members one after the other read as one stream */
    unsigned char *two = malloc(gn * 2);
    memcpy(two, gz, gn);
    memcpy(two + gn, gz, gn);
    kb_reader *r = kb_reader_open_mem(two, gn * 2, "c.jsonl.gz", NULL);
    kb_record rec;
    int n = 0;
    while (kb_reader_next(r, &rec) == 1)
        n++;
    CHECK_INT(n, 40000);
    kb_reader_close(r);
    free(two);
    /* truncated: the complete records come first, then one error naming the line */
    static const struct {
        const char *name;
        int zstd;
        const char *msg;
    } rows[] = {
        {"t.jsonl.gz", 0, "truncated gzip data"},
        {"t.jsonl.zst", 1, "truncated zstd data"},
    };
    for (size_t i = 0; i < KB_ARRAY_LEN(rows); i++) {
        unsigned char *c = rows[i].zstd ? zs : gz;
        size_t cn = (rows[i].zstd ? zn : gn) * 2 / 3;
        r = kb_reader_open_mem(c, cn, rows[i].name, NULL);
        int recs = 0, errs = 0, rc;
        uint64_t last_line = 0;
        char msg[256] = "";
        while ((rc = kb_reader_next(r, &rec)) != 0) {
            if (rc == 1) {
                recs++;
                last_line = rec.line;
            } else {
                errs++;
                snprintf(msg, sizeof msg, "%s", kb_reader_errmsg(r));
            }
        }
        CHECK(recs > 1000 && recs < 20000);
        CHECK_INT(errs, 1);
        char want[128];
        snprintf(want, sizeof want, "%s:%llu: %s", rows[i].name, (unsigned long long)last_line + 1,
                 rows[i].msg);
        CHECK_STR_MSG(strstr(msg, want) == msg ? want : msg, want, rows[i].name);
        kb_reader_close(r);
    }
    /* corrupt gzip (bytes flipped in the middle) is an error, not a crash */
    gz[gn / 2] ^= 0xff;
    gz[gn / 2 + 1] ^= 0xff;
    a = read_mem(gz, gn, "x.gz", NULL, 1);
    if (!CHECK(strstr(a, "ERR KB_ECORRUPT x.gz:") != NULL))
        fprintf(stderr, "%s\n", strstr(a, "ERR") ? strstr(a, "ERR") : "(no error)");
    free(a);
    free(gz), free(zs), free(plain);
    kb__buf_free(&in);
}

/* A 50 MB line is one error; the lines around it are read. */
static void test_long_line(void)
{
    size_t big = (size_t)50 << 20;
    char *in = malloc(big + 64);
    size_t n = 0;
    n += (size_t)sprintf(in + n, "{\"id\": 1}\n{\"body\": \"");
    memset(in + n, 'a', big);
    n += big;
    n += (size_t)sprintf(in + n, "\"}\n{\"id\": 3}\n");
    char *t = read_mem(in, n, "big.jsonl", NULL, 1);
    CHECK_STR(t, "REC 1|||||@1\nERR KB_ETOOBIG big.jsonl:2: line longer than 16 MiB, the limit "
                 "for one record\nREC 3|||||@3\n");
    free(t);
    /* the same size as one plain-text file: one error, no crash */
    memset(in, 'a', n);
    t = read_mem(in, n, "big.txt", NULL, 1);
    CHECK_STR(t, "ERR KB_ETOOBIG big.txt:1: file is larger than 16 MiB, the limit for one "
                 "article\n");
    free(t);
    free(in);
}

/* ---- paths ----------------------------------------------------------------------------------- */

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void test_paths(void)
{
    char dir[] = "/tmp/khabar-test-input-XXXXXX";
    if (!CHECK(mkdtemp(dir) != NULL)) return;
    char p[4096];
#define PATH(rel) (snprintf(p, sizeof p, "%s/%s", dir, rel), p)
    mkdir(PATH("a"), 0700);
    mkdir(PATH("a/empty"), 0700);
    write_file(PATH("b.txt"), "ب");
    write_file(PATH("a/2.txt"), "٢");
    write_file(PATH("a/10.txt"), "١٠");
    write_file(PATH(".hidden.txt"), "hidden");
    write_file(PATH("a/z.jsonl"), "{\"id\": \"j1\"}\n{\"id\": \"j2\"}\n");
    const char *paths[] = {dir, "/nonexistent/khabar", PATH("b.txt")};
    char b_txt[4096];
    snprintf(b_txt, sizeof b_txt, "%s", p);
    paths[2] = b_txt;
    kb_reader *r = kb_reader_open(paths, 3, NULL);
    kb_buf got;
    kb__buf_init(&got, 0);
    kb_record rec;
    int rc;
    while ((rc = kb_reader_next(r, &rec)) != 0) {
        if (rc < 0) {
            kb__buf_printf(&got, "ERR %s\n", kb_reader_errmsg(r));
            continue;
        }
        kb__buf_printf(&got, "%s %.*s\n", rec.file + strlen(dir), (int)rec.id.n, rec.id.p);
    }
    kb_reader_stats st;
    kb_reader_stats_get(r, &st);
    CHECK_STR(got.p, "/a/10.txt 10\n/a/2.txt 2\n/a/z.jsonl j1\n/a/z.jsonl j2\n/b.txt b\n"
                     "ERR /nonexistent/khabar: cannot open: No such file or directory\n"
                     "/b.txt b\n");
    CHECK_INT(st.files, 5);
    CHECK_INT(st.records, 6);
    CHECK_INT(st.errors, 1);
    kb_reader_close(r);
    kb__buf_free(&got);
    unlink(PATH("b.txt"));
    unlink(PATH("a/2.txt"));
    unlink(PATH("a/10.txt"));
    unlink(PATH(".hidden.txt"));
    unlink(PATH("a/z.jsonl"));
    rmdir(PATH("a/empty"));
    rmdir(PATH("a"));
    rmdir(dir);
#undef PATH
}

/* ---- out of memory: every allocation failing in turn ends in KB_ENOMEM, never a crash -------- */

static int fail_at, n_allocs;
static void *f_malloc(void *c, size_t n)
{
    (void)c;
    return ++n_allocs == fail_at ? NULL : malloc(n);
}
static void *f_realloc(void *c, void *p, size_t n)
{
    (void)c;
    return ++n_allocs == fail_at ? NULL : realloc(p, n);
}
static void f_free(void *c, void *p)
{
    (void)c;
    free(p);
}

static void test_oom(void)
{
    size_t n;
    char *w =
        to_encoding("{\"id\": 1, \"body\": \"نص\"}\n{\"id\": 2}\n", "WINDOWS-1256", "", 0, &n);
    kb_allocator a = {f_malloc, f_realloc, f_free, NULL};
    int completed = 0, enomem = 0, other = 0;
    for (fail_at = 1; fail_at < 60; fail_at++) {
        n_allocs = 0;
        kb_set_allocator(&a);
        kb_reader *r = kb_reader_open_mem(w, n, "o.jsonl", NULL);
        if (!r) {
            kb_set_allocator(NULL);
            enomem++;
            continue;
        }
        kb_record rec;
        int rc, recs = 0;
        while ((rc = kb_reader_next(r, &rec)) != 0) {
            if (rc == 1)
                recs++;
            else if (rc == KB_ENOMEM) {
                enomem++;
                break;
            }
        }
        if (rc == 0 && recs == 2)
            completed++;
        else if (rc != KB_ENOMEM)
            other++;
        kb_reader_close(r);
        kb_set_allocator(NULL);
    }
    CHECK(enomem > 3);    /* failures were met and reported */
    CHECK(completed > 0); /* past the last allocation, the run completes */
    CHECK_INT(other, 0);
    free(w);
}

int main(void)
{
    test_encodings_identical();
    test_chunk_boundaries();
    test_jsonl();
    test_doc();
    test_text_html();
    test_invalid_utf8();
    test_binary();
    test_compressed();
    test_long_line();
    test_paths();
    test_oom();
    return kbt_summary();
}
