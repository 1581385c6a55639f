/* src/sparse/ukernels/transpose_f32_ref.c: portable twin of the 8x8 transpose */
#include "sparse/ukernels/transpose.h"

void sc_transpose8_f32__ref(const float *const src[8], float *dst, size_t dst_stride)
{
    for (size_t l = 0; l < 8; ++l)
        for (size_t k = 0; k < 8; ++k) dst[l * dst_stride + k] = src[k][l];
}
