/* src/cli/timing.c: median run times of two operators, measured alternately */
#include <stdlib.h>

#include "cli/cli.h"

#define MAX_REPEATS 50
#define MIN_REPEATS 3
#define BUDGET_S 0.3  /* per pair of operators, after the warm-up */

static int by_value(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, by_value);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

sc_status cli_time_pair(const sc_conv *a, const sc_conv *b, const float *x, float *y,
                        int repeats, double *ms_a, double *ms_b)
{
    double ta[MAX_REPEATS], tb[MAX_REPEATS];
    double t0 = cli_now();
    sc_status st = sc_conv_run(a, x, y);  /* warm-up: caches, OpenMP threads */
    double t1 = cli_now();
    if (st == SC_OK) st = sc_conv_run(b, x, y);
    const double t2 = cli_now();
    if (st != SC_OK) return st;
    if (repeats <= 0) {
        const double pair = (t1 - t0) + (t2 - t1);
        repeats = pair > 0 ? (int)(BUDGET_S / pair) : MAX_REPEATS;
        if (repeats < MIN_REPEATS) repeats = MIN_REPEATS;
    }
    if (repeats > MAX_REPEATS) repeats = MAX_REPEATS;
    for (int r = 0; r < repeats && st == SC_OK; ++r) {
        t0 = cli_now();
        st = sc_conv_run(a, x, y);
        t1 = cli_now();
        if (st == SC_OK) st = sc_conv_run(b, x, y);
        ta[r] = 1e3 * (t1 - t0);
        tb[r] = 1e3 * (cli_now() - t1);
    }
    if (st != SC_OK) return st;
    *ms_a = median(ta, repeats);
    *ms_b = median(tb, repeats);
    return SC_OK;
}
