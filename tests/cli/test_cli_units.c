/* tests/cli/test_cli_units.c: the CLI's pure helpers: timing summaries, the contention
 * verdict on synthetic samples, plot labels and the gnuplot script text */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* ---- timing summaries ---- */

Test(cli_times, min_median_spread_by_hand)
{
    const double odd[5] = {1.2, 1.0, 5.0, 1.1, 1.05};
    cli_times t;
    cli_times_summarize(odd, 5, &t);
    cr_expect_float_eq(t.min_ms, 1.0, 1e-12);
    cr_expect_float_eq(t.median_ms, 1.1, 1e-12);
    cr_expect_float_eq(t.spread, 0.1, 1e-12);
    cr_expect_float_eq(odd[0], 1.2, 0, "the samples are left in their order");
    const double even[4] = {4, 2, 3, 10};
    cli_times_summarize(even, 4, &t);
    cr_expect_float_eq(t.median_ms, 3.5, 1e-12);
    cr_expect_float_eq(t.spread, 0.75, 1e-12);
}

/* ---- contention verdict ---- */

static void add_sets(cli_contention *c, int n, double min, double median)
{
    for (int i = 0; i < n; ++i) {
        const cli_times t = {min, median, (median - min) / min};
        cli_contention_add_times(c, &t);
    }
}

Test(cli_contention, idle_machine_is_clean)
{
    cli_contention c;
    cli_contention_init(&c, 1, 2);
    add_sets(&c, 40, 1.0, 1.04);  /* 4% spread: timer noise */
    for (int i = 0; i < 20; ++i) cli_contention_add_load(&c, i % 2);  /* 0 or 1 other thread */
    cr_expect_not(cli_contention_verdict(&c));
    cr_expect_eq(c.n_spread, 0);
    cr_expect_eq(c.n_busy, 0, "1 thread + 1 other fits 2 cores");
}

Test(cli_contention, one_outlier_is_not_contention)
{
    cli_contention c;
    cli_contention_init(&c, 1, 2);
    add_sets(&c, 39, 1.0, 1.05);
    add_sets(&c, 1, 1.0, 3.0);  /* one interrupted set */
    cli_contention_add_load(&c, 3);  /* one busy moment among many */
    for (int i = 0; i < 9; ++i) cli_contention_add_load(&c, 0);
    cr_expect_not(cli_contention_verdict(&c));
    cr_expect_eq(c.n_spread, 1);
    cr_expect_float_eq(c.max_spread, 2.0, 1e-12);
}

/* Medians at a scheduler slice while the fastest run is fast: the symptom. */
Test(cli_contention, medians_at_a_scheduler_slice)
{
    const double ms[7] = {0.5, 0.52, 8.0, 12.0, 15.0, 9.0, 0.6};
    cli_times t;
    cli_times_summarize(ms, 7, &t);
    cr_expect_gt(t.spread, CLI_SPREAD_LIMIT);
    cli_contention c;
    cli_contention_init(&c, 2, 2);
    for (int i = 0; i < 10; ++i) cli_contention_add_times(&c, &t);
    add_sets(&c, 30, 1.0, 1.1);
    cr_expect(cli_contention_verdict(&c), "10 of 40 sets spread: contended");
    char line[512];
    cli_contention_describe(&c, line, sizeof line);
    cr_expect(strstr(line, "CONTENDED") && strstr(line, "10 of 40"), "%s", line);
}

Test(cli_contention, threads_of_other_processes)
{
    cli_contention c;
    cli_contention_init(&c, 1, 2);
    add_sets(&c, 20, 1.0, 1.02);  /* clean samples, but the cores were taken */
    for (int i = 0; i < 7; ++i) cli_contention_add_load(&c, 0);
    for (int i = 0; i < 3; ++i) cli_contention_add_load(&c, 2);  /* 1 + 2 > 2 cores */
    cli_contention_add_load(&c, -1);  /* unreadable: not counted */
    cr_expect_eq(c.n_load, 10);
    cr_expect_eq(c.n_busy, 3);
    cr_expect(cli_contention_verdict(&c));
    cli_contention_init(&c, 2, 2);  /* all cores: one other thread is already too many */
    cli_contention_add_load(&c, 1);
    cr_expect(cli_contention_verdict(&c));
}

Test(cli_contention, note_states_threads)
{
    cli_contention c;
    cli_contention_init(&c, 1, 8);
    char note[200];
    cli_contention_note(&c, note, sizeof note);
    cr_expect_str_eq(note, "1 thread of 8 cores; timings look clean");
    cli_contention_init(&c, 4, 8);
    cli_contention_add_load(&c, 6);
    cli_contention_note(&c, note, sizeof note);
    cr_expect(strncmp(note, "4 threads of 8 cores; timings CONTENDED", 39) == 0, "%s", note);
}

Test(cli_contention, resolve_threads)
{
    cr_expect_eq(cli_resolve_threads(3), 3);
    setenv("OMP_NUM_THREADS", "5", 1);
    cr_expect_eq(cli_resolve_threads(0), 5);
    setenv("OMP_NUM_THREADS", "6,2", 1);
    cr_expect_eq(cli_resolve_threads(0), 6);
    setenv("OMP_NUM_THREADS", "lots", 1);
    cr_expect_eq(cli_resolve_threads(0), cli_cores());
    unsetenv("OMP_NUM_THREADS");
    cr_expect_eq(cli_resolve_threads(0), cli_cores());
    cr_expect_geq(cli_cores(), 1);
}

/* ---- plot labels ---- */

Test(cli_plot, label_sanitized)
{
    char buf[64];
    cli_plot_label("w\n!touch PWNED\n.npy", buf, sizeof buf);
    cr_expect_str_eq(buf, "w?!touch PWNED?.npy");
    cli_plot_label("a\"b\tc\x7f" "d\r", buf, sizeof buf);
    cr_expect_str_eq(buf, "a?b?c?d?");
    cli_plot_label("torch_w.npy $(x) `y` 'q' #h", buf, sizeof buf);
    cr_expect_str_eq(buf, "torch_w.npy $(x) `y` 'q' #h", "printable text is kept as is");
    cli_plot_label("caf\xc3\xa9 \xff \xc3( \xed\xa0\x80", buf, sizeof buf);
    cr_expect_str_eq(buf, "caf\xc3\xa9 ? ?( ???", "valid UTF-8 kept, the rest replaced");
}

Test(cli_plot, label_truncated_on_a_character)
{
    char buf[8];
    cli_plot_label("abcdefghij", buf, sizeof buf);
    cr_expect_str_eq(buf, "abcd...");
    cli_plot_label("abc\xc3\xa9\xc3\xa9xyz", buf, sizeof buf);
    cr_expect_str_eq(buf, "abc...", "a two-byte character is not cut in half");
    cli_plot_label("abcdefg", buf, sizeof buf);
    cr_expect_str_eq(buf, "abcdefg", "a label that fits is whole");
}

/* ---- the script ---- */

static char *script_of(const cli_plot_spec *p)
{
    char *text = NULL;
    size_t len = 0;
    FILE *g = open_memstream(&text, &len);
    cr_assert(g);
    cli_plot_script(g, p);
    fclose(g);
    return text;
}

static const double xs[3] = {0.5, 0.8, 0.9}, up[3] = {1.0, 2.0, 3.5}, err[3] = {0, 0.1, 0.3};

Test(cli_plot, script_holds_no_label)
{
    const char *evil = "w'\n!touch PWNED\n`touch PWNED`$(touch PWNED).npy";
    const cli_curve speed = {evil, 3, xs, up}, error = {evil, 3, xs, err};
    const cli_plot_spec p = {evil, evil, &speed, 1, &error, 1};
    char *s = script_of(&p);
    cr_expect_null(strstr(s, "PWNED"), "%s", s);
    cr_expect_null(strstr(s, "!touch"));
    cr_expect_null(strstr(s, "`"), "no backquote: gnuplot substitutes commands in them");
    cr_expect(strstr(s, "set output 'plot.png'\n"), "%s", s);
    free(s);
}

Test(cli_plot, titles_are_plain_text)
{
    const cli_curve speed[2] = {{"a", 3, xs, up}, {"b", 3, xs, up}};
    const cli_curve error = {"e", 3, xs, err};
    const cli_plot_spec p = {"t", "n", speed, 2, &error, 1};
    char *s = script_of(&p);
    int n_title = 0;
    for (const char *q = s; (q = strstr(q, "title columnheader(2)")); ++q, ++n_title)
        cr_expect(strncmp(q + 21, " noenhanced", 11) == 0, "%.60s", q);
    cr_expect_eq(n_title, 3, "two speed curves and one error curve");
    cr_expect(strstr(s, "set multiplot layout 2,1 title page_title noenhanced\n"));
    cr_expect(strstr(s, "set title page_note noenhanced\n"));
    free(s);
}

/* The break-even line at 1 lies strictly inside the speedup axis, away from its ends. */
Test(cli_plot, break_even_inside_the_axis)
{
    const double above[3] = {1.0, 1.5, 4.0}, below[3] = {0.2, 0.5, 1.0}, flat[3] = {1, 1, 1};
    const double *cases[3] = {above, below, flat};
    for (int c = 0; c < 3; ++c) {
        const cli_curve speed = {"s", 3, xs, cases[c]}, error = {"e", 3, xs, err};
        const cli_plot_spec p = {"t", "n", &speed, 1, &error, 1};
        char *s = script_of(&p);
        const char *r = strstr(s, "set yrange [");
        cr_assert(r, "%s", s);
        double lo, hi;
        cr_assert_eq(sscanf(r, "set yrange [%lf:%lf]", &lo, &hi), 2);
        cr_expect(lo < 1 - 0.03 * (hi - lo) && hi > 1 + 0.03 * (hi - lo),
                  "case %d: [%g:%g]", c, lo, hi);
        cr_expect(lo <= cases[c][0] && hi >= cases[c][2], "case %d: data outside", c);
        cr_expect(strstr(r, "1 with lines dt 2"), "the break-even line is drawn");
        free(s);
    }
}

Test(cli_plot, empty_error_panel_keeps_a_range)
{
    const double zero[3] = {0, 0, 0};
    const cli_curve speed = {"s", 3, xs, up}, error = {"e", 3, xs, zero};
    const cli_plot_spec p = {"t", "n", &speed, 1, &error, 1};
    char *s = script_of(&p);
    cr_expect_null(strstr(s, "'error0.dat'"), "a file without points is not plotted");
    cr_expect(strstr(s, "set yrange [1e-08:1]\n"), "%s", s);
    free(s);
}

Test(cli_plot, error_axis_in_whole_decades)
{
    const double one[1] = {0.24}, two[2] = {3e-7, 0.5};
    const cli_curve speed = {"s", 1, xs, up}, e1 = {"e", 1, xs, one}, e2 = {"e", 2, xs, two};
    cli_plot_spec p = {"t", "n", &speed, 1, &e1, 1};
    char *s = script_of(&p);
    cr_expect(strstr(s, "set yrange [0.1:1]\n"), "one value: its decade\n%s", s);
    free(s);
    p.error = &e2;
    s = script_of(&p);
    cr_expect(strstr(s, "set yrange [1e-07:1]\n"), "%s", s);
    free(s);
}

/* Values near the ends of double (found by fuzz_plot): the axis arithmetic overflowed to
 * "inf" or underflowed a log axis to 0, which gnuplot refuses; such points are not drawn. */
Test(cli_plot, extreme_values_keep_finite_axes)
{
    const double big[3] = {1.0, 2.0, 1.7e308}, tiny[3] = {0.1, 5e-324, 1.7e308};
    const cli_curve speed = {"s", 3, xs, big}, error = {"e", 3, xs, tiny};
    const cli_plot_spec p = {"t", "n", &speed, 1, &error, 1};
    char *s = script_of(&p);
    cr_expect_null(strstr(s, "inf"), "%s", s);
    cr_expect(strstr(s, "set yrange [0.87:2.13]\n"), "the speedups 1 and 2 set the axis\n%s", s);
    cr_expect(strstr(s, "set yrange [0.1:1]\n"), "0.1 alone sets the error axis\n%s", s);
    free(s);
}
