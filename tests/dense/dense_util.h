/* tests/dense/dense_util.h: helpers for the dense tests: views in many layouts, oracles */
#ifndef TEST_DENSE_UTIL_H
#define TEST_DENSE_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "common/compare.h"
#include "common/rng.h"
#include "common/transpose.h"
#include "sconv.h"

/* Ways to lay out one (n, c, h, w) activation in memory. */
typedef enum view_kind {
    VIEW_NCHW = 0,
    VIEW_NHWC,
    VIEW_SLICE_NCHW,   /* channels [2, 2+c) of an NCHW buffer with c+5 channels */
    VIEW_SLICE_NHWC,   /* channels [3, 3+c) of an NHWC buffer with c+4 channels */
    VIEW_PADDED_NCHW,  /* NCHW with row stride w+3 and plane stride (h+1)*(w+3) */
    VIEW_PADDED_NHWC,  /* NHWC with pixel stride c+2 and row stride (w+1)*(c+2) */
    VIEW_CNHW,         /* channel outermost, then batch: strides (h*w, n*h*w, w, 1) */
    VIEW_COUNT
} view_kind;

const char *view_name(view_kind k);

/* A view and the buffer that holds it; data = buf + off is what the API receives. */
typedef struct view {
    sc_tensor d;
    float *buf;
    int64_t len;  /* floats in buf */
    int64_t off;
    float *data;
} view;

/* Allocate the view (aborting the test on failure); every buffer element set to fill. */
view view_make(view_kind k, int64_t n, int64_t c, int64_t h, int64_t w, float fill);
void view_free(view *v);
/* Element (n, c, h, w) of the view. */
float *view_at(const view *v, int64_t n, int64_t c, int64_t h, int64_t w);
/* Set the view's elements from a dense NCHW array, and read them back into one. */
void view_from_nchw(view *v, const float *nchw);
void view_to_nchw(const view *v, float *nchw);
/* Every buffer element from ct_float(r), then, with specials, NaN, +inf and -inf at six
 * random elements of the view. */
void view_fill_random(view *v, ct_rng *r, bool specials);
/* Count buffer elements outside the view that no longer equal fill. */
int64_t view_outside_changed(const view *v, float fill);

/* The kernel name a dense plan of this problem reports (one thread, no activation), copied
 * into buf; aborts the test if the plan fails. */
void dense_kernel_of(const sc_conv_params *p, const sc_wdesc *wd, const float *w,
                     const sc_tensor *xd, const sc_tensor *yd, char *buf, size_t len);

/* Compare got with the double-precision reference ref elementwise, allowing
 * tol = (2*kdim + 2) * FLT_EPSILON * absref + FLT_MIN, where absref is the reference
 * convolution of |w|, |bias| and |x| without activation (|b| + sum |w||x| per element):
 * a float dot product of length kdim errs by at most about kdim*FLT_EPSILON*sum|w||x|,
 * and the bias add by one more rounding (absref from ct_abs_reference). Returns the index
 * of the first element outside tolerance (a NaN in got counts as outside), or -1. */
int64_t compare_tol(const float *got, const float *ref, const float *absref, int64_t count,
                    int64_t kdim);
/* compare_tol where ref and |ref| are finite; elsewhere got must be NaN where ref is NaN
 * and the same infinity where it is infinite. The first index that is not, or -1. */
int64_t first_wrong(const float *got, const float *ref, const float *absref, int64_t n,
                    int64_t kdim);

/* The activations the oneDNN tests cycle through: 0 none, 1 ReLU, 2 ReLU6, 3 a clamp to
 * [-0.5, 0.5]. */
sc_activation act_of(int a);

#endif
