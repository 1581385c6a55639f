/* src/op/plan_measure.c: the auto engine's plan-time measurement: time both engines, keep the faster */
#include <math.h>
#include <omp.h>
#include <string.h>

#include "core/core.h"
#include "op/op_impl.h"

/* Milliseconds of one run of engine e (0 sparse, 1 dense), or NAN on error (the status goes
 * to *st). */
static double time_run(int e, const sc_sparse_plan *sp, const sc_dense_plan *dp, const float *x,
                       float *y, sc_status *st)
{
    const double t0 = sc_now_s();
    *st = e == 0 ? sc_sparse_run(sp, x, y) : sc_dense_run(dp, x, y);
    return *st == SC_OK ? 1e3 * (sc_now_s() - t0) : NAN;
}

/* Longest wait for other threads of the process to go idle before timing: Debian's
 * OpenBLAS starts worker threads that spin for a while after the library loads, and
 * 2-thread runs timed beside them kept the wrong engine (docs/kernels.md, "How auto
 * chooses"). */
#define IDLE_WAIT_MAX_S 0.25

/* Untimed running before the timed runs, at least one run of each engine: the first runs
 * after an idle gap (the wait above, or the program before the plan) are slow on a shared
 * guest, and one warm-up run did not cover that ramp (docs/kernels.md, "How auto chooses";
 * bench/runner.c, WARM_MIN_S). */
#define WARM_MIN_MS 2.0

/* Wait until no thread of the process outside this thread's OpenMP team of `threads` runs
 * (the team's own workers may still spin from an earlier run: they are the ones the timed
 * runs use); *waited_s gets the seconds waited. Every measuring plan waits afresh (a
 * timeout included): measuring is asked for, and a plan's choice depends on nothing an
 * earlier plan saw. */
static sc_status wait_for_other_threads(int threads, double *waited_s)
{
    *waited_s = 0;
    /* inside a parallel region the caller's own team is busy by design */
    if (threads < 1 || omp_in_parallel()) return SC_OK;
    int *team = NULL;
    sc_status st = sc_alloc_array((void **)&team, (size_t)threads, sizeof *team, true,
                                  "conv_plan: auto measurement: thread ids");
    if (st != SC_OK) return st;
    #pragma omp parallel num_threads(threads)
    {
        const int t = omp_get_thread_num();
        if (t < threads) team[t] = sc_thread_id();
    }
    (void)sc_wait_others_idle(team, threads, IDLE_WAIT_MAX_S, waited_s);
    sc_free(team);
    return SC_OK;
}

/* Why measure rather than trust thresholds: the sparse/dense break-even moves with the
 * machine (its OpenBLAS kernels above all) far more than with the layer. Warm-up runs of
 * both engines, then timed runs in alternation, best of up to 3; a gap over 1.5x after two
 * timed pairs settles it, since one pair let a single slow sample on a shared host keep
 * the slower engine (docs/kernels.md, "How auto chooses"). */
sc_status sc_auto_measure(const sc_sparse_plan *sp, const sc_dense_plan *dp, int threads,
                          double *ms_sparse, double *ms_dense, double *ms_waited)
{
    const int64_t x_span = sc_tensor_span(&sp->x), y_span = sc_tensor_span(&sp->y);
    float *x = NULL, *y = NULL;
    sc_status st = SC_ENOMEM;
    x = sc_aligned_alloc(64, (size_t)x_span * sizeof(float));
    y = sc_aligned_alloc(64, (size_t)y_span * sizeof(float));
    if (!x || !y) {
        st = sc_fail(SC_ENOMEM, "conv_plan: auto measurement: %lld + %lld floats of scratch",
                     (long long)x_span, (long long)y_span);
        goto done;
    }
    /* y starts at 0: an accumulating plan reads it (and uninitialised memory may hold NaN
     * or subnormals that would slow either engine) */
    memset(y, 0, (size_t)y_span * sizeof *y);
    uint32_t s = 12345u;  /* values in [-1, 1): no zeros or subnormals to flatter either engine */
    for (int64_t i = 0; i < x_span; ++i) {
        s = s * 1664525u + 1013904223u;
        x[i] = (float)((double)(s >> 8) / 8388608.0 - 1.0);
    }
    double waited_s;
    if ((st = wait_for_other_threads(threads > 0 ? threads : omp_get_max_threads(),
                                     &waited_s)) != SC_OK)
        goto done;
    *ms_waited = 1e3 * waited_s;
    double best[2] = {INFINITY, INFINITY};
    /* warm-up: pages, caches, and a core that was idle (the wait above, or the program
     * before the plan) */
    for (double warm_ms = 0; warm_ms < WARM_MIN_MS;) {
        for (int e = 0; e < 2; ++e) {
            const double t = time_run(e, sp, dp, x, y, &st);
            if (isnan(t)) goto done;
            warm_ms += t;
        }
    }
    for (int r = 0; r < 3; ++r) {
        for (int e = 0; e < 2; ++e) {
            double t = time_run(e, sp, dp, x, y, &st);
            if (isnan(t)) goto done;
            if (t < best[e]) best[e] = t;
        }
        if (r >= 1 && fmax(best[0], best[1]) > 1.5 * fmin(best[0], best[1])) break;
    }
    *ms_sparse = best[0];
    *ms_dense = best[1];
    st = SC_OK;
done:
    sc_free(x);
    sc_free(y);
    return st;
}
