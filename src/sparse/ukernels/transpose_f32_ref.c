/* src/sparse/ukernels/transpose_f32_ref.c: portable twins of the 8x8 transposes */
#include "sparse/ukernels/transpose.h"

void sc_transpose8_f32__ref(const float *const src[8], float *dst, size_t dst_stride)
{
    for (size_t l = 0; l < 8; ++l)
        for (size_t k = 0; k < 8; ++k) dst[l * dst_stride + k] = src[k][l];
}

void sc_transpose8xn_f32__ref(const float *src, size_t src_stride, float *dst,
                              size_t dst_stride, size_t n)
{
    for (size_t c = 0; c < 8 * n; ++c)
        for (size_t r = 0; r < 8; ++r) dst[c * dst_stride + r] = src[r * src_stride + c];
}
