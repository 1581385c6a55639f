/* src/sparse/ukernels/transpose.h: 8x8 float transpose kernels for NHWC tile packing and stores */
#ifndef SC_UKERNELS_TRANSPOSE_H
#define SC_UKERNELS_TRANSPOSE_H

#include <stddef.h>

/* dst[l * dst_stride + k] = src[k][l] for k, l < 8, where row k of src is src[k] (8
 * contiguous floats each, any addresses). Reads 8 x 8 floats, writes 8 runs of 8 floats. */
typedef void (*sc_transpose8_fn)(const float *const src[8], float *dst, size_t dst_stride);

void sc_transpose8_f32__ref(const float *const src[8], float *dst, size_t dst_stride);
void sc_transpose8_f32__avx2(const float *const src[8], float *dst, size_t dst_stride);

/* A strip of n 8x8 blocks: dst[(8k + l) * dst_stride + r] = src[r * src_stride + 8k + l] for
 * r, l < 8 and k < n, i.e. 8 rows of 8n contiguous floats (src_stride apart) stored as 8n
 * runs of 8 floats. One call per strip instead of one per block (no pointer array). */
typedef void (*sc_transpose8xn_fn)(const float *src, size_t src_stride, float *dst,
                                   size_t dst_stride, size_t n);

void sc_transpose8xn_f32__ref(const float *src, size_t src_stride, float *dst,
                              size_t dst_stride, size_t n);
void sc_transpose8xn_f32__avx2(const float *src, size_t src_stride, float *dst,
                               size_t dst_stride, size_t n);

/* The same strips with one stride fixed at a tile row of 64 or 72 floats (the stride
 * argument must equal it): from<T> reads rows of a tile buffer (src_stride == T, the NHWC
 * output writer), to<T> writes runs into a panel (dst_stride == T, the NHWC input panel).
 * Their portable twin is sc_transpose8xn_f32__ref. */
void sc_transpose8xn_f32_from64__avx2(const float *src, size_t src_stride, float *dst,
                                      size_t dst_stride, size_t n);
void sc_transpose8xn_f32_from72__avx2(const float *src, size_t src_stride, float *dst,
                                      size_t dst_stride, size_t n);
void sc_transpose8xn_f32_to64__avx2(const float *src, size_t src_stride, float *dst,
                                    size_t dst_stride, size_t n);
void sc_transpose8xn_f32_to72__avx2(const float *src, size_t src_stride, float *dst,
                                    size_t dst_stride, size_t n);

#endif
