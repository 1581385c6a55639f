/* src/cli/plot.c: render a plot with gnuplot in a private temporary directory and return
 * the PNG; gnuplot's input names nothing but fixed files, whatever the user's paths are */
#define _GNU_SOURCE  /* posix_spawn_file_actions_addchdir_np */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/core.h"
#include "io/file_util.h"

#define MAX_PNG_BYTES ((size_t)1 << 28)

extern char **environ;

/* mkdtemp under $TMPDIR (when absolute and short) or /tmp; mode 0700. */
static int make_private_dir(const cli_cmd *cmd, char *dir, size_t cap)
{
    const char *base = getenv("TMPDIR");
    if (!base || base[0] != '/' || strlen(base) > cap - 32) base = "/tmp";
    snprintf(dir, cap, "%s/sconv-plot-XXXXXX", base);
    if (mkdtemp(dir)) return CLI_OK;
    return cli_error(cmd, CLI_IO, "%s: cannot create a private directory for gnuplot: %s", dir,
                     strerror(errno));
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        char path[4400];
        for (struct dirent *e; (e = readdir(d));) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

/* SCONV_PLOT_KEEP=DIR: a copy of the script and data files, to inspect or rerun a plot. */
static int keep_inputs(const cli_cmd *cmd, const char *dir)
{
    const char *keep = getenv("SCONV_PLOT_KEEP");
    if (!keep || !*keep) return CLI_OK;
    DIR *d = opendir(dir);
    if (!d) return cli_error(cmd, CLI_IO, "%s: %s", dir, strerror(errno));
    int code = CLI_OK;
    for (struct dirent *e; code == CLI_OK && (e = readdir(d));) {
        const char *dot = strrchr(e->d_name, '.');
        if (e->d_name[0] == '.' || !dot || strcmp(dot, ".png") == 0) continue;
        char from[4400], to[4400];
        snprintf(from, sizeof from, "%s/%s", dir, e->d_name);
        snprintf(to, sizeof to, "%s/%s", keep, e->d_name);
        void *buf = NULL;
        size_t len = 0;
        sc_status st = sc_read_file(from, MAX_PNG_BYTES, &buf, &len);
        code = st == SC_OK ? cli_write_file(cmd, to, buf, len) : cli_fail_status(cmd, st, from);
        sc_free(buf);
    }
    closedir(d);
    return code;
}

static int write_inputs(const cli_cmd *cmd, const char *dir, const cli_plot_spec *p)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/plot.gp", dir);
    FILE *g = fopen(path, "w");
    if (!g) return cli_error(cmd, CLI_IO, "%s: %s", path, strerror(errno));
    cli_plot_script(g, p);
    const bool failed = ferror(g) != 0;
    if (fclose(g) != 0 || failed) return cli_error(cmd, CLI_IO, "%s: cannot write", path);
    const sc_status st = cli_plot_data(dir, p);
    return st == SC_OK ? CLI_OK : cli_fail_status(cmd, st, NULL);
}

/* gnuplot plot.gp in dir, stdin from /dev/null, its stdout on our stderr. */
static int run_gnuplot(const cli_cmd *cmd, const char *dest, const char *dir)
{
    posix_spawn_file_actions_t fa;
    char *argv[] = {"gnuplot", "plot.gp", NULL};
    pid_t pid;
    fflush(NULL);  /* our buffered output must not interleave with gnuplot's */
    int rc = posix_spawn_file_actions_init(&fa);
    if (rc == 0) rc = posix_spawn_file_actions_addchdir_np(&fa, dir);
    if (rc == 0) rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&fa, 2, 1);
    if (rc == 0) rc = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc == ENOENT)
        return cli_error(cmd, CLI_IO, "%s: gnuplot is not installed (apt-get install gnuplot-nox)",
                         dest);
    if (rc != 0) return cli_error(cmd, CLI_IO, "%s: cannot start gnuplot: %s", dest, strerror(rc));
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return cli_error(cmd, CLI_IO, "%s: %s", dest, strerror(errno));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return cli_error(cmd, CLI_IO, "%s: gnuplot failed to draw the plot", dest);
    return CLI_OK;
}

int cli_plot_render(const cli_cmd *cmd, const char *dest, const cli_plot_spec *p, void **png,
                    size_t *len)
{
    char dir[4096];
    int code = make_private_dir(cmd, dir, sizeof dir);
    if (code != CLI_OK) return code;
    code = write_inputs(cmd, dir, p);
    if (code == CLI_OK) code = run_gnuplot(cmd, dest, dir);
    const int kept = keep_inputs(cmd, dir);
    if (code == CLI_OK) code = kept;
    if (code == CLI_OK) {
        char path[4200];
        snprintf(path, sizeof path, "%s/plot.png", dir);
        const sc_status st = sc_read_file(path, MAX_PNG_BYTES, png, len);
        if (st != SC_OK || *len == 0) {
            if (st == SC_OK) sc_free(*png);
            *png = NULL;
            code = cli_error(cmd, CLI_IO, "%s: gnuplot wrote no image", dest);
        }
    }
    remove_dir(dir);
    return code;
}
