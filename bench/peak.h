/* bench/peak.h: the FMA peak harness shared by the per-ISA chain files (peak_avx2.c, peak_avx512.c) */
#ifndef SCB_PEAK_H
#define SCB_PEAK_H

#include <stdint.h>

/* Independent accumulators per thread: more than FMA latency (4-5 cycles) x FMA pipes (2),
 * so the chains never wait on each other. */
enum { SCB_PEAK_ACC = 12 };

/* iters iterations of SCB_PEAK_ACC independent FMAs on vectors of `lanes` floats; returns a
 * value derived from every accumulator so none is optimized away. */
typedef float (*scb_fma_chains_fn)(int64_t iters, float seed);

/* Best of five: GFLOP/s of `threads` threads each running chains (lanes floats a vector). */
double scb_peak_measure(scb_fma_chains_fn chains, int lanes, int threads);

#endif
