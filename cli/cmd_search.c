/* cmd_search.c — `khabar search`: not written yet (placeholder so the command dispatches). */
#include "cli.h"

int cmd_search(int argc, char **argv)
{
    (void)argc;
    cli_error("%s: not implemented yet", argv[0]);
    return CLI_FAILED;
}
