/*
 * main.c — the `khabar` command: dispatches a verb to cli/cmd_<verb>.c.
 */
#include "cli.h"

#include <string.h>

struct verb {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct verb verbs[] = {
    {"clean", cmd_clean, "structured, clean articles as JSONL (or --text)"},
    {"analyze", cmd_analyze, "tokens with offsets, normalized form, stem and flags"},
    {"index", cmd_index, "add or update documents in an index"},
    {"search", cmd_search, "search an index"},
    {"dups", cmd_dups, "near-duplicate story clusters"},
    {"serve", cmd_serve, "HTTP API and web page over an index"},
    {"stats", cmd_stats, "index statistics"},
    {"check", cmd_check, "verify an index and report damage"},
    {"delete", cmd_delete, "delete documents by id"},
    {"compact", cmd_compact, "merge postings and reclaim space"},
};

static void usage(FILE *f)
{
    fprintf(f, "khabar %s — Arabic news engine\n\nusage: khabar VERB [OPTIONS] [ARGS]\n\nverbs:\n",
            kb_version());
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        fprintf(f, "  %-9s %s\n", verbs[i].name, verbs[i].summary);
    fprintf(f, "\n'khabar VERB --help' describes a verb.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return CLI_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("khabar %s\n", kb_version());
        return CLI_OK;
    }
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (!strcmp(argv[1], verbs[i].name))
            return verbs[i].run(argc - 1, argv + 1);
    cli_error("unknown verb '%s' (see 'khabar --help')", argv[1]);
    return CLI_USAGE;
}
