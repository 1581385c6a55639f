/* src/sparse/plan_measure.c: the auto engine's plan-time measurement: time both engines, keep the faster */
#include <math.h>
#include <string.h>
#include <time.h>

#include "core/core.h"
#include "sparse/conv_impl.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

/* Milliseconds of one sc_conv_run of a planned (shallow) operator copy, or NAN on error
 * (the status goes to *st). */
static double time_run(const sc_conv *op, const float *x, float *y, sc_status *st)
{
    double t0 = now_ms();
    *st = sc_conv_run(op, x, y);
    return *st == SC_OK ? now_ms() - t0 : NAN;
}

/* Why measure rather than trust thresholds: the sparse/dense break-even moves with the
 * machine far more than with the layer. The thresholds in plan.c were measured on an AVX2
 * machine whose OpenBLAS ran at 80 GFLOP/s; on an AVX-512 Xeon the same OpenBLAS ran at
 * 21-32 GFLOP/s with its generic kernels (sparse won at 0% sparsity, 2.2x) and at 157 with
 * the right ones (dense won at 50% on 1x1 layers, 1.3x). One warm-up run of each engine,
 * then timed runs in alternation, best of up to 3; a gap over 1.5x after two timed pairs
 * settles it, so the cost is 3-4 runs of each engine, once per plan. One pair was not
 * enough on a shared Zen 3 host: a single slow sample of one engine (2 threads) made auto
 * keep block kernels 1.6x slower than dense (vgg_conv4_1 NHWC, 0% sparsity, 24.6 vs
 * 15.3 ms in the full sweep). */
sc_status sc_auto_measure(const sc_conv *sparse_op, const sc_conv *dense_op, double *ms_sparse,
                          double *ms_dense)
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
    double best[2] = {INFINITY, INFINITY};
    const sc_conv *ops[2] = {sparse_op, dense_op};
    for (int e = 0; e < 2; ++e)
        if (isnan(time_run(ops[e], x, y, &st))) goto done;  /* warm-up: pages, caches */
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
