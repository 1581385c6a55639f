/* tests/fuzz/cli_run_parse.c: `sconv run` option parsing only, for the CLI fuzz target.
 * Includes src/cli/cmd_run.c (unchanged) to reach its static parser; see cli_prune_parse.c. */
#include "cli/cmd_run.c"

#include "fuzz_cli.h"

/* The command's parse, then what the command relies on after a successful one. */
static int check_parse(const cli_cmd *cmd, const cli_args *a)
{
    bool in_nhwc = false, out_nhwc = false;
    sc_conv_options opt;
    const int code = parse(cmd, a, &in_nhwc, &out_nhwc, &opt);
    if (code == CLI_OK) {
        FUZZ_CHECK(cli_get(a, O_MODEL) && cli_get(a, O_IN) && cli_get(a, O_OUT), "files");
        FUZZ_CHECK(opt.threads >= 0 && opt.threads <= 1024, "threads %d", opt.threads);
        FUZZ_CHECK(sc_activation_check(&opt.act) == SC_OK, "act: %s", sc_last_message());
        FUZZ_CHECK((unsigned)opt.engine <= SC_ENGINE_DENSE, "engine %d", (int)opt.engine);
    }
    return code;
}

int fuzz_run_parse(int argc, char **argv)
{
    cli_cmd cmd = cli_cmd_run;
    cmd.main = check_parse;
    return cli_run_command(&cmd, argc, argv);
}
