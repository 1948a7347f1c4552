/* cmd_maint.c — `khabar stats|check|delete|compact`: not written yet (placeholder). */
#include "cli.h"

static int not_yet(char **argv)
{
    cli_error("%s: not implemented yet", argv[0]);
    return CLI_FAILED;
}

int cmd_stats(int argc, char **argv)
{
    (void)argc;
    return not_yet(argv);
}

int cmd_check(int argc, char **argv)
{
    (void)argc;
    return not_yet(argv);
}

int cmd_delete(int argc, char **argv)
{
    (void)argc;
    return not_yet(argv);
}

int cmd_compact(int argc, char **argv)
{
    (void)argc;
    return not_yet(argv);
}
