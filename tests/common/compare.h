/* tests/common/compare.h: outputs against a reference: scaled tolerance, bitwise equality */
#ifndef TESTS_COMMON_COMPARE_H
#define TESTS_COMMON_COMPARE_H

#include <stdint.h>

#include "sconv.h"

/* What the tests put in output buffers before a run: an element still holding it was not
 * written. */
#define CT_UNSET (-999.0f)

/* The first i < n with |got[i] - ref[i]| > rel * scale[i] + abs (in double; a NaN counts as
 * outside), or -1. scale is the magnitude the rounding grows with, usually sum |w||x|. */
int64_t ct_first_outside(const float *got, const float *ref, const float *scale, int64_t n,
                         double rel, double abs);

/* The first i < n where a[i] and b[i] differ in their bits (so -0 != +0, NaN == same NaN),
 * or -1. */
int64_t ct_first_bitwise_diff(const float *a, const float *b, int64_t n);

/* Two runs (1 and 2 threads) of one output buffer of len floats against the reference ref:
 * where scale < 0 (outside the output view) both must still hold CT_UNSET; elsewhere y1
 * within 1e-5 * scale + 1e-6 of ref and y2 bitwise equal to y1. Logs the first failure
 * with what; returns 1 on a failure, else 0. */
int ct_check_runs(const char *what, int64_t len, const float *ref, const float *scale,
                  const float *y1, const float *y2);

/* The tolerance scale of a forward convolution: the reference on |w|, |bias| and |x| with no
 * activation, so each element is |b| + sum |w||x|; written through yd into scale. */
void ct_abs_reference(const sc_conv_params *p, const sc_wdesc *wd, const float *w,
                      const float *bias, const sc_tensor *xd, const float *x,
                      const sc_tensor *yd, float *scale);

#endif
