/* tests/fuzz/fuzz_cli.h: the parse-only entry points of the CLI fuzz target */
#ifndef SC_FUZZ_CLI_H
#define SC_FUZZ_CLI_H

#include "fuzz_util.h"

/* Parse argv (argv[0] = the command name) as `sconv prune` / `sconv run` would, without
 * running the command; returns the CLI exit code of the parse (0 or 1). */
int fuzz_prune_parse(int argc, char **argv);
int fuzz_run_parse(int argc, char **argv);

#endif
