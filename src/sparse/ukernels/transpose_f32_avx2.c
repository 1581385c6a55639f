/* src/sparse/ukernels/transpose_f32_avx2.c: 8x8 float transpose in ymm registers (split-lane loads, in-lane 4x4 shuffles) */
#include <assert.h>
#include <immintrin.h>

#include "sparse/ukernels/transpose.h"

/* Rows k and k + 4 of a block share one register: low lane 4 floats of row k, high lane
 * the same 4 floats of row k + 4. The insert of the high lane takes its operand from
 * memory, so the 128-bit join is done by the load ports instead of a cross-lane shuffle. */
static inline __attribute__((always_inline)) __m256 load_pair(const float *row_k,
                                                              const float *row_k4)
{
    return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(row_k)),
                                _mm_loadu_ps(row_k4), 1);
}

/* a[k] holds elements 4h..4h+3 of rows k and k + 4 (h = 0 or 1); the in-lane 4x4 transpose
 * leaves in register l element 4h + l of rows 0..3 (low lane) and 4..7 (high lane): row
 * 4h + l of the transposed block, stored as a whole. */
static inline __attribute__((always_inline)) void transpose4_lanes(__m256 a0, __m256 a1,
                                                                   __m256 a2, __m256 a3,
                                                                   float *dst, size_t stride)
{
    const __m256 t0 = _mm256_unpacklo_ps(a0, a1), t1 = _mm256_unpackhi_ps(a0, a1);
    const __m256 t2 = _mm256_unpacklo_ps(a2, a3), t3 = _mm256_unpackhi_ps(a2, a3);
    _mm256_storeu_ps(dst + 0 * stride, _mm256_shuffle_ps(t0, t2, 0x44));
    _mm256_storeu_ps(dst + 1 * stride, _mm256_shuffle_ps(t0, t2, 0xEE));
    _mm256_storeu_ps(dst + 2 * stride, _mm256_shuffle_ps(t1, t3, 0x44));
    _mm256_storeu_ps(dst + 3 * stride, _mm256_shuffle_ps(t1, t3, 0xEE));
}

/* 16 shuffles per block instead of the 24 of unpack/shuffle/permute2f128: little gain
 * where the transposes wait for memory, more on a CPU with one shuffle port
 * (docs/kernels.md, "What limits each path"). */
static inline __attribute__((always_inline)) void
transpose8_rows(const float *r0, const float *r1, const float *r2, const float *r3,
                const float *r4, const float *r5, const float *r6, const float *r7, float *dst,
                size_t dst_stride)
{
    transpose4_lanes(load_pair(r0, r4), load_pair(r1, r5), load_pair(r2, r6), load_pair(r3, r7),
                     dst, dst_stride);
    transpose4_lanes(load_pair(r0 + 4, r4 + 4), load_pair(r1 + 4, r5 + 4),
                     load_pair(r2 + 4, r6 + 4), load_pair(r3 + 4, r7 + 4),
                     dst + 4 * dst_stride, dst_stride);
}

void sc_transpose8_f32__avx2(const float *const src[8], float *dst, size_t dst_stride)
{
    transpose8_rows(src[0], src[1], src[2], src[3], src[4], src[5], src[6], src[7], dst,
                    dst_stride);
}

static inline __attribute__((always_inline)) void
transpose8_strip(const float *src, size_t src_stride, float *dst, size_t dst_stride, size_t n)
{
    for (size_t k = 0; k < n; ++k, src += 8, dst += 8 * dst_stride)
        transpose8_rows(src, src + src_stride, src + 2 * src_stride, src + 3 * src_stride,
                        src + 4 * src_stride, src + 5 * src_stride, src + 6 * src_stride,
                        src + 7 * src_stride, dst, dst_stride);
}

void sc_transpose8xn_f32__avx2(const float *src, size_t src_stride, float *dst,
                               size_t dst_stride, size_t n)
{
    transpose8_strip(src, src_stride, dst, dst_stride, n);
}

/* The tile-row stride as a constant: rows and runs are addressed with immediate offsets
 * instead of multiples of a register, which makes the strips faster (docs/kernels.md,
 * "NHWC transposition in chunks"). */
#define SC_TRANSPOSE_TILE(T)                                                              \
    void sc_transpose8xn_f32_from##T##__avx2(const float *src, size_t src_stride,         \
                                             float *dst, size_t dst_stride, size_t n)     \
    {                                                                                     \
        assert(src_stride == T);                                                          \
        (void)src_stride;                                                                 \
        transpose8_strip(src, T, dst, dst_stride, n);                                     \
    }                                                                                     \
    void sc_transpose8xn_f32_to##T##__avx2(const float *src, size_t src_stride, float *dst, \
                                           size_t dst_stride, size_t n)                   \
    {                                                                                     \
        assert(dst_stride == T);                                                          \
        (void)dst_stride;                                                                 \
        transpose8_strip(src, src_stride, dst, T, n);                                     \
    }

SC_TRANSPOSE_TILE(64)
SC_TRANSPOSE_TILE(72)
SC_TRANSPOSE_TILE(128)
