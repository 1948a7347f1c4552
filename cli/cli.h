/*
 * cli.h — shared helpers of the `khabar` command. The command uses only the public API
 * (include/khabar.h); each verb lives in cli/cmd_<verb>.c.
 */
#ifndef KHABAR_CLI_H
#define KHABAR_CLI_H

#include "khabar.h"

#include <stdio.h>

/* Exit statuses: 0 success, 1 the work ran but something failed (a rejected record, a damaged
 * index), 2 bad usage. */
enum { CLI_OK = 0, CLI_FAILED = 1, CLI_USAGE = 2 };

/* Prints "khabar: <message>" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Reads a whole file ("-" is stdin) into a malloc'd, NUL-terminated buffer. Returns NULL and
 * prints an error naming the file on failure. */
char *cli_read_file(const char *path, size_t *len);

/* Writes s[0..n) as a JSON string, with its quotes. */
void cli_json_str(FILE *f, const char *s, size_t n);

/* True when stdout is a terminal (colour, progress bars). */
int cli_stdout_is_tty(void);

/* Verbs. argv[0] is the verb name. */
int cmd_analyze(int argc, char **argv); /* cli/cmd_analyze.c */
int cmd_clean(int argc, char **argv);   /* cli/cmd_clean.c */
int cmd_index(int argc, char **argv);   /* cli/cmd_index.c */
int cmd_search(int argc, char **argv);  /* cli/cmd_search.c */
int cmd_dups(int argc, char **argv);    /* cli/cmd_dups.c */
int cmd_serve(int argc, char **argv);   /* cli/cmd_serve.c (server/ does the work) */
int cmd_stats(int argc, char **argv);   /* cli/cmd_maint.c */
int cmd_check(int argc, char **argv);   /* cli/cmd_maint.c */
int cmd_delete(int argc, char **argv);  /* cli/cmd_maint.c */
int cmd_compact(int argc, char **argv); /* cli/cmd_maint.c */

#endif
