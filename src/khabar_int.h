/*
 * khabar_int.h — the library's private header: one section per module.
 *
 * Internal functions shared between modules are named kb__<module>_<verb>. Everything here may
 * change without notice; users include only include/khabar.h.
 */
#ifndef KHABAR_INT_H
#define KHABAR_INT_H

#include "khabar.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define KB_UNUSED(x) ((void)(x))
#define KB_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define KB_MIN(a, b) ((a) < (b) ? (a) : (b))
#define KB_MAX(a, b) ((a) > (b) ? (a) : (b))

/* ---- alloc.c: the allocator hook ------------------------------------------------------------ */

void *kb__malloc(size_t n);
void *kb__calloc(size_t count, size_t size);
void *kb__realloc(void *p, size_t n);
void kb__free(void *p);
char *kb__strndup(const char *s, size_t n);

/* ---- buf.c: growable byte buffers with a maximum and a sticky error ---------------------------
 *
 * The builder habit: append, append, append, check rc once. Once rc is set, appends do nothing.
 * A buffer never grows past max (KB_ETOOBIG); data is always NUL-terminated when rc is 0.
 */

typedef struct kb_buf {
    char *p;
    size_t n;   /* bytes used */
    size_t cap; /* bytes allocated */
    size_t max; /* hard limit on n; 0 means KB_BUF_DEFAULT_MAX */
    int rc;     /* first error met, or 0 */
} kb_buf;

/* 1 GiB: no single document, field or result the engine builds is near this; past it, something is
 * wrong with the input and a clear KB_ETOOBIG beats exhausting memory. */
#define KB_BUF_DEFAULT_MAX ((size_t)1 << 30)

void kb__buf_init(kb_buf *b, size_t max);
void kb__buf_free(kb_buf *b);
void kb__buf_reset(kb_buf *b); /* n = 0, rc = 0; keeps the allocation */
int kb__buf_reserve(kb_buf *b, size_t extra);
void kb__buf_append(kb_buf *b, const void *p, size_t n);
void kb__buf_putc(kb_buf *b, char c);
void kb__buf_puts(kb_buf *b, const char *s);
void kb__buf_printf(kb_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as the inside of a JSON string (quotes not included). */
void kb__buf_json_str(kb_buf *b, const char *s, size_t n);

/* A branch hint for the hot loops (GCC and clang; a no-op elsewhere): the scanner's letter loop
 * lays its common case out straight (measured: +3% analyzer throughput). */
#if defined(__GNUC__)
#define KB_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define KB_UNLIKELY(x) (x)
#endif

/* ---- utf8.c: decoding that never fails --------------------------------------------------------- */

/* Decodes one code point from s[0..n), n >= 1. Sets *cp (U+FFFD for an invalid sequence) and
 * returns the number of bytes consumed (>= 1). *invalid is set to 1 for an invalid sequence. */
size_t kb__utf8_decode(const unsigned char *s, size_t n, int32_t *cp, int *invalid);
/* Encodes cp into out (4 bytes room); returns bytes written. */
size_t kb__utf8_encode(int32_t cp, char *out);

/* ---- normalize.c, tokenize.c, stem.c, stopwords.c, analyze.c, repair.c: the analyzer ----------
 *
 * Character classes drive the tokenizer; a per-code-point table (code points below U+0800, which
 * covers ASCII, Latin, Greek, Cyrillic, Hebrew and the Arabic blocks) gives class and the
 * normalized replacement in one load. Rarer code points go through utf8proc. docs/analyzer.md
 * describes every rule.
 */

/* The longest token, in bytes of input. Longer letter runs are cut into several tokens: no word
 * of any language is near this (the longest Arabic words with full harakat are ~60 bytes), and a
 * bound keeps the per-token buffers small. URLs get KB_URL_MAX_BYTES. */
#define KB_TOKEN_MAX_BYTES 256
/* URLs are long (percent-encoded Arabic paths); beyond this one is cut into two tokens. */
#define KB_URL_MAX_BYTES 2048

enum kb__cclass {
    KB_C_OTHER = 0, /* punctuation and symbols: separate tokens */
    KB_C_SPACE,     /* white space */
    KB_C_NEWLINE,   /* line and paragraph breaks: end a sentence */
    KB_C_TERM,      /* . ! ? ؟ ؛ … ۔ : end a sentence */
    KB_C_AR,        /* an Arabic-script letter */
    KB_C_LET,       /* any other letter */
    KB_C_DIGIT,     /* a decimal digit of any script */
    KB_C_MARK,      /* combining marks, harakat, tatweel: continue a word, never start one */
    KB_C_INVIS,     /* ZWNJ, ZWJ, bidi controls, soft hyphen, BOM: never split, always dropped */
    KB_C_REPL       /* U+FFFD: continues a word (a damaged letter), never starts one */
};

/* For code points below KB_CTAB_SIZE: class and the normalized replacement (one code point; 0 to
 * drop it; KB_MAP_SLOW when it needs the utf8proc path). Filled once by kb__chars_init(). */
#define KB_CTAB_SIZE 0x800
#define KB_MAP_SLOW 0xFFFF
typedef struct kb__cinfo {
    uint8_t cls;
    uint8_t hamza; /* 1 for أ إ آ: the alef carries a hamza (a root letter, never the article) */
    uint16_t map;
} kb__cinfo;
extern kb__cinfo kb__ctab[KB_CTAB_SIZE];
/* The Arabic block's hot path: the two-byte sequences D8..DB xx (U+0600..U+06FF) looked up by
 * their bytes, (lead - 0xD8) * 256 + second byte, so that the common letter costs one load and
 * no decoding. out holds the normalized letter's two UTF-8 bytes; kind says what the scanner
 * does (a second byte that is no continuation byte is KB_AR_GENERAL: the generic path decodes
 * it). Derived from kb__ctab by kb__chars_init(), so both paths agree. */
enum kb__arkind {
    KB_AR_LETTER = 0, /* an Arabic letter: out is its normalized form */
    KB_AR_HAMZA,      /* the same, an alef that carried a hamza (أ إ آ) */
    KB_AR_MARK,       /* a mark dropped from the normalized form (harakat) */
    KB_AR_TATWEEL,    /* dropped, and not content (a trailing tatweel is a dash) */
    KB_AR_INVIS,      /* an invisible format character: dropped, not content */
    KB_AR_CHAMZA,     /* combining hamza above/below (U+0654, U+0655) */
    KB_AR_STOP,       /* ends an Arabic word (digits, punctuation of the block) */
    KB_AR_GENERAL     /* anything else: the generic, per-code-point path */
};
typedef struct kb__arcode {
    uint8_t out[2];
    uint8_t kind;
    uint8_t pad;
} kb__arcode;
extern kb__arcode kb__artab[4 * 256];
void kb__chars_init(void); /* idempotent and thread-safe */
/* Class of any code point (table lookup below U+0800). */
int kb__char_class(int32_t cp);

/* Normalizes one token's text s[0..n) for matching and appends it to out (the rules of
 * docs/analyzer.md: NFKC of presentation forms, harakat/tatweel/controls dropped, alef forms,
 * ى→ي, ة→ه, hamza carriers, Persian letters, digits to ASCII, case folding). *hamza_mask (may be
 * NULL) gets bit i set when output letter i was a hamza-carrying alef. number != 0 normalizes
 * the separators of a number (٫ → '.', thousands separators dropped). Returns 0 or KB_E*. */
int kb__normalize_token(const char *s, size_t n, int number, kb_buf *out, uint32_t *hamza_mask);

/* The dedup/cleaning helper: the normalized text of s[0..n) — every token's normalized form,
 * separated by single spaces, punctuation dropped, stopwords kept — appended to out. Two texts
 * that differ only in spelling noise (harakat, tatweel, alef forms, presentation forms, digits,
 * controls) give the same string. Returns 0 or KB_E*. */
int kb__normalize_text(const char *s, size_t n, kb_buf *out);
/* The word-level hamza rule (a final يء becomes ء: شيء/شئ/شىء meet) on a normalized word;
 * returns its new length. Inline: the scanner applies it to every Arabic word. */
static inline size_t kb__normalize_final_hamza(char *w, size_t n)
{
    /* ي = D9 8A, ء = D8 A1 */
    if (n >= 6 && (unsigned char)w[n - 4] == 0xD9 && (unsigned char)w[n - 3] == 0x8A &&
        (unsigned char)w[n - 2] == 0xD8 && (unsigned char)w[n - 1] == 0xA1) {
        w[n - 4] = (char)0xD8;
        w[n - 3] = (char)0xA1;
        return n - 2;
    }
    return n;
}
/* Same, for one word: the normalized form of the first token of s[0..n) (nothing if none). */
int kb__normalize_word(const char *s, size_t n, kb_buf *out);

/* Display repair for the cleaner (never for matching): presentation forms → letters (NFKC of
 * U+FB50–FDFF and U+FE70–FEFC only), U+FEFF, bidi controls (LRM RLM ALM LRE..RLO LRI..PDI),
 * ZWJ/ZWNJ/ZWSP/word joiner, soft hyphen and tatweel dropped; invalid UTF-8 → U+FFFD. Diacritics,
 * U+FFFD and whitespace are left as they are. Appends to out; *n_repaired (may be NULL) gets the
 * number of characters changed or dropped. Returns 0 or KB_E* (out->rc). */
int kb__repair(const char *s, size_t n, kb_buf *out, size_t *n_repaired);
/* The same for one decoded code point cp (invalid: the decoder's flag), for callers that fuse
 * the repair into a pass of their own (the cleaner's tidying): -1 when cp stays as it is, else
 * the number of code points it becomes in out[] (0: dropped; U+FFFD for an invalid byte; a
 * presentation form's NFKC), each such code point counting as one repair. */
#define KB_REPAIR_MAX_CPS 32
int kb__repair_cp(int32_t cp, int invalid, int32_t out[KB_REPAIR_MAX_CPS]);

/* The tokenizer: a cursor over borrowed text. kb__tok_next() fills *t and returns 1, or 0 at
 * the end. Never allocates. */
typedef struct kb__tokenizer {
    const unsigned char *s;
    size_t n, pos;
    /* Optional: room for KB_TOKEN_MAX_BYTES + 1 + KB_LEX_PAD bytes, the first 4 initialized,
     * where Arabic words are normalized while they are scanned (the analyzer's hot path); NULL
     * to only find tokens. */
    char *out;
    size_t invalid;     /* invalid UTF-8 sequences passed so far */
    int pending_break;  /* a sentence end was seen since the last token */
    int started;        /* a token was returned */
    size_t prev_end;    /* end of the previous token */
    uint8_t prev_short; /* the previous token may be an abbreviation or initial ("د", "Dr") */
} kb__tokenizer;

typedef struct kb__rawtok {
    size_t start, end;
    uint32_t flags;     /* KB_TOK_* kind, KB_TOK_SENTENCE, KB_TOK_REPAIRED */
    int norm_done;      /* the normalized form is in t->out already (norm_len bytes) */
    size_t norm_len;
    uint32_t hamza_mask; /* as kb__normalize_token gives it, when norm_done */
} kb__rawtok;

/* kb_analyzer_next() in two halves, for a caller that can often skip the stemmer (snippets
 * remember what a normalized form matched): _next_norm gives the next token with its normalized
 * form only (stem NULL); _stem then sets its stem and stop flag, exactly as kb_analyzer_next()
 * would. The stem depends on the normalized form, the token's kind flags and its hamza mask. */
int kb__analyzer_next_norm(kb_analyzer *a, kb_token *tok);
int kb__analyzer_stem(kb_analyzer *a, kb_token *tok);
uint32_t kb__analyzer_hamza_mask(const kb_analyzer *a);
/* _stem for a token met earlier: tok->norm, norm_len and flags as _next_norm gave them, with the
 * hamza mask _hamza_mask gave then. */
int kb__analyzer_stem_as(kb_analyzer *a, kb_token *tok, uint32_t mask);

void kb__tok_init(kb__tokenizer *t, const char *s, size_t n);
int kb__tok_next(kb__tokenizer *t, kb__rawtok *tok);

/* The light stemmer, on a normalized Arabic word w[0..n) (UTF-8, two bytes per letter).
 * hamza_mask as from kb__normalize_token. Writes the stem to out (room for n + KB_STEM_SLACK
 * bytes) and returns its length. Words it cannot handle (mixed scripts) are copied unchanged. */
/* An exception's stem may be a little longer than its word (لله → الله). */
#define KB_STEM_SLACK 16 /* also the stemmer's padding: at least KB_LEX_PAD */
size_t kb__stem_light(const char *w, size_t n, uint32_t hamza_mask, char *out);
/* The same with the word's kb__lex_lookup() result given (the analyzer looks it up once for
 * the stop flag and the stemmer). */
size_t kb__stem_light_lex(const char *w, size_t n, uint32_t hamza_mask, unsigned lex,
                          const char *except_stem, char *out);
/* The analyzer's hot path: the light stem of a word the stemmer handles as it is — n >= 6
 * bytes, every letter two bytes of U+0600..U+07BF (what the scanner's table path gives), not an
 * exception (KB_LEX_EXCEPT; kb__stem_light_lex covers the rest), followed by KB_LEX_PAD
 * readable bytes (their values do not matter), after kb__lex_init(). A light stemmer only cuts:
 * the stem is returned as w's own tail (NUL-terminated already) when the cut keeps w's end,
 * else copied into out (room for n + KB_STEM_SLACK bytes). *len gets its length. */
const char *kb__stem_light_cut(const char *w, size_t n, uint32_t hamza_mask, unsigned lex,
                               char *out, size_t *len);

/* The analyzer's word lists in one hash table (stopwords.c): a normalized word's flags in one
 * lookup. KB_LEX_PROTECT: a core whose first letter is not a proclitic; KB_LEX_KEEP: a word whose
 * ending is the stem's; KB_LEX_EXCEPT: a word with a fixed stem (stem.c explains the lists). */
enum { KB_LEX_STOP = 1, KB_LEX_PROTECT = 2, KB_LEX_KEEP = 4, KB_LEX_EXCEPT = 8 };
/* Flags of w[0..n), 0 when it is on no list. With KB_LEX_EXCEPT, *stem (if stem is not NULL)
 * gets the fixed stem (static storage). */
unsigned kb__lex_lookup(const char *w, size_t n, const char **stem);
/* Builds the lexicon (idempotent, thread-safe; kb__lex_lookup calls it). */
void kb__lex_init(void);

/* The hot path's lookup, inline: for a word followed by at least KB_LEX_PAD readable bytes (the
 * analyzer's buffers), after kb__lex_init(). The key is the word's first 16 bytes, zero-padded
 * (two loads, two masks: no branch on the length); the hash a multiply-shift of it, whose high
 * bits pick a bit of a Bloom filter (8 KiB, in L1) that turns most words — on no list — away
 * before the table (stopwords.c) is looked at. */
#define KB_LEX_PAD 16
#define KB_LEX_BLOOM_BITS 65536
#define KB_LEX_BLOOM_BIT(h) ((uint32_t)((h) >> 48))
extern uint64_t kb__lex_bloom[KB_LEX_BLOOM_BITS / 64];
typedef struct kb__lex_key {
    uint64_t a, b;
} kb__lex_key;
unsigned kb__lex_find(const char *w, size_t n, kb__lex_key k, uint64_t h, const char **stem);

/* Words longer than 16 bytes hash their first 16 and their length only: few, and the compare
 * settles them. A short dependency chain matters more here than a perfect mix. */
static inline uint64_t kb__lex_hash(kb__lex_key k, size_t n)
{
    return k.a * 0x9E3779B97F4A7C15ull ^ k.b * 0xC2B2AE3D27D4EB4Full ^
           (uint64_t)n * 0xBF58476D1CE4E5B9ull;
}

static inline unsigned kb__lex_lookup_padded(const char *w, size_t n, const char **stem)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    static const uint64_t mask[17][2] = {
        {0, 0},
        {0xFFull, 0},
        {0xFFFFull, 0},
        {0xFFFFFFull, 0},
        {0xFFFFFFFFull, 0},
        {0xFFFFFFFFFFull, 0},
        {0xFFFFFFFFFFFFull, 0},
        {0xFFFFFFFFFFFFFFull, 0},
        {~0ull, 0},
        {~0ull, 0xFFull},
        {~0ull, 0xFFFFull},
        {~0ull, 0xFFFFFFull},
        {~0ull, 0xFFFFFFFFull},
        {~0ull, 0xFFFFFFFFFFull},
        {~0ull, 0xFFFFFFFFFFFFull},
        {~0ull, 0xFFFFFFFFFFFFFFull},
        {~0ull, ~0ull},
    };
    kb__lex_key k;
    const uint64_t *m = mask[n < 16 ? n : 16];
    memcpy(&k.a, w, 8);
    memcpy(&k.b, w + 8, 8);
    k.a &= m[0];
    k.b &= m[1];
    uint64_t h = kb__lex_hash(k, n);
    if (!(kb__lex_bloom[KB_LEX_BLOOM_BIT(h) / 64] >> (KB_LEX_BLOOM_BIT(h) % 64) & 1)) return 0;
    return kb__lex_find(w, n, k, h, stem);
#else
    return kb__lex_lookup(w, n, stem);
#endif
}
/* stem.c's lists, which the table is built from ({form, stem} pairs for the exceptions). */
extern const char *const kb__stem_protect[], *const kb__stem_keep[], *const kb__stem_except[];
extern const size_t kb__stem_n_protect, kb__stem_n_keep, kb__stem_n_except;

/* The stop list: 1 when the normalized word w[0..n) is a stopword. */
int kb__stopword(const char *w, size_t n);
/* The stop list itself (normalized, sorted by bytes) for docs and tests. */
extern const char *const kb__stopwords[];
extern const size_t kb__n_stopwords;

/* ---- decode.c, input*.c: bytes on disk → UTF-8 records (owner: input) -------------------------
 *
 * A decoder turns one file (fd or memory) into UTF-8 with LF line ends: decompression by magic
 * bytes (gzip, zstd), encoding detection and conversion, invalid bytes → U+FFFD (counted, with
 * their decoded offsets so the reader can attribute them to records). One decoder is reused for
 * every file of a reader (the kb__decoder_start_* calls reset it).
 */
typedef struct kb_decoder kb_decoder;
/* encoding: NULL to detect, else an iconv name that overrides detection. NULL on OOM. */
kb_decoder *kb__decoder_new(const char *encoding);
void kb__decoder_free(kb_decoder *d);
void kb__decoder_start_fd(kb_decoder *d, int fd); /* the fd stays the caller's to close */
void kb__decoder_start_mem(kb_decoder *d, const void *p, size_t n); /* p borrowed */
/* Appends decoded text to out: returns bytes appended (> 0), 0 at the end, or KB_E*. Text
 * decoded before an error (e.g. truncated gzip) comes first; the error on a later call. */
int kb__decoder_read(kb_decoder *d, kb_buf *out);
const char *kb__decoder_errmsg(const kb_decoder *d);
const char *kb__decoder_encoding(const kb_decoder *d);    /* "UTF-8", "WINDOWS-1256", … */
const char *kb__decoder_compression(const kb_decoder *d); /* "none", "gzip", "zstd" */
uint64_t kb__decoder_emitted(const kb_decoder *d);        /* decoded bytes so far */
uint64_t kb__decoder_repaired_total(const kb_decoder *d);
/* Counts and forgets the U+FFFD repairs made at decoded offsets below upto. */
size_t kb__decoder_take_repairs(kb_decoder *d, uint64_t upto);

/* 16 MiB for one record (a JSON line, a <DOC>, a text or HTML file): real news articles are
 * under 1 MiB and whole pages with inline scripts a few MiB; past 16 MiB the input is not one
 * article, and refusing it bounds the reader's memory. */
#define KB_INPUT_MAX_RECORD ((size_t)16 << 20)
/* Room past KB_INPUT_MAX_RECORD in the window for one decoded chunk (the decoder hands out at
 * most a few hundred KiB at a time, 3x expanded in the worst case of all-invalid bytes). */
#define KB_INPUT_WINDOW_SLACK ((size_t)4 << 20)
/* Decoded bytes looked at to detect a file's format. */
#define KB_INPUT_SNIFF ((size_t)4096)
/* Directory recursion depth: deeper trees are symlink loops in practice. */
#define KB_INPUT_MAX_DEPTH 32
/* Alternative names for one JSON field: a handful in practice; 16 bounds a per-reader table. */
#define KB_INPUT_MAX_NAMES 16

typedef struct kb__path_item {
    char *path;
    int depth;
} kb__path_item;

/* The reader's state, shared by input.c (paths, window, text/HTML) and the format readers
 * input_json.c and input_doc.c. The window win holds decoded text: [pos, win.n) is unconsumed,
 * scan is where line reading stands (pos <= scan), base is the decoded offset of win.p[0]. */
struct kb_reader {
    kb_reader_options opts;
    char *owned[7]; /* copies of the option strings */
    kb__path_item *stack;
    size_t n_stack, cap_stack;
    const void *mem; /* kb_reader_open_mem() */
    size_t mem_len;
    char *mem_name;
    int mem_pending;
    kb_decoder *dec;
    /* the current file */
    int active, fd, fd_owned; /* fd_owned: opened here (not stdin) */
    char *path;
    kb_format format;
    int json_array;
    kb_buf win;
    size_t pos, scan, look;
    uint64_t base, line; /* line: lines fully read so far (1-based number of the last one) */
    int eof, drc, reported_end;
    uint64_t n_rec_file, n_err_file;
    kb_buf stem; /* file name without directories and extensions: the derived id */
    int state;   /* format reader's state */
    /* the current record */
    struct json_t *json;
    kb_buf fields; /* strings made for the record (numbers, joined arrays, derived ids) */
    kb_buf doc;    /* <DOC> parsing scratch */
    /* JSON array scanner */
    /* JSON field names split once: names[slot][i], slots id, title, body, url, source, date */
    kb_slice json_names[6][KB_INPUT_MAX_NAMES];
    uint8_t n_json_names[6];
    int json_names_ready, json_fast_off;
    int ja_depth, ja_in_str, ja_esc;
    uint64_t ja_line;
    uint64_t doc_line, junk_line; /* <DOC> reader: where the record / stray text began */
    kb_buf err;
    kb_reader_stats st;
};

/* Sets the error message "FILE:LINE: ..." (no LINE when 0) and counts an error in this file. */
void kb__reader_error(kb_reader *r, uint64_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Decodes more text into the window (compacting it first). >0 bytes, 0 at end, or KB_ENOMEM;
 * a decoding error sets r->eof and r->drc. */
int kb__reader_fill(kb_reader *r);
/* Reads the next line [*a, *b) of the window (without its '\n'). Returns 1, 0 at the end, or
 * KB_ETOOBIG when the line from r->pos would exceed KB_INPUT_MAX_RECORD, or KB_ENOMEM. */
int kb__reader_line(kb_reader *r, size_t *a, size_t *b);
/* Skips the rest of the current line without keeping it. 0 or KB_ENOMEM. */
int kb__reader_skip_line(kb_reader *r);
/* U+FFFD repairs within the window range [a, b) (and forgets those before). */
size_t kb__reader_repairs(kb_reader *r, size_t a, size_t b);
/* Appends the derived id "STEM:LINE" (or "STEM" when line is 0) to out. */
void kb__reader_derived_id(kb_reader *r, kb_buf *out, uint64_t line);
int kb__reader_json_next(kb_reader *r, kb_record *rec); /* input_json.c */
/* Turns the JSON fast path off (on = 0) so that jansson parses every record: tests and the
 * fuzz harness compare the two. */
void kb__reader_json_fast(kb_reader *r, int on);
void kb__reader_json_release(kb_reader *r);
int kb__reader_doc_next(kb_reader *r, kb_record *rec); /* input_doc.c */

/* ---- query.c, snippet.c, search.c: the search module (owner: search) ----------------------------
 *
 * A parsed query is a small tree of nodes kept in one array; strings live in one buffer and are
 * referred to by offset, so the tree is a couple of allocations whatever its size.
 */

/* Parentheses nest at most this deep; deeper ones are read as plain grouping-free text. Bounds
 * the parser's recursion (fuzzed input) far above anything a person types. */
#define KB_QUERY_MAX_DEPTH 32
/* Nodes in one parsed query: terms, phrases and the groups around them. 4 per term is generous. */
#define KB_QUERY_MAX_NODES (4 * KB_QUERY_MAX_TERMS + 16)
/* source: filters in one query (OR-ed together). */
#define KB_QUERY_MAX_SOURCES 8

typedef enum kb__qtype {
    KB_QN_TERM = 0, /* one word: matches its stem, or its normalized form when exact */
    KB_QN_PHRASE,   /* consecutive normalized forms; children are exact TERMs */
    KB_QN_AND,
    KB_QN_OR,
    KB_QN_NOT /* one child; only meaningful inside an AND */
} kb__qtype;

enum kb__qfield { KB_QF_ANY = 0, KB_QF_TITLE = 1 };

#define KB_QN_NONE UINT32_MAX

typedef struct kb__qnode {
    uint8_t type;  /* kb__qtype */
    uint8_t field; /* kb__qfield */
    uint8_t exact; /* TERM: match the normalized (written) form, not the stem */
    uint8_t stop;  /* TERM: on the analyzer's stop list */
    uint8_t bonus; /* PHRASE: optional, adds to the score (any-word word pairs), never required */
    uint32_t norm, norm_len; /* TERM: offset/length of the normalized form in kb__query.strings */
    uint32_t stem, stem_len; /* TERM: offset/length of the stem */
    uint32_t child, next;    /* first child and next sibling (node indexes), or KB_QN_NONE */
} kb__qnode;

typedef struct kb__query {
    kb__qnode *nodes;
    uint32_t n_nodes, cap_nodes;
    uint32_t root;   /* KB_QN_NONE for a query with nothing to match */
    kb_buf strings;  /* NUL-separated norms, stems and filter values */
    uint32_t sources[KB_QUERY_MAX_SOURCES], source_lens[KB_QUERY_MAX_SOURCES];
    uint32_t n_sources;
    char date_from[11], date_to[11]; /* "YYYY-MM-DD" or "" (open) */
    int repaired;    /* something was dropped or closed; notice says what */
    int flags;       /* KB_QP_* given to kb__query_parse() */
    kb_buf notice;   /* messages for the user, "; "-separated */
} kb__query;

/* kb__query_parse() flags. KEEP_STOP keeps stopword terms (flagged stop) even when other words
 * are there: an any-word query ranks them low instead of dropping them. */
#define KB_QP_KEEP_STOP 1
/* Parses q[0..n) with analyzer a (the index's own, so query and documents analyze alike) into
 * *out, which the caller frees with kb__query_free() whatever the result. Returns 0,
 * KB_ETOOBIG (length, terms), KB_EQUERY (bad date:) or KB_ENOMEM; notice holds the message. */
int kb__query_parse(kb_analyzer *a, const char *q, size_t n, int flags, kb__query *out);
void kb__query_free(kb__query *q);
/* Drops stopword terms unless the query is made only of them (phrases keep theirs), flattens
 * single-child groups and merges nested ANDs/ORs. Called by kb__query_parse(). */
void kb__query_simplify(kb__query *q);
/* Appends the S-expression of the query (see kb_query_explain) to out. */
void kb__query_explain(const kb__query *q, kb_buf *out);
static inline const char *kb__query_str(const kb__query *q, uint32_t off)
{
    return q->strings.p + off;
}

/* search.c: a search's time budget (kb_search_options.timeout_us), shared by its loops and
 * its postings cursors. A loop that may go on without returning a candidate calls
 * kb__budget_tick() on each round: a decrement, and a clock read every `every` rounds (a clock
 * read costs ~20 ns, a round ~10-100 ns, so the checks cost nothing measurable and the budget
 * is overrun by at most a few hundred rounds). Once past the deadline every tick says so, and
 * the caller stops with KB__ESPENT, which the search turns into results->timed_out. */
typedef struct kb__budget {
    uint64_t deadline; /* on kb__budget_clock's scale, in µs; 0: no budget */
    uint32_t left;     /* rounds until the next clock read */
    uint32_t every;    /* rounds between clock reads */
    int spent;         /* the deadline has passed */
} kb__budget;
/* Internal code of a spent budget: set where a loop stops, never returned by the public API. */
#define KB__ESPENT (-1000)
/* Test hooks: the clock the budget reads (µs, monotonic) and the rounds between reads
 * (KB__BUDGET_EVERY), so a test can trip the budget at a chosen round without timing. */
#define KB__BUDGET_EVERY 256
extern uint64_t (*kb__budget_clock)(void);
extern uint32_t kb__budget_every;
/* Starts b: a deadline timeout_us from now (0: no budget). */
void kb__budget_start(kb__budget *b, uint64_t timeout_us);
/* Reads the clock (the slow half of kb__budget_tick); 1 when the deadline has passed. */
int kb__budget_check(kb__budget *b);
/* 1 when b (may be NULL) is spent; reads the clock every b->every calls. */
static inline int kb__budget_tick(kb__budget *b)
{
    return b && --b->left == 0 && kb__budget_check(b);
}
/* 1 when b (may be NULL, or without a deadline) is spent; reads the clock on every call (for
 * loops whose rounds are long: a stored article each). */
int kb__budget_over(kb__budget *b);

/* rerank.c: the second stage of the any-word ranking. Reads each of docs[0..n_docs) from the
 * store, analyzes it, and writes to add[d] what its score gains: weights times the root,
 * window, answer and lead signals (rerank.c says what they are; all >= 0). A document deleted
 * since, or whose stored copy is damaged, gains 0, and so do the documents not read yet when
 * budget (may be NULL) runs out. Weights all 0: add[] is zeroed and nothing is read. keep: NULL,
 * or n_docs kb__doc_init()ed articles the documents are read into, for the caller to reuse (the
 * hits' titles and snippets): keep[d].docid is docs[d] when it was read, UINT32_MAX when not;
 * the caller frees them. Returns 0 or an index error (KB_EIO, KB_ECORRUPT of the terms,
 * KB_ENOMEM). */
/* Candidates re-read. On ARCD the top 10, 20, 30 or 50 give MRR@10 within 0.0004 of each other
 * (the gold paragraph past rank 10 rarely has what the signals look for): 10 reads least. */
#define KB__RERANK_K 10
typedef struct kb__rerank_weights {
    double root, window, answer, lead;
} kb__rerank_weights;
struct kb__doc; /* store.c, below */
int kb__rerank(kb_index *ix, const kb__query *q, const kb__rerank_weights *w, uint32_t n_docs,
               const uint32_t *docs, double *add, kb__budget *budget, struct kb__doc *keep);
/* The rough root of a stem (rerank.c says how) as code points into key (room for
 * KB__RERANK_KEY_MAX); returns its length, 0 for an empty stem or one longer than that. */
#define KB__RERANK_KEY_MAX 32 /* no Arabic root is that long */
uint32_t kb__rerank_key(const char *stem, size_t n, int32_t *key);

/* A word to mark in a snippet: its normalized form and stem (as the analyzer gives them). */
typedef struct kb__snip_term {
    const char *norm, *stem;
    size_t norm_len, stem_len;
} kb__snip_term;

/* Finds the best window of about target bytes in text[0..n): the first one whose tokens match
 * every term (stem or normalized form), else the one that matches the most distinct terms, then
 * the most matches. Cuts at token boundaries, never inside a word. Writes the window's byte
 * range to *start and *end, appends the matched words' ranges, relative to *start, to hl (an
 * array of kb_highlight, grown as needed, count in *n_hl). With no match, the window is the
 * text's beginning. Returns 0 or KB_ENOMEM. */
int kb__snippet_best(kb_analyzer *a, const char *text, size_t n, const kb__snip_term *terms,
                     size_t n_terms, size_t target, size_t *start, size_t *end,
                     kb_highlight **hl, size_t *n_hl, size_t *cap_hl);
/* Marks every matching word of text[0..n) (e.g. a title); same conventions as above. */
int kb__snippet_mark_all(kb_analyzer *a, const char *text, size_t n, const kb__snip_term *terms,
                         size_t n_terms, kb_highlight **hl, size_t *n_hl, size_t *cap_hl);
/* The same for many texts and one query (the hits of a search): a snipper remembers what each
 * normalized form matched, so the stemmer runs once per distinct word, and reuses its buffers.
 * terms are borrowed until kb__snipper_free(); a is used by one snipper call at a time. */
typedef struct kb__snipper kb__snipper;
/* The stems of the normalized forms a snipper met, keyed by form, kind and hamza mask: query-
 * independent, so an index handle keeps one for all its searches (kb__index_stem_memo) and the
 * stemmer runs once per distinct word it ever shows. Bounded: starts over when full. */
typedef struct kb__stem_memo kb__stem_memo;
kb__stem_memo *kb__stem_memo_new(uint32_t slots, size_t max_bytes); /* NULL: out of memory */
void kb__stem_memo_free(kb__stem_memo *m);                          /* NULL is a no-op */
/* The handle's memo, made on first use (NULL when out of memory). Owned by ix. */
kb__stem_memo *kb__index_stem_memo(kb_index *ix);
/* Makes s use m (borrowed; NULL: no change) instead of a memo of its own. */
void kb__snipper_lend_memo(kb__snipper *s, kb__stem_memo *m);
int kb__snipper_new(kb_analyzer *a, const kb__snip_term *terms, size_t n_terms,
                    kb__snipper **out);
void kb__snipper_free(kb__snipper *s); /* NULL is a no-op */
int kb__snipper_best(kb__snipper *s, const char *text, size_t n, size_t target, size_t *start,
                     size_t *end, kb_highlight **hl, size_t *n_hl, size_t *cap_hl);
int kb__snipper_mark_all(kb__snipper *s, const char *text, size_t n, kb_highlight **hl,
                         size_t *n_hl, size_t *cap_hl);
/* kb__snipper_best on a stored article's body: from its cached analysis (d->ana) when there is
 * one, which skips the analyzer; else, when the handle caches articles, it analyzes the whole
 * body once, keeps the analysis with the article (kb__index_doc_keep) and uses it; else as
 * kb__snipper_best. The window chosen is the same in every case. */
struct kb__doc;
int kb__snipper_best_doc(kb__snipper *s, kb_index *ix, struct kb__doc *d, size_t target, size_t *start,
                         size_t *end, kb_highlight **hl, size_t *n_hl, size_t *cap_hl);

/* ---- clean.c, html.c, dates.c, linestats.c: cleaning -------------------------------------------
 *
 * The HTML extractor and the text cleaner meet on a list of lines: text lines separated by '\n'
 * in one buffer, each with a hint the HTML structure gave (heading, quote, caption) or none.
 */

enum kb__line_hint {
    KB__HINT_NONE = 0,
    KB__HINT_HEADING = 1,
    KB__HINT_QUOTE = 2,
    KB__HINT_CAPTION = 3,
    KB__HINT_NAV = 4 /* outside the chosen article: reported as dropped ("navigation") */
};

typedef struct kb__hline {
    size_t off, len; /* in kb__html_doc.text */
    int hint;        /* KB__HINT_* */
} kb__hline;

/* What the HTML extractor found in a page. Reused across pages (buffers keep their memory). */
typedef struct kb__html_doc {
    kb_buf text;  /* the article's lines, '\n'-separated, in reading order */
    kb__hline *lines;
    size_t n_lines, cap_lines;
    kb_buf title; /* from og:title / <h1> / <title> minus the site name; may be empty */
    kb_buf date;  /* raw date from metadata (article:published_time, <time datetime>…) */
    kb_buf url;   /* og:url / canonical link */
    kb_buf site;  /* og:site_name */
} kb__html_doc;

void kb__html_doc_init(kb__html_doc *d);
void kb__html_doc_free(kb__html_doc *d);
/* Parses html[0..n) with libxml2's HTML parser and fills d with the article's lines, chosen by
 * content scoring. Returns 0, KB_ENOMEM, or KB_EPARSE when nothing could be parsed. */
int kb__html_extract(kb__html_doc *d, const char *html, size_t n);

/* Cross-document line statistics (linestats.c): per source, in how many documents each line
 * (by 64-bit hash) occurs. */
typedef struct kb__linestats kb__linestats;
kb__linestats *kb__linestats_new(void);
void kb__linestats_free(kb__linestats *ls);
/* Adds one document of source src[0..n_src): hashes[0..n) are its lines' hashes (duplicates
 * inside the document are counted once). Returns 0 or KB_ENOMEM. */
int kb__linestats_add(kb__linestats *ls, const char *src, size_t n_src, uint64_t *hashes,
                      size_t n);
/* Documents of source src containing the line with this hash; *n_docs gets the source's total. */
uint32_t kb__linestats_count(const kb__linestats *ls, const char *src, size_t n_src,
                             uint64_t hash, uint32_t *n_docs);
int kb__linestats_save(const kb__linestats *ls, const char *path);
int kb__linestats_load(kb__linestats *ls, const char *path);
/* The hash of a tidied line, as the statistics key it. */
uint64_t kb__line_hash(const char *s, size_t n);
/* The cleaner's folding of one character for phrase and date matching (clean.c): harakat and
 * tatweel → -1 (drop), alef forms → ا, ى → ي, ة → ه, ASCII upper → lower; others unchanged. */
int32_t kb__clean_fold_cp(int32_t cp);
/* The Umm al-Qura calendar for years kb__umm_alqura_first..last AH (src/gen/umm_alqura.c,
 * generated from ICU's data by scripts/gen_umm_alqura.py). */
typedef struct kb__hijri_year {
    int32_t muharram_jd; /* Julian day number of 1 Muharram */
    uint16_t long_months; /* bit m set: month m (0 = Muharram) has 30 days, else 29 */
} kb__hijri_year;
extern const int kb__umm_alqura_first, kb__umm_alqura_last;
extern const kb__hijri_year kb__umm_alqura[];

/* ---- index.c, postings.c, store.c: the index and its internal reader API (owner: index) --------
 *
 * Search reads the index through this API. A search brackets its reads with
 * kb__index_read_begin()/kb__index_read_end(): everything read in between comes from one SQLite
 * snapshot, and the per-document arrays (lengths, liveness, source, date) are refreshed when a
 * writer committed since the last search. Nothing here allocates per posting.
 *
 * Fields: a posting carries a term frequency per field. Positions are word positions in the
 * document: the title's words first, then the body text (headings, captions and paragraphs in
 * reading order, as stored); a gap of KB_FIELD_GAP positions separates the title from the body
 * so a phrase never spans them. Only FORM postings carry positions (phrases match written
 * forms); STEM postings carry tfs only.
 */
struct sqlite3;

enum { KB_FIELD_TITLE = 0, KB_FIELD_HEAD = 1, KB_FIELD_BODY = 2, KB_N_FIELDS = 3 };
typedef enum kb__term_kind { KB_TERM_FORM = 0, KB_TERM_STEM = 1 } kb__term_kind;

#define KB_DOC_END UINT32_MAX /* docid of an exhausted cursor */
/* Postings per block: big enough that the block header and the SQLite row cost little per
 * posting, small enough that skipping decodes little (Lucene uses 128 too). */
#define KB_BLOCK_MAX 128
/* Position gap between the title and the body (no phrase spans them). */
#define KB_FIELD_GAP 16

/* The SQLite handle, for modules that keep tables in the index database (dedup_*). */
struct sqlite3 *kb__index_db(kb_index *ix);
/* The handle's reading dedup store (statements kept prepared), opened on first use; NULL when
 * out of memory (callers then treat every document as alone). Owned by ix. */
struct kb__dedup_store *kb__index_dedup_reader(kb_index *ix);
/* The index's analyzer (its stemmer), for query analysis. Owned by ix. */
kb_analyzer *kb__index_analyzer(kb_index *ix);
/* Sets the handle's error message (printf-style) and returns err. */
int kb__index_fail(kb_index *ix, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Starts / ends a read snapshot. read_begin returns 0 or KB_EIO/KB_ECORRUPT/KB_ENOMEM. Nesting is
 * not allowed. A writer handle may call them too (it then sees its own pending changes). */
int kb__index_read_begin(kb_index *ix);
void kb__index_read_end(kb_index *ix);

/* Collection statistics of the snapshot. */
typedef struct kb__collection {
    uint32_t docs;                     /* live documents */
    uint32_t max_docid;                /* docids are 1..max_docid (some dead) */
    uint64_t total_len[KB_N_FIELDS];   /* words per field over live documents */
    double avg_len[KB_N_FIELDS];       /* total_len / docs (0 when empty) */
} kb__collection;
void kb__index_collection(const kb_index *ix, kb__collection *out);

/* Per-document data of the snapshot, O(1). For a dead or unknown docid: lens returns NULL,
 * live 0. lens points to KB_N_FIELDS word counts, valid until the next read_begin. */
const uint32_t *kb__index_doc_lens(const kb_index *ix, uint32_t docid);
int kb__index_doc_live(const kb_index *ix, uint32_t docid);
/* Source of a document as a small integer (0 = none), and the source's name. Ids are stable
 * within an index. */
uint32_t kb__index_doc_source(const kb_index *ix, uint32_t docid);
kb_slice kb__index_source_name(const kb_index *ix, uint32_t source_id);
/* Looks up a source name; returns its id or 0 when no document has it. */
uint32_t kb__index_source_id(const kb_index *ix, const char *name, size_t n);
uint32_t kb__index_n_sources(const kb_index *ix); /* ids are 1..n */
/* Date of a document as YYYYMMDD (0 = unknown). */
uint32_t kb__index_doc_date(const kb_index *ix, uint32_t docid);

/* A stored document, fetched by docid. The struct is caller-owned and reusable: its buffers keep
 * their memory; slices are valid until the next kb__index_doc_get on it or kb__doc_free. */
typedef struct kb__doc {
    uint32_t docid;
    kb_slice id, title, source, date, url;
    kb_slice body; /* blocks in reading order joined by "\n\n" (what positions count over) */
    /* The block table and the dropped lines inside raw (docs/format.md), checked by the decoder:
     * n_blocks entries (type byte, varint length) from btab; n_dropped entries (varint length,
     * reason, varint length, text) from dtab. */
    size_t btab, dtab;
    uint64_t n_blocks, n_dropped;
    kb_buf raw;    /* decompressed record */
    kb_buf meta;   /* id/source/date/url copies */
    kb_buf ana;    /* the body's analysis for snippets (snippet.c), when the cache had it */
    int cached;    /* the handle keeps articles in a cache (kb__index_doc_keep can add ana) */
} kb__doc;
void kb__doc_init(kb__doc *d);
void kb__doc_free(kb__doc *d);
/* Returns 0, KB_ENOTFOUND (dead or unknown docid), KB_ECORRUPT, KB_ENOMEM, KB_EIO. */
int kb__index_doc_get(kb_index *ix, uint32_t docid, kb__doc *d);
/* Keeps d (as kb__index_doc_get gave it) in the handle's article cache together with d->ana, the
 * body's analysis, so the next search that shows it skips the analyzer. No cache: nothing. */
void kb__index_doc_keep(kb_index *ix, const kb__doc *d);
/* The docs row of docid (id, date, url; the source from the in-memory table) without reading
 * the stored article: what an ids-only answer needs. Fills d's id, date, url and source (slices
 * into d->meta, valid as for kb__index_doc_get). Returns 0, KB_ENOTFOUND, KB_ENOMEM, KB_EIO. */
int kb__index_doc_meta(kb_index *ix, uint32_t docid, kb__doc *d);
/* The same through one SQL lookup, without loading the handle's ids table: for a single hit (one
 * whose stored article is damaged). */
int kb__index_doc_row(kb_index *ix, uint32_t docid, kb__doc *d);
/* docid of an external id, or 0 when absent. */
uint32_t kb__index_docid(kb_index *ix, const char *id, size_t n);

/* Block header fields, readable without decoding the postings. */
typedef struct kb__block_head {
    uint32_t n, first, last;
    uint32_t max_tf[KB_N_FIELDS], min_len[KB_N_FIELDS];
    int with_pos;
} kb__block_head;

/*
 * A postings cursor: caller-owned, reusable. Open on a term, then next()/advance(); the current
 * posting is in doc and tf[]. Block-level data for dynamic pruning (block-max WAND / MaxScore):
 * after kb__postings_shallow(p, target), blk_last is the last docid of the block holding the
 * first posting >= target (KB_DOC_END past the end) and blk_max_tf[f] / blk_min_len[f] bound
 * the tfs and field lengths of every posting in that block; max_tf[f] bounds the whole list.
 * Dead (deleted/replaced) documents are skipped by the cursor.
 */
typedef struct kb__postings {
    /* the current posting */
    uint32_t doc;             /* KB_DOC_END when exhausted (and before the first next()) */
    uint32_t tf[KB_N_FIELDS]; /* term frequency per field */
    /* the term */
    uint32_t df;              /* documents containing the term (dead ones included until compact) */
    uint32_t max_tf[KB_N_FIELDS];
    kb__term_kind kind;
    /* the block under the shallow cursor */
    uint32_t blk_last;
    uint32_t blk_max_tf[KB_N_FIELDS];
    uint32_t blk_min_len[KB_N_FIELDS];
    /* internals (postings.c) */
    kb_index *ix;
    void *stmt;              /* sqlite3_stmt over the blocks table (ROWS state) */
    uint64_t tid;
    int state, cur_valid, have_next, pos_ready;
    int row_live;            /* stmt stands on a row (of last docid row_last) and may step on */
    uint32_t row_last;
    uint32_t none_from;      /* no block ends at or after this docid (0: not known yet) */
    uint32_t i, n;           /* posting index in the decoded block, postings in it */
    uint32_t docs[KB_BLOCK_MAX + 8]; /* 8 KB_DOC_END after the block's (the in-block scan) */
    uint32_t tfs[KB_N_FIELDS][KB_BLOCK_MAX];
    uint32_t pos_start[KB_BLOCK_MAX + 1];
    uint32_t *pos, cap_pos;  /* decoded positions of the current block (on demand) */
    kb_buf blk, next_blk;    /* raw, zero-padded: current block / fetched-ahead block */
    size_t cur_len, next_len, inl_n;
    size_t next_hdr;         /* where the fetched block's bit stream starts */
    size_t pos_bits;         /* where the current block's undecoded positions start, in bits */
    uint32_t pos_upto;       /* postings of the block whose positions are decoded */
    unsigned pos_k;          /* the block's Rice parameter */
    /* tfs are read per posting where the cursor stops (most postings of a long list are
     * stepped over); tfs[][] holds the whole block's only when tfs_ready */
    size_t tfs_at;               /* where the tfs start (the first width), in bits */
    size_t tf_bits[KB_N_FIELDS]; /* where field f's packed tfs start, in bits */
    unsigned tf_w[KB_N_FIELDS];  /* their width */
    int tfs_ready;
    int tf_ok; /* tf[] holds the current posting's tfs */
    int all_live;       /* the snapshot has no dead document (kb__postings_advance's fast step) */
    uint32_t max_docid; /* its highest docid */
    uint32_t next_seek, inl_last;
    kb__block_head cur_head, next_head;
    kb__budget *budget; /* the search's time budget, ticked per dead posting skipped; or NULL */
} kb__postings;

void kb__postings_init(kb__postings *p);
void kb__postings_free(kb__postings *p);
/* Opens the postings of term[0..n) (a normalized form or a stem, as the analyzer gives it).
 * Returns 0; KB_ENOTFOUND when the term is absent (the cursor is then empty: doc = KB_DOC_END,
 * df = 0, and next() returns 0); KB_ECORRUPT, KB_EIO, KB_ENOMEM. Must be inside a read snapshot. */
int kb__postings_open(kb_index *ix, kb__term_kind kind, const char *term, size_t n,
                      kb__postings *p);
/* Moves to the next live posting, tf[] read: 1, 0 at the end (doc = KB_DOC_END), or
 * KB_ECORRUPT/KB_EIO. */
int kb__postings_next(kb__postings *p);
/* The index of the first of docs[i..n) that is >= target, n when none: eight docids at a
 * time, counted without a branch per docid (docs[n..n+7] are KB_DOC_END, above any target), so
 * the usual short step of a leapfrog costs no mispredicted loop exit. */
static inline uint32_t kb__postings_scan(const uint32_t *docs, uint32_t i, uint32_t n,
                                         uint32_t target)
{
    for (;;) {
        uint32_t c = 0;
        for (int j = 0; j < 8; j++)
            c += docs[i + j] < target;
        i += c;
        if (c < 8 || i >= n) return i < n ? i : n;
    }
}

int kb__postings_advance_slow(kb__postings *p, uint32_t target);
/* Moves to the first live posting with doc >= target (stays if already there): 1, 0, or error
 * (KB__ESPENT when its budget ran out while it skipped dead postings).
 * tf[] is left unread (most stops of a leapfrog are not scored): kb__postings_tfs() reads it.
 * Inline for the usual step within the decoded block of a snapshot without dead documents. */
static inline int kb__postings_advance(kb__postings *p, uint32_t target)
{
    if (p->cur_valid && p->doc != KB_DOC_END) {
        if (p->doc >= target) return 1;
        if (p->all_live && target <= p->cur_head.last) {
            uint32_t i = kb__postings_scan(p->docs, p->i, p->n, target);
            if (i < p->n && p->docs[i] <= p->max_docid) {
                p->i = i;
                p->doc = p->docs[i];
                p->tf_ok = 0;
                return 1;
            }
        }
    }
    return kb__postings_advance_slow(p, target);
}
int kb__postings_read_tfs(kb__postings *p);
/* Reads the current posting's tf[] (once per posting). Returns 0 or KB_ECORRUPT. Inline for
 * the usual case, a posting of a block whose tfs are still packed: each field's tf is w bits
 * at tf_bits[f] + i * w; one past the header's maximum, or none at all, is corrupt. */
static inline int kb__postings_tfs(kb__postings *p)
{
    if (p->tf_ok) return 0;
    if (!p->cur_valid || p->doc == KB_DOC_END || p->tfs_ready) return kb__postings_read_tfs(p);
    const unsigned char *b = (const unsigned char *)p->blk.p;
    uint32_t any = 0, over = 0;
    for (int f = 0; f < KB_N_FIELDS; f++) {
        unsigned w = p->tf_w[f];
        size_t at = p->tf_bits[f] + (size_t)p->i * w;
        uint64_t v;
        memcpy(&v, b + (at >> 3), 8); /* the block's zero padding makes 8 bytes readable */
        v = (v >> (at & 7)) & ((1ull << w) - 1);
        p->tf[f] = (uint32_t)v;
        any |= (uint32_t)v;
        over |= v > p->cur_head.max_tf[f];
    }
    if (!any || over) return KB_ECORRUPT;
    p->tf_ok = 1;
    return 0;
}
/* Moves the cursor back before its first posting, as kb__postings_open left it (a second pass
 * over the list without looking the term up again). Returns 0. */
int kb__postings_rewind(kb__postings *p);
/* Moves the block cursor (not the posting) to the block holding the first doc >= target and
 * fills blk_*. Returns 1, 0 past the end (blk_last = KB_DOC_END), or error. Cheap: no decoding. */
int kb__postings_shallow(kb__postings *p, uint32_t target);
/* Positions of the current posting, ascending; FORM terms only (STEM: *n = 0). *pos is valid
 * until the cursor moves. Returns 0 or KB_ECORRUPT/KB_ENOMEM. */
int kb__postings_positions(kb__postings *p, const uint32_t **pos, uint32_t *n);

/* index.c helpers for postings.c: a term's dictionary row, and pooled statements over the
 * blocks table ("SELECT k, data FROM blocks WHERE k >= ?1 AND k <= ?2"). */
typedef struct kb__term_row {
    uint32_t df;
    uint32_t max_tf[KB_N_FIELDS];
    uint64_t tid;            /* 0 when the postings are inline */
    const void *inl;         /* the inline block, valid until the next index call */
    size_t inl_n;
} kb__term_row;
int kb__index_term_lookup(kb_index *ix, kb__term_kind kind, const char *term, size_t n,
                          kb__term_row *row);
void *kb__index_stmt_blocks(kb_index *ix);
void kb__index_stmt_release(kb_index *ix, void *stmt);

/* ---- checksum_vfs.c: a checksum on every SQLite page of an index (owner: robust) ----
 * Every index is opened through the VFS named KB_CHECKSUM_VFS, which keeps an XXH3-64 of each
 * page in its last KB_PAGE_RESERVE bytes (the database header's reserved space) and verifies it on
 * every read of the database file and the WAL; a mismatch fails the read with SQLITE_IOERR_DATA.
 * docs/format.md has the page layout. */
#define KB_CHECKSUM_VFS "khabar-checksum"
#define KB_PAGE_RESERVE 8
/* Registers the VFS (once; again after an SQLite shutdown). Returns an SQLite result code. */
int kb__checksum_vfs_register(void);
/* On a connection to an empty database file: reserves the checksum bytes, before the first
 * write. Does nothing on a database that has content. Returns an SQLite result code. */
int kb__checksum_vfs_prepare(struct sqlite3 *db);
/* 1 when the connection's database file goes through the VFS and its pages carry checksums. */
int kb__checksum_vfs_active(struct sqlite3 *db);
/* Checksum failures seen by the connection: how many so far, and the text of the i-th (0-based;
 * "khabar.db page 17: checksum mismatch …") copied into out, or 0 when it is not kept (only the
 * last 8 are). */
uint64_t kb__checksum_vfs_faults(struct sqlite3 *db);
int kb__checksum_vfs_fault(struct sqlite3 *db, uint64_t i, char *out, size_t cap);

/* ---- prepare.c: prepared documents (the parallel half of kb_index_add) ---- */
typedef struct kb__pterm {
    uint64_t hash;              /* XXH3 of the key */
    uint32_t key_off, key_len;  /* key = kind byte ('F' form, 'S' stem) + UTF-8 term */
    uint32_t tf[KB_N_FIELDS];
    union {
        struct {
            uint32_t pos_off, n_pos; /* FORM: positions in kb_prepared.pos */
        };
        struct { /* FORM, while the text is analyzed (before positions are laid out): the stem
                  * term of its last token (index, or UINT32_MAX: no stem) and what that stem
                  * depended on besides the form (stem_how, kb_index_prepare's analyze()) */
            uint32_t stem_term, stem_mask;
        };
    };
    uint32_t enc_off, enc_len;  /* the posting without its docid, in kb_prepared.enc */
    uint8_t kind;
    uint8_t stem_how;           /* FORM while analyzed: 0, or the kind flags of stem_term's token */
} kb__pterm;
enum { KB_PMETA_ID = 0, KB_PMETA_SOURCE, KB_PMETA_DATE, KB_PMETA_URL, KB_PMETA_TITLE, KB_PMETA_N };
enum { KB_PBLOCK_CAPTION = 3 }; /* block types in a stored record: kb_block_type, then caption */
struct kb_prepared {
    kb_buf meta;                /* NUL-separated copies of id, source, date, url, title */
    uint32_t meta_off[KB_PMETA_N], meta_len[KB_PMETA_N];
    kb_buf raw;                 /* the stored record, uncompressed (docs/format.md) */
    uint32_t body_off;          /* the body text inside raw */
    kb_buf z;                   /* the stored record, zstd-compressed */
    size_t text_bytes;
    uint32_t lens[KB_N_FIELDS]; /* words per field */
    kb__pterm *terms;
    uint32_t n_terms, cap_terms;
    kb_buf keys;
    uint32_t *pos, n_pos, cap_pos;
    /* Each term's posting as the writer's batch stores it, less the docid gap: varints of the tf
     * per field, then for a form its position gaps. Encoded here, in the analysis threads, so the
     * writer only copies it. */
    kb_buf enc;
    struct { uint32_t term, pos; } *toks;
    uint32_t n_toks, cap_toks;
    /* The document's term table (open addressing, indexes into terms): ht_cap slots in use, of
     * ht_alloc allocated. Sized for each document from its text (term_table_begin), so its
     * clearing and its probes stay within a few KB rather than the longest document's size. */
    uint32_t *ht, ht_cap, ht_alloc;
    struct { uint32_t off, len; uint8_t type, head; } *blocks;
    uint32_t n_blocks, cap_blocks;
    /* The duplicates signature of title + body, made in the analysis threads (has_sig); skipped
     * for an index without duplicates (kb_prepared_skip_dups). */
    struct kb__dedup_sig *sig;
    struct kb__dedup_work *dw;
    int has_sig, skip_sig;
};
void kb__prepared_reset(kb_prepared *p);
kb_slice kb__prepared_meta(const kb_prepared *p, int which);
/* Makes p's duplicates signature if it has none: 0 or KB_ENOMEM. */
int kb__prepared_sign(kb_prepared *p);

/* ---- postings block codec (postings.c), used by index.c, check and the fuzz harness ---- */
typedef struct kb__posting_in {
    uint32_t doc;
    uint32_t tf[KB_N_FIELDS];
    const uint32_t *pos; /* sum(tf) ascending positions, or NULL for STEM */
} kb__posting_in;
/* Encodes postings in[0..n) (1 <= n <= KB_BLOCK_MAX, docs ascending) as one block into out
 * (appended). min_len[f] is the smallest field length among the block's documents. */
void kb__block_encode(kb_buf *out, const kb__posting_in *in, uint32_t n, int with_pos,
                      const uint32_t min_len[KB_N_FIELDS]);
/* Verifies the checksum and reads the header of block b[0..n) (b must have
 * KB_BLOCK_PAD zero bytes readable past n). Returns 0 or KB_ECORRUPT. */
int kb__block_read_head(const unsigned char *b, size_t n, kb__block_head *h);
/* Decodes docs and tfs (and, when pos != NULL, positions into *pos, grown with kb__realloc,
 * pos_start[i] = index of doc i's first position). Returns 0 or KB_ECORRUPT/KB_ENOMEM. */
int kb__block_decode(const unsigned char *b, size_t n, kb__block_head *h, uint32_t *docs,
                     uint32_t tfs[KB_N_FIELDS][KB_BLOCK_MAX], uint32_t **pos, uint32_t *cap_pos,
                     uint32_t *pos_start);
/* Appends v as a LEB128 varint. */
void kb__varint_put(kb_buf *b, uint64_t v);
/* Writes v as a LEB128 varint at p (room for 5 bytes); returns the bytes written. */
static inline size_t kb__varint_at(char *p, uint32_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (char)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (char)v;
    return n;
}
/* Reads a varint from p[*i..n): 0, or KB_ECORRUPT when it overruns or is too long. */
int kb__varint_get(const unsigned char *p, size_t n, size_t *i, uint64_t *out);
/* Grows *arr (elements of elem bytes, capacity *cap) to hold need: 0, KB_ENOMEM, KB_ETOOBIG. */
int kb__grow(void **arr, uint32_t *cap, uint64_t need, size_t elem);
/* Zero bytes every decode buffer carries past its data, so the bit reader may over-read. */
#define KB_BLOCK_PAD 16
/* A block larger than this is corrupt (128 postings with long position lists fit easily). */
#define KB_BLOCK_MAX_BYTES (16u << 20)

/* ---- dedup.c, dedup_store.c: duplicate stories (owner: dedup) ----------------------------------
 *
 * Signatures (see dedup.c for the fold and the hashing): a document's folded words → an exact
 * hash, KB_DEDUP_HASHES MinHash values over KB_DEDUP_SHINGLE-word shingles, and its sorted
 * distinct 32-bit shingle hashes (kept only where exact Jaccard is cheap). The verification rule
 * and the LSH band keys are shared by kb_dedup (memory) and the index tables (dedup_store.c).
 */
/* MinHash values per document: 112 × 4 bytes = 448 bytes stored, under the 1 KiB budget, and an
 * estimate whose standard error at J = 0.8 is sqrt(0.8 × 0.2 / 112) = 0.038. */
#define KB_DEDUP_HASHES 112
/* Words per shingle: 5 keeps shared phrases ("قال وزير الخارجية") from making different stories
 * look alike, yet a one-word edit only changes 5 shingles. See docs/dedup.md. */
#define KB_DEDUP_SHINGLE 5
/* LSH bands × rows over the 112 values (chosen from measurements in docs/dedup.md). */
#define KB_DEDUP_BANDS 16
#define KB_DEDUP_ROWS 7
/* Jaccard at or above which two documents are duplicates (see docs/dedup.md). */
#define KB_DEDUP_THRESHOLD 0.7
/* Containment (share of the smaller text's shingles inside the larger) that makes a duplicate. */
#define KB_DEDUP_CONTAINMENT 0.9
/* Containment only counts for texts of at least this many shingles: below it, a shared dateline
 * and a sentence would make a "copy". */
#define KB_DEDUP_MIN_CONTAINED 20
/* ... and only when the shorter has at most this share of the longer's shingles: at 0.75 and
 * containment 0.9 the Jaccard is at most 0.63, so containment never stands in for Jaccard. */
#define KB_DEDUP_CONTAIN_RATIO 0.75

typedef struct kb__dedup_sig {
    uint64_t exact;       /* hash of the folded word sequence */
    uint32_t n_words;     /* folded words (0: empty text, no signature) */
    uint32_t n_shingles;  /* distinct shingles */
    uint32_t mh[KB_DEDUP_HASHES];
} kb__dedup_sig;

typedef struct kb__dedup_params {
    double threshold, containment;
    int shingle, bands, rows;
} kb__dedup_params;

/* Reusable work area: no allocation per document once warm. */
typedef struct kb__dedup_work {
    uint64_t *words; /* word hashes of the text fed so far */
    size_t n_words, cap_words;
    uint32_t *shingles, *tmp; /* after finish: sorted distinct shingle hashes */
    size_t n_shingles, cap_shingles;
} kb__dedup_work;

void kb__dedup_params_default(kb__dedup_params *p);
void kb__dedup_work_init(kb__dedup_work *w);
void kb__dedup_work_free(kb__dedup_work *w);
void kb__dedup_work_reset(kb__dedup_work *w);
/* Feeds text (more calls continue the same document; a call boundary separates words). */
int kb__dedup_feed(kb__dedup_work *w, const char *text, size_t len);
/* Feeds an article's title and blocks (captions are not part of the story). */
int kb__dedup_feed_article(kb__dedup_work *w, const kb_article *a);
int kb__dedup_finish(kb__dedup_work *w, int shingle_words, kb__dedup_sig *sig);
uint64_t kb__dedup_band_key(const kb__dedup_sig *sig, int band, int rows);
uint64_t kb__dedup_exact_key(const kb__dedup_sig *sig);
double kb__dedup_estimate(const kb__dedup_sig *a, const kb__dedup_sig *b);
double kb__dedup_jaccard_exact(const uint32_t *a, size_t na, const uint32_t *b, size_t nb);
/* 1 when a and b are duplicates; *sim is their Jaccard (exact when both sets are given). */
int kb__dedup_verify(const kb__dedup_params *p, const kb__dedup_sig *a, const uint32_t *sa,
                     const kb__dedup_sig *b, const uint32_t *sb, double *sim);

/* dedup_store.c: the index's hooks (called inside its write transaction; tables dedup_*) and the
 * readers' queries. All return 0 or a negative KB_E* code. */
struct sqlite3;
/* Creates the dedup_* tables (the index calls it with its own schema, so the first add does not
 * change the schema under the index's prepared statements); the hooks create them if missing. */
int kb__dedup_create(struct sqlite3 *db);
int kb__dedup_on_add(struct sqlite3 *db, int64_t docid, const kb_article *a);
int kb__dedup_on_delete(struct sqlite3 *db, int64_t docid);
/* The same hooks with their statements kept prepared (1.4x as fast in bench --store): the
 * index opens a store with its write connection and closes it before closing the connection. */
typedef struct kb__dedup_store kb__dedup_store;
int kb__dedup_store_open(struct sqlite3 *db, kb__dedup_store **out); /* creates the tables */
void kb__dedup_store_close(kb__dedup_store *s);                       /* NULL is a no-op */
int kb__dedup_store_add(kb__dedup_store *s, int64_t docid, const kb_article *a);
/* The same with the signature already made (the index makes it in its analysis threads). */
int kb__dedup_store_add_sig(kb__dedup_store *s, int64_t docid, kb_slice date,
                            const kb__dedup_sig *sig);
int kb__dedup_store_delete(kb__dedup_store *s, int64_t docid);
/* A store keeps the key rows it adds in memory and writes them in one sorted pass: the owner of
 * the transaction calls _begin after BEGIN, _flush just before COMMIT (the rows join the
 * transaction), _committed once COMMIT succeeded, _abort when the transaction was rolled back
 * (pending rows dropped). Without _flush the rows never reach dedup_keys. */
int kb__dedup_store_begin(kb__dedup_store *s);
int kb__dedup_store_flush(kb__dedup_store *s);
/* The same in steps of about max_rows rows (so the writer can interleave them with other work):
 * 1 while rows remain, 0 once all are written, or an error code. */
int kb__dedup_store_flush_step(kb__dedup_store *s, uint32_t max_rows);
void kb__dedup_store_committed(kb__dedup_store *s);
void kb__dedup_store_abort(kb__dedup_store *s);
/* The connection changed its journal mode, which changes PRAGMA data_version as another
 * connection's commit would: the caller vouches that no other connection wrote since this one's
 * last commit, and the store keeps mirroring dedup_keys (without this call the next _begin
 * would stop the mirror and look every key up with SQL). A no-op when not mirroring. */
int kb__dedup_store_rebase(kb__dedup_store *s);
/* 1 while the store mirrors dedup_keys in memory (for tests). */
int kb__dedup_store_mirrored(const kb__dedup_store *s);
/* A store for a reading connection (search, /similar): the readers' statements stay prepared
 * in it; it never creates the tables. */
int kb__dedup_store_open_read(struct sqlite3 *db, kb__dedup_store **out);
/* The representative of docid's cluster and the cluster's size (docid and 1 when alone or
 * unknown). For search: collapse hits with the same rep into the best one, "similar: size-1". */
int kb__dedup_cluster_of(kb__dedup_store *s, int64_t docid, int64_t *rep, uint32_t *size);
/* The docids of rep's cluster in docid order: up to cap into out, *n_out = the full count. */
int kb__dedup_cluster_members(kb__dedup_store *s, int64_t rep, int64_t *out, uint32_t cap,
                              uint32_t *n_out);
/* kb__dedup_list for the one cluster that holds docid (fn is not called when it is alone). */
int kb__dedup_list_of(kb__dedup_store *s, int64_t docid, double threshold, kb_dups_fn fn,
                      void *ctx);
int kb__dedup_list(struct sqlite3 *db, double threshold, kb_dups_fn fn, void *ctx);

#endif /* KHABAR_INT_H */
