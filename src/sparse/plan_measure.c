/* src/sparse/plan_measure.c: the auto engine's plan-time measurement: time both engines, keep the faster */
#include <math.h>
#include <omp.h>
#include <stdatomic.h>
#include <string.h>

#include "core/core.h"
#include "sparse/conv_impl.h"

/* Milliseconds of one sc_conv_run of a planned (shallow) operator copy, or NAN on error
 * (the status goes to *st). */
static double time_run(const sc_conv *op, const float *x, float *y, sc_status *st)
{
    const double t0 = sc_now_s();
    *st = sc_conv_run(op, x, y);
    return *st == SC_OK ? 1e3 * (sc_now_s() - t0) : NAN;
}

/* Longest wait for other threads of the process to go idle before timing. Debian's
 * OpenBLAS (pthreads build) starts its worker threads when the library is loaded, and
 * they spin for 2^28 TSC ticks (~0.1 s) before sleeping, whatever openblas_set_num_threads
 * says afterwards. A program that plans right after start-up therefore timed its 2-thread
 * runs beside a spinner on a 2-core machine: 64->128 @56^2 NCHW, sparsity 0, measured
 * sparse 0.51 ms and dense 0.45 (dense chosen, 3 of 3 processes) where both run 0.28 and
 * 0.37 once the spinner sleeps (sparse chosen, 6 of 6 with a 0.2 s sleep before planning
 * or OPENBLAS_NUM_THREADS=1); 256->256 @14^2 3x3, 2 threads: sparse 15.9 ms, dense 8.0,
 * against 1.5 and 1.9, and the first plan of a process chose sparse in 0 of 10 processes
 * before this wait, 10 of 10 with it. */
#define IDLE_WAIT_MAX_S 0.25

/* Untimed running before the timed runs, at least one run of each engine: the first runs
 * after an idle gap (the wait above, or the program before the plan) are slow on the 2-vCPU
 * Zen 3 guest for about 2 ms (bench/runner.c, WARM_MIN_S). 128->256 @28^2 NHWC, sparsity 0,
 * 2 threads (sparse 0.30 ms, dense 0.61 in a steady loop): sparse chosen in 7 of 16 plans
 * after one warm-up run of each engine, 16 of 16 after 2 ms. */
#define WARM_MIN_MS 2.0

/* Wait until no thread of the process outside this thread's OpenMP team of `threads` runs
 * (the team's own workers may still spin from an earlier run: they are the ones the timed
 * runs use); *waited_s gets the seconds waited. A wait that times out means the other
 * threads stay busy; they are the conditions the operator will run in, so later plans do
 * not wait again. */
static sc_status wait_for_other_threads(int threads, double *waited_s)
{
    static _Atomic int busy_for_good = 0;
    *waited_s = 0;
    /* inside a parallel region the caller's own team is busy by design */
    if (atomic_load(&busy_for_good) || threads < 1 || omp_in_parallel()) return SC_OK;
    int *team = NULL;
    sc_status st = sc_alloc_array((void **)&team, (size_t)threads, sizeof *team, true,
                                  "conv_plan: auto measurement: thread ids");
    if (st != SC_OK) return st;
    #pragma omp parallel num_threads(threads)
    {
        const int t = omp_get_thread_num();
        if (t < threads) team[t] = sc_thread_id();
    }
    if (sc_wait_others_idle(team, threads, IDLE_WAIT_MAX_S, waited_s) == SC_IDLE_TIMEOUT)
        atomic_store(&busy_for_good, 1);
    sc_free(team);
    return SC_OK;
}

/* Why measure rather than trust thresholds: the sparse/dense break-even moves with the
 * machine far more than with the layer. The thresholds in plan.c were measured on an AVX2
 * machine whose OpenBLAS ran at 80 GFLOP/s; on an AVX-512 Xeon the same OpenBLAS ran at
 * 21-32 GFLOP/s with its generic kernels (sparse won at 0% sparsity, 2.2x) and at 157 with
 * the right ones (dense won at 50% on 1x1 layers, 1.3x). Warm-up runs of both engines,
 * then timed runs in alternation, best of up to 3; a gap over 1.5x after two timed pairs
 * settles it, so the cost is 2 ms of warm-up and 2-3 timed runs of each engine, once per
 * plan. One pair was not enough on a shared Zen 3 host: a single slow sample of one engine
 * (2 threads) made auto keep block kernels 1.6x slower than dense (vgg_conv4_1 NHWC, 0%
 * sparsity, 24.6 vs 15.3 ms in the full sweep). */
sc_status sc_auto_measure(const sc_conv *sparse_op, const sc_conv *dense_op, double *ms_sparse,
                          double *ms_dense, double *ms_waited)
{
    const int64_t x_span = sc_tensor_span(&sparse_op->x), y_span = sc_tensor_span(&sparse_op->y);
    float *x = NULL, *y = NULL;
    sc_status st = SC_ENOMEM;
    x = sc_aligned_alloc(64, (size_t)x_span * sizeof(float));
    y = sc_aligned_alloc(64, (size_t)y_span * sizeof(float));
    if (!x || !y) {
        st = sc_fail(SC_ENOMEM, "conv_plan: auto measurement: %lld + %lld floats of scratch",
                     (long long)x_span, (long long)y_span);
        goto done;
    }
    uint32_t s = 12345u;  /* values in [-1, 1): no zeros or subnormals to flatter either engine */
    for (int64_t i = 0; i < x_span; ++i) {
        s = s * 1664525u + 1013904223u;
        x[i] = (float)((double)(s >> 8) / 8388608.0 - 1.0);
    }
    double waited_s;
    if ((st = wait_for_other_threads(sc_sparse_thread_count(sparse_op), &waited_s)) != SC_OK)
        goto done;
    *ms_waited = 1e3 * waited_s;
    double best[2] = {INFINITY, INFINITY};
    const sc_conv *ops[2] = {sparse_op, dense_op};
    /* warm-up: pages, caches, and a core that was idle (the wait above, or the program
     * before the plan) */
    for (double warm_ms = 0; warm_ms < WARM_MIN_MS;) {
        for (int e = 0; e < 2; ++e) {
            const double t = time_run(ops[e], x, y, &st);
            if (isnan(t)) goto done;
            warm_ms += t;
        }
    }
    for (int r = 0; r < 3; ++r) {
        for (int e = 0; e < 2; ++e) {
            double t = time_run(ops[e], x, y, &st);
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
