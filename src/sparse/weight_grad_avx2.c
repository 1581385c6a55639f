/* src/sparse/weight_grad_avx2.c: AVX2+FMA weight-gradient dot products, 4 nonzeros x 16 pixels per step */
#include <immintrin.h>

#include "sparse/weight_grad_kernels.h"

static inline float hsum(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* Mask of the first r lanes (1 <= r <= 7). */
static inline __m256i tail_mask(size_t r)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)r), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* Four nonzeros: accumulators a*0 over pixels 16i..16i+7, a*1 over 16i+8..16i+15 (8 chains,
 * kept in registers by naming them), then one 8-pixel step and one masked step. */
static void dot4(size_t m, const float *restrict y, const float *restrict x0,
                 const float *restrict x1, const float *restrict x2, const float *restrict x3,
                 float *restrict sums)
{
    __m256 a00 = _mm256_setzero_ps(), a01 = a00, a10 = a00, a11 = a00;
    __m256 a20 = a00, a21 = a00, a30 = a00, a31 = a00;
    size_t p = 0;
    for (; p + 16 <= m; p += 16) {
        const __m256 d0 = _mm256_loadu_ps(y + p), d1 = _mm256_loadu_ps(y + p + 8);
        a00 = _mm256_fmadd_ps(d0, _mm256_loadu_ps(x0 + p), a00);
        a10 = _mm256_fmadd_ps(d0, _mm256_loadu_ps(x1 + p), a10);
        a20 = _mm256_fmadd_ps(d0, _mm256_loadu_ps(x2 + p), a20);
        a30 = _mm256_fmadd_ps(d0, _mm256_loadu_ps(x3 + p), a30);
        a01 = _mm256_fmadd_ps(d1, _mm256_loadu_ps(x0 + p + 8), a01);
        a11 = _mm256_fmadd_ps(d1, _mm256_loadu_ps(x1 + p + 8), a11);
        a21 = _mm256_fmadd_ps(d1, _mm256_loadu_ps(x2 + p + 8), a21);
        a31 = _mm256_fmadd_ps(d1, _mm256_loadu_ps(x3 + p + 8), a31);
    }
    if (p + 8 <= m) {
        const __m256 d0 = _mm256_loadu_ps(y + p);
        a00 = _mm256_fmadd_ps(d0, _mm256_loadu_ps(x0 + p), a00);
        a10 = _mm256_fmadd_ps(d0, _mm256_loadu_ps(x1 + p), a10);
        a20 = _mm256_fmadd_ps(d0, _mm256_loadu_ps(x2 + p), a20);
        a30 = _mm256_fmadd_ps(d0, _mm256_loadu_ps(x3 + p), a30);
        p += 8;
    }
    if (p < m) {
        const __m256i mk = tail_mask(m - p);
        const __m256 d1 = _mm256_maskload_ps(y + p, mk);
        a01 = _mm256_fmadd_ps(d1, _mm256_maskload_ps(x0 + p, mk), a01);
        a11 = _mm256_fmadd_ps(d1, _mm256_maskload_ps(x1 + p, mk), a11);
        a21 = _mm256_fmadd_ps(d1, _mm256_maskload_ps(x2 + p, mk), a21);
        a31 = _mm256_fmadd_ps(d1, _mm256_maskload_ps(x3 + p, mk), a31);
    }
    sums[0] = hsum(_mm256_add_ps(a00, a01));
    sums[1] = hsum(_mm256_add_ps(a10, a11));
    sums[2] = hsum(_mm256_add_ps(a20, a21));
    sums[3] = hsum(_mm256_add_ps(a30, a31));
}

/* One nonzero, the same arithmetic per lane as one column of dot4 (so a nonzero's sum does
 * not depend on how many nonzeros its row has). */
static float dot1(size_t m, const float *restrict y, const float *restrict x0)
{
    __m256 a0 = _mm256_setzero_ps(), a1 = a0;
    size_t p = 0;
    for (; p + 16 <= m; p += 16) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(y + p), _mm256_loadu_ps(x0 + p), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(y + p + 8), _mm256_loadu_ps(x0 + p + 8), a1);
    }
    if (p + 8 <= m) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(y + p), _mm256_loadu_ps(x0 + p), a0);
        p += 8;
    }
    if (p < m) {
        const __m256i mk = tail_mask(m - p);
        a1 = _mm256_fmadd_ps(_mm256_maskload_ps(y + p, mk), _mm256_maskload_ps(x0 + p, mk), a1);
    }
    return hsum(_mm256_add_ps(a0, a1));
}

void sc_wgrad_dot_f32__avx2(size_t m, size_t nnz, const float *restrict y,
                            const float *restrict x, const int64_t *restrict off,
                            float *restrict sums)
{
    size_t j = 0;
    for (; j + 4 <= nnz; j += 4)
        dot4(m, y, x + off[j], x + off[j + 1], x + off[j + 2], x + off[j + 3], sums + j);
    for (; j < nnz; ++j) sums[j] = dot1(m, y, x + off[j]);
}
