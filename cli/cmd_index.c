/* cmd_index.c — `khabar index`: not written yet (placeholder so the command dispatches). */
#include "cli.h"

int cmd_index(int argc, char **argv)
{
    (void)argc;
    cli_error("%s: not implemented yet", argv[0]);
    return CLI_FAILED;
}
