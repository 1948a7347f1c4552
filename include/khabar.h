/*
 * khabar.h — the public API of khabar, an Arabic news engine.
 *
 * This is the only header a user of the library includes. The command line tool (cli/) and the
 * HTTP server (server/) are written against it alone.
 *
 * The data path, one streaming pass per document:
 *
 *   decode → repair → clean (structure) → analyze → index → search / duplicates → serve
 *
 * Conventions used throughout:
 *   - Functions that can fail return an int: 0 (KB_OK) on success, a negative KB_E* code on error.
 *     Codes never change once published. kb_strerror() and kb_err_name() describe them.
 *   - Handles are opaque; each kb_*_new/_open has a kb_*_free/_close that accepts NULL.
 *   - A handle keeps the detailed message of its last error (kb_*_errmsg()).
 *   - Borrowed results say in their comment how long they stay valid.
 *   - All text is UTF-8 unless said otherwise. Offsets are byte offsets into the caller's text.
 *
 * Sections: common · analyzer · input · clean · index · search · duplicates. Each module owns its
 * section; the server (server/) and the CLI (cli/) use only what is declared here.
 */
#ifndef KHABAR_H
#define KHABAR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(KB_BUILDING_LIBRARY) && defined(__GNUC__)
#define KB_API __attribute__((visibility("default")))
#else
#define KB_API
#endif

/* ================================================================================================
 * Common: version, errors, allocator, slices
 * ============================================================================================== */

#define KB_VERSION_MAJOR 0
#define KB_VERSION_MINOR 1
#define KB_VERSION_PATCH 0
#define KB_VERSION_STRING "0.1.0"

/** Returns the library version as "MAJOR.MINOR.PATCH" (static storage). */
KB_API const char *kb_version(void);

/*
 * The error list. X(NAME, CODE, MESSAGE) generates the enum (KB_NAME = CODE), kb_strerror() and
 * kb_err_name(). Codes are negative and stable: append new ones at the end, never renumber.
 */
#define KB_ERRNO_MAP(X)                                                                            \
    X(OK, 0, "success")                                                                            \
    X(ENOMEM, -1, "out of memory")                                                                 \
    X(EINVAL, -2, "invalid argument")                                                              \
    X(EIO, -3, "input/output error")                                                               \
    X(ECORRUPT, -4, "data is corrupt")                                                             \
    X(ENOTFOUND, -5, "not found")                                                                  \
    X(EVERSION, -6, "unsupported format version")                                                  \
    X(ETOOBIG, -7, "input exceeds a limit")                                                        \
    X(EPARSE, -8, "malformed input")                                                               \
    X(EBUSY, -9, "resource busy")                                                                  \
    X(ENOSPC, -10, "no space left on device")                                                      \
    X(EENCODING, -11, "unsupported or undetectable character encoding")                            \
    X(EUNSUPPORTED, -12, "operation not supported")                                                \
    X(EQUERY, -13, "malformed query")                                                              \
    X(EEXIST, -14, "already exists")                                                               \
    X(EREADONLY, -15, "opened read-only")                                                          \
    X(EINTERNAL, -16, "internal error")

enum kb_error {
#define KB_ERR_ENUM_(name, code, msg) KB_##name = (code),
    KB_ERRNO_MAP(KB_ERR_ENUM_)
#undef KB_ERR_ENUM_
};

/** Returns a human-readable message for an error code (static storage; never NULL). */
KB_API const char *kb_strerror(int err);

/** Returns the symbolic name of an error code, e.g. "KB_ECORRUPT" (static storage; never NULL). */
KB_API const char *kb_err_name(int err);

/*
 * The allocator hook. Every allocation the library makes goes through it, which is what makes
 * out-of-memory fault injection possible. realloc(ctx, NULL, n) must behave as malloc;
 * free(ctx, NULL) must be a no-op. Set it before creating any handle; it is process-wide.
 */
typedef struct kb_allocator {
    void *(*malloc)(void *ctx, size_t n);
    void *(*realloc)(void *ctx, void *p, size_t n);
    void (*free)(void *ctx, void *p);
    void *ctx;
} kb_allocator;

/** Installs an allocator (copied); NULL restores the C library's malloc/realloc/free. */
KB_API void kb_set_allocator(const kb_allocator *a);

/** A borrowed byte range. Never owns its memory. */
typedef struct kb_slice {
    const char *p;
    size_t n;
} kb_slice;

/* ================================================================================================
 * Analyzer: UTF-8 decoding, tokenization, normalization, stemming, stopwords, sentences
 *
 * The analyzer turns text into tokens. Each token points back into the original text by byte
 * offsets, so snippets and highlights can be cut from the text exactly as the user stored it.
 * The same analyzer is used on the index side and the query side.
 * ============================================================================================== */

/** Stemming modes. */
typedef enum kb_stemmer_mode {
    KB_STEM_LIGHT = 0,    /* khabar's clitic-aware light stemmer (default) */
    KB_STEM_SNOWBALL = 1, /* libstemmer's Snowball Arabic stemmer, for comparison */
    KB_STEM_NONE = 2      /* stem = normalized form */
} kb_stemmer_mode;

/** Token kinds and properties (kb_token.flags). */
enum kb_token_flag {
    KB_TOK_ARABIC = 1u << 0,   /* a word in Arabic script */
    KB_TOK_LATIN = 1u << 1,    /* a word in Latin (or other non-Arabic) letters */
    KB_TOK_NUMBER = 1u << 2,   /* digits, with an optional decimal part (3.5, ٣٫٥) */
    KB_TOK_URL = 1u << 3,      /* http(s)://… or www.… */
    KB_TOK_EMAIL = 1u << 4,    /* user@host */
    KB_TOK_HASHTAG = 1u << 5,  /* #word or #كلمة_كلمة */
    KB_TOK_MENTION = 1u << 6,  /* @name */
    KB_TOK_STOP = 1u << 7,     /* the normalized form is on the stop list (flagged, not dropped) */
    KB_TOK_SENTENCE = 1u << 8, /* first token of a sentence */
    KB_TOK_REPAIRED = 1u << 9  /* the token contained invalid UTF-8 replaced by U+FFFD */
};

/**
 * One token. Offsets [start, end) are bytes in the text given to kb_analyzer_reset().
 * norm and stem are NUL-terminated and borrowed: valid until the next kb_analyzer_next() or
 * kb_analyzer_reset() call on the same analyzer.
 */
typedef struct kb_token {
    size_t start, end;   /* byte offsets of the token in the original text */
    const char *norm;    /* normalized form, for matching (never for display) */
    size_t norm_len;
    const char *stem;    /* stem of the normalized form under the analyzer's mode */
    size_t stem_len;
    uint32_t flags;      /* KB_TOK_* */
    uint32_t position;   /* 0-based word position in the text */
    uint32_t sentence;   /* 0-based sentence index */
} kb_token;

typedef struct kb_analyzer kb_analyzer;

/** Analyzer options; zero-initialized means defaults (light stemmer). */
typedef struct kb_analyzer_options {
    kb_stemmer_mode stemmer;
} kb_analyzer_options;

/**
 * Creates an analyzer. opts may be NULL for defaults. Returns NULL on out of memory or when the
 * Snowball stemmer is asked for and cannot be created. Free with kb_analyzer_free().
 * An analyzer is not thread-safe; use one per thread.
 */
KB_API kb_analyzer *kb_analyzer_new(const kb_analyzer_options *opts);

/** Frees an analyzer; NULL is a no-op. */
KB_API void kb_analyzer_free(kb_analyzer *a);

/**
 * Starts analyzing text[0..len). The text is borrowed and must stay valid and unchanged while
 * tokens are read from it. Invalid UTF-8 never fails: each invalid sequence is treated as U+FFFD
 * and counted (kb_analyzer_invalid_count()).
 */
KB_API void kb_analyzer_reset(kb_analyzer *a, const char *text, size_t len);

/**
 * Reads the next token into *tok. Returns 1 when a token was produced, 0 at the end of the text,
 * or a negative KB_E* code (KB_ENOMEM). tok's pointers are valid until the next call.
 */
KB_API int kb_analyzer_next(kb_analyzer *a, kb_token *tok);

/** Number of invalid UTF-8 sequences met since the last kb_analyzer_reset(). */
KB_API size_t kb_analyzer_invalid_count(const kb_analyzer *a);

/**
 * Normalizes and stems one word or short text the way the analyzer does for a single token:
 * the analysis of the first token of text[0..len). Writes the NUL-terminated stem into out
 * (at most out_size bytes, truncated on a character boundary). Returns the stem's length, or a
 * negative KB_E* code. Meant for tests and tools; the hot path uses kb_analyzer_next().
 */
KB_API int kb_analyzer_stem_word(kb_analyzer *a, const char *text, size_t len, char *out,
                                 size_t out_size);

/** Returns the name of a stemmer mode ("light", "snowball", "none"), or NULL. */
KB_API const char *kb_stemmer_name(kb_stemmer_mode m);

/** Parses a stemmer name; returns 0 and sets *m, or KB_EINVAL. */
KB_API int kb_stemmer_parse(const char *name, kb_stemmer_mode *m);

/* ================================================================================================
 * Input: reading news records from files, directories and stdin              (owner: src/input.c)
 *
 * A reader walks its paths (directories recursively, "-" for stdin), undoes .gz/.zst compression,
 * detects the format (plain text: one article per file; JSONL; TREC <DOC> files; HTML pages) and
 * the character encoding (UTF-8 with or without BOM, UTF-16 LE/BE, Windows-1256, ISO-8859-6),
 * and yields records in UTF-8. A bad file or record is an error for that record only: the reader
 * goes on with the rest on the next call.
 * ============================================================================================== */

/** Input formats. */
typedef enum kb_format {
    KB_FORMAT_AUTO = 0, /* detect from the file name and content */
    KB_FORMAT_TEXT = 1, /* one article per file; first non-boilerplate line is usually the title */
    KB_FORMAT_JSONL = 2,
    KB_FORMAT_DOC = 3, /* TREC-style <DOC><DOCNO>…<TITLE>…<TEXT>…</DOC> */
    KB_FORMAT_HTML = 4
} kb_format;

/**
 * One input record, in UTF-8. Every slice is borrowed from the reader and valid until the next
 * kb_reader_next() or kb_reader_close(). Absent fields have n == 0.
 */
typedef struct kb_record {
    kb_slice id;       /* from the record (JSONL id, DOCNO); else derived from the file name */
    kb_slice title;    /* when the format carries one (JSONL title, <TITLE>, <title>) */
    kb_slice body;     /* the article text; the whole page for HTML */
    kb_slice url, source, date; /* metadata as found (date not yet normalized) */
    kb_format format;  /* the format this record came from */
    const char *file;  /* path of the input file ("-" for stdin) */
    uint64_t line;     /* 1-based line where the record starts in the decoded file */
    const char *encoding; /* the source encoding, e.g. "UTF-8", "UTF-16LE", "WINDOWS-1256" */
    size_t n_repaired; /* invalid byte sequences replaced by U+FFFD while decoding */
} kb_record;

/** Reader options; zero-initialized means: detect everything, default JSONL field names. */
typedef struct kb_reader_options {
    kb_format format;       /* KB_FORMAT_AUTO to detect */
    const char *encoding;   /* NULL to detect; else an iconv name ("WINDOWS-1256") */
    /* JSONL field names; NULL means the defaults (id; title; body|text|content; url; source;
     * date). */
    const char *id_field, *title_field, *body_field, *url_field, *source_field, *date_field;
} kb_reader_options;

/** Counts kept by a reader. */
typedef struct kb_reader_stats {
    uint64_t files;     /* files opened */
    uint64_t records;   /* records returned */
    uint64_t errors;    /* records or files that could not be read (each reported once) */
    uint64_t bytes;     /* decoded bytes read */
} kb_reader_stats;

typedef struct kb_reader kb_reader;

/**
 * Opens a reader over paths[0..n_paths) (files, directories, "-" for stdin). Nothing is read yet.
 * Returns NULL only on out of memory. opts may be NULL. Close with kb_reader_close().
 */
KB_API kb_reader *kb_reader_open(const char *const *paths, size_t n_paths,
                                 const kb_reader_options *opts);

/**
 * Reads the next record. Returns 1 with *rec filled, 0 at the end of all inputs, or a negative
 * KB_E* code for a record or file that could not be read; kb_reader_errmsg() then says which
 * file, which line and why, and the next call goes on with the rest. KB_ENOMEM is the only error
 * after which the reader should be closed.
 */
KB_API int kb_reader_next(kb_reader *r, kb_record *rec);

/** The message of the last error, "FILE:LINE: what" (valid until the next call), or "". */
KB_API const char *kb_reader_errmsg(const kb_reader *r);

/** Copies the reader's counts into *st. */
KB_API void kb_reader_stats_get(const kb_reader *r, kb_reader_stats *st);

/** Closes a reader; NULL is a no-op. */
KB_API void kb_reader_close(kb_reader *r);

/* ================================================================================================
 * Clean: from a record to a structured article                                (owner: src/clean.c)
 *
 * DRAFT: the cleaning work refines this section. Text in an article is repaired for display
 * (presentation forms → letters; BOM, stray bidi/zero-width controls and tatweel removed;
 * whitespace tidied; diacritics kept), never normalized for matching.
 * ============================================================================================== */

typedef enum kb_block_type {
    KB_BLOCK_PARAGRAPH = 0,
    KB_BLOCK_HEADING = 1,
    KB_BLOCK_QUOTE = 2
} kb_block_type;

typedef struct kb_block {
    kb_block_type type;
    kb_slice text;
} kb_block;

/** A line the cleaner dropped, and why ("masthead", "duplicate-line", "repeated-in-source", …). */
typedef struct kb_dropped {
    kb_slice text;
    const char *reason; /* static string */
} kb_dropped;

/**
 * A clean article. Borrowed from the cleaner that produced it: valid until the next
 * kb_cleaner_clean() or kb_cleaner_free() on it.
 */
typedef struct kb_article {
    kb_slice id, source, url;
    kb_slice date; /* ISO 8601 (YYYY-MM-DD or full timestamp), or empty when unknown */
    kb_slice title;
    const kb_slice *captions;
    size_t n_captions;
    const kb_block *blocks; /* in reading order */
    size_t n_blocks;
    const kb_dropped *dropped;
    size_t n_dropped;
    double arabic_share; /* Arabic letters / all letters, 0..1 */
    size_t n_repaired;   /* characters repaired (decoding and display repair) */
} kb_article;

typedef struct kb_cleaner kb_cleaner;

/* ================================================================================================
 * Index: the crash-safe embedded index                                         (owner: src/index.c)
 *
 * DRAFT: the index work refines this section. One directory holds one index (an SQLite database
 * in WAL mode with khabar's own postings inside). A handle is used by one thread at a time; open
 * one handle per thread. Any number of readers and one writer may have the same index open: a
 * reader sees the last commit that finished before its search began.
 * ============================================================================================== */

typedef struct kb_index kb_index;

typedef struct kb_index_options {
    int read_only;           /* open for searching only */
    kb_stemmer_mode stemmer; /* used when creating a new index; an existing index keeps its own */
} kb_index_options;

/** Index-wide counts. */
typedef struct kb_index_stats {
    uint64_t docs;           /* live documents */
    uint64_t terms;          /* distinct terms */
    uint64_t postings_bytes; /* compressed postings + term dictionary */
    uint64_t stored_bytes;   /* compressed stored articles */
    uint64_t file_bytes;     /* database files on disk */
} kb_index_stats;

/* ================================================================================================
 * Search: queries, ranking, snippets                                          (owner: src/search.c)
 *
 * DRAFT: the search work refines this section.
 * ============================================================================================== */

typedef struct kb_search_options {
    uint32_t limit;      /* hits to return; 0 means 10 */
    uint32_t offset;     /* hits to skip (paging) */
    int no_collapse;     /* do not fold a duplicate cluster into its best hit */
    int exact_total;     /* count every match instead of estimating past the top-k */
    kb_slice source;     /* filter: only this source (empty: any) */
    kb_slice date_from;  /* filter: YYYY-MM-DD inclusive (empty: open) */
    kb_slice date_to;
} kb_search_options;

/** A highlighted range [start, end) in bytes, relative to the snippet text. Whole words only. */
typedef struct kb_highlight {
    uint32_t start, end;
} kb_highlight;

typedef struct kb_hit {
    kb_slice id, title, source, date, url;
    double score;
    kb_slice snippet; /* cut from the stored article text at word boundaries */
    const kb_highlight *highlights;
    size_t n_highlights;
    uint32_t similar;             /* other members of this hit's duplicate cluster */
    const kb_slice *also_sources; /* their sources (distinct) */
    size_t n_also_sources;
} kb_hit;

typedef struct kb_facet {
    kb_slice value;
    uint64_t count;
} kb_facet;

/** Search results; owned by the caller, freed with kb_results_free(). */
typedef struct kb_results {
    uint64_t total;     /* matching documents (exact when total_exact) */
    int total_exact;
    int fallback_any;   /* no document had every word: ranked any-word matches instead */
    uint64_t took_us;   /* time spent in the search, measured inside the library */
    const kb_hit *hits;
    size_t n_hits;
    const kb_facet *sources; /* facet counts by source over the matches */
    size_t n_sources;
    const char *notice; /* a message for the user (fallback, query repaired), or NULL */
} kb_results;

/* ================================================================================================
 * Duplicates: exact and near-duplicate stories                                 (owner: src/dedup.c)
 * (section written by the duplicates work)
 * ============================================================================================== */

#ifdef __cplusplus
}
#endif

#endif /* KHABAR_H */
