/* tests/sparse/conv_test_util.h: helpers of the engine tests: activation layouts, kernel sweeps */
#ifndef CONV_TEST_UTIL_H
#define CONV_TEST_UTIL_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/compare.h"
#include "common/layer.h"
#include "common/rng.h"
#include "sconv.h"
#include "sparse/ukernels/spmm.h"

/* The random geometry the sweeps share, drawn in this order: kernel kh x kw in 1..k_max
 * (square 60% of the time), strides 1..3 (equal 70%), dilations 1..2, padding 0..pad_max per
 * side. Configuration idx % 7 == 3 is pointwise (1x1, stride 1, no padding), and with
 * unpadded_turn idx % 7 == 5 has no padding. */
static inline void ct_random_geometry(ct_rng *r, int idx, int64_t k_max, int64_t pad_max,
                                      bool unpadded_turn, int64_t *kh, int64_t *kw,
                                      sc_conv_params *p)
{
    *kh = ct_int(r, 1, k_max);
    *kw = ct_uniform(r) < 0.6 ? *kh : ct_int(r, 1, k_max);
    p->stride_h = ct_int(r, 1, 3);
    p->stride_w = ct_uniform(r) < 0.7 ? p->stride_h : ct_int(r, 1, 3);
    p->dil_h = ct_int(r, 1, 2);
    p->dil_w = ct_int(r, 1, 2);
    p->pad_top = ct_int(r, 0, pad_max);
    p->pad_bottom = ct_int(r, 0, pad_max);
    p->pad_left = ct_int(r, 0, pad_max);
    p->pad_right = ct_int(r, 0, pad_max);
    if (idx % 7 == 3) {  /* the in-place and direct-output paths */
        *kh = *kw = 1;
        p->stride_h = p->stride_w = 1;
        p->pad_top = p->pad_bottom = p->pad_left = p->pad_right = 0;
    } else if (unpadded_turn && idx % 7 == 5) {
        p->pad_top = p->pad_bottom = p->pad_left = p->pad_right = 0;
    }
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

#endif
