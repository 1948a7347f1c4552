/*
 * cmd_analyze.c — `khabar analyze`: PLACEHOLDER, replaced by the analyzer work.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

int cmd_analyze(int argc, char **argv)
{
    const char *file = NULL;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--file") && i + 1 < argc)
            file = argv[++i];
    if (!file) {
        cli_error("analyze: --file F required");
        return CLI_USAGE;
    }
    size_t n;
    char *text = cli_read_file(file, &n);
    if (!text)
        return CLI_FAILED;
    kb_analyzer *a = kb_analyzer_new(NULL);
    kb_token t;
    kb_analyzer_reset(a, text, n);
    while (kb_analyzer_next(a, &t) > 0)
        printf("%zu-%zu\t%.*s\n", t.start, t.end, (int)t.norm_len, t.norm);
    kb_analyzer_free(a);
    free(text);
    return CLI_OK;
}
