/* src/cli/main.c: the sconv command: dispatch to subcommands, --help, --version */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const cli_cmd *const commands[] = {
    &cli_cmd_prune,
    &cli_cmd_info,
    &cli_cmd_unpack,
    &cli_cmd_run,
    &cli_cmd_convert,
    &cli_cmd_sweep,
    &cli_cmd_demo,
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void print_help(FILE *f)
{
    fputs("NAME\n"
          "    sconv - prune, pack and run weight-sparse 2-D convolutions on the CPU\n"
          "\n"
          "SYNOPSIS\n"
          "    sconv COMMAND [OPTIONS]\n"
          "    sconv COMMAND --help\n"
          "    sconv --version\n"
          "\n"
          "COMMANDS\n", f);
    for (size_t i = 0; i < N_COMMANDS; ++i)
        fprintf(f, "    %-8s  %s\n", commands[i]->name, commands[i]->summary);
    fputs("\n"
          "EXIT STATUS\n"
          "    0  success\n"
          "    1  usage error: unknown option, missing or malformed value\n"
          "    2  bad input data or file: malformed, wrong shape, inconsistent with the options\n"
          "    3  input/output failure: a file cannot be read or written\n"
          "    4  a numerical check failed\n"
          "\n"
          "See docs/cli.md for the full manual and docs/tutorial.md for a walk-through.\n", f);
}

/* The short usage after a mistyped command: one synopsis line and where the help is. */
static void print_usage(FILE *f)
{
    fputs("Usage: sconv COMMAND [OPTIONS], COMMAND one of", f);
    for (size_t i = 0; i < N_COMMANDS; ++i) fprintf(f, "%s %s", i ? "," : "", commands[i]->name);
    fputs("\nTry 'sconv --help' for more information.\n", f);
}

static const char *command_name(const void *items, int i)
{
    return ((const cli_cmd *const *)items)[i]->name;
}

int main(int argc, char **argv)
{
    sc_blas_fix_core(argv);  /* an OpenBLAS older than the CPU: rerun with its right kernels */
    if (argc < 2) {
        fputs("sconv: missing command\n", stderr);
        print_help(stderr);
        return CLI_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        print_help(stdout);
        return CLI_OK;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
        printf("sconv %s (library %s)\n", SCONV_CLI_VERSION, sc_version());
        return CLI_OK;
    }
    for (size_t i = 0; i < N_COMMANDS; ++i)
        if (strcmp(name, commands[i]->name) == 0)
            return cli_run_command(commands[i], argc - 1, argv + 1);
    char hint[160];
    if (cli_suggest(name, strlen(name), command_name, commands, (int)N_COMMANDS, "", hint,
                    sizeof hint))
        fprintf(stderr, "sconv: unknown command '%s'; did you mean %s?\n", name, hint);
    else
        fprintf(stderr, "sconv: unknown command '%s'\n", name);
    print_usage(stderr);
    return CLI_USAGE;
}
