/* src/cli/args.c: command-line option parsing shared by every subcommand */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/core.h"

static int find_long(const cli_opt *opts, int n, const char *name, size_t len)
{
    for (int i = 0; i < n; ++i)
        if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0) return i;
    return -1;
}

static int find_short(const cli_opt *opts, int n, char c)
{
    for (int i = 0; i < n; ++i)
        if (opts[i].short_name == c) return i;
    return -1;
}

static const char *opt_name(const void *opts, int i)
{
    return ((const cli_opt *)opts)[i].name;
}

/* "--name" or "-n" as the user would type it, for messages. */
static const char *spelled(const cli_opt *o, char *buf, size_t cap)
{
    snprintf(buf, cap, "--%s", o->name);
    return buf;
}

static void args_free(cli_args *args)
{
    sc_free(args->hits);
    args->hits = NULL;
    args->n_hits = 0;
}

/* CLI_OK with *done false and args filled (free with args_free), or the exit code with *done
 * set after printing the help or a usage error. */
static int parse(const cli_cmd *cmd, const cli_opt *opts, int n_opts, int argc, char **argv,
                 cli_args *args, bool *done)
{
    *done = true;
    *args = (cli_args){.cmd = cmd, .opts = opts, .n_opts = n_opts};
    args->hits = sc_calloc((size_t)(argc > 0 ? argc : 1), sizeof *args->hits);
    if (!args->hits) return cli_error(cmd, CLI_IO, "out of memory parsing the command line");
    int *seen = sc_calloc((size_t)(n_opts > 0 ? n_opts : 1), sizeof *seen);
    if (!seen) {
        args_free(args);
        return cli_error(cmd, CLI_IO, "out of memory parsing the command line");
    }
    int code = CLI_OK;
    bool only_positional = false;
    for (int i = 1; i < argc && code == CLI_OK; ++i) {
        const char *s = argv[i];
        if (only_positional || s[0] != '-' || s[1] == '\0') {
            args->hits[args->n_hits++] = (cli_hit){-1, s};
            continue;
        }
        if (strcmp(s, "--") == 0) {
            only_positional = true;
            continue;
        }
        if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
            fputs(cmd->help, stdout);
            sc_free(seen);
            args_free(args);
            return CLI_OK;
        }
        int o;
        const char *value = NULL;
        bool inline_value = false;
        if (s[1] == '-') {
            const char *name = s + 2, *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            o = find_long(opts, n_opts, name, len);
            if (o < 0) {
                char hint[160];
                if (cli_suggest(name, len, opt_name, opts, n_opts, "--", hint, sizeof hint))
                    code = cli_usage_error(cmd, "unknown option '%.*s'; did you mean %s?",
                                           (int)(len + 2), s, hint);
                else
                    code = cli_usage_error(cmd, "unknown option '%.*s'", (int)(len + 2), s);
                break;
            }
            if (eq) {
                value = eq + 1;
                inline_value = true;
            }
        } else {
            o = s[2] == '\0' ? find_short(opts, n_opts, s[1]) : -1;
            if (o < 0) {
                code = cli_usage_error(cmd, "unknown option '%s'", s);
                break;
            }
        }
        char buf[80];
        const cli_opt *opt = &opts[o];
        if (opt->has_value && !inline_value) {
            if (i + 1 >= argc) {
                code = cli_usage_error(cmd, "option '%s' needs a value", s);
                break;
            }
            value = argv[++i];
        } else if (!opt->has_value && inline_value) {
            code = cli_usage_error(cmd, "option '%s' takes no value", spelled(opt, buf, sizeof buf));
            break;
        }
        if (opt->has_value && value[0] == '\0') {
            code = cli_usage_error(cmd, "option '%s' needs a non-empty value", s);
            break;
        }
        if (seen[o] && !opt->repeatable) {
            code = cli_usage_error(cmd, "option '%s' given more than once",
                                   spelled(opt, buf, sizeof buf));
            break;
        }
        ++seen[o];
        args->hits[args->n_hits++] = (cli_hit){o, value};
    }
    sc_free(seen);
    if (code != CLI_OK) {
        args_free(args);
        return code;
    }
    *done = false;
    return CLI_OK;
}

int cli_run_command(const cli_cmd *cmd, int argc, char **argv)
{
    cli_args a;
    bool done;
    int code = parse(cmd, cmd->opts, cmd->n_opts, argc, argv, &a, &done);
    if (done) return code;
    code = cmd->main(cmd, &a);
    args_free(&a);
    return code;
}

const char *cli_get(const cli_args *a, int opt)
{
    const char *v = NULL;
    for (int i = 0; i < a->n_hits; ++i)
        if (a->hits[i].opt == opt) v = a->hits[i].value;
    return v;
}

int cli_count(const cli_args *a, int opt)
{
    int n = 0;
    for (int i = 0; i < a->n_hits; ++i) n += a->hits[i].opt == opt;
    return n;
}

const char *cli_value(const cli_args *a, int opt, int k)
{
    for (int i = 0; i < a->n_hits; ++i)
        if (a->hits[i].opt == opt && k-- == 0) return a->hits[i].value;
    return NULL;
}

bool cli_flag(const cli_args *a, int opt)
{
    return cli_count(a, opt) > 0;
}

int cli_n_positional(const cli_args *a)
{
    return cli_count(a, -1);
}

const char *cli_positional(const cli_args *a, int k)
{
    return cli_value(a, -1, k);
}
