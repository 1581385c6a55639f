/* src/sparse/ukernels/transpose_f32_avx512.c: AVX-512 strips of 8x8 float transposes, two blocks per zmm pass */
#include <assert.h>
#include <immintrin.h>

#include "sparse/ukernels/transpose.h"

/* The strip contract stays 8 rows x 8n columns (the callers' chunks are whole 8x8 blocks,
 * not always an even count), so the zmm gain is per pair of blocks: 8 row loads of 16 floats
 * and 24 shuffles for 2 blocks, where the ymm kernels need 16 split loads and 32 shuffles.
 * An odd last block goes through one zmm pass of its own. */

/* Blocks k and k + 1 of the strip: r[i] holds 16 floats of row i. After the in-lane 4x4
 * transposes u[l] lane q holds element 4q + l of rows 0..3, v[l] the same of rows 4..7; a
 * two-source permute joins them into runs 4q + l, each of 8 floats. */
static inline __attribute__((always_inline)) void
transpose_pair(const float *src, size_t src_stride, float *dst, size_t dst_stride)
{
    __m512 r[8];
    for (int i = 0; i < 8; ++i) r[i] = _mm512_loadu_ps(src + i * src_stride);
    __m512 u[4], v[4];
    for (int h = 0; h < 2; ++h) {  /* rows 0..3 into u, rows 4..7 into v */
        const __m512 *a = r + 4 * h;
        __m512 *o = h ? v : u;
        const __m512 t0 = _mm512_unpacklo_ps(a[0], a[1]), t1 = _mm512_unpackhi_ps(a[0], a[1]);
        const __m512 t2 = _mm512_unpacklo_ps(a[2], a[3]), t3 = _mm512_unpackhi_ps(a[2], a[3]);
        o[0] = _mm512_shuffle_ps(t0, t2, 0x44);
        o[1] = _mm512_shuffle_ps(t0, t2, 0xEE);
        o[2] = _mm512_shuffle_ps(t1, t3, 0x44);
        o[3] = _mm512_shuffle_ps(t1, t3, 0xEE);
    }
    /* lanes (u0, v0, u1, v1): runs l and 4 + l; lanes (u2, v2, u3, v3): runs 8 + l, 12 + l */
    const __m512i lo = _mm512_setr_epi32(0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23);
    const __m512i hi = _mm512_setr_epi32(8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29,
                                         30, 31);
    for (int l = 0; l < 4; ++l) {
        const __m512 a = _mm512_permutex2var_ps(u[l], lo, v[l]);
        const __m512 b = _mm512_permutex2var_ps(u[l], hi, v[l]);
        _mm256_storeu_ps(dst + l * dst_stride, _mm512_castps512_ps256(a));
        _mm256_storeu_ps(dst + (4 + l) * dst_stride, _mm512_extractf32x8_ps(a, 1));
        _mm256_storeu_ps(dst + (8 + l) * dst_stride, _mm512_castps512_ps256(b));
        _mm256_storeu_ps(dst + (12 + l) * dst_stride, _mm512_extractf32x8_ps(b, 1));
    }
}

/* One block: a[i] holds rows i and i + 4 (8 floats each), so after the in-lane 4x4
 * transposes u[l] has lanes (run l rows 0..3, run 4 + l rows 0..3, run l rows 4..7,
 * run 4 + l rows 4..7); a lane swap puts each run's halves together. */
static inline __attribute__((always_inline)) void
transpose_one(const float *src, size_t src_stride, float *dst, size_t dst_stride)
{
    __m512 a[4];
    for (int i = 0; i < 4; ++i)
        a[i] = _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_loadu_ps(src + i * src_stride)),
                                  _mm256_loadu_ps(src + (i + 4) * src_stride), 1);
    const __m512 t0 = _mm512_unpacklo_ps(a[0], a[1]), t1 = _mm512_unpackhi_ps(a[0], a[1]);
    const __m512 t2 = _mm512_unpacklo_ps(a[2], a[3]), t3 = _mm512_unpackhi_ps(a[2], a[3]);
    const __m512 u[4] = {_mm512_shuffle_ps(t0, t2, 0x44), _mm512_shuffle_ps(t0, t2, 0xEE),
                         _mm512_shuffle_ps(t1, t3, 0x44), _mm512_shuffle_ps(t1, t3, 0xEE)};
    for (int l = 0; l < 4; ++l) {
        const __m512 s = _mm512_shuffle_f32x4(u[l], u[l], _MM_SHUFFLE(3, 1, 2, 0));
        _mm256_storeu_ps(dst + l * dst_stride, _mm512_castps512_ps256(s));
        _mm256_storeu_ps(dst + (4 + l) * dst_stride, _mm512_extractf32x8_ps(s, 1));
    }
}

static inline __attribute__((always_inline)) void
transpose8_strip(const float *src, size_t src_stride, float *dst, size_t dst_stride, size_t n)
{
    size_t k = 0;
    for (; k + 2 <= n; k += 2, src += 16, dst += 16 * dst_stride)
        transpose_pair(src, src_stride, dst, dst_stride);
    if (k < n) transpose_one(src, src_stride, dst, dst_stride);
}

void sc_transpose8xn_f32__avx512(const float *src, size_t src_stride, float *dst,
                                 size_t dst_stride, size_t n)
{
    transpose8_strip(src, src_stride, dst, dst_stride, n);
}

/* The tile-row stride as a constant, as in the AVX2 strips: immediate offsets. */
#define SC_TRANSPOSE_TILE(T)                                                              \
    void sc_transpose8xn_f32_from##T##__avx512(const float *src, size_t src_stride,       \
                                               float *dst, size_t dst_stride, size_t n)   \
    {                                                                                     \
        assert(src_stride == T);                                                          \
        (void)src_stride;                                                                 \
        transpose8_strip(src, T, dst, dst_stride, n);                                     \
    }                                                                                     \
    void sc_transpose8xn_f32_to##T##__avx512(const float *src, size_t src_stride,         \
                                             float *dst, size_t dst_stride, size_t n)     \
    {                                                                                     \
        assert(dst_stride == T);                                                          \
        (void)dst_stride;                                                                 \
        transpose8_strip(src, src_stride, dst, T, n);                                     \
    }

SC_TRANSPOSE_TILE(64)
SC_TRANSPOSE_TILE(72)
SC_TRANSPOSE_TILE(128)
