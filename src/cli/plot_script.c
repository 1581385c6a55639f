/* src/cli/plot_script.c: the gnuplot script (fixed text and numbers) and the data files it
 * reads, which carry every label, so no name a user chose is ever read as a command */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/core.h"

/* Length of the well-formed UTF-8 sequence at s (no overlongs, surrogates or > U+10FFFF),
 * 0 when there is none. */
static int utf8_len(const unsigned char *s)
{
    if (s[0] < 0x80) return 1;
    int n = s[0] >= 0xC2 && s[0] <= 0xDF ? 2 : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
          : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : 0;
    unsigned lo = 0x80, hi = 0xBF;  /* the range of the second byte */
    if (s[0] == 0xE0) lo = 0xA0;
    if (s[0] == 0xED) hi = 0x9F;
    if (s[0] == 0xF0) lo = 0x90;
    if (s[0] == 0xF4) hi = 0x8F;
    for (int i = 1; i < n; ++i)
        if (s[i] < (i == 1 ? lo : 0x80) || s[i] > (i == 1 ? hi : 0xBF)) return 0;
    return n;
}

void cli_plot_label(const char *s, char *buf, size_t cap)
{
    if (cap == 0) return;
    size_t used = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        const int n = utf8_len(p);
        /* gnuplot reads a '"' in a data field as the start of a quoted string */
        const bool bad = n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7F || *p == '"'));
        const size_t take = bad ? 1 : (size_t)n;
        if (used + take + 1 > cap) {
            while (used > 0 && used + 4 > cap) {  /* room for "...": cut whole characters */
                --used;
                while (used > 0 && ((unsigned char)buf[used] & 0xC0) == 0x80) --used;
            }
            if (used + 4 <= cap) memcpy(buf + used, "...", 3), used += 3;
            break;
        }
        if (bad) buf[used] = '?';
        else memcpy(buf + used, p, take);
        used += take;
        p += take;
    }
    buf[used] = '\0';
}

/* Drawn: finite values within +-1e300 (above 1e-300 on a log axis), so the axis ranges
 * computed from them (margins, whole decades) stay finite and positive where they must. */
static bool shown(double v, bool log_scale)
{
    return fabs(v) <= 1e300 && (!log_scale || v >= 1e-300);
}

/* The speedup axis: from the data, always with 1 (break-even) strictly inside. */
static void speed_range(const cli_plot_spec *p, double *lo, double *hi)
{
    *lo = 1;
    *hi = 1;
    for (int i = 0; i < p->n_speed; ++i)
        for (int k = 0; k < p->speed[i].n; ++k)
            if (shown(p->speed[i].y[k], false)) {
                *lo = fmin(*lo, p->speed[i].y[k]);
                *hi = fmax(*hi, p->speed[i].y[k]);
            }
    const double margin = 0.08 * (*hi - *lo) + 0.05;
    *lo = *lo - margin > 0 ? *lo - margin : 0;
    *hi += margin;
}

static int n_shown(const cli_curve *c, bool log_scale)
{
    int n = 0;
    for (int k = 0; k < c->n; ++k) n += shown(c->y[k], log_scale);
    return n;
}

/* One panel; curves with nothing to show are left out (gnuplot refuses an empty file). */
static void put_plot(FILE *g, const char *file, const cli_curve *c, int n, bool speed)
{
    int drawn = 0;
    fputs("plot ", g);
    for (int i = 0; i < n; ++i)
        if (n_shown(&c[i], !speed) > 0)
            fprintf(g, "%s'%s%d.dat' using 1:2 with linespoints lw 2 pt 7 "
                    "title columnheader(2) noenhanced", drawn++ ? ", \\\n     " : "", file, i);
    if (speed)
        fprintf(g, "%s1 with lines dt 2 lw 2 lc rgb 'black' title 'break-even (1x)'",
                drawn ? ", \\\n     " : "");
    else if (drawn == 0)  /* an empty panel with a fixed range rather than no plot at all */
        fputs("1/0 notitle", g);
    fputc('\n', g);
}

/* The error axis (log): whole decades around the data, [1e-8, 1] when there is none;
 * a fixed range also spares gnuplot's warning about a single value. */
static void error_range(const cli_plot_spec *p, double *lo, double *hi)
{
    *lo = INFINITY;
    *hi = 0;
    for (int i = 0; i < p->n_error; ++i)
        for (int k = 0; k < p->error[i].n; ++k)
            if (shown(p->error[i].y[k], true)) {
                *lo = fmin(*lo, p->error[i].y[k]);
                *hi = fmax(*hi, p->error[i].y[k]);
            }
    if (*hi == 0) {
        *lo = 1e-8;
        *hi = 1;
        return;
    }
    *lo = pow(10, floor(log10(*lo)));
    *hi = pow(10, ceil(log10(*hi)));
    if (*hi <= *lo) *hi = *lo * 10;
}

void cli_plot_script(FILE *g, const cli_plot_spec *p)
{
    double lo = 1, hi = 0;  /* the sparsities shown, with a margin (one point is fine too) */
    for (int i = 0; i < p->n_speed; ++i)
        for (int k = 0; k < p->speed[i].n; ++k) {
            lo = fmin(lo, p->speed[i].x[k]);
            hi = fmax(hi, p->speed[i].x[k]);
        }
    if (lo > hi) lo = 0, hi = 1;
    double ylo, yhi;
    speed_range(p, &ylo, &yhi);
    fputs("# written by sconv: labels are read from title.txt, note.txt and the first line\n"
          "# of each data file, never from this script\n"
          "set terminal pngcairo size 1000,820 font ',11'\n"
          "set output 'plot.png'\n"
          "set encoding utf8\n"
          "set datafile separator \"\\t\"\n"
          "stats 'title.txt' using (page_title = strcol(2), 0) nooutput\n"
          "stats 'note.txt' using (page_note = strcol(2), 0) nooutput\n"
          "set key left top\n"
          "set grid\n", g);
    fprintf(g, "set xrange [%.6f:%.6f]\n", lo - 0.05, hi + 0.05);
    fputs("set multiplot layout 2,1 title page_title noenhanced\n"
          "set title page_note noenhanced\n"
          "set xlabel 'sparsity (fraction of weights removed)'\n"
          "set ylabel 'speedup: dense ms / sparse ms'\n", g);
    fprintf(g, "set yrange [%.6g:%.6g]\n", ylo, yhi);
    put_plot(g, "speed", p->speed, p->n_speed, true);
    error_range(p, &ylo, &yhi);
    fputs("unset title\n", g);
    fprintf(g, "set yrange [%.6g:%.6g]\n", ylo, yhi);
    fputs("set logscale y\n"
          "set format y '10^{%L}'\n"
          "set ylabel 'relative output error of pruning (L2)'\n", g);
    put_plot(g, "error", p->error, p->n_error, false);
    fputs("unset multiplot\n"
          "set output\n", g);
}

/* "<tag>\t<label>\n": the tag keeps a label starting with '#' from reading as a comment. */
static void put_label(FILE *f, const char *tag, const char *s)
{
    char buf[256];
    cli_plot_label(s ? s : "", buf, sizeof buf);
    fprintf(f, "%s\t%s\n", tag, buf);
}

/* A data file's text: the label line, then "x\ty" for each point drawn. */
static void put_data(FILE *f, const char *tag, const cli_curve *c, bool log_scale)
{
    put_label(f, tag, c ? c->name : NULL);
    for (int k = 0; c && k < c->n; ++k)
        if (shown(c->y[k], log_scale)) fprintf(f, "%.17g\t%.17g\n", c->x[k], c->y[k]);
}

static sc_status write_data(const char *dir, const char *name, const char *tag,
                            const cli_curve *c, bool log_scale)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) return sc_fail(SC_EIO, "%s: cannot create the plot data", path);
    put_data(f, tag, c, log_scale);
    const bool failed = ferror(f) != 0;
    if (fclose(f) != 0 || failed) return sc_fail(SC_EIO, "%s: cannot write the plot data", path);
    return SC_OK;
}

sc_status cli_plot_data(const char *dir, const cli_plot_spec *p)
{
    const cli_curve title = {p->title, 0, NULL, NULL}, note = {p->note, 0, NULL, NULL};
    sc_status st = write_data(dir, "title.txt", "T", &title, false);
    if (st == SC_OK) st = write_data(dir, "note.txt", "N", &note, false);
    char name[32];
    for (int i = 0; st == SC_OK && i < p->n_speed; ++i) {
        snprintf(name, sizeof name, "speed%d.dat", i);
        st = write_data(dir, name, "x", &p->speed[i], false);
    }
    for (int i = 0; st == SC_OK && i < p->n_error; ++i) {
        snprintf(name, sizeof name, "error%d.dat", i);
        st = write_data(dir, name, "x", &p->error[i], true);  /* log scale: no zeros */
    }
    return st;
}
