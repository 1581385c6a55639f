/* src/cli/plot.c: sparsity-versus-speedup-and-error plots through gnuplot, written atomically */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cli/cli.h"
#include "io/file_util.h"

/* A gnuplot single-quoted string: a quote is written twice. */
static void put_quoted(FILE *g, const char *s)
{
    fputc('\'', g);
    for (; *s; ++s) {
        if (*s == '\'') fputc('\'', g);
        fputc(*s, g);
    }
    fputc('\'', g);
}

static void put_data(FILE *g, const cli_series *s, int n_series, bool error)
{
    for (int i = 0; i < n_series; ++i) {
        fprintf(g, "$d%s%d << EOD\n", error ? "e" : "s", i);
        for (int k = 0; k < s[i].n; ++k) {
            const double v = error ? s[i].error[k] : s[i].speedup[k];
            /* log scale: zero error (sparsity 0) and non-finite values are left out */
            if (isfinite(v) && (!error || v > 0)) fprintf(g, "%.17g %.17g\n", s[i].sparsity[k], v);
        }
        fputs("EOD\n", g);
    }
}

static void put_plot(FILE *g, const cli_series *s, int n_series, bool error)
{
    fputs("plot ", g);
    for (int i = 0; i < n_series; ++i) {
        fprintf(g, "%s$d%s%d using 1:2 with linespoints lw 2 pt 7 title ", i ? ", " : "",
                error ? "e" : "s", i);
        put_quoted(g, s[i].name);
    }
    if (!error) fputs(", 1 with lines dt 2 lc rgb 'gray' title 'break-even'", g);
    fputc('\n', g);
}

/* The whole script: two stacked panels sharing the sparsity axis. */
static void put_script(FILE *g, const char *out, const char *title, const cli_series *s,
                       int n_series)
{
    fputs("set terminal pngcairo size 1000,800 font ',11'\nset output ", g);
    put_quoted(g, out);
    fputs("\nset encoding utf8\nset key left top\nset grid\n", g);
    double lo = 1, hi = 0;  /* the sparsities shown, with a margin (one point is fine too) */
    for (int i = 0; i < n_series; ++i)
        for (int k = 0; k < s[i].n; ++k) {
            lo = fmin(lo, s[i].sparsity[k]);
            hi = fmax(hi, s[i].sparsity[k]);
        }
    if (lo > hi) lo = 0, hi = 1;
    fprintf(g, "set xrange [%.6f:%.6f]\n", lo - 0.05, hi + 0.05);
    put_data(g, s, n_series, false);
    put_data(g, s, n_series, true);
    fputs("set multiplot layout 2,1 title ", g);
    put_quoted(g, title);
    fputs("\nset xlabel 'sparsity (fraction of weights removed)'\n"
          "set ylabel 'speedup: dense ms / sparse ms'\n", g);
    put_plot(g, s, n_series, false);
    fputs("set logscale y\nset format y '10^{%L}'\n"
          "set ylabel 'relative output error of pruning'\nset key left top\n", g);
    put_plot(g, s, n_series, true);
    fputs("unset multiplot\nset output\n", g);
}

int cli_plot(const cli_cmd *cmd, const char *path, const char *title, const cli_series *s,
             int n_series)
{
    sc_atomic_file f;
    sc_status st = sc_atomic_open(path, &f);
    if (st != SC_OK) return cli_fail_status(cmd, st, path);
    if (!f.tmp_path) {  /* gnuplot renders to a file name: a device or FIFO has none to give */
        sc_atomic_abort(&f);
        return cli_error(cmd, CLI_IO, "%s: a plot is written to a regular file, not to a "
                         "device or FIFO", path);
    }
    fflush(NULL);  /* our buffered output must not be duplicated into gnuplot */
    FILE *g = popen("gnuplot", "w");
    if (!g) {
        sc_atomic_abort(&f);
        return cli_error(cmd, CLI_IO, "%s: cannot start gnuplot: %s", path, strerror(errno));
    }
    put_script(g, f.tmp_path, title, s, n_series);
    const int status = pclose(g);
    struct stat sb;
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
        fstat(f.fd, &sb) != 0 || sb.st_size == 0) {
        sc_atomic_abort(&f);
        const bool missing = status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 127;
        return cli_error(cmd, CLI_IO, "%s: %s", path,
                         missing ? "gnuplot is not installed (apt-get install gnuplot-nox)"
                                 : "gnuplot failed to draw the plot");
    }
    st = sc_atomic_commit(&f);
    return st == SC_OK ? CLI_OK : cli_fail_status(cmd, st, path);
}
