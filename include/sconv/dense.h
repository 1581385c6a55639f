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
sc_status sc_conv_reference(const sc_conv_params *p, const sc_wdesc *wd, const float *w,
                            const float *bias, const sc_activation *act,
                            const sc_tensor *xd, const float *x,
                            const sc_tensor *yd, float *y);

/* Fast dense convolution (packing + OpenBLAS sgemm, threads as given, 0 = default):
 * same contract as sc_conv_reference, single-precision accumulation. */
sc_status sc_conv_dense(const sc_conv_params *p, const sc_wdesc *wd, const float *w,
                        const float *bias, const sc_activation *act,
                        const sc_tensor *xd, const float *x,
                        const sc_tensor *yd, float *y, int threads);

#ifdef __cplusplus
}
#endif
#endif
