/* src/sparse/ukernels/transpose_f32_avx2.c: 8x8 float transpose in ymm registers (unpack, shuffle, permute) */
#include <immintrin.h>

#include "sparse/ukernels/transpose.h"

/* Rows r0..r7 transposed into dst + l * dst_stride, l < 8. */
static inline __attribute__((always_inline)) void
transpose8_regs(__m256 r0, __m256 r1, __m256 r2, __m256 r3, __m256 r4, __m256 r5, __m256 r6,
                __m256 r7, float *dst, size_t dst_stride)
{
    /* pairs of rows interleaved: t0 = a0 b0 a1 b1 | a4 b4 a5 b5, ... */
    const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    const __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    /* groups of four rows: u0 = a0 b0 c0 d0 | a4 b4 c4 d4, ... */
    const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    /* 128-bit halves joined: column l of the input as row l */
    _mm256_storeu_ps(dst + 0 * dst_stride, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(dst + 1 * dst_stride, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(dst + 2 * dst_stride, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(dst + 3 * dst_stride, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(dst + 4 * dst_stride, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(dst + 5 * dst_stride, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(dst + 6 * dst_stride, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(dst + 7 * dst_stride, _mm256_permute2f128_ps(u3, u7, 0x31));
}

void sc_transpose8_f32__avx2(const float *const src[8], float *dst, size_t dst_stride)
{
    transpose8_regs(_mm256_loadu_ps(src[0]), _mm256_loadu_ps(src[1]), _mm256_loadu_ps(src[2]),
                    _mm256_loadu_ps(src[3]), _mm256_loadu_ps(src[4]), _mm256_loadu_ps(src[5]),
                    _mm256_loadu_ps(src[6]), _mm256_loadu_ps(src[7]), dst, dst_stride);
}

void sc_transpose8xn_f32__avx2(const float *src, size_t src_stride, float *dst,
                               size_t dst_stride, size_t n)
{
    for (size_t k = 0; k < n; ++k, src += 8, dst += 8 * dst_stride)
        transpose8_regs(_mm256_loadu_ps(src), _mm256_loadu_ps(src + src_stride),
                        _mm256_loadu_ps(src + 2 * src_stride),
                        _mm256_loadu_ps(src + 3 * src_stride),
                        _mm256_loadu_ps(src + 4 * src_stride),
                        _mm256_loadu_ps(src + 5 * src_stride),
                        _mm256_loadu_ps(src + 6 * src_stride),
                        _mm256_loadu_ps(src + 7 * src_stride), dst, dst_stride);
}
