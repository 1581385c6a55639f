/* tests/sparse/conv_test_util.h: shared helpers of the engine tests: random layers, layouts, tolerance */
#ifndef CONV_TEST_UTIL_H
#define CONV_TEST_UTIL_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sconv.h"
#include "sparse/ukernels/spmm.h"

typedef struct ct_rng { uint64_t s; } ct_rng;

static inline double ct_uniform(ct_rng *r)  /* [0, 1), xorshift64* */
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return (double)((r->s * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}
static inline int64_t ct_int(ct_rng *r, int64_t lo, int64_t hi)  /* [lo, hi] */
{
    return lo + (int64_t)(ct_uniform(r) * (double)(hi - lo + 1));
}

/* Activation layouts the tests cross: dense NCHW, dense NHWC, a channel slice (2 channels
 * in) of a larger NHWC buffer, and an NCHW buffer with padded rows, planes and images. */
/* The kernel choices the sweeps cycle through: AVX2, portable, AVX-512. A turn whose ISA
 * the process may not use (the CPU lacks it, or SCONV_ISA caps it) goes to the best one it
 * may, so every configuration still runs (the name says which). */
static inline sc_kernel_choice ct_sweep_kernel(int64_t turn)
{
    const sc_kernel_choice best = sc_isa_available(SC_ISA_AVX512) ? SC_KERNEL_AVX512
                                : sc_isa_available(SC_ISA_AVX2)   ? SC_KERNEL_AVX2
                                                                  : SC_KERNEL_PORTABLE;
    switch (turn % 3) {
    case 0: return sc_isa_available(SC_ISA_AVX2) ? SC_KERNEL_AVX2 : SC_KERNEL_PORTABLE;
    case 1: return SC_KERNEL_PORTABLE;
    default: return best;
    }
}

static inline const char *ct_kernel_name(sc_kernel_choice k)
{
    return k == SC_KERNEL_AVX512 ? "avx512" : k == SC_KERNEL_AVX2 ? "avx2"
         : k == SC_KERNEL_PORTABLE ? "portable" : "auto";
}

enum { CT_NCHW, CT_NHWC, CT_SLICE, CT_PADDED, CT_N_LAYOUTS };
static const char *const ct_layout_names[] = {"nchw", "nhwc", "slice", "padded"};

/* Descriptor of (n, c, h, w) in the layout; *base_off is the first element's offset and
 * *len the buffer length to allocate. */
static inline sc_tensor ct_layout(int kind, int64_t n, int64_t c, int64_t h, int64_t w,
                                  int64_t *base_off, int64_t *len)
{
    sc_tensor t;
    *base_off = 0;
    switch (kind) {
    case CT_NHWC: t = sc_tensor_nhwc(n, c, h, w); break;
    case CT_SLICE: {
        sc_tensor big = sc_tensor_nhwc(n, c + 3, h, w);
        t = sc_tensor_slice_c(&big, 2, c);
        *base_off = sc_tensor_offset(&big, 0, 2, 0, 0);
        *len = n * (c + 3) * h * w;
        return t;
    }
    case CT_PADDED:
        t.dims[SC_N] = n, t.dims[SC_C] = c, t.dims[SC_H] = h, t.dims[SC_W] = w;
        t.strides[SC_W] = 1;
        t.strides[SC_H] = w + 3;
        t.strides[SC_C] = (h + 1) * (w + 3);
        t.strides[SC_N] = c * (h + 1) * (w + 3) + 5;
        *base_off = 2;
        *len = 2 + n * t.strides[SC_N];
        return t;
    default: t = sc_tensor_nchw(n, c, h, w); break;
    }
    *len = n * c * h * w;
    return t;
}

/* The per-element tolerance scale sum_j |w_j x_j| + |bias|, from the reference
 * convolution on absolute values (no activation). */
static inline sc_status ct_scale(const sc_conv_params *p, const sc_wdesc *wd, const float *w,
                                 const float *bias, const sc_tensor *xd, const float *x,
                                 int64_t xlen, const sc_tensor *yd, float *scale, int64_t ylen)
{
    const int64_t nw = wd->oc * wd->icg * wd->kh * wd->kw;
    float *aw = malloc((size_t)nw * sizeof *aw), *ax = malloc((size_t)xlen * sizeof *ax);
    float *ab = bias ? malloc((size_t)wd->oc * sizeof *ab) : NULL;
    for (int64_t i = 0; i < nw; ++i) aw[i] = fabsf(w[i]);
    for (int64_t i = 0; i < xlen; ++i) ax[i] = fabsf(x[i]);
    for (int64_t i = 0; bias && i < wd->oc; ++i) ab[i] = fabsf(bias[i]);
    (void)ylen;
    sc_status st = sc_conv_reference(p, wd, aw, ab, NULL, xd, ax, yd, scale);
    free(aw), free(ax), free(ab);
    return st;
}

#endif
