/* bench/peak.c: times FMA chains on every thread at once, best of five: the FP32 FMA peak */
#include <omp.h>

#include "core/core.h"
#include "peak.h"

double scb_peak_measure(scb_fma_chains_fn chains, int lanes, int threads)
{
    const int64_t iters = 20 * 1000 * 1000;  /* ~0.1 s per thread at 3 GHz */
    double best = 0;
    volatile float sink = 0;
    for (int trial = 0; trial < 5; trial++) {
        double t0 = 0, t1 = 0;
        float part = 0;
#pragma omp parallel num_threads(threads) reduction(+ : part)
        {
#pragma omp barrier
#pragma omp master
            t0 = sc_now_s();
            part += chains(iters, (float)omp_get_thread_num());
#pragma omp barrier
#pragma omp master
            t1 = sc_now_s();
        }
        sink += part;
        double flops = (double)iters * SCB_PEAK_ACC * lanes * 2 * threads;
        double g = flops / (t1 - t0) * 1e-9;
        if (g > best) best = g;
    }
    (void)sink;
    return best;
}
