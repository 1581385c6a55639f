/* src/sparse/ukernels/transpose.h: 8x8 float transpose kernels for NHWC tile packing and stores */
#ifndef SC_UKERNELS_TRANSPOSE_H
#define SC_UKERNELS_TRANSPOSE_H

#include <stddef.h>

#include "core/core.h"  /* sc_cpu_set */

/* dst[l * dst_stride + k] = src[k][l] for k, l < 8, where row k of src is src[k] (8
 * contiguous floats each, any addresses). Reads 8 x 8 floats, writes 8 runs of 8 floats. */
typedef void (*sc_transpose8_fn)(const float *const src[8], float *dst, size_t dst_stride);

/* A strip of n 8x8 blocks: dst[(8k + l) * dst_stride + r] = src[r * src_stride + 8k + l] for
 * r, l < 8 and k < n, i.e. 8 rows of 8n contiguous floats (src_stride apart) stored as 8n
 * runs of 8 floats. One call per strip instead of one per block (no pointer array).
 * A kernel that fixes a stride (the list's src_stride / dst_stride column: a tile row of 64
 * or 72 floats) must be called with that stride: from<T> reads rows of a tile buffer (the
 * NHWC output writer), to<T> writes runs into a panel (the NHWC input panel). */
typedef void (*sc_transpose8xn_fn)(const float *src, size_t src_stride, float *dst,
                                   size_t dst_stride, size_t n);

#define SC_TRANSPOSE8(name, need) \
    void name(const float *const src[8], float *dst, size_t dst_stride);
#define SC_TRANSPOSE8XN(name, need, src_stride_, dst_stride_)                    \
    void name(const float *src, size_t src_stride, float *dst, size_t dst_stride, \
              size_t n);
#include "sparse/ukernels/transpose_list.inc"
#undef SC_TRANSPOSE8
#undef SC_TRANSPOSE8XN

typedef struct sc_transpose8_info {
    const char *name;  /* without the "sc_" prefix */
    sc_cpu_set need;
    sc_transpose8_fn fn;
} sc_transpose8_info;

typedef struct sc_transpose8xn_info {
    const char *name;
    sc_cpu_set need;
    size_t src_stride, dst_stride;  /* the strides it fixes, 0 for any */
    sc_transpose8xn_fn fn;
} sc_transpose8xn_info;

/* Every kernel of the list, then an entry with fn == NULL. */
extern const sc_transpose8_info sc_transpose8_table[];
extern const sc_transpose8xn_info sc_transpose8xn_table[];

/* The first 8x8 kernel whose needs `allowed` covers (never NULL: the portable one needs
 * nothing). */
sc_transpose8_fn sc_transpose8_pick(sc_cpu_set allowed);

/* The first strip kernel whose needs `allowed` covers and that fits the strides the caller
 * always passes (0: a stride that varies, which only kernels fixing no stride take). */
sc_transpose8xn_fn sc_transpose8xn_pick(sc_cpu_set allowed, size_t src_stride,
                                        size_t dst_stride);

#endif
