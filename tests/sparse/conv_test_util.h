/* tests/sparse/conv_test_util.h: helpers of the engine tests: activation layouts, kernel sweeps */
#ifndef CONV_TEST_UTIL_H
#define CONV_TEST_UTIL_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/compare.h"
#include "common/layer.h"
#include "common/rng.h"
#include "sconv.h"
#include "sparse/ukernels/spmm.h"

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
