/* src/cli/timing.c: run times of two operators, measured alternately, with their spread */
#include "cli/cli.h"
#include "core/core.h"

#define MAX_REPEATS 50
#define MIN_REPEATS 3
#define BUDGET_S 0.3  /* per pair of operators, after the warm-up */

sc_status cli_time_pair(const sc_conv *a, const sc_conv *b, const float *x, float *y,
                        int repeats, cli_contention *c, cli_times *ta, cli_times *tb)
{
    double ms_a[MAX_REPEATS], ms_b[MAX_REPEATS];
    double t0 = sc_now_s();
    sc_status st = sc_conv_run(a, x, y);  /* warm-up: caches, OpenMP threads */
    double t1 = sc_now_s();
    if (st == SC_OK) st = sc_conv_run(b, x, y);
    const double t2 = sc_now_s();
    if (st != SC_OK) return st;
    if (repeats <= 0) {
        const double pair = (t1 - t0) + (t2 - t1);
        repeats = pair > 0 ? (int)(BUDGET_S / pair) : MAX_REPEATS;
        if (repeats < MIN_REPEATS) repeats = MIN_REPEATS;
    }
    if (repeats > MAX_REPEATS) repeats = MAX_REPEATS;
    for (int r = 0; r < repeats && st == SC_OK; ++r) {
        t0 = sc_now_s();
        st = sc_conv_run(a, x, y);
        t1 = sc_now_s();
        if (st == SC_OK) st = sc_conv_run(b, x, y);
        ms_a[r] = 1e3 * (t1 - t0);
        ms_b[r] = 1e3 * (sc_now_s() - t1);
    }
    if (st != SC_OK) return st;
    cli_times_summarize(ms_a, repeats, ta);
    cli_times_summarize(ms_b, repeats, tb);
    if (c) {
        cli_contention_add_times(c, ta);
        cli_contention_add_times(c, tb);
        cli_contention_add_load(c, cli_other_running());
    }
    return SC_OK;
}
