/* src/cli/errors.c: error messages on stderr and the mapping of status codes to exit codes */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int cli_exit_code(sc_status st)
{
    switch (st) {
    case SC_OK: return CLI_OK;
    case SC_EIO: return CLI_IO;
    default: return CLI_DATA;  /* malformed, inconsistent, too large or non-finite input */
    }
}

int cli_usage_error(const cli_cmd *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "sconv %s: ", cmd->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n%sTry 'sconv %s --help' for more information.\n", cmd->usage, cmd->name);
    return CLI_USAGE;
}

int cli_error(const cli_cmd *cmd, int code, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "sconv %s: ", cmd->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return code;
}

int cli_fail_status(const cli_cmd *cmd, sc_status st, const char *file)
{
    const char *msg = sc_last_message();
    if (msg[0] == '\0') msg = sc_strerror(st);
    if (file && !strstr(msg, file))
        fprintf(stderr, "sconv %s: %s: %s\n", cmd->name, file, msg);
    else
        fprintf(stderr, "sconv %s: %s\n", cmd->name, msg);
    return cli_exit_code(st);
}
