/*
 * cmd_clean.c — `khabar clean [FILE|DIR...]`: structured, clean articles as JSON lines.
 *
 * Reads records with a kb_reader (files, directories, "-" for stdin; text, JSONL, <DOC>, HTML,
 * compressed or not, any supported encoding), cleans each with a kb_cleaner and writes one JSON
 * object per article (kb_article_to_json), or the clean text with --text. Cross-document line
 * statistics come from a first pass over the same inputs (--stats, or --learn FILE which also
 * saves them) or from a saved model (--model FILE). A summary goes to stderr; the exit status is
 * 1 when any input could not be read or cleaned.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fputs("usage: khabar clean [OPTIONS] [FILE|DIR|-]...\n"
          "\n"
          "Cleans news articles: title, date, captions, paragraphs and headings; boilerplate\n"
          "lines dropped with a reason. Writes one JSON object per article (or --text).\n"
          "\n"
          "options:\n"
          "  --text                 print the clean articles as text\n"
          "  --keep-boilerplate     drop nothing\n"
          "  --no-dropped           leave the dropped lines out of the JSON\n"
          "  --stats                first pass over the inputs: drop lines that recur in many\n"
          "                         documents of one source (reason repeated-in-source)\n"
          "  --learn FILE           like --stats, and save the statistics to FILE\n"
          "  --model FILE           use statistics saved with --learn\n"
          "  --dedup                keep the first copy of a story, drop later copies (exact or\n"
          "                         near duplicates; each reported with duplicate-of:<id>)\n"
          "  --min-docs N           a recurring line is in at least N documents (default 5)\n"
          "  --format F             auto, text, jsonl, doc or html (default auto)\n"
          "  --encoding ENC         input encoding (default: detected), e.g. WINDOWS-1256\n"
          "  --id-field, --title-field, --body-field, --url-field, --source-field,\n"
          "  --date-field NAME      JSONL field names\n"
          "  -q, --quiet            no summary on stderr\n",
          f);
}

static int parse_format(const char *s, kb_format *f)
{
    static const struct {
        const char *name;
        kb_format f;
    } t[] = {{"auto", KB_FORMAT_AUTO},
             {"text", KB_FORMAT_TEXT},
             {"jsonl", KB_FORMAT_JSONL},
             {"doc", KB_FORMAT_DOC},
             {"html", KB_FORMAT_HTML}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(s, t[i].name)) {
            *f = t[i].f;
            return 0;
        }
    return -1;
}

static void print_text(const kb_article *a, int first)
{
    if (!first) fputs("\n\f\n", stdout);
    if (a->title.n) printf("%.*s\n\n", (int)a->title.n, a->title.p);
    if (a->date.n) printf("%.*s\n\n", (int)a->date.n, a->date.p);
    for (size_t i = 0; i < a->n_captions; i++)
        printf("[%.*s]\n\n", (int)a->captions[i].n, a->captions[i].p);
    for (size_t i = 0; i < a->n_blocks; i++) {
        const kb_block *b = &a->blocks[i];
        const char *mark = b->type == KB_BLOCK_HEADING ? "## "
                           : b->type == KB_BLOCK_QUOTE ? "> "
                                                       : "";
        printf("%s%.*s\n%s", mark, (int)b->text.n, b->text.p, i + 1 < a->n_blocks ? "\n" : "");
    }
}

/* The first pass: every record's lines counted per source. Returns the number of errors. */
static uint64_t learn(kb_cleaner *c, const char *const *paths, size_t n_paths,
                      const kb_reader_options *ro)
{
    kb_reader *r = kb_reader_open(paths, n_paths, ro);
    if (!r) {
        cli_error("clean: out of memory");
        return 1;
    }
    uint64_t errors = 0;
    kb_record rec;
    int rc;
    while ((rc = kb_reader_next(r, &rec)) != 0) {
        if (rc < 0) {
            errors++; /* reported in the second pass */
            if (rc == KB_ENOMEM) break;
            continue;
        }
        if (kb_cleaner_learn(c, &rec) == KB_ENOMEM) {
            cli_error("clean: out of memory while learning line statistics");
            errors++;
            break;
        }
    }
    kb_reader_close(r);
    return errors;
}

int cmd_clean(int argc, char **argv)
{
    kb_reader_options ro = {0};
    kb_cleaner_options co = {0};
    int text = 0, quiet = 0, stats = 0, dedup = 0;
    unsigned json_flags = 0;
    const char *learn_path = NULL, *model_path = NULL;
    const char **paths = calloc((size_t)argc + 1, sizeof *paths);
    size_t n_paths = 0;
    if (!paths) return CLI_FAILED;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_ARG()                                                                                 \
    do {                                                                                           \
        if (!v) {                                                                                  \
            cli_error("clean: %s needs an argument", a);                                           \
            free(paths);                                                                           \
            return CLI_USAGE;                                                                      \
        }                                                                                          \
        i++;                                                                                       \
    } while (0)
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            free(paths);
            return CLI_OK;
        } else if (!strcmp(a, "--text")) {
            text = 1;
        } else if (!strcmp(a, "--keep-boilerplate")) {
            co.keep_boilerplate = 1;
        } else if (!strcmp(a, "--no-dropped")) {
            json_flags |= KB_JSON_NO_DROPPED;
        } else if (!strcmp(a, "--stats")) {
            stats = 1;
        } else if (!strcmp(a, "--dedup")) {
            dedup = 1;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            quiet = 1;
        } else if (!strcmp(a, "--learn")) {
            NEED_ARG();
            learn_path = v;
        } else if (!strcmp(a, "--model")) {
            NEED_ARG();
            model_path = v;
        } else if (!strcmp(a, "--min-docs")) {
            NEED_ARG();
            char *end;
            unsigned long k = strtoul(v, &end, 10);
            if (*end || !k || k > 1000000) {
                cli_error("clean: --min-docs: expected a number from 1 to 1000000");
                free(paths);
                return CLI_USAGE;
            }
            co.source_min_docs = (uint32_t)k;
        } else if (!strcmp(a, "--format")) {
            NEED_ARG();
            if (parse_format(v, &ro.format)) {
                cli_error("clean: unknown format '%s' (auto, text, jsonl, doc, html)", v);
                free(paths);
                return CLI_USAGE;
            }
        } else if (!strcmp(a, "--encoding")) {
            NEED_ARG();
            ro.encoding = v;
        } else if (!strcmp(a, "--id-field")) {
            NEED_ARG();
            ro.id_field = v;
        } else if (!strcmp(a, "--title-field")) {
            NEED_ARG();
            ro.title_field = v;
        } else if (!strcmp(a, "--body-field")) {
            NEED_ARG();
            ro.body_field = v;
        } else if (!strcmp(a, "--url-field")) {
            NEED_ARG();
            ro.url_field = v;
        } else if (!strcmp(a, "--source-field")) {
            NEED_ARG();
            ro.source_field = v;
        } else if (!strcmp(a, "--date-field")) {
            NEED_ARG();
            ro.date_field = v;
        } else if (a[0] == '-' && a[1]) {
            cli_error("clean: unknown option '%s' (see 'khabar clean --help')", a);
            free(paths);
            return CLI_USAGE;
        } else {
            paths[n_paths++] = a;
        }
#undef NEED_ARG
    }
    if (!n_paths) paths[n_paths++] = "-";
    if (learn_path) stats = 1;
    for (size_t i = 0; stats && i < n_paths; i++)
        if (!strcmp(paths[i], "-")) {
            cli_error("clean: --stats and --learn read the inputs twice: not with stdin");
            free(paths);
            return CLI_USAGE;
        }

    kb_cleaner *c = kb_cleaner_new(&co);
    if (!c) {
        cli_error("clean: out of memory");
        free(paths);
        return CLI_FAILED;
    }
    int status = CLI_OK;
    if (model_path && kb_cleaner_model_load(c, model_path)) {
        cli_error("clean: %s", kb_cleaner_errmsg(c));
        kb_cleaner_free(c);
        free(paths);
        return CLI_FAILED;
    }
    if (stats) {
        learn(c, paths, n_paths, &ro);
        if (learn_path) {
            int rc = kb_cleaner_model_save(c, learn_path);
            if (rc) {
                cli_error("clean: %s: cannot save the model: %s", learn_path, kb_strerror(rc));
                status = CLI_FAILED;
            }
        }
    }

    kb_reader *r = kb_reader_open(paths, n_paths, &ro);
    if (!r) {
        cli_error("clean: out of memory");
        kb_cleaner_free(c);
        free(paths);
        return CLI_FAILED;
    }
    uint64_t articles = 0, blocks = 0, dropped = 0, failed = 0, dups = 0;
    kb_dedup *dd = dedup ? kb_dedup_new(NULL) : NULL; /* --dedup: the stream filter */
    kb_record rec;
    kb_article art;
    int rc;
    while ((rc = kb_reader_next(r, &rec)) != 0) {
        if (rc < 0) {
            cli_error("%s", kb_reader_errmsg(r));
            if (rc == KB_ENOMEM) break;
            continue;
        }
        if ((rc = kb_cleaner_clean(c, &rec, &art)) != 0) {
            cli_error("%s", kb_cleaner_errmsg(c));
            failed++;
            if (rc == KB_ENOMEM) break;
            continue;
        }
        uint32_t first;
        double sim;
        int dr = dedup ? (dd ? kb_dedup_filter_article(dd, &art, &first, &sim) : KB_ENOMEM) : 0;
        if (dr < 0) {
            cli_error("clean: --dedup: %s", kb_strerror(dr));
            failed++;
            if (dr == KB_ENOMEM) break;
        } else if (dr == 1) {
            kb_dedup_info fi;
            kb_dedup_info_get(dd, first, &fi);
            if (!quiet)
                fprintf(stderr,
                        "khabar: %s:%llu: %.*s dropped: duplicate-of:%.*s (similarity %.2f)\n",
                        rec.file, (unsigned long long)rec.line, (int)art.id.n, art.id.p,
                        (int)fi.id.n, fi.id.p, sim);
            dups++;
            continue;
        }
        if (text) {
            print_text(&art, articles == 0);
        } else {
            char *json;
            size_t len;
            if (kb_article_to_json(&art, json_flags, &json, &len)) {
                cli_error("clean: out of memory");
                failed++;
                break;
            }
            fwrite(json, 1, len, stdout);
            fputc('\n', stdout);
            kb_json_free(json);
        }
        articles++;
        blocks += art.n_blocks;
        dropped += art.n_dropped;
    }
    kb_reader_stats st;
    kb_reader_stats_get(r, &st);
    kb_reader_close(r);
    kb_cleaner_free(c);
    kb_dedup_free(dd);
    free(paths);
    if (fflush(stdout) || ferror(stdout)) {
        cli_error("clean: error writing the output");
        status = CLI_FAILED;
    }
    if (!quiet)
        fprintf(stderr,
                "khabar clean: %llu articles, %llu blocks, %llu lines dropped; %llu files, "
                "%llu errors\n",
                (unsigned long long)articles, (unsigned long long)blocks,
                (unsigned long long)dropped, (unsigned long long)st.files,
                (unsigned long long)(st.errors + failed));
    if (dedup && !quiet)
        fprintf(stderr, "khabar clean: %llu duplicates dropped\n", (unsigned long long)dups);
    if (st.errors || failed || rc == KB_ENOMEM) status = CLI_FAILED;
    return status;
}
