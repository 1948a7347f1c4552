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
 * Sections: common (errors, allocator, version) · analyzer · (later modules add their own).
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

#ifdef __cplusplus
}
#endif

#endif /* KHABAR_H */
