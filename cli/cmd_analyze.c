/*
 * cmd_analyze.c — `khabar analyze`: shows what the analyzer makes of a text.
 *
 *   khabar analyze [--format text|jsonl] [--stemmer light|snowball|none] [TEXT... | --file F]
 *
 * With neither TEXT nor --file, stdin is read. One line per token: byte offsets in the input,
 * the form as written, the normalized form, the stem, and flags. The text format aligns its
 * columns (widths counted in characters, harakat taking none) and starts a sentence with a blank
 * line; --format jsonl prints one JSON object per token for programs.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: khabar analyze [--format text|jsonl] [--stemmer light|snowball|none]\n"
    "                      [TEXT... | --file FILE]      (stdin when neither is given)\n";

static const struct {
    uint32_t bit;
    const char *name;
} flag_names[] = {
    {KB_TOK_ARABIC, "arabic"},     {KB_TOK_LATIN, "latin"}, {KB_TOK_NUMBER, "number"},
    {KB_TOK_URL, "url"},           {KB_TOK_EMAIL, "email"}, {KB_TOK_HASHTAG, "hashtag"},
    {KB_TOK_MENTION, "mention"},   {KB_TOK_STOP, "stop"},   {KB_TOK_SENTENCE, "sentence"},
    {KB_TOK_REPAIRED, "repaired"},
};

/* Display width of UTF-8 text: one per character, none for continuation bytes, combining
 * harakat (U+064B–065F, U+0670), tatweel-free marks, or invisible controls (U+200B–200F). */
static size_t width(const char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c & 0xC0) == 0x80) continue;
        if (c == 0xD9 && i + 1 < n) {
            unsigned char d = (unsigned char)s[i + 1];
            if ((d >= 0x8B && d <= 0x9F) || d == 0xB0) continue;
        }
        if (c == 0xE2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
            (((unsigned char)s[i + 2] >= 0x8B && (unsigned char)s[i + 2] <= 0x8F) ||
             ((unsigned char)s[i + 2] >= 0xAA && (unsigned char)s[i + 2] <= 0xAE)))
            continue;
        w++;
    }
    return w;
}

/* Prints s[0..n) without control characters (a token never has any, but offsets may come
 * from odd input), padded to col characters. */
static void put_col(const char *s, size_t n, size_t col)
{
    fwrite(s, 1, n, stdout);
    for (size_t w = width(s, n); w < col; w++)
        putchar(' ');
}

static void flags_text(uint32_t flags, char *out, size_t size, int json)
{
    size_t k = 0;
    out[0] = 0;
    for (size_t i = 0; i < sizeof flag_names / sizeof flag_names[0]; i++) {
        if (!(flags & flag_names[i].bit)) continue;
        int w = snprintf(out + k, size - k, json ? "%s\"%s\"" : "%s%s", k ? (json ? "," : " ") : "",
                         flag_names[i].name);
        if (w < 0 || (size_t)w >= size - k) break;
        k += (size_t)w;
    }
}

int cmd_analyze(int argc, char **argv)
{
    const char *file = NULL, *format = "text", *stemmer = "light";
    char *joined = NULL;
    size_t joined_len = 0;
    int rc = CLI_OK;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--file") && i + 1 < argc) {
            file = argv[++i];
        } else if (!strcmp(a, "--format") && i + 1 < argc) {
            format = argv[++i];
        } else if (!strcmp(a, "--stemmer") && i + 1 < argc) {
            stemmer = argv[++i];
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            free(joined);
            return CLI_OK;
        } else if (a[0] == '-' && a[1] == '-' && a[2]) {
            cli_error("analyze: unknown option %s", a);
            fputs(usage, stderr);
            free(joined);
            return CLI_USAGE;
        } else {
            size_t k = strlen(a);
            char *p = realloc(joined, joined_len + k + 2);
            if (!p) {
                free(joined);
                cli_error("out of memory");
                return CLI_FAILED;
            }
            joined = p;
            if (joined_len) joined[joined_len++] = ' ';
            memcpy(joined + joined_len, a, k + 1);
            joined_len += k;
        }
    }
    kb_analyzer_options opts = {0};
    int json = !strcmp(format, "jsonl");
    if (!json && strcmp(format, "text")) {
        cli_error("analyze: --format must be text or jsonl");
        free(joined);
        return CLI_USAGE;
    }
    if (kb_stemmer_parse(stemmer, &opts.stemmer)) {
        cli_error("analyze: --stemmer must be light, snowball or none");
        free(joined);
        return CLI_USAGE;
    }
    if (file && joined) {
        cli_error("analyze: give TEXT or --file, not both");
        free(joined);
        return CLI_USAGE;
    }
    size_t n = joined_len;
    char *text = joined;
    if (!text) {
        text = cli_read_file(file ? file : "-", &n);
        if (!text) return CLI_FAILED;
    }
    kb_analyzer *an = kb_analyzer_new(&opts);
    if (!an) {
        cli_error("analyze: cannot create the %s analyzer", stemmer);
        free(text);
        return CLI_FAILED;
    }
    kb_token t;
    int r;
    uint32_t n_tokens = 0, n_sentences = 0;
    char flags[160];
    kb_analyzer_reset(an, text, n);
    if (!json)
        printf("%-13s %-16s %-16s %-16s %s\n", "offsets", "form", "normalized", "stem", "flags");
    while ((r = kb_analyzer_next(an, &t)) > 0) {
        n_tokens++;
        n_sentences = t.sentence + 1;
        if (json) {
            flags_text(t.flags, flags, sizeof flags, 1);
            printf("{\"start\":%zu,\"end\":%zu,\"form\":", t.start, t.end);
            cli_json_str(stdout, text + t.start, t.end - t.start);
            fputs(",\"norm\":", stdout);
            cli_json_str(stdout, t.norm, t.norm_len);
            fputs(",\"stem\":", stdout);
            cli_json_str(stdout, t.stem, t.stem_len);
            printf(",\"position\":%u,\"sentence\":%u,\"flags\":[%s]}\n", t.position, t.sentence,
                   flags);
        } else {
            flags_text(t.flags & ~(uint32_t)KB_TOK_SENTENCE, flags, sizeof flags, 0);
            if ((t.flags & KB_TOK_SENTENCE) && t.position > 0) putchar('\n');
            char off[32];
            snprintf(off, sizeof off, "%zu-%zu", t.start, t.end);
            printf("%-13s ", off);
            put_col(text + t.start, t.end - t.start, 16);
            putchar(' ');
            put_col(t.norm, t.norm_len, 16);
            putchar(' ');
            put_col(t.stem, t.stem_len, 16);
            printf(" %s\n", flags);
        }
    }
    if (r < 0) {
        cli_error("analyze: %s", kb_strerror(r));
        rc = CLI_FAILED;
    }
    if (!json)
        printf("\n# %u tokens, %u sentences, %zu invalid UTF-8 sequences, stemmer %s\n", n_tokens,
               n_sentences, kb_analyzer_invalid_count(an), stemmer);
    kb_analyzer_free(an);
    free(text);
    return rc;
}
