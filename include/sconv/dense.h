/* include/sconv/dense.h: dense convolution, the reference oracle and the fast fallback */
#ifndef SCONV_DENSE_H
#define SCONV_DENSE_H

#include "sconv/conv_params.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Reference convolution: direct loops in double precision over any descriptors
 * (NCHW in and NHWC out is fine), any parameters; bias may be NULL, act may be NULL
 * (none). Slow and obviously correct: the oracle every other path is tested against.
 * y must not overlap x or w. */
SC_API sc_status sc_conv_reference(const sc_conv_params *p, const sc_wdesc *wd, const float *w,
                            const float *bias, const sc_activation *act,
                            const sc_tensor *xd, const float *x,
                            const sc_tensor *yd, float *y);

/* Fast dense convolution: oneDNN's convolution primitive where oneDNN has a direct kernel for
 * the shape and views, else packing + OpenBLAS sgemm (docs/kernels.md, "The dense engine");
 * threads as given up to SC_THREADS_MAX, 0 = default. Same contract as sc_conv_reference,
 * single-precision accumulation; bitwise the same for every thread count. Plans per call:
 * an operator (sc_conv_plan) keeps the primitive and its reordered weights. */
SC_API sc_status sc_conv_dense(const sc_conv_params *p, const sc_wdesc *wd, const float *w,
                        const float *bias, const sc_activation *act,
                        const sc_tensor *xd, const float *x,
                        const sc_tensor *yd, float *y, int threads);

/* The kernel family OpenBLAS chose for this CPU when it was loaded ("Haswell", "SkylakeX",
 * "Zen", ..., or a generic one such as "Prescott"). */
SC_API const char *sc_blas_core(void);

/* NULL when OpenBLAS's kernels suit this CPU. Otherwise the OPENBLAS_CORETYPE value that
 * would (an OpenBLAS older than the CPU falls back to generic SSE3 kernels, several times
 * slower): "SkylakeX" with AVX-512, "Haswell" with AVX2 + FMA. */
SC_API const char *sc_blas_core_suggestion(void);

/* For programs, first thing in main: when sc_blas_core_suggestion() names a core and
 * OPENBLAS_CORETYPE is unset, set it and re-execute the program (/proc/self/exe) with the
 * same argv, so the dense path runs at the machine's speed; SCONV_BLAS_CORE_WAS then holds
 * the core OpenBLAS had chosen. Returns when there is nothing
 * to do, or after a message on stderr when the exec failed. The sconv command and
 * sconv-bench call it; a library never does this by itself. */
SC_API void sc_blas_fix_core(char **argv);

#ifdef __cplusplus
}
#endif
#endif
