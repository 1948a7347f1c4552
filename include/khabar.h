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
 * free(ctx, NULL) must be a no-op. Set it before creating any handle; it is process-wide. It must
 * be thread-safe: a large kb_index_commit encodes postings in a thread of its own while the
 * calling thread writes rows, and both allocate.
 * SQLite's allocations (the index's storage) are routed through it too: setting it shuts SQLite
 * down and reconfigures it, so no index may be open, in any thread, while it changes.
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
    kb_slice title;    /* when the format carries one (JSON title, <TITLE>); empty for text
                        * and HTML, whose title the cleaner finds */
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
    /* JSON field names, each a comma-separated list of alternatives (the first present wins);
     * NULL means the defaults: id|docno|…; title|headline; body|text|content|…; url|link;
     * source|src|site|…; date|published|…|time|date_extracted|… (docs/input.md lists them). */
    const char *id_field, *title_field, *body_field, *url_field, *source_field, *date_field;
} kb_reader_options;

/** Counts kept by a reader. */
typedef struct kb_reader_stats {
    uint64_t files;     /* files opened */
    uint64_t records;   /* records returned */
    uint64_t errors;    /* records or files that could not be read (each reported once) */
    uint64_t bytes;     /* decoded bytes read */
    uint64_t repaired;  /* invalid byte sequences replaced by U+FFFD in returned records */
} kb_reader_stats;

typedef struct kb_reader kb_reader;

/**
 * Opens a reader over paths[0..n_paths) (files, directories, "-" for stdin). Nothing is read yet.
 * Directories are read recursively in byte order of entry names, hidden entries skipped.
 * Returns NULL only on out of memory. opts may be NULL (strings in it are copied). Close with
 * kb_reader_close(). A reader is used by one thread at a time. docs/input.md describes the
 * detection rules, field names, limits and messages.
 */
KB_API kb_reader *kb_reader_open(const char *const *paths, size_t n_paths,
                                 const kb_reader_options *opts);

/**
 * Opens a reader over one input held in memory, data[0..len) (compressed or not, any format and
 * encoding kb_reader_open() accepts). data is borrowed and must stay valid until
 * kb_reader_close(). name stands for the file name in records and messages, and its extension
 * helps format detection (NULL means "-"). Returns NULL only on out of memory.
 */
KB_API kb_reader *kb_reader_open_mem(const void *data, size_t len, const char *name,
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
 * Clean: from a record to a structured article            (owner: src/clean.c, html.c, dates.c,
 *                                                                  linestats.c)
 *
 * The cleaner turns one kb_record (plain text, JSONL body, <DOC> text or a whole HTML page) into
 * a structured article: title, dateline date, captions, blocks (paragraphs, headings, quotes) in
 * reading order. Text is repaired for display (presentation forms → letters; BOM, stray
 * bidi/zero-width controls and tatweel removed; whitespace tidied; diacritics kept), never
 * normalized for matching. Nothing is lost silently: every line the cleaner drops is listed in
 * kb_article.dropped with its reason.
 *
 * Cross-document boilerplate (a byline formula, "// انتهى //", an SMS footer that recurs in many
 * articles of one source) needs line statistics per source: feed every record once to
 * kb_cleaner_learn() (or load a saved model with kb_cleaner_model_load()), then clean. Without
 * statistics, only in-document rules apply.
 * ============================================================================================== */

typedef enum kb_block_type {
    KB_BLOCK_PARAGRAPH = 0,
    KB_BLOCK_HEADING = 1,
    KB_BLOCK_QUOTE = 2
} kb_block_type;

/** Returns "paragraph", "heading" or "quote" (static storage), or "unknown". */
KB_API const char *kb_block_type_name(kb_block_type t);

/**
 * One block of the article. text is a sub-range of kb_article.text, so text.p - article->text.p
 * is the block's byte offset in the article text.
 */
typedef struct kb_block {
    kb_block_type type;
    kb_slice text;
} kb_block;

/*
 * Reasons a line is dropped (kb_dropped.reason points to one of these static strings, so a
 * caller may compare pointers or strings):
 *   "masthead"            short lines before the headline that are not the headline (site name,
 *                         editor's name, a menu)
 *   "duplicate"           a line already seen in this document (a caption shown twice)
 *   "title"               the title repeated as the first body line
 *   "dateline"            a short line before the headline that only gives place and date
 *                         (the date becomes kb_article.date)
 *   "share"               share / follow / read-more / subscribe lines
 *   "copyright"           copyright and all-rights-reserved lines
 *   "agency-tag"          a line that is only a news-agency tag ("و م ع", "(واس)", "// انتهى //")
 *   "empty"               a line with no letters or digits (punctuation, rules, lone symbols)
 *   "repeated-in-source"  a line that recurs in many documents of the same source (needs stats)
 *   "navigation"          HTML: menus, link lists, related-article lists outside the article
 */
#define KB_DROP_MASTHEAD "masthead"
#define KB_DROP_DUPLICATE "duplicate"
#define KB_DROP_TITLE "title"
#define KB_DROP_DATELINE "dateline"
#define KB_DROP_SHARE "share"
#define KB_DROP_COPYRIGHT "copyright"
#define KB_DROP_AGENCY "agency-tag"
#define KB_DROP_EMPTY "empty"
#define KB_DROP_REPEATED "repeated-in-source"
#define KB_DROP_NAVIGATION "navigation"

/** A line the cleaner dropped, and why. */
typedef struct kb_dropped {
    kb_slice text;      /* the line as repaired for display */
    const char *reason; /* one of the KB_DROP_* strings (static storage) */
} kb_dropped;

/**
 * A clean article. Borrowed from the cleaner that produced it: every pointer inside is valid
 * until the next kb_cleaner_clean() or kb_cleaner_free() on that cleaner. Absent fields have
 * n == 0.
 */
typedef struct kb_article {
    kb_slice id, source, url;
    kb_slice date;  /* ISO 8601 (YYYY-MM-DD or YYYY-MM-DDThh:mm:ss[±hh:mm]), or empty: from the
                     * record's metadata, else from a dateline in the text */
    kb_slice title; /* repaired for display; may be empty */
    const kb_slice *captions; /* image captions, each once */
    size_t n_captions;
    const kb_block *blocks; /* in reading order */
    size_t n_blocks;
    const kb_dropped *dropped; /* in input order */
    size_t n_dropped;
    kb_slice text;       /* the blocks' texts joined by "\n\n": what an indexer analyzes */
    double arabic_share; /* Arabic letters / all letters of the blocks, 0..1 (0: no letters) */
    size_t n_repaired;   /* characters repaired (decoding and display repair) */
    kb_format format;    /* the record's format */
} kb_article;

typedef struct kb_cleaner kb_cleaner;

/** Cleaner options; zero-initialized means the defaults. */
typedef struct kb_cleaner_options {
    int keep_boilerplate; /* keep every line as a block; dropped[] stays empty */
    /* A line is "repeated-in-source" when it occurs in at least source_min_docs documents of its
     * source (0: default 5) and in at least source_min_share of them (0: default 0.002). */
    uint32_t source_min_docs;
    double source_min_share;
} kb_cleaner_options;

/**
 * Creates a cleaner. opts may be NULL for defaults. Returns NULL on out of memory. A cleaner is
 * not thread-safe; use one per thread. Free with kb_cleaner_free().
 */
KB_API kb_cleaner *kb_cleaner_new(const kb_cleaner_options *opts);

/** Frees a cleaner and its statistics; NULL is a no-op. */
KB_API void kb_cleaner_free(kb_cleaner *c);

/**
 * Cleans one record into *out (borrowed: valid until the next kb_cleaner_clean() or
 * kb_cleaner_free()). The record is only read during the call. HTML records (format
 * KB_FORMAT_HTML) go through the HTML parser and content scoring; the others are cleaned as text.
 * Returns 0, or KB_ENOMEM / KB_ETOOBIG (kb_cleaner_errmsg() says more). Malformed input is never
 * an error: the cleaner does what it can with it.
 */
KB_API int kb_cleaner_clean(kb_cleaner *c, const kb_record *rec, kb_article *out);

/**
 * First pass of cross-document statistics: counts, per source (rec->source, else the directory of
 * rec->file), the documents each line occurs in. Call it on every record, then clean them all.
 * Returns 0 or KB_ENOMEM.
 */
KB_API int kb_cleaner_learn(kb_cleaner *c, const kb_record *rec);

/** Saves the learned line statistics to path (a small text file). Returns 0 or KB_EIO. */
KB_API int kb_cleaner_model_save(const kb_cleaner *c, const char *path);

/**
 * Loads line statistics saved by kb_cleaner_model_save(), adding them to those already learned.
 * Returns 0, KB_EIO (cannot read), KB_EVERSION or KB_ECORRUPT (not a model file).
 */
KB_API int kb_cleaner_model_load(kb_cleaner *c, const char *path);

/** The message of the cleaner's last error (valid until the next call), or "". */
KB_API const char *kb_cleaner_errmsg(const kb_cleaner *c);

/** Flags for kb_article_to_json(). */
enum kb_json_flag {
    KB_JSON_NO_DROPPED = 1u << 0, /* leave out "dropped" */
    KB_JSON_NO_QUALITY = 1u << 1  /* leave out "arabic_share" and "repaired" */
};

/**
 * Serializes an article as one line of JSON (no newline at the end):
 *   {"id":…,"source":…,"url":…,"date":…,"title":…,"captions":[…],
 *    "blocks":[{"type":"paragraph|heading|quote","text":…}],"dropped":[{"text":…,"reason":…}],
 *    "arabic_share":0.98,"repaired":0}
 * Absent string fields are written as "". On success *json is a NUL-terminated string allocated
 * through the library's allocator, to be freed with kb_json_free(); *len (if not NULL) gets its
 * length. Returns 0 or KB_ENOMEM.
 */
KB_API int kb_article_to_json(const kb_article *a, unsigned flags, char **json, size_t *len);

/** Frees a string returned by kb_article_to_json(); NULL is a no-op. */
KB_API void kb_json_free(char *json);

/**
 * Finds a date in text[0..len) and writes it as ISO 8601 (YYYY-MM-DD, or with the time when the
 * text has one) into out (at least 32 bytes). Understands ISO and numeric dates (2017-02-25,
 * 25/02/2017), Gregorian month names in their Egyptian, Levantine and Maghrebi forms (يناير,
 * كانون الثاني, جانفي …), English month names, and Hijri dates (with the Hijri month names,
 * converted to Gregorian). Returns the length written, 0 when no date was found.
 */
KB_API int kb_date_parse(const char *text, size_t len, char *out, size_t out_size);

/* ================================================================================================
 * Index: the crash-safe embedded index                                         (owner: src/index.c)
 *
 * One directory holds one index: an SQLite database (khabar.db, WAL mode) with khabar's own
 * compressed postings inside it (docs/format.md). Writes are grouped into commits; a commit is
 * one SQLite transaction, so a crash at any moment leaves the last finished commit intact.
 * A handle is used by one thread at a time; open one handle per thread. Any number of readers
 * and one writer may have the same index open: a reader sees the last commit that finished
 * before its search began (a snapshot), never a half-written one.
 *
 * Each article is analyzed into three fields (title; headings and captions; body paragraphs).
 * Both the normalized form and the stem of every word are indexed at the same position.
 * Adding an article whose id is already in the index replaces the old one.
 * ============================================================================================== */

typedef struct kb_index kb_index;

/* The on-disk format version this library reads and writes; an index with another version is
 * refused with KB_EVERSION (docs/format.md says what changed). */
#define KB_INDEX_FORMAT_VERSION 4

/* Documents per index: docids are 32-bit and never reused (a replaced article gets a new one);
 * compaction keeps them (it drops dead postings, it does not renumber). */
#define KB_INDEX_MAX_DOCS 0xFFFFFFF0u

typedef struct kb_index_options {
    int read_only;           /* open for searching only (the directory must hold an index) */
    kb_stemmer_mode stemmer; /* used when creating a new index; an existing index keeps its own */
    int sync_full;           /* fsync every commit (power-loss safe); default survives a process
                                crash and is much faster (SQLite synchronous=NORMAL in WAL) */
    int no_dedup;            /* do not maintain duplicate-story signatures while adding (faster
                                bulk loads; `khabar dups` and search collapsing then miss the
                                articles added this way) */
} kb_index_options;

/** Index-wide counts. */
typedef struct kb_index_stats {
    uint64_t docs;           /* live documents */
    uint64_t terms;          /* distinct terms (forms and stems) */
    uint64_t postings_bytes; /* compressed postings + term dictionary (SQLite pages included) */
    uint64_t stored_bytes;   /* compressed stored articles (SQLite pages included) */
    uint64_t file_bytes;     /* database files on disk (khabar.db + WAL) */
    uint64_t dead_docs;      /* deleted or replaced documents still referenced by postings */
    uint64_t commits;        /* commits since the index was created */
    kb_stemmer_mode stemmer; /* the stemmer the index was built with */
} kb_index_stats;

/**
 * Opens (or, unless read_only, creates) the index in directory dir. opts may be NULL (defaults:
 * read-write, light stemmer). On success returns 0 and sets *out; close it with kb_index_close().
 * Errors: KB_EVERSION (another format version), KB_ECORRUPT (not a khabar index or damaged),
 * KB_ENOTFOUND (read_only and no index there), KB_EIO, KB_ENOMEM. On error *out is NULL.
 */
KB_API int kb_index_open(const char *dir, const kb_index_options *opts, kb_index **out);

/** Closes an index; uncommitted changes are rolled back. NULL is a no-op. */
KB_API void kb_index_close(kb_index *ix);

/** The detailed message of the last error on ix (valid until the next call on ix), or "".
 * kb_index_errmsg(NULL) is the message of this thread's last failed kb_index_open (e.g. which
 * page of which file failed its checksum), valid until the thread's next kb_index_open. */
KB_API const char *kb_index_errmsg(const kb_index *ix);

/**
 * Adds article a (analyzed with the index's analyzer). Returns 0 when added, 1 when it replaced
 * an article with the same id, or a negative KB_E* code: KB_EINVAL (empty id), KB_EREADONLY,
 * KB_ETOOBIG, KB_ENOMEM, KB_EIO. The article is borrowed for the call only. The change becomes
 * visible to readers (and durable) at the next kb_index_commit().
 */
KB_API int kb_index_add(kb_index *ix, const kb_article *a);

/*
 * Prepared documents split kb_index_add() in two so analysis can run in worker threads while
 * one thread writes: kb_index_prepare() is thread-safe for distinct (analyzer, prepared) pairs
 * and touches no index; kb_index_add_prepared() is the cheap, single-threaded part.
 */
typedef struct kb_prepared kb_prepared;

/** Creates an empty prepared document (reusable). NULL on out of memory. */
KB_API kb_prepared *kb_prepared_new(void);

/** Frees a prepared document; NULL is a no-op. */
KB_API void kb_prepared_free(kb_prepared *p);

/**
 * Analyzes article a with analyzer an (use the stemmer kb_index_stats reports) into p, copying
 * what it needs: a may go away afterwards. Returns 0, KB_EINVAL (empty id), KB_ETOOBIG,
 * KB_ENOMEM.
 */
KB_API int kb_index_prepare(kb_analyzer *an, const kb_article *a, kb_prepared *p);

/**
 * Makes kb_index_prepare() skip the duplicate-story signature (skip = 1), for an index opened with
 * no_dedup: it is work the writer would not use. By default the signature is made while preparing,
 * in the caller's thread; an index that needs one and finds none makes it itself.
 */
KB_API void kb_prepared_skip_dups(kb_prepared *p, int skip);

/** Size in bytes of the article text held by p (title and blocks), for throughput figures. */
KB_API size_t kb_prepared_text_bytes(const kb_prepared *p);

/** Bytes of memory p's buffers hold (allocated, used or not): what a queue of prepared documents
 * costs, e.g. to bound it. */
KB_API size_t kb_prepared_memory(const kb_prepared *p);

/** Adds a prepared document; same results as kb_index_add(). p may be reused afterwards. */
KB_API int kb_index_add_prepared(kb_index *ix, kb_prepared *p);

/**
 * Deletes the article with id[0..n). Returns 0, KB_ENOTFOUND, KB_EREADONLY or KB_EIO. Visible at
 * the next kb_index_commit().
 */
KB_API int kb_index_delete(kb_index *ix, const char *id, size_t n);

/**
 * Makes every add and delete since the last commit durable and visible, atomically. Returns 0 or
 * KB_EIO / KB_ENOSPC / KB_ENOMEM / KB_EBUSY; on error the pending changes are rolled back.
 * Committing with nothing pending is a no-op.
 */
KB_API int kb_index_commit(kb_index *ix);

/** Fills *st. Returns 0 or KB_EIO. It measures the database page by page (sizes), so it reads
 * the whole file: a fraction of a second on a warm 150 MB index, much longer on a cold one. */
KB_API int kb_index_stats_get(kb_index *ix, kb_index_stats *st);

/** The stemmer the index was built with (what kb_index_prepare()'s analyzer must use); no I/O. */
KB_API kb_stemmer_mode kb_index_stemmer(const kb_index *ix);

/**
 * Reads the index's commit counter as a new search would see it: it grows by one with every
 * commit, by this handle or any other process, so a caller that keeps answers computed from the
 * index (a result cache) can tell whether they may have changed. One row read, no snapshot kept.
 * Returns 0 and sets *gen, or KB_EINVAL (inside a write transaction), KB_EIO, KB_ECORRUPT,
 * KB_ENOMEM.
 */
KB_API int kb_index_generation(kb_index *ix, uint64_t *gen);

/** Receives one problem found by kb_index_check(): a NUL-terminated sentence. */
typedef void (*kb_check_fn)(void *ctx, const char *problem);

/**
 * Verifies the whole index: SQLite integrity, the format version, every postings block
 * (checksum, decoding, order, counts against the term dictionary), every stored article
 * (decompression, checksum), document counts and lengths. Each problem is passed to fn (may be
 * NULL). Returns 0 when the index is sound, KB_ECORRUPT when a problem was found, or another
 * KB_E* code when the check itself could not run.
 */
KB_API int kb_index_check(kb_index *ix, kb_check_fn fn, void *ctx);

/**
 * Rewrites the postings without deleted and replaced documents and reclaims free pages
 * (VACUUM). Readers may keep searching meanwhile. Returns 0 or a KB_E* code.
 */
KB_API int kb_index_compact(kb_index *ix);

/** A stored article, as kb_index_get() returns it. Every slice is owned by the kb_stored. */
typedef struct kb_stored {
    kb_slice id, title, source, date, url;
    kb_slice body; /* the article's blocks in reading order, separated by "\n\n" */
    /* The clean structure: paragraphs, headings and quotes in reading order (slices of body),
     * the captions (slices of body, which holds them after the blocks), and the lines the
     * cleaner dropped with their reasons (reason NUL-terminated, owned by the kb_stored). */
    const kb_block *blocks;
    size_t n_blocks;
    const kb_slice *captions;
    size_t n_captions;
    const kb_dropped *dropped;
    size_t n_dropped;
} kb_stored;

/**
 * Fetches the stored article with id[0..n). On success returns 0 and sets *out, freed with
 * kb_stored_free(). Errors: KB_ENOTFOUND, KB_ECORRUPT, KB_ENOMEM, KB_EIO.
 */
KB_API int kb_index_get(kb_index *ix, const char *id, size_t n, kb_stored **out);

/** Frees a stored article; NULL is a no-op. */
KB_API void kb_stored_free(kb_stored *s);

/*
 * A cache of byte strings: bounded, thread-safe, least recently used out first. Each entry has a
 * key, a value and a 64-bit tag; a lookup with another tag drops the entry as stale. The index
 * keeps decoded stored articles in one (kb_index_set_doc_cache); the server keeps its answers in
 * another, tagged with the commit generation (kb_index_generation).
 */
typedef struct kb_cache kb_cache;

typedef struct kb_cache_stats {
    uint64_t hits, misses, stale; /* stale: found with another tag (and dropped) */
    size_t entries, bytes, max_bytes;
} kb_cache_stats;

/** Receives a value found by kb_cache_get(), valid during the call only (the cache is locked:
 * copy it, do not call the cache). Returns 0, or a negative KB_E* code handed back. */
typedef int (*kb_cache_fn)(void *ctx, const void *value, size_t n);

/** Creates a cache of at most max_bytes (keys, values and bookkeeping). NULL when max_bytes is 0
 * or out of memory. Every function below accepts a NULL cache (and then keeps nothing). */
KB_API kb_cache *kb_cache_new(size_t max_bytes);

/** Frees a cache; NULL is a no-op. Nothing may be using it (see kb_index_set_doc_cache). */
KB_API void kb_cache_free(kb_cache *c);

/**
 * Looks key[0..n) up. When found with this tag, passes the value to fn and returns 1 (or fn's
 * negative code); otherwise returns 0 (an entry with another tag is dropped).
 */
KB_API int kb_cache_get(kb_cache *c, const void *key, size_t n, uint64_t tag, kb_cache_fn fn,
                        void *ctx);

/** Keeps the value made of parts[0..n_parts) (lengths part_n) under key and tag, replacing an
 * entry with the same key. Values larger than an eighth of the cache, or out of memory: not
 * kept (a cache may always forget). */
KB_API void kb_cache_put(kb_cache *c, const void *key, size_t n, uint64_t tag,
                         const void *const *parts, const size_t *part_n, size_t n_parts);

/** Copies the cache's counts into *out (zeros for NULL). */
KB_API void kb_cache_stats_get(kb_cache *c, kb_cache_stats *out);

/**
 * Makes ix keep decoded stored articles in c (NULL: stop), for a search's hits and
 * kb_index_get(): an article read from it costs a copy instead of an SQLite row read and a zstd
 * decompression. Meant to be shared by the handles of ONE index (a server's readers). An
 * article never changes under its internal number (a replaced article gets a new one), so the
 * entries stay valid across commits; a handle inside a write transaction does not use the cache.
 * c must outlive the handle's use of it.
 */
KB_API void kb_index_set_doc_cache(kb_index *ix, kb_cache *c);

/* ================================================================================================
 * Search: queries, ranking, snippets                                          (owner: src/search.c)
 *
 * kb_search_run() parses a query, ranks the matching articles with BM25F (title, headings and
 * captions, body; a bonus when the written form matches and not only the stem), prunes with
 * block-max MaxScore so a top-k query does not score every match, and cuts a snippet for each hit
 * from the stored original text with the matched words marked.
 *
 * The query language (docs/search.md):
 *   word word        every word must match (stems: العراق finds والعراق, بالعراق); when no article
 *                    has them all, the ranked any-word matches are returned and fallback_any is set
 *   "exact phrase"   consecutive written (normalized) forms, not stems
 *   -word  -"a b"    excludes articles that match
 *   a OR b           either; binds tighter than the implicit AND; parentheses group
 *   title:word       the word (or "phrase") in the title only
 *   source:NAME      filter by source (quotes for names with spaces)
 *   date:FROM..TO    filter by date, YYYY-MM-DD (either end may be empty); date:YYYY-MM-DD one day
 * A malformed query is repaired (an unclosed quote or parenthesis is closed, a dangling OR or '-'
 * is ignored) and results->notice says so. Stopwords are dropped unless the query is made only of
 * them or they sit inside a phrase. Limits: KB_QUERY_MAX_BYTES, KB_QUERY_MAX_TERMS.
 * ============================================================================================== */

/* A query longer than this is refused (KB_ETOOBIG): a search box question is a few hundred bytes;
 * 4 KiB leaves room for long pasted titles and keeps parsing and term lookups bounded. */
#define KB_QUERY_MAX_BYTES 4096
/* At most this many words and phrase words in one query (KB_ETOOBIG past it): each costs a
 * postings cursor, and ranking with more than 64 is slower without being better. */
#define KB_QUERY_MAX_TERMS 64
/* Hits a single call may return (limit + offset): deeper paging is not what a reader does, and
 * the top-k heap stays small. */
#define KB_SEARCH_MAX_HITS 10000

/** Modes for kb_search_options.mode. */
typedef enum kb_search_mode {
    KB_SEARCH_ALL = 0, /* every word must match; falls back to any-word ranking when nothing does */
    KB_SEARCH_ANY = 1  /* ranked any-word match from the start (natural-language questions) */
} kb_search_mode;

/** Search options; zero-initialized means defaults. */
typedef struct kb_search_options {
    uint32_t limit;      /* hits to return; 0 means 10; limit + offset <= KB_SEARCH_MAX_HITS */
    uint32_t offset;     /* hits to skip (paging) */
    int no_collapse;     /* do not fold a duplicate cluster into its best hit */
    int exact_total;     /* count every match instead of estimating past the top-k */
    kb_slice source;     /* filter: only this source (empty: any); adds to a source: in the query */
    kb_slice date_from;  /* filter: YYYY-MM-DD inclusive (empty: open) */
    kb_slice date_to;
    kb_search_mode mode; /* KB_SEARCH_ALL (default) or KB_SEARCH_ANY */
    int no_snippets;     /* skip snippets (ids, scores and metadata only) */
    int no_facets;       /* skip the source facet counts */
    uint32_t snippet_bytes; /* target snippet length in bytes; 0 means 220 */
    int ids_only;        /* hits carry id, score, source, date and url only: no title, no
                          * snippet, no stored article read (the fastest answer) */
    uint64_t timeout_us; /* time budget in microseconds from the call's start; 0: none. When it
                          * runs out the search stops and returns what it ranked so far with
                          * timed_out set (never an error); the first KB_SEARCH_BUDGET_MIN_HITS
                          * hits asked for are still built (article, snippet) */
} kb_search_options;

/* Hits a search out of time still builds (stored article, snippet) after its budget ran out:
 * a page, so a partial answer still shows something; past it, hits stop being built. */
#define KB_SEARCH_BUDGET_MIN_HITS 10

/** A highlighted range [start, end) in bytes, relative to the snippet text. Whole words only. */
typedef struct kb_highlight {
    uint32_t start, end;
} kb_highlight;

/**
 * One hit. Every slice and array is owned by the kb_results it belongs to. snippet is cut from
 * the stored article text (as the user gave it, diacritics and all) at word boundaries; when
 * snippet_start > 0 or the snippet ends before the text does, the caller may show an ellipsis.
 */
typedef struct kb_hit {
    kb_slice id, title, source, date, url;
    double score;
    kb_slice snippet; /* cut from the stored article text at word boundaries */
    const kb_highlight *highlights;
    size_t n_highlights;
    uint64_t snippet_start;       /* byte offset of the snippet in the stored body text */
    int snippet_is_title;         /* 1 when the body had no match and the snippet is the title */
    const kb_highlight *title_highlights; /* matched words in title, offsets relative to it */
    size_t n_title_highlights;
    uint32_t similar;             /* other members of this hit's duplicate cluster */
    const kb_slice *also_sources; /* their sources (distinct) */
    size_t n_also_sources;
    int damaged; /* its stored article could not be read (damaged: `khabar check` says where):
                  * id, score, source, date and url come from the docs table, title and snippet
                  * are empty; the results' notice says so */
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
    const kb_facet *sources; /* facet counts by source over the matches (exact_total only) */
    size_t n_sources;
    const char *notice; /* a message for the user (fallback, query repaired, error), or NULL */
    int timed_out;      /* the time budget (timeout_us) ran out: the hits are the best of the
                         * documents ranked before it did, each with its full score and snippet;
                         * when it ran out while ranking, total is an estimate (total_exact 0)
                         * and facets count the matches seen */
} kb_results;

/**
 * Runs query q[0..n) (UTF-8; need not be NUL-terminated) on ix. opts may be NULL for defaults.
 * On success returns 0 and sets *out to results the caller frees with kb_results_free().
 * Errors: KB_EQUERY (nothing searchable is left of the query, or a bad date: range),
 * KB_ETOOBIG (past KB_QUERY_MAX_BYTES / KB_QUERY_MAX_TERMS, or limit + offset past
 * KB_SEARCH_MAX_HITS), KB_EINVAL (NULL arguments), KB_ENOMEM, KB_ECORRUPT / KB_EIO from the index.
 * For KB_EQUERY and KB_ETOOBIG *out is still set, with no hits and notice saying what is wrong
 * in words a user understands; free it too. For other errors *out is NULL.
 * The index handle is used, not changed: one thread at a time per handle.
 */
KB_API int kb_search_run(kb_index *ix, const char *q, size_t n, const kb_search_options *opts,
                         kb_results **out);

/** Frees results from kb_search_run(); NULL is a no-op. */
KB_API void kb_results_free(kb_results *r);

/**
 * Explains how q[0..n) is understood: writes a one-line S-expression of the parsed query, e.g.
 * (and (stem "عراق") (phrase "مجلس" "الامن") (not (stem "حرب"))), NUL-terminated, into
 * out[0..out_size). Returns the full length (as snprintf does) or a negative KB_E* code; no index
 * is needed. Meant for tests, tools and the server's debug output.
 */
KB_API int kb_query_explain(const char *q, size_t n, char *out, size_t out_size);

/* ================================================================================================
 * Duplicates: exact and near-duplicate stories                                 (owner: src/dedup.c)
 *
 * Two documents are duplicates when the Jaccard similarity of their sets of 5-word shingles
 * (over text folded for matching: diacritics, tatweel, presentation forms, format controls and
 * spelling variants of alef/yeh/teh marbuta do not count) reaches a threshold, or when almost all
 * of a shorter text lies inside a longer one. Exact copies always match. Clusters are the
 * connected components of duplicate pairs; each has a representative: the earliest dated
 * document, then the longest, then the smallest id.
 *
 * kb_dedup works in memory, on a stream of documents (`khabar clean --dedup`, tools). The index
 * keeps the same signatures and clusters in its database (`khabar dups --index`).
 * ============================================================================================== */

/** "No document": returned in place of a handle. */
#define KB_DEDUP_NONE UINT32_MAX

typedef struct kb_dedup kb_dedup;

/** Options; zero-initialized means the defaults documented in docs/dedup.md. */
typedef struct kb_dedup_options {
    double threshold;    /* Jaccard at which two documents are duplicates; 0: 0.7 */
    double containment;  /* share of a short text inside a longer one; 0: 0.9; < 0: off */
    int shingle;         /* words per shingle; 0: 5 */
    int bands, rows;     /* LSH banding, bands × rows ≤ 112; 0: 16 × 7 */
    size_t exact_budget; /* bytes of shingle sets kept for exact Jaccard; 0: 256 MiB */
    int estimate_only;   /* verify by the MinHash estimate only (keeps no shingle sets) */
} kb_dedup_options;

/** A document to deduplicate. Slices are borrowed for the call only (id, source, date are
 * copied). title and text are both part of the compared text. */
typedef struct kb_dedup_doc {
    kb_slice id, source, date; /* date: ISO 8601, compared as a string; empty when unknown */
    kb_slice title, text;
} kb_dedup_doc;

/** What kb_dedup_info_get() reports about a handle. Slices valid until the next add. */
typedef struct kb_dedup_info {
    kb_slice id, source, date;
    uint32_t n_words, n_shingles;
    uint32_t rep;          /* representative of its cluster (itself when alone); NONE if removed */
    uint32_t cluster_size; /* members of its cluster, itself included; 0 if removed */
    int live;
} kb_dedup_info;

/** Creates an in-memory deduplicator (opts may be NULL). NULL on out of memory. */
KB_API kb_dedup *kb_dedup_new(const kb_dedup_options *opts);

/** Frees a deduplicator; NULL is a no-op. */
KB_API void kb_dedup_free(kb_dedup *d);

/**
 * Adds a document and links it to every duplicate already present. *handle (may be NULL) gets
 * its handle, handles count up from 0; *dup_of (may be NULL) the smallest handle it duplicates,
 * or KB_DEDUP_NONE. Returns 0 or KB_ENOMEM / KB_ETOOBIG / KB_EINVAL.
 */
KB_API int kb_dedup_add(kb_dedup *d, const kb_dedup_doc *doc, uint32_t *handle, uint32_t *dup_of);

/** kb_dedup_add() for a clean article: its title and blocks are the compared text. */
KB_API int kb_dedup_add_article(kb_dedup *d, const kb_article *a, uint32_t *handle,
                                uint32_t *dup_of);

/**
 * The stream filter ("keep the first copy"): returns 1 when doc duplicates a kept document, with
 * *dup_of its handle and *sim the similarity (doc is not added); 0 when doc is new (it is added
 * and kept); or a negative KB_E* code. dup_of and sim may be NULL.
 */
KB_API int kb_dedup_filter(kb_dedup *d, const kb_dedup_doc *doc, uint32_t *dup_of, double *sim);

/** kb_dedup_filter() for a clean article (title and blocks; id, source, date kept). The id of
 * the kept copy is kb_dedup_info_get(d, *dup_of, …)'s id: `khabar clean --dedup` reports
 * "duplicate-of:<id>". */
KB_API int kb_dedup_filter_article(kb_dedup *d, const kb_article *a, uint32_t *dup_of,
                                   double *sim);

/** Removes a document; its cluster is split along the remaining links. KB_ENOTFOUND if unknown
 * or already removed. Handles are never reused: adding the text again gives a new handle. */
KB_API int kb_dedup_remove(kb_dedup *d, uint32_t handle);

/** Handles issued so far (live or removed): valid handles are 0 .. count-1. */
KB_API uint32_t kb_dedup_count(const kb_dedup *d);

/** The representative of handle's cluster, or KB_DEDUP_NONE when removed or unknown. */
KB_API uint32_t kb_dedup_cluster_of(kb_dedup *d, uint32_t handle);

/** Fills *out for a handle (live or removed). 0 or KB_ENOTFOUND. */
KB_API int kb_dedup_info_get(kb_dedup *d, uint32_t handle, kb_dedup_info *out);

/** Jaccard similarity of two documents: exact when both shingle sets are kept, else estimated. */
KB_API double kb_dedup_similarity(const kb_dedup *d, uint32_t a, uint32_t b);

/** Verified duplicate pairs recorded so far (removed ones included, see kb_dedup_pair_get). */
KB_API size_t kb_dedup_pair_count(const kb_dedup *d);

/** A verified duplicate pair. */
typedef struct kb_dedup_pair {
    uint32_t a, b;       /* handles, a < b */
    double similarity;   /* Jaccard: exact when both shingle sets were kept, else estimated */
    int by_containment;  /* linked because the shorter text lies inside the longer */
    int live;            /* 0 once either side was removed */
} kb_dedup_pair;

/** Fills *out with pair i (0 .. kb_dedup_pair_count()-1). 0, or KB_ENOTFOUND past the end. */
KB_API int kb_dedup_pair_get(const kb_dedup *d, size_t i, kb_dedup_pair *out);

/** A member of a duplicate cluster stored in an index (kb_index_dups()). */
typedef struct kb_dups_member {
    kb_slice id, source, date, url;
    double similarity; /* estimated Jaccard with the representative; 1 for it and exact copies */
    int64_t docid;     /* the index's internal document number */
} kb_dups_member;

/** Receives one cluster: members[0] is the representative. Slices are valid during the call.
 * Return non-zero to stop the listing. */
typedef int (*kb_dups_fn)(void *ctx, const kb_dups_member *members, size_t n);

/**
 * Lists the duplicate clusters of an index, largest first. The index links documents at its own
 * threshold (0.7); a higher threshold (up to 1) lists the clusters that hold at that similarity.
 * Returns 0, or KB_EIO / KB_ECORRUPT / KB_ENOMEM / KB_EVERSION.
 */
KB_API int kb_index_dups(kb_index *ix, double threshold, kb_dups_fn fn, void *ctx);

/**
 * kb_index_dups() for one article: passes the cluster that holds the article with id[0..n) to fn
 * (representative first; fn is not called when the article stands alone). The cluster is found
 * through the cluster tables' index, a few row reads, where kb_index_dups() walks every cluster.
 * Returns 0, KB_ENOTFOUND (no article has this id), or the errors of kb_index_dups().
 */
KB_API int kb_index_dups_of(kb_index *ix, const char *id, size_t n, double threshold,
                            kb_dups_fn fn, void *ctx);

#ifdef __cplusplus
}
#endif

#endif /* KHABAR_H */
